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
		Users: f.users, SessionStore: f.sessions, Revocations: f.revStore,
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
