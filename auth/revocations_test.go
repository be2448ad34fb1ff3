package auth

import (
	"context"
	"crypto/rand"
	"fmt"
	"hash/maphash"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/authlab/authlab/auth/authtest"
)

func TestRevokeThenIsRevoked(t *testing.T) {
	ctx := context.Background()
	clock := authtest.NewClock()
	store := newMemRevocations()
	rv, err := loadRevocations(ctx, store, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if rv.isRevoked("a") || inMemory(rv) != 0 {
		t.Fatal("a fresh list is not empty")
	}
	if err := rv.revoke(ctx, "a", authtest.Start.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		jti  string
		want bool
	}{
		{"a", true},
		{"b", false},
		{"", false},
		{"A", false},
	}
	for _, tc := range tests {
		if got := rv.isRevoked(tc.jti); got != tc.want {
			t.Errorf("IsRevoked(%q) = %v, want %v", tc.jti, got, tc.want)
		}
	}
	if !store.has("a") {
		t.Error("Revoke did not write through to the store")
	}
}

func TestLoadRevocationsRestoresFromStore(t *testing.T) {
	ctx := context.Background()
	clock := authtest.NewClock()
	store := newMemRevocations()
	first, err := loadRevocations(ctx, store, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, jti := range []string{"a", "b"} {
		if err := first.revoke(ctx, jti, authtest.Start.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute) // a restart a minute later
	// Entries left in the store by earlier runs: one long expired, one
	// whose token expired 10 s ago and so still verifies within the leeway.
	store.entries["old"] = authtest.Start.Add(-time.Hour)
	store.entries["in leeway"] = clock.Now().Add(-10 * time.Second)
	second, err := loadRevocations(ctx, store, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		jti           string
		inMem, inDisk bool
	}{
		{"a", true, true},
		{"b", true, true},
		// A token up to maxLeeway past exp still verifies, so its entry stays.
		{"in leeway", true, true},
		// Loading skips it; the store keeps it until the next cleanup
		// (TestCleanupPrunesEndedEntries), so start-up writes nothing.
		{"old", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.jti, func(t *testing.T) {
			if got := second.isRevoked(tc.jti); got != tc.inMem {
				t.Errorf("IsRevoked after restart = %v, want %v", got, tc.inMem)
			}
			if got := store.has(tc.jti); got != tc.inDisk {
				t.Errorf("in store after restart = %v, want %v", got, tc.inDisk)
			}
		})
	}
}

// TestCleanupPrunesEndedEntries: an entry stays while its token could
// still verify within the leeway, and Cleanup then drops it from memory
// and from the store, and nothing else.
func TestCleanupPrunesEndedEntries(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	rv := f.a.Tokens.revoked
	for id, until := range map[string]time.Duration{"short": time.Minute, "long": time.Hour} {
		if err := rv.revoke(ctx, id, authtest.Start.Add(until)); err != nil {
			t.Fatal(err)
		}
	}

	// 20s past "short"'s exp: a token then still verifies, so it stays.
	f.clock.Set(authtest.Start.Add(time.Minute + 20*time.Second))
	if err := f.a.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if !rv.isRevoked("short") || !f.revStore.has("short") {
		t.Fatal("an entry was pruned while its token could still verify within the leeway")
	}

	// Past exp + leeway: nothing can verify it. The check refuses it
	// at once, and the next cleanup drops it.
	f.clock.Set(authtest.Start.Add(time.Minute + maxLeeway + time.Second))
	if rv.isRevoked("short") {
		t.Error("an ended entry still counts")
	}
	f.clock.Set(authtest.Start.Add(2*time.Minute + maxLeeway + time.Second))
	if err := f.a.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if n := inMemory(rv); n != 1 {
		t.Errorf("%d entries in memory, want 1 (long)", n)
	}
	if f.revStore.has("short") {
		t.Error("ended entry kept in the store")
	}
	if !rv.isRevoked("long") || !f.revStore.has("long") {
		t.Error("live entry pruned")
	}
}

// TestPruneOnlyWhatEnded fills the set with entries ending over an hour,
// some extended by a later revocation, and prunes at each minute: what
// goes is exactly what has ended, batch after batch.
func TestPruneOnlyWhatEnded(t *testing.T) {
	ctx := context.Background()
	clock := authtest.NewClock()
	rv, err := loadRevocations(ctx, newMemRevocations(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000 // several batches a shard
	ends := map[string]time.Time{}
	for i := range n {
		id := fmt.Sprintf("id-%d", i)
		until := authtest.Start.Add(time.Duration(i%60) * time.Minute)
		if i%7 == 0 {
			// Revoked again later with a later end, as a renewed login is.
			rv.add(id, until)
			until = until.Add(30 * time.Minute)
		}
		if err := rv.revoke(ctx, id, until); err != nil {
			t.Fatal(err)
		}
		ends[id] = until
	}
	for m := 0; m <= 100; m += 5 {
		clock.Set(authtest.Start.Add(time.Duration(m) * time.Minute))
		rv.prune()
		now := clock.Now()
		for id, until := range ends {
			ended := until.Add(maxLeeway).Before(now.Add(-time.Second))
			k := rv.keyOf(id)
			sh := rv.shard(k)
			sh.mu.RLock()
			_, held := sh.m[k]
			sh.mu.RUnlock()
			if ended && held && now.Sub(until.Add(maxLeeway)) > 2*time.Minute {
				t.Fatalf("at +%dm: %s ended at %v and is still held", m, id, until)
			}
			if !ended && !held {
				t.Fatalf("at +%dm: %s ends at %v and was pruned", m, id, until)
			}
			if got := rv.isRevoked(id); got != !ended && !until.Add(maxLeeway).Before(now) {
				t.Fatalf("at +%dm: isRevoked(%s) = %v with end %v", m, id, got, until)
			}
		}
	}
	if got := inMemory(rv); got != 0 {
		t.Errorf("%d entries left after every end passed, want 0", got)
	}
}

// TestKeyOf: an id made by rand.Text is kept as its own bits; any other
// id is hashed; different ids get different keys.
func TestKeyOf(t *testing.T) {
	rv := &revocations{seed: maphash.MakeSeed()}
	seen := map[revocationKey]string{}
	// rand.Text ids are told apart by their first 64 bits (13 characters).
	ids := []string{"", "a", "jti-1", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "2BCDEFGHIJKLMNOPQRSTUVWXYZ", "ABCDEFGHIJKL2NOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"}
	for range 1000 {
		ids = append(ids, rand.Text())
	}
	for _, id := range ids {
		k := rv.keyOf(id)
		if k != rv.keyOf(id) {
			t.Fatalf("keyOf(%q) is not stable", id)
		}
		if other, ok := seen[k]; ok {
			t.Fatalf("keyOf(%q) = keyOf(%q)", id, other)
		}
		seen[k] = id
	}
}

// A revoked token must stay refused for as long as it would otherwise be
// accepted: up to maxLeeway after its exp, even when a later logout prunes.
func TestRevokedTokenStaysRefusedThroughLeeway(t *testing.T) {
	f := newTokenFixture(t, Options{})
	st := f.issue(t, authtest.Start)
	raw, c := st.Raw, st.Claims
	if err := f.a.Tokens.Revoke(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(c.ExpiresAt.Add(maxLeeway - time.Second))
	other := f.issue(t, f.clock.Now()).Claims
	if err := f.a.Tokens.Revoke(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.Tokens.Verify(raw); ReasonFor(err) != ReasonRevoked {
		t.Fatalf("revoked token %v past exp: err = %v, want revoked", maxLeeway-time.Second, err)
	}

	// And after a restart at the same moment.
	restarted, err := New(context.Background(), Options{
		Users: f.users, SessionStore: f.sessions, Revocations: f.revStore, Logins: f.logins, Throttle: f.throttle,
		Key: testKey, Hasher: NewHasher(cheapParams, 1), Clock: f.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !restarted.Tokens.IsRevoked(c.ID) {
		t.Fatal("a restart within the leeway forgot the revocation")
	}
	if _, err := restarted.Tokens.Verify(raw); ReasonFor(err) != ReasonRevoked {
		t.Fatalf("after a restart: err = %v, want revoked", err)
	}
}

func TestRevokeStoreFailure(t *testing.T) {
	ctx := context.Background()
	store := newMemRevocations()
	rv, err := loadRevocations(ctx, store, authtest.NewClock().Now)
	if err != nil {
		t.Fatal(err)
	}
	store.failRevoke = true
	if err := rv.revoke(ctx, "a", authtest.Start.Add(time.Minute)); err == nil {
		t.Fatal("Revoke succeeded though the store failed; the revocation would not survive a restart")
	}
}

func TestRevocationsConcurrentUse(t *testing.T) {
	ctx := context.Background()
	rv, err := loadRevocations(ctx, newMemRevocations(), authtest.NewClock().Now)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				jti := fmt.Sprintf("%d-%d", i, j)
				if err := rv.revoke(ctx, jti, authtest.Start.Add(time.Hour)); err != nil {
					t.Error(err)
					return
				}
				if !rv.isRevoked(jti) {
					t.Errorf("IsRevoked(%q) = false right after Revoke", jti)
				}
			}
		})
	}
	wg.Wait()
	if n := inMemory(rv); n != 200 {
		t.Fatalf("%d entries in memory, want 200", n)
	}
}

// memFeed is a RevocationFeed over memRevocations, as a shared store would
// be: the test plays the other instances by writing to the store directly
// and by sending what the feed would report.
type memFeed struct {
	*memRevocations
	events  chan func(add func(string, time.Time), connected func(bool))
	failing bool // IsRevoked cannot reach the store
	checked int  // IsRevoked calls
}

func (m *memFeed) IsRevoked(_ context.Context, id string, now time.Time) (bool, error) {
	m.checked++
	if m.failing {
		return false, ErrStoreUnavailable
	}
	m.mu.Lock()
	until, ok := m.entries[id]
	m.mu.Unlock()
	return ok && until.Unix() >= now.Unix(), nil
}

func (m *memFeed) Follow(ctx context.Context, add func(string, time.Time), connected func(bool)) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-m.events:
			ev(add, connected)
		}
	}
}

// TestRevocationFeed defends logout across instances: a revocation made
// elsewhere is refused here once the feed reports it, everything missed
// while the feed was down is read again when it comes back, and while it
// is down the store itself is asked.
func TestRevocationFeed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := authtest.NewClock()
	feed := &memFeed{memRevocations: newMemRevocations(), events: make(chan func(func(string, time.Time), func(bool)))}
	rv, err := loadRevocations(ctx, feed, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	go rv.follow(ctx)
	send := func(ev func(add func(string, time.Time), connected func(bool))) {
		done := make(chan struct{})
		feed.events <- func(add func(string, time.Time), connected func(bool)) { ev(add, connected); close(done) }
		<-done
	}
	until := clock.Now().Add(time.Hour)

	// Not yet listening: the store decides.
	feed.Revoke(ctx, "elsewhere-1", until)
	if !rv.isRevoked("elsewhere-1") || feed.checked != 1 {
		t.Fatalf("before the feed is up: isRevoked = %v after %d store checks, want true after 1", rv.isRevoked("elsewhere-1"), feed.checked)
	}

	// Connected: the store is read once, then memory answers alone.
	feed.Revoke(ctx, "elsewhere-2", until)
	send(func(_ func(string, time.Time), connected func(bool)) { connected(true) })
	checked := feed.checked
	for _, id := range []string{"elsewhere-1", "elsewhere-2"} {
		if !rv.isRevoked(id) {
			t.Errorf("after connecting: %s not revoked", id)
		}
	}
	if rv.isRevoked("never") || feed.checked != checked {
		t.Errorf("while listening the store was asked %d times", feed.checked-checked)
	}

	// A revocation reported by the feed.
	send(func(add func(string, time.Time), _ func(bool)) { add("elsewhere-3", until) })
	if !rv.isRevoked("elsewhere-3") {
		t.Error("a reported revocation is not refused")
	}
	// An expired one is not kept.
	send(func(add func(string, time.Time), _ func(bool)) { add("long-gone", clock.Now().Add(-time.Hour)) })
	if rv.isRevoked("long-gone") {
		t.Error("a revocation of a long expired token was kept")
	}

	// Down: revocations made meanwhile are found in the store, and read
	// into memory when the feed comes back.
	send(func(_ func(string, time.Time), connected func(bool)) { connected(false) })
	feed.Revoke(ctx, "while-down", until)
	if !rv.isRevoked("while-down") {
		t.Error("while the feed is down, a revocation in the store is not refused")
	}
	feed.failing = true
	if rv.isRevoked("unknown") {
		t.Error("an unreachable store made an unknown id revoked")
	}
	feed.failing = false
	send(func(_ func(string, time.Time), connected func(bool)) { connected(true) })
	checked = feed.checked
	if !rv.isRevoked("while-down") || feed.checked != checked {
		t.Error("after reconnecting, what was missed is not in memory")
	}
}

// TestLogoutDuringReload revokes while the whole list is read again, as a
// feed's reconnection does: nothing either side adds is lost.
func TestLogoutDuringReload(t *testing.T) {
	ctx := context.Background()
	clock := authtest.NewClock()
	store := newMemRevocations()
	for i := range 5000 {
		store.entries[fmt.Sprintf("stored-%d", i)] = authtest.Start.Add(time.Hour)
	}
	rv, err := loadRevocations(ctx, newMemRevocations(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	rv.store = store
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := store.Revocations(ctx, clock.Now(), rv.add); err != nil {
			t.Error(err)
		}
	})
	for i := range 500 {
		if err := rv.revoke(ctx, fmt.Sprintf("logout-%d", i), authtest.Start.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if n := inMemory(rv); n != 5500 {
		t.Errorf("%d entries in memory, want 5500", n)
	}
	for _, id := range []string{"stored-0", "stored-4999", "logout-0", "logout-499"} {
		if !rv.isRevoked(id) {
			t.Errorf("%s lost", id)
		}
	}
}

// BenchmarkRevocations checks and adds entries with a million revoked ids
// in the set, as a busy deployment holds: a check and a logout must cost
// the same as with an empty list.
func BenchmarkRevocations(b *testing.B) {
	for _, size := range []int{0, 1_000_000} {
		ctx := context.Background()
		clock := authtest.NewClock()
		store := newMemRevocations()
		ids := make([]string, size)
		for i := range ids {
			ids[i] = rand.Text()
			store.entries[ids[i]] = authtest.Start.Add(time.Duration(i%1440) * time.Minute)
		}
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		rv, err := loadRevocations(ctx, store, clock.Now)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		perEntry := float64(ms.HeapAlloc-before) / float64(max(1, inMemory(rv)))
		store.entries = map[string]time.Time{}
		name := fmt.Sprintf("%d", size)
		b.Run(name+"/check-miss", func(b *testing.B) {
			id := rand.Text()
			for b.Loop() {
				if rv.isRevoked(id) {
					b.Fatal("revoked")
				}
			}
		})
		if size > 0 {
			b.Run(name+"/check-hit", func(b *testing.B) {
				i := 0
				for b.Loop() {
					rv.isRevoked(ids[i%size])
					i++
				}
			})
			b.Logf("%d entries: %.0f bytes each in memory", inMemory(rv), perEntry)
		}
		b.Run(name+"/revoke", func(b *testing.B) {
			for b.Loop() {
				if err := rv.revoke(ctx, rand.Text(), authtest.Start.Add(time.Hour)); err != nil {
					b.Fatal(err)
				}
			}
		})
		runtime.KeepAlive(ids)
	}
}
