// Package storetest is the conformance suite every authlab store passes:
// one table of cases, run against SQLite and PostgreSQL alike, so that the
// auth package can rely on the same answers from either.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/authlab/authlab/auth"
)

// Store is what a complete authlab store provides.
type Store interface {
	auth.UserStore
	auth.RevocationStore
	SessionStore() scs.Store
}

// Run runs every case against a fresh store from open.
func Run(t *testing.T, open func(t *testing.T) Store) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// now is a whole second in the near future of any test run, so that
// stores that keep seconds or microseconds give back the same time.
var now = time.Now().Add(time.Hour).Truncate(time.Second)

var cases = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"a user reads back by name and by id", func(t *testing.T, s Store) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, "alice", "hash-a")
		if err != nil || u.ID <= 0 || u.Username != "alice" {
			t.Fatalf("CreateUser = %+v, %v", u, err)
		}
		byName, hash, err := s.UserByName(ctx, "alice")
		if err != nil || byName.ID != u.ID || hash != "hash-a" {
			t.Errorf("UserByName = %+v, %q, %v; want id %d and its hash", byName, hash, err, u.ID)
		}
		byID, err := s.UserByID(ctx, u.ID)
		if err != nil || byID.Username != "alice" || !byID.Created.Equal(u.Created) {
			t.Errorf("UserByID = %+v, %v; want %+v", byID, err, u)
		}
	}},
	{"a taken username is ErrUsernameTaken", func(t *testing.T, s Store) {
		ctx := context.Background()
		if _, err := s.CreateUser(ctx, "bob", "h"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, "bob", "h2"); !errors.Is(err, auth.ErrUsernameTaken) {
			t.Errorf("second CreateUser(bob) = %v, want ErrUsernameTaken", err)
		}
	}},
	{"an unknown user is ErrNoUser", func(t *testing.T, s Store) {
		ctx := context.Background()
		if _, _, err := s.UserByName(ctx, "nobody"); !errors.Is(err, auth.ErrNoUser) {
			t.Errorf("UserByName(nobody) = %v, want ErrNoUser", err)
		}
		if _, err := s.UserByID(ctx, 424242); !errors.Is(err, auth.ErrNoUser) {
			t.Errorf("UserByID(424242) = %v, want ErrNoUser", err)
		}
	}},
	{"user ids are distinct and increase", func(t *testing.T, s Store) {
		ctx := context.Background()
		var last int64
		for _, name := range []string{"u1", "u2", "u3"} {
			u, err := s.CreateUser(ctx, name, "h")
			if err != nil || u.ID <= last {
				t.Fatalf("CreateUser(%s) = %+v, %v after id %d", name, u, err, last)
			}
			last = u.ID
		}
	}},
	{"a revocation is active until its time, and a later one wins", func(t *testing.T, s Store) {
		ctx := context.Background()
		if err := s.Revoke(ctx, "jti-1", now); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, "jti-1", now.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		active, err := s.ActiveRevocations(ctx, now.Add(-time.Second))
		if err != nil || !active["jti-1"].Equal(now) {
			t.Fatalf("ActiveRevocations = %v, %v; want jti-1 until %v (the later time)", active, err, now)
		}
		if err := s.Revoke(ctx, "jti-1", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if active, _ := s.ActiveRevocations(ctx, now.Add(time.Minute)); !active["jti-1"].Equal(now.Add(time.Hour)) {
			t.Errorf("after a later revocation: %v, want until %v", active, now.Add(time.Hour))
		}
	}},
	{"pruning drops only what has ended", func(t *testing.T, s Store) {
		ctx := context.Background()
		for id, until := range map[string]time.Time{"old": now.Add(-time.Hour), "new": now.Add(time.Hour)} {
			if err := s.Revoke(ctx, id, until); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PruneRevocations(ctx, now); err != nil {
			t.Fatal(err)
		}
		active, err := s.ActiveRevocations(ctx, now.Add(-2*time.Hour))
		if _, old := active["old"]; err != nil || old || !active["new"].Equal(now.Add(time.Hour)) {
			t.Errorf("after pruning: %v, %v; want only new", active, err)
		}
	}},
	{"a session reads back until it expires, and is gone once deleted", func(t *testing.T, s Store) {
		st := s.SessionStore()
		if err := st.Commit("live", []byte("record"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.Commit("ended", []byte("old"), time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if b, found, err := st.Find("live"); err != nil || !found || string(b) != "record" {
			t.Errorf("Find(live) = %q, %v, %v", b, found, err)
		}
		if _, found, err := st.Find("ended"); err != nil || found {
			t.Errorf("Find(ended) = %v, %v; want not found", found, err)
		}
		if _, found, err := st.Find("never"); err != nil || found {
			t.Errorf("Find(never) = %v, %v; want not found", found, err)
		}
		if err := st.Commit("live", []byte("changed"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if b, _, _ := st.Find("live"); string(b) != "changed" {
			t.Errorf("after a second Commit: %q, want changed", b)
		}
		if err := st.Delete("live"); err != nil {
			t.Fatal(err)
		}
		if _, found, err := st.Find("live"); err != nil || found {
			t.Errorf("Find after Delete = %v, %v; want not found", found, err)
		}
	}},
}
