package auth

import (
	"context"
	"fmt"
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
		{"old", false, false},
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

func TestRevokePrunesExpiredEntries(t *testing.T) {
	ctx := context.Background()
	clock := authtest.NewClock()
	store := newMemRevocations()
	rv, err := loadRevocations(ctx, store, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := rv.revoke(ctx, "short", authtest.Start.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := rv.revoke(ctx, "long", authtest.Start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	// 20s past "short"'s exp: a token then still verifies, so it stays.
	clock.Set(authtest.Start.Add(time.Minute + 20*time.Second))
	if err := rv.revoke(ctx, "x", authtest.Start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !rv.isRevoked("short") || !store.has("short") {
		t.Fatal("an entry was pruned while its token could still verify within the leeway")
	}

	// Past exp + leeway: nothing can verify it, so it goes.
	clock.Set(authtest.Start.Add(time.Minute + maxLeeway + time.Second))
	if err := rv.revoke(ctx, "y", authtest.Start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if rv.isRevoked("short") {
		t.Error("expired entry kept in memory")
	}
	if store.has("short") {
		t.Error("expired entry kept in the store")
	}
	if n := inMemory(rv); n != 3 {
		t.Errorf("%d entries in memory, want 3 (long, x, y)", n)
	}
	for _, jti := range []string{"long", "x", "y"} {
		if !rv.isRevoked(jti) || !store.has(jti) {
			t.Errorf("live entry %q pruned", jti)
		}
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

// A store may answer "no entries" with a nil map.
func TestRevokeAfterEmptyLoadFromNilMap(t *testing.T) {
	ctx := context.Background()
	store := newMemRevocations()
	store.nilWhenEmpty = true
	rv, err := loadRevocations(ctx, store, authtest.NewClock().Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := rv.revoke(ctx, "a", authtest.Start.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !rv.isRevoked("a") {
		t.Fatal("IsRevoked = false after Revoke")
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
	active, _ := m.ActiveRevocations(context.Background(), now)
	_, ok := active[id]
	return ok, nil
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
