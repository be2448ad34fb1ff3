// Package storetest is the conformance suite every authlab store passes:
// one table of cases, run against SQLite and PostgreSQL alike, so that the
// auth package can rely on the same answers from either.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/authlab/authlab/auth"
)

// Store is what a complete authlab store provides.
type Store interface {
	auth.UserStore
	auth.RevocationStore
	auth.LoginStore
	auth.ThrottleStore
	SessionStore() scs.Store
}

// Run runs every case against a fresh store from open.
func Run(t *testing.T, open func(t *testing.T) Store) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

// revocations reads every entry of s in force at since.
func revocations(t *testing.T, s Store, since time.Time) map[string]time.Time {
	t.Helper()
	m := map[string]time.Time{}
	if err := s.Revocations(context.Background(), since, func(id string, until time.Time) { m[id] = until }); err != nil {
		t.Fatalf("Revocations: %v", err)
	}
	return m
}

// now is a whole second in the near future of any test run, so that
// stores that keep seconds or microseconds give back the same time.
var now = time.Now().Add(time.Hour).Truncate(time.Second)

// ms is a duration in milliseconds, the precision every store keeps the
// times of logins and throttling to.
func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// utc gives l's times in UTC, so that two logins compare with ==.
func utc(l auth.Login) auth.Login {
	l.Started, l.Seen, l.Expires, l.Ended = l.Started.UTC(), l.Seen.UTC(), l.Expires.UTC(), l.Ended.UTC()
	return l
}

// login is a login of userID under key, started at and expiring at
// expires.
func login(userID int64, key string, at, expires time.Time) auth.Login {
	return auth.Login{ID: "id-" + key, UserID: userID, Strategy: auth.StrategySession, Key: key,
		Started: at, Seen: at, Expires: expires, Agent: "Firefox on Linux", Address: "192.0.2.1"}
}

func addLogins(t *testing.T, s Store, ls ...auth.Login) {
	t.Helper()
	for _, l := range ls {
		if err := s.AddLogin(context.Background(), l); err != nil {
			t.Fatalf("AddLogin(%s): %v", l.Key, err)
		}
	}
}

func keys(ls []auth.Login) []string {
	var ks []string
	for _, l := range ls {
		ks = append(ks, l.Key)
	}
	return ks
}

// failure is one AddLoginFailure.
type failure struct {
	account, address string
	at               time.Time
}

func addFailures(t *testing.T, s Store, forgetBefore time.Time, fs ...failure) {
	t.Helper()
	for _, f := range fs {
		if err := s.AddLoginFailure(context.Background(), f.account, f.address, f.at, forgetBefore); err != nil {
			t.Fatalf("AddLoginFailure(%s, %s, %v): %v", f.account, f.address, f.at, err)
		}
	}
}

// checkFailures fails t unless LoginFailures answers want.
func checkFailures(t *testing.T, s Store, account, address string, since time.Time, want auth.Failures) {
	t.Helper()
	got, err := s.LoginFailures(context.Background(), account, address, since, since)
	if err != nil {
		t.Fatalf("LoginFailures(%s, %s): %v", account, address, err)
	}
	got.AccountLast, got.PairLast, got.AddressFirst = got.AccountLast.UTC(), got.PairLast.UTC(), got.AddressFirst.UTC()
	want.AccountLast, want.PairLast, want.AddressFirst = want.AccountLast.UTC(), want.PairLast.UTC(), want.AddressFirst.UTC()
	if got != want {
		t.Errorf("LoginFailures(%s, %s, since %v) =\n\t%+v, want\n\t%+v", account, address, since, got, want)
	}
}

