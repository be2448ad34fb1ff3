package auth

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestRevokeThenIsRevoked(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	store := newMemRevocations()
	rv, err := LoadRevocations(ctx, store, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if rv.IsRevoked("a") || rv.Len() != 0 {
		t.Fatal("a fresh list is not empty")
	}
	if err := rv.Revoke(ctx, "a", t0.Add(time.Minute)); err != nil {
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
		if got := rv.IsRevoked(tc.jti); got != tc.want {
			t.Errorf("IsRevoked(%q) = %v, want %v", tc.jti, got, tc.want)
		}
	}
	if !store.has("a") {
		t.Error("Revoke did not write through to the store")
	}
}

func TestLoadRevocationsRestoresFromStore(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	store := newMemRevocations()
	first, err := LoadRevocations(ctx, store, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, jti := range []string{"a", "b"} {
		if err := first.Revoke(ctx, jti, t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute) // a restart a minute later
	// Entries left in the store by earlier runs: one long expired, one
	// whose token expired 10 s ago and so still verifies within the leeway.
	store.entries["old"] = t0.Add(-time.Hour)
	store.entries["in leeway"] = clock.Now().Add(-10 * time.Second)
	second, err := LoadRevocations(ctx, store, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		jti           string
		inMem, inDisk bool
	}{
		{"a", true, true},
		{"b", true, true},
		// A token up to MaxLeeway past exp still verifies, so its entry stays.
		{"in leeway", true, true},
		{"old", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.jti, func(t *testing.T) {
			if got := second.IsRevoked(tc.jti); got != tc.inMem {
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
	clock := newFakeClock()
	store := newMemRevocations()
	rv, err := LoadRevocations(ctx, store, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := rv.Revoke(ctx, "short", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := rv.Revoke(ctx, "long", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	// 20s past "short"'s exp: a token then still verifies, so it stays.
	clock.Set(t0.Add(time.Minute + 20*time.Second))
	if err := rv.Revoke(ctx, "x", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !rv.IsRevoked("short") || !store.has("short") {
		t.Fatal("an entry was pruned while its token could still verify within the leeway")
	}

	// Past exp + leeway: nothing can verify it, so it goes.
	clock.Set(t0.Add(time.Minute + MaxLeeway + time.Second))
	if err := rv.Revoke(ctx, "y", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if rv.IsRevoked("short") {
		t.Error("expired entry kept in memory")
	}
	if store.has("short") {
		t.Error("expired entry kept in the store")
	}
	if rv.Len() != 3 {
		t.Errorf("Len = %d, want 3 (long, x, y)", rv.Len())
	}
	for _, jti := range []string{"long", "x", "y"} {
		if !rv.IsRevoked(jti) || !store.has(jti) {
			t.Errorf("live entry %q pruned", jti)
		}
	}
}

// A revoked token must stay refused for as long as it would otherwise be
// accepted: up to MaxLeeway after its exp, even when a later logout prunes.
func TestRevokedTokenStaysRefusedThroughLeeway(t *testing.T) {
	f := newTokenFixture(t, TokenConfig{})
	raw, c := f.issue(t, t0)
	if err := f.tokens.RevokeClaims(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(c.ExpiresAt.Add(MaxLeeway - time.Second))
	_, other := f.issue(t, f.clock.Now())
	if err := f.tokens.RevokeClaims(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if _, err := f.tokens.Verify(raw); ReasonFor(err) != ReasonRevoked {
		t.Fatalf("revoked token %v past exp: err = %v, want revoked", MaxLeeway-time.Second, err)
	}

	// And after a restart at the same moment.
	rv, err := LoadRevocations(context.Background(), f.revStore, f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if !rv.IsRevoked(c.ID) {
		t.Fatal("a restart within the leeway forgot the revocation")
	}
}

func TestRevokeStoreFailure(t *testing.T) {
	ctx := context.Background()
	store := newMemRevocations()
	rv, err := LoadRevocations(ctx, store, newFakeClock().Now)
	if err != nil {
		t.Fatal(err)
	}
	store.failRevoke = true
	if err := rv.Revoke(ctx, "a", t0.Add(time.Minute)); err == nil {
		t.Fatal("Revoke succeeded though the store failed; the revocation would not survive a restart")
	}
}

// A store may answer "no entries" with a nil map.
func TestRevokeAfterEmptyLoadFromNilMap(t *testing.T) {
	ctx := context.Background()
	store := newMemRevocations()
	store.nilWhenEmpty = true
	rv, err := LoadRevocations(ctx, store, newFakeClock().Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := rv.Revoke(ctx, "a", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !rv.IsRevoked("a") {
		t.Fatal("IsRevoked = false after Revoke")
	}
}

func TestRevocationsConcurrentUse(t *testing.T) {
	ctx := context.Background()
	rv, err := LoadRevocations(ctx, newMemRevocations(), newFakeClock().Now)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				jti := fmt.Sprintf("%d-%d", i, j)
				if err := rv.Revoke(ctx, jti, t0.Add(time.Hour)); err != nil {
					t.Error(err)
					return
				}
				if !rv.IsRevoked(jti) {
					t.Errorf("IsRevoked(%q) = false right after Revoke", jti)
				}
			}
		})
	}
	wg.Wait()
	if rv.Len() != 200 {
		t.Fatalf("Len = %d, want 200", rv.Len())
	}
}