// checkSignups fails t unless Signups answers n and first.
func checkSignups(t *testing.T, s Store, address string, since time.Time, n int, first time.Time) {
	t.Helper()
	gotN, gotFirst, err := s.Signups(context.Background(), address, since)
	if err != nil || gotN != n || !gotFirst.Equal(first) {
		t.Errorf("Signups(%s, since %v) = %d, %v, %v; want %d, %v", address, since, gotN, gotFirst, err, n, first)
	}
}

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
		active := revocations(t, s, now.Add(-time.Second))
		if len(active) != 1 || !active["jti-1"].Equal(now) {
			t.Fatalf("Revocations = %v; want jti-1 until %v (the later time)", active, now)
		}
		if err := s.Revoke(ctx, "jti-1", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if active := revocations(t, s, now.Add(time.Minute)); !active["jti-1"].Equal(now.Add(time.Hour)) {
			t.Errorf("after a later revocation: %v, want until %v", active, now.Add(time.Hour))
		}
		if n, err := s.CountRevocations(ctx); err != nil || n != 1 {
			t.Errorf("CountRevocations = %d, %v; want 1", n, err)
		}
	}},
	{"pruning drops only what has ended, a batch at a time", func(t *testing.T, s Store) {
		ctx := context.Background()
		for i := range 5 {
			if err := s.Revoke(ctx, fmt.Sprintf("old-%d", i), now.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Revoke(ctx, "new", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, want := range []int{2, 2, 1, 0} {
			if n, err := s.PruneRevocations(ctx, now, 2); err != nil || n != want {
				t.Fatalf("PruneRevocations(limit 2) = %d, %v; want %d", n, err, want)
			}
		}
		active := revocations(t, s, now.Add(-2*time.Hour))
		if len(active) != 1 || !active["new"].Equal(now.Add(time.Hour)) {
			t.Errorf("after pruning: %v; want only new", active)
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
	{"a password change is what UserByName returns, and only for that user", func(t *testing.T, s Store) {
		ctx := context.Background()
		alice, err := s.CreateUser(ctx, "alice", "hash-old")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, "bob", "hash-bob"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPassword(ctx, alice.ID, "hash-new"); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		if u, hash, err := s.UserByName(ctx, "alice"); err != nil || hash != "hash-new" || u.ID != alice.ID {
			t.Errorf("UserByName(alice) = %+v, %q, %v; want id %d, hash-new", u, hash, err, alice.ID)
		}
		if _, hash, err := s.UserByName(ctx, "bob"); err != nil || hash != "hash-bob" {
			t.Errorf("UserByName(bob) = %q, %v; want hash-bob, unchanged", hash, err)
		}
		if u, err := s.UserByID(ctx, alice.ID); err != nil || u.Username != "alice" || !u.Created.Equal(alice.Created) {
			t.Errorf("UserByID after SetPassword = %+v, %v; want %+v", u, err, alice)
		}
		if err := s.SetPassword(ctx, alice.ID+1000, "hash"); !errors.Is(err, auth.ErrNoUser) {
			t.Errorf("SetPassword(missing id) = %v, want ErrNoUser", err)
		}
	}},
	{"a login reads back by key, every field to the millisecond", func(t *testing.T, s Store) {
		want := auth.Login{ID: "login-1", UserID: 7, Strategy: auth.StrategyJWT, Key: "sid-1",
			Started: now.Add(ms(1)), Seen: now.Add(ms(2500)), Expires: now.Add(time.Hour + ms(999)),
			Agent: "Mozilla/5.0 (X11; Linux x86_64) – ünïcode", Address: "2001:db8::1"}
		addLogins(t, s, want)
		got, err := s.LoginByKey(context.Background(), "sid-1")
		if err != nil || utc(got) != utc(want) {
			t.Errorf("LoginByKey =\n\t%+v, %v; want\n\t%+v", got, err, want)
		}
	}},
	{"a login of an unknown key is ErrNoLogin", func(t *testing.T, s Store) {
		addLogins(t, s, login(1, "known", now, now.Add(time.Hour)))
		if l, err := s.LoginByKey(context.Background(), "unknown"); !errors.Is(err, auth.ErrNoLogin) {
			t.Errorf("LoginByKey(unknown) = %+v, %v; want ErrNoLogin", l, err)
		}
	}},
	{"adding a login under a key held renews only its Seen and Expires", func(t *testing.T, s Store) {
		first := login(1, "k", now, now.Add(time.Hour))
		addLogins(t, s, first, auth.Login{ID: "other-id", UserID: 2, Strategy: auth.StrategyJWT, Key: "k",
			Started: now.Add(time.Minute), Seen: now.Add(time.Minute + ms(5)), Expires: now.Add(2*time.Hour + ms(7)),
			Agent: "curl", Address: "198.51.100.9"})
		want := first
		want.Seen, want.Expires = now.Add(time.Minute+ms(5)), now.Add(2*time.Hour+ms(7))
		got, err := s.LoginByKey(context.Background(), "k")
		if err != nil || utc(got) != utc(want) {
			t.Errorf("LoginByKey after renewal =\n\t%+v, %v; want\n\t%+v", got, err, want)
		}
	}},
	{"live logins are the user's own, not ended and not expired, oldest first", func(t *testing.T, s Store) {
		ctx := context.Background()
		day := now.Add(24 * time.Hour)
		first := login(1, "first", now.Add(-3*time.Hour), day)
		addLogins(t, s,
			login(1, "second", now.Add(-2*time.Hour), day),
			first,
			login(1, "third", now.Add(-time.Hour), now.Add(ms(1))),
			login(1, "ended", now.Add(-3*time.Hour-time.Minute), day),
			login(1, "expired", now.Add(-4*time.Hour), now.Add(-time.Hour)),
			login(1, "expires-now", now.Add(-5*time.Hour), now),
			login(2, "someone-else", now.Add(-6*time.Hour), day))
		if err := s.EndLogin(ctx, "ended", now.Add(-time.Hour), auth.EndedByUser); err != nil {
			t.Fatal(err)
		}
		got, err := s.LiveLogins(ctx, 1, now)
		if want := []string{"first", "second", "third"}; err != nil || !slices.Equal(keys(got), want) {
			t.Errorf("LiveLogins(1) = %v, %v; want %v", keys(got), err, want)
		}
		if len(got) == 3 && utc(got[0]) != utc(first) {
			t.Errorf("LiveLogins(1)[0] = %+v, want every field as added", got[0])
		}
		if got, err := s.LiveLogins(ctx, 2, now); err != nil || !slices.Equal(keys(got), []string{"someone-else"}) {
			t.Errorf("LiveLogins(2) = %v, %v; want [someone-else]", keys(got), err)
		}
		if got, err := s.LiveLogins(ctx, 3, now); err != nil || len(got) != 0 {
			t.Errorf("LiveLogins(3) = %v, %v; want none", keys(got), err)
		}
	}},
	{"ending a login keeps its first end, through later ends and renewals", func(t *testing.T, s Store) {
		ctx := context.Background()
		l := login(1, "k", now, now.Add(time.Hour))
		addLogins(t, s, l, login(1, "untouched", now, now.Add(time.Hour)))
		endedAt := now.Add(time.Minute + ms(250))
		if err := s.EndLogin(ctx, "k", endedAt, auth.EndedByUser); err != nil {
			t.Fatal(err)
		}
		want := l
		want.Ended, want.EndedBy = endedAt, auth.EndedByUser
		if got, err := s.LoginByKey(ctx, "k"); err != nil || utc(got) != utc(want) {
			t.Errorf("LoginByKey after EndLogin =\n\t%+v, %v; want\n\t%+v", got, err, want)
		}
		if err := s.EndLogin(ctx, "k", now.Add(time.Hour), auth.EndedByPassword); err != nil {
			t.Fatal(err)
		}
		renewal := l
		renewal.Seen, renewal.Expires = now.Add(2*time.Minute), now.Add(3*time.Hour)
		addLogins(t, s, renewal)
		want.Seen, want.Expires = renewal.Seen, renewal.Expires
		if got, err := s.LoginByKey(ctx, "k"); err != nil || utc(got) != utc(want) {
			t.Errorf("after a second EndLogin and a renewal =\n\t%+v, %v; want\n\t%+v (the first end kept)", got, err, want)
		}
		if got, err := s.LoginByKey(ctx, "untouched"); err != nil || !got.Ended.IsZero() || got.EndedBy != "" {
			t.Errorf("another login = %+v, %v; want not ended", got, err)
		}
	}},
	{"pruning logins drops the expired and the ended before the moment given", func(t *testing.T, s Store) {
		ctx := context.Background()
		later := now.Add(time.Hour)
		addLogins(t, s,
			login(1, "expired", now.Add(-2*time.Hour), now.Add(-ms(1))),
			login(1, "expires-at-moment", now.Add(-time.Hour), now),
			login(1, "ended-before", now.Add(-time.Minute), later),
			login(1, "ended-after", now.Add(-time.Minute), later),
			login(1, "live", now.Add(-time.Minute), later))
		for key, at := range map[string]time.Time{"ended-before": now.Add(-ms(1)), "ended-after": now.Add(ms(1))} {
			if err := s.EndLogin(ctx, key, at, auth.EndedByLogout); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.PruneLogins(ctx, now, 100); err != nil || n != 2 {
			t.Fatalf("PruneLogins(limit 100) = %d, %v; want 2", n, err)
		}
		for key, kept := range map[string]bool{
			"expired": false, "ended-before": false,
			"expires-at-moment": true, "ended-after": true, "live": true,
		} {
			_, err := s.LoginByKey(ctx, key)
			if kept && err != nil || !kept && !errors.Is(err, auth.ErrNoLogin) {
				t.Errorf("after PruneLogins, LoginByKey(%s) = %v; want kept %v", key, err, kept)
			}
		}
	}},
	{"pruning logins deletes at most limit a call, until fewer than limit are left", func(t *testing.T, s Store) {
		ctx := context.Background()
		later := now.Add(time.Hour)
		for i := range 3 {
			addLogins(t, s, login(1, fmt.Sprintf("expired-%d", i), now.Add(-2*time.Hour), now.Add(-time.Minute)))
		}
		for i := range 2 {
			key := fmt.Sprintf("ended-%d", i)
			addLogins(t, s, login(1, key, now.Add(-time.Hour), later))
			if err := s.EndLogin(ctx, key, now.Add(-time.Minute), auth.EndedByLogout); err != nil {
				t.Fatal(err)
			}
		}
		addLogins(t, s, login(1, "live", now.Add(-time.Minute), later))
		for _, want := range []int{2, 2, 1, 0} {
			if n, err := s.PruneLogins(ctx, now, 2); err != nil || n != want {
				t.Fatalf("PruneLogins(limit 2) = %d, %v; want %d", n, err, want)
			}
		}
		if got, err := s.LiveLogins(ctx, 1, now.Add(-2*time.Hour)); err != nil || !slices.Equal(keys(got), []string{"live"}) {
			t.Errorf("after pruning, LiveLogins = %v, %v; want only live", keys(got), err)
		}
	}},
	{"pruning throttling deletes at most limit a call, across its tables", func(t *testing.T, s Store) {
		ctx := context.Background()
		// Three accounts' failures: three rows of failures and three
		// counts; and two signups. Eight old rows in all, and one new.
		addFailures(t, s, now.Add(-48*time.Hour),
			failure{"alice", "192.0.2.1", now.Add(-3 * time.Hour)},
			failure{"bob", "192.0.2.1", now.Add(-2 * time.Hour)},
			failure{"carol", "192.0.2.2", now.Add(-time.Hour)},
			failure{"dave", "192.0.2.2", now.Add(time.Hour)})
		for _, at := range []time.Time{now.Add(-2 * time.Hour), now.Add(-time.Hour)} {
			if err := s.AddSignup(ctx, "192.0.2.1", at); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range []int{3, 3, 2, 0} {
			if n, err := s.PruneThrottle(ctx, now, now, 3); err != nil || n != want {
				t.Fatalf("PruneThrottle(limit 3) = %d, %v; want %d", n, err, want)
			}
		}
		since := now.Add(-72 * time.Hour)
		checkFailures(t, s, "alice", "192.0.2.1", since, auth.Failures{})
		checkFailures(t, s, "dave", "192.0.2.2", since, auth.Failures{Account: 1, AccountLast: now.Add(time.Hour),
			PairLast: now.Add(time.Hour), Address: 1, AddressFirst: now.Add(time.Hour)})
		checkSignups(t, s, "192.0.2.1", since, 0, time.Time{})
	}},
	{"failed logins count per account, per pair and per address", func(t *testing.T, s Store) {
		addFailures(t, s, now.Add(-24*time.Hour),
			failure{"alice", "192.0.2.1", now.Add(ms(1500))},
			failure{"alice", "192.0.2.2", now.Add(ms(2500))},
			failure{"alice", "192.0.2.1", now.Add(ms(3500))},
			failure{"bob", "192.0.2.1", now.Add(ms(4500))})
		window := now.Add(-10 * time.Minute)
		checkFailures(t, s, "alice", "192.0.2.1", window, auth.Failures{Account: 3, AccountLast: now.Add(ms(3500)),
			PairLast: now.Add(ms(3500)), Address: 3, AddressFirst: now.Add(ms(1500))})
		checkFailures(t, s, "alice", "192.0.2.2", window, auth.Failures{Account: 3, AccountLast: now.Add(ms(3500)),
			PairLast: now.Add(ms(2500)), Address: 1, AddressFirst: now.Add(ms(2500))})
		checkFailures(t, s, "bob", "192.0.2.2", window, auth.Failures{Account: 1, AccountLast: now.Add(ms(4500)),
			Address: 1, AddressFirst: now.Add(ms(2500))})
		checkFailures(t, s, "carol", "198.51.100.1", window, auth.Failures{})
		// The address window counts only failures after since.
		checkFailures(t, s, "alice", "192.0.2.1", now.Add(ms(1500)), auth.Failures{Account: 3, AccountLast: now.Add(ms(3500)),
			PairLast: now.Add(ms(3500)), Address: 2, AddressFirst: now.Add(ms(3500))})
		checkFailures(t, s, "alice", "192.0.2.1", now.Add(ms(4500)), auth.Failures{Account: 3, AccountLast: now.Add(ms(3500)),
			PairLast: now.Add(ms(3500))})
	}},
	{"a success clears the account's count and keeps the address window", func(t *testing.T, s Store) {
		ctx := context.Background()
		forget := now.Add(-24 * time.Hour)
		addFailures(t, s, forget,
			failure{"alice", "192.0.2.1", now.Add(time.Second)},
			failure{"alice", "192.0.2.1", now.Add(2 * time.Second)},
			failure{"bob", "192.0.2.1", now.Add(3 * time.Second)})
		if err := s.LoginSucceeded(ctx, "alice", "192.0.2.9", now.Add(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		window := now.Add(-10 * time.Minute)
		checkFailures(t, s, "alice", "192.0.2.1", window, auth.Failures{
			PairLast: now.Add(2 * time.Second), Address: 3, AddressFirst: now.Add(time.Second)})
		// The address it succeeded from is known, from then on, to alice
		// alone.
		checkFailures(t, s, "alice", "192.0.2.9", window, auth.Failures{PairKnown: true})
		checkFailures(t, s, "bob", "192.0.2.9", window, auth.Failures{Account: 1, AccountLast: now.Add(3 * time.Second)})
		checkFailures(t, s, "alice", "192.0.2.9", now.Add(6*time.Second), auth.Failures{})
		// An earlier success does not move it back.
		if err := s.LoginSucceeded(ctx, "alice", "192.0.2.9", now); err != nil {
			t.Fatal(err)
		}
		checkFailures(t, s, "alice", "192.0.2.9", now.Add(5*time.Second), auth.Failures{PairKnown: true})
		checkFailures(t, s, "bob", "192.0.2.1", window, auth.Failures{Account: 1, AccountLast: now.Add(3 * time.Second),
			PairLast: now.Add(3 * time.Second), Address: 3, AddressFirst: now.Add(time.Second)})
		addFailures(t, s, forget, failure{"alice", "192.0.2.2", now.Add(4 * time.Second)})
		checkFailures(t, s, "alice", "192.0.2.2", window, auth.Failures{Account: 1, AccountLast: now.Add(4 * time.Second),
			PairLast: now.Add(4 * time.Second), Address: 1, AddressFirst: now.Add(4 * time.Second)})
	}},
	{"a failure once forgetBefore has reached the last one counts from one again", func(t *testing.T, s Store) {
		day := 24 * time.Hour
		addFailures(t, s, now.Add(-day),
			failure{"alice", "192.0.2.1", now},
			failure{"alice", "192.0.2.1", now.Add(time.Second)})
		// forgetBefore just short of the last failure: the count goes on.
		addFailures(t, s, now.Add(time.Second-ms(1)), failure{"alice", "192.0.2.1", now.Add(day)})
		checkFailures(t, s, "alice", "192.0.2.1", now.Add(-time.Minute), auth.Failures{Account: 3, AccountLast: now.Add(day),
			PairLast: now.Add(day), Address: 3, AddressFirst: now})
		// forgetBefore at the last failure: forgotten.
		addFailures(t, s, now.Add(day), failure{"alice", "192.0.2.2", now.Add(2 * day)})
		checkFailures(t, s, "alice", "192.0.2.2", now.Add(-time.Minute), auth.Failures{Account: 1, AccountLast: now.Add(2 * day),
			PairLast: now.Add(2 * day), Address: 1, AddressFirst: now.Add(2 * day)})
	}},
	{"signups count per address after since, with the first of them", func(t *testing.T, s Store) {
		ctx := context.Background()
		for _, su := range []struct {
			address string
			at      time.Time
		}{
			{"192.0.2.1", now.Add(ms(1500))},
			{"192.0.2.1", now.Add(ms(2500))},
			{"192.0.2.2", now.Add(ms(500))},
			{"192.0.2.1", now.Add(ms(3500))},
		} {
			if err := s.AddSignup(ctx, su.address, su.at); err != nil {
				t.Fatal(err)
			}
		}
		checkSignups(t, s, "192.0.2.1", now, 3, now.Add(ms(1500)))
		checkSignups(t, s, "192.0.2.1", now.Add(ms(1500)), 2, now.Add(ms(2500)))
		checkSignups(t, s, "192.0.2.2", now, 1, now.Add(ms(500)))
		checkSignups(t, s, "192.0.2.1", now.Add(ms(3500)), 0, time.Time{})
		checkSignups(t, s, "198.51.100.1", now.Add(-time.Hour), 0, time.Time{})
	}},
	{"pruning throttling drops what is older than the moment given", func(t *testing.T, s Store) {
		ctx := context.Background()
		forget := now.Add(-48 * time.Hour)
		addFailures(t, s, forget,
			failure{"alice", "192.0.2.1", now.Add(-2 * time.Hour)},
			failure{"bob", "192.0.2.1", now.Add(-ms(1))},
			failure{"carol", "192.0.2.1", now},
			failure{"dave", "192.0.2.2", now.Add(time.Hour)})
		for _, at := range []time.Time{now.Add(-time.Hour), now, now.Add(time.Minute)} {
			if err := s.AddSignup(ctx, "192.0.2.1", at); err != nil {
				t.Fatal(err)
			}
		}
		// alice's and bob's failures, in failed_logins and login_failures,
		// and one signup.
		for _, at := range []time.Time{now.Add(-31 * 24 * time.Hour), now.Add(-time.Hour)} {
			if err := s.LoginSucceeded(ctx, "erin", at.Format("2006-01-02T15"), at); err != nil {
				t.Fatal(err)
			}
		}
		// alice's and bob's failures, in failed_logins and login_failures,
		// one signup, and erin's success from before knownBefore.
		if n, err := s.PruneThrottle(ctx, now, now.Add(-30*24*time.Hour), 100); err != nil || n != 6 {
			t.Fatalf("PruneThrottle(limit 100) = %d, %v; want 6", n, err)
		}
		old, recent := now.Add(-31*24*time.Hour), now.Add(-time.Hour)
		checkFailures(t, s, "erin", old.Format("2006-01-02T15"), old, auth.Failures{})
		checkFailures(t, s, "erin", recent.Format("2006-01-02T15"), recent, auth.Failures{PairKnown: true})
		since := now.Add(-72 * time.Hour)
		checkFailures(t, s, "alice", "192.0.2.1", since, auth.Failures{Address: 1, AddressFirst: now})
		checkFailures(t, s, "bob", "192.0.2.1", since, auth.Failures{Address: 1, AddressFirst: now})
		checkFailures(t, s, "carol", "192.0.2.1", since, auth.Failures{Account: 1, AccountLast: now,
			PairLast: now, Address: 1, AddressFirst: now})
		checkFailures(t, s, "dave", "192.0.2.2", since, auth.Failures{Account: 1, AccountLast: now.Add(time.Hour),
			PairLast: now.Add(time.Hour), Address: 1, AddressFirst: now.Add(time.Hour)})
		checkSignups(t, s, "192.0.2.1", since, 2, now)
	}},
}
