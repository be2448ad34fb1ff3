package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/auth/postgres"
	"github.com/authlab/authlab/auth/postgres/pgtest"
	"github.com/authlab/authlab/auth/storetest"
)

func open(t testing.TB, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

// exec runs SQL on the database directly, as an operator would.
func exec(t *testing.T, url, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t *testing.T, url, sql string, args ...any) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// eventually calls f until it succeeds or the deadline passes.
func eventually(t *testing.T, within time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %v: %v", within, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Database(t)
	db := open(t, url)
	alice, err := db.CreateUser(ctx, "alice", "h1")
	if err != nil {
		t.Fatal(err)
	}
	if alice.ID == 0 || alice.Username != "alice" || alice.Created.IsZero() {
		t.Fatalf("CreateUser = %+v", alice)
	}

	t.Run("by name", func(t *testing.T) {
		u, hash, err := db.UserByName(ctx, "alice")
		if err != nil || u != alice || hash != "h1" {
			t.Fatalf("UserByName = %+v, %q, %v; want %+v, h1", u, hash, err, alice)
		}
	})
	t.Run("by id", func(t *testing.T) {
		if u, err := db.UserByID(ctx, alice.ID); err != nil || u != alice {
			t.Fatalf("UserByID = %+v, %v; want %+v", u, err, alice)
		}
	})
	t.Run("by id, read by another instance", func(t *testing.T) {
		if u, err := open(t, url).UserByID(ctx, alice.ID); err != nil || u != alice {
			t.Fatalf("UserByID = %+v, %v; want %+v", u, err, alice)
		}
	})

	errs := []struct {
		name string
		run  func() error
		want error
	}{
		{"duplicate username", func() error { _, err := db.CreateUser(ctx, "alice", "h2"); return err }, auth.ErrUsernameTaken},
		{"unknown name", func() error { _, _, err := db.UserByName(ctx, "bob"); return err }, auth.ErrNoUser},
		{"name in another case", func() error { _, _, err := db.UserByName(ctx, "ALICE"); return err }, auth.ErrNoUser},
		{"unknown id", func() error { _, err := db.UserByID(ctx, alice.ID+1000); return err }, auth.ErrNoUser},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, hash, _ := db.UserByName(ctx, "alice"); hash != "h1" {
		t.Fatalf("duplicate CreateUser overwrote the hash: %q", hash)
	}

	t.Run("ids are not reused", func(t *testing.T) {
		carol, err := db.CreateUser(ctx, "carol", "h")
		if err != nil {
			t.Fatal(err)
		}
		exec(t, url, `DELETE FROM users WHERE id = $1`, carol.ID)
		dave, err := db.CreateUser(ctx, "dave", "h")
		if err != nil {
			t.Fatal(err)
		}
		if dave.ID <= carol.ID {
			t.Fatalf("after deleting id %d, the next user got id %d", carol.ID, dave.ID)
		}
		if _, err := open(t, url).UserByID(ctx, carol.ID); !errors.Is(err, auth.ErrNoUser) {
			t.Fatalf("UserByID(deleted) on a fresh instance = %v, want ErrNoUser", err)
		}
	})

	// A CreateUser whose connection died tries again; its first attempt
	// may have written the row, which the second must answer with.
	again := []struct {
		name, username, hash string
		wantID               int64 // 0: a new id
		wantErr              error
	}{
		{"the row the first attempt wrote", "alice", "h1", alice.ID, nil},
		{"another signup's row", "alice", "h2", 0, pgx.ErrNoRows},
		{"no row yet", "erin", "h", 0, nil},
	}
	for _, tc := range again {
		t.Run("second attempt finds "+tc.name, func(t *testing.T) {
			id, err := postgres.CreateUserAgain(db, tc.username, tc.hash)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && (tc.wantID != 0 && id != tc.wantID || tc.wantID == 0 && id <= alice.ID) {
				t.Fatalf("id = %d, want %d (0: a new one)", id, tc.wantID)
			}
		})
	}

	t.Run("through auth.Users", func(t *testing.T) {
		a := newAuth(t, db)
		bob, err := a.Users.SignUp(ctx, "bob", "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		// Signed up on one instance, logged in on another.
		other := newAuth(t, open(t, url))
		if u, err := other.Users.Authenticate(ctx, "bob", "correct horse"); err != nil || u.ID != bob.ID {
			t.Fatalf("Authenticate on another instance = %+v, %v", u, err)
		}
	})
}

// newAuth builds both strategies over db, as main does, with a cheap
// password hasher.
func newAuth(t *testing.T, db *postgres.DB) *auth.Auth {
	t.Helper()
	a, err := auth.New(context.Background(), auth.Options{
		Users:        db,
		SessionStore: db.SessionStore(),
		Revocations:  db,
		Logins:       db,
		Throttle:     db,
		Key:          []byte(strings.Repeat("k", auth.MinKeyLen)),
		Hasher:       auth.NewHasher(auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 1),
	})
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	return a
}

func TestRevocations(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Database(t))
	now := time.Unix(1_750_000_000, 0)
	for id, until := range map[string]time.Time{
		"past":   now.Add(-time.Minute),
		"now":    now,
		"future": now.Add(time.Minute),
	} {
		if err := db.Revoke(ctx, id, until); err != nil {
			t.Fatal(err)
		}
	}
	// Revoking again never shortens an entry, and may lengthen one.
	if err := db.Revoke(ctx, "future", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.Revoke(ctx, "now", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	active, err := activeRevocations(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{"now": now.Add(time.Hour), "future": now.Add(time.Minute)}
	if len(active) != len(want) {
		t.Fatalf("ActiveRevocations = %v, want %v", active, want)
	}
	for id, until := range want {
		if !active[id].Equal(until) {
			t.Errorf("ActiveRevocations[%q] = %v, want %v", id, active[id], until)
		}
	}

	tests := []struct {
		id   string
		at   time.Time
		want bool
	}{
		{"future", now, true},
		{"future", now.Add(time.Minute), true},
		{"future", now.Add(time.Minute + time.Second), false},
		{"past", now, false},
		{"past", now.Add(-time.Hour), true},
		{"unknown", now, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("IsRevoked(%s, now%+v)", tc.id, tc.at.Sub(now)), func(t *testing.T) {
			got, err := db.IsRevoked(ctx, tc.id, tc.at)
			if err != nil || got != tc.want {
				t.Fatalf("IsRevoked = %v, %v; want %v", got, err, tc.want)
			}
		})
	}

	if err := pruneRevocations(ctx, db, now); err != nil {
		t.Fatal(err)
	}
	all, err := activeRevocations(ctx, db, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := all["past"]; ok || len(all) != 2 {
		t.Fatalf("after prune: %v, want past gone and the other two kept", all)
	}
}

// follower records what Follow reports.
type follower struct {
	adds   chan revocation
	states chan bool
	done   chan struct{}
	cancel context.CancelFunc
}

type revocation struct {
	id    string
	until time.Time
}

func follow(t *testing.T, db *postgres.DB) *follower {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{adds: make(chan revocation, 100), states: make(chan bool, 100), done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(f.done)
		db.Follow(ctx,
			func(id string, until time.Time) { f.adds <- revocation{id, until} },
			func(up bool) { f.states <- up })
	}()
	t.Cleanup(func() { cancel(); <-f.done })
	return f
}

func receive[T any](t *testing.T, ch <-chan T, within time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(within):
		var zero T
		t.Fatalf("no %s within %v", what, within)
		return zero
	}
}

func (f *follower) expectState(t *testing.T, want bool, within time.Duration) {
	t.Helper()
	if got := receive(t, f.states, within, fmt.Sprintf("connected(%v)", want)); got != want {
		t.Fatalf("connected(%v), want connected(%v)", got, want)
	}
}

func (f *follower) expectAdd(t *testing.T, want revocation) {
	t.Helper()
	got := receive(t, f.adds, time.Second, "revocation "+want.id)
	if got.id != want.id || !got.until.Equal(want.until) {
		t.Fatalf("add(%q, %v), want add(%q, %v)", got.id, got.until, want.id, want.until)
	}
}

func TestFollow(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Database(t)
	a, b := open(t, url), open(t, url)
	f := follow(t, a)
	f.expectState(t, true, 5*time.Second)
	until := time.Now().Add(time.Hour).Truncate(time.Second)

	t.Run("a revocation on another instance arrives within 1 s", func(t *testing.T) {
		if err := b.Revoke(ctx, "jti-1", until); err != nil {
			t.Fatal(err)
		}
		f.expectAdd(t, revocation{"jti-1", until})
	})
	t.Run("the later until is the one sent", func(t *testing.T) {
		if err := b.Revoke(ctx, "jti-1", until.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		f.expectAdd(t, revocation{"jti-1", until})
	})
	t.Run("a part second rounds up", func(t *testing.T) {
		if err := b.Revoke(ctx, "jti-2", until.Add(time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		f.expectAdd(t, revocation{"jti-2", until.Add(time.Second)})
	})
	t.Run("ids with spaces", func(t *testing.T) {
		if err := b.Revoke(ctx, "a b", until); err != nil {
			t.Fatal(err)
		}
		f.expectAdd(t, revocation{"a b", until})
	})
	t.Run("malformed payloads are ignored", func(t *testing.T) {
		for _, payload := range []string{"", "no-time", " 123", "id not-a-number", "id 12x"} {
			exec(t, url, `SELECT pg_notify($1, $2)`, postgres.RevocationChannel, payload)
		}
		if err := b.Revoke(ctx, "after-garbage", until); err != nil {
			t.Fatal(err)
		}
		f.expectAdd(t, revocation{"after-garbage", until})
	})

	t.Run("listens again after a restart", func(t *testing.T) {
		pgtest.Restart(t)
		f.expectState(t, false, 5*time.Second)
		f.expectState(t, true, 10*time.Second)
		// Another package's fault test may restart the cluster too, while
		// this one waited in Restart for its turn. A revocation may then be
		// lost, but only with the loss reported, so that the caller reloads.
		for i := 0; ; i++ {
			id := fmt.Sprintf("after-restart-%d", i)
			// b's pooled connections died with the server; the pool
			// replaces them on its own.
			eventually(t, 5*time.Second, func() error { return b.Revoke(ctx, id, until) })
			select {
			case got := <-f.adds:
				if got.id != id || !got.until.Equal(until) {
					t.Fatalf("add(%q, %v), want add(%q, %v)", got.id, got.until, id, until)
				}
				return
			case <-time.After(time.Second):
				if i == 3 {
					t.Fatal("revocations after a restart never arrive")
				}
				f.expectState(t, false, time.Second)
				f.expectState(t, true, 10*time.Second)
			}
		}
	})

	t.Run("returns when its context ends", func(t *testing.T) {
		f.cancel()
		f.expectState(t, false, 5*time.Second)
		receive(t, f.done, 5*time.Second, "return from Follow")
	})
}

// TestFollowPingsWhenQuiet checks the connection Follow holds after each
// silence, and keeps listening on it while it answers.
func TestFollowPingsWhenQuiet(t *testing.T) {
	postgres.SetFollowPingEvery(t, 20*time.Millisecond)
	url := pgtest.Database(t)
	a, b := open(t, url), open(t, url)
	f := follow(t, a)
	f.expectState(t, true, 5*time.Second)
	time.Sleep(200 * time.Millisecond) // some ten silences
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := b.Revoke(context.Background(), "after-silence", until); err != nil {
		t.Fatal(err)
	}
	f.expectAdd(t, revocation{"after-silence", until})
	select {
	case up := <-f.states:
		t.Fatalf("connected(%v) while the server was up", up)
	default:
	}
}

func TestFollowStopsAtClose(t *testing.T) {
	db, err := postgres.Open(context.Background(), pgtest.Database(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := follow(t, db)
	f.expectState(t, true, 5*time.Second)
	db.Close()
	f.expectState(t, false, time.Second)
	receive(t, f.done, time.Second, "return from Follow")
}

func TestSessionStore(t *testing.T) {
	url := pgtest.Database(t)
	db := open(t, url)
	store := db.SessionStore()
	if db.SessionStore() != store {
		t.Fatal("SessionStore made a second store (and a second cleanup goroutine)")
	}
	other := open(t, url).SessionStore()
	live := time.Now().Add(time.Hour)
	for token, expiry := range map[string]time.Time{
		"live":     live,
		"dead":     time.Now().Add(-time.Hour),
		"replaced": live,
		"deleted":  live,
	} {
		if err := store.Commit(token, []byte("data of "+token), expiry); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Commit("replaced", []byte("new data"), live); err != nil {
		t.Fatal(err)
	}
	if err := store.Delete("deleted"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		token     string
		wantFound bool
		wantData  string
	}{
		{"live", true, "data of live"},
		{"dead", false, ""},
		{"replaced", true, "new data"},
		{"deleted", false, ""},
		{"never", false, ""},
	}
	instances := []struct {
		name  string
		store scs.Store
	}{{"this instance", store}, {"another instance", other}}
	for _, tc := range tests {
		for _, in := range instances {
			t.Run(tc.token+" on "+in.name, func(t *testing.T) {
				b, found, err := in.store.Find(tc.token)
				if err != nil || found != tc.wantFound || string(b) != tc.wantData {
					t.Fatalf("Find = %q, %v, %v; want %q, %v", b, found, err, tc.wantData, tc.wantFound)
				}
			})
		}
	}

	t.Run("a delete on another instance is seen at once", func(t *testing.T) {
		if err := other.Delete("live"); err != nil {
			t.Fatal(err)
		}
		if _, found, err := store.Find("live"); err != nil || found {
			t.Fatalf("Find after another instance's Delete = %v, %v; want not found", found, err)
		}
	})

	t.Run("cleanup deletes expired rows only", func(t *testing.T) {
		if err := postgres.DeleteExpiredSessions(db, time.Now()); err != nil {
			t.Fatal(err)
		}
		if n := count(t, url, `SELECT count(*) FROM sessions WHERE token = 'dead'`); n != 0 {
			t.Errorf("expired row still there")
		}
		if n := count(t, url, `SELECT count(*) FROM sessions WHERE token = 'replaced'`); n != 1 {
			t.Errorf("live row deleted")
		}
	})
}

// TestFindsInBatches holds the batched look-ups to what one look-up at a
// time would answer: each gets its own token's record, never another's,
// whether its batch holds it once, twice, or next to tokens that find
// nothing.
func TestFindsInBatches(t *testing.T) {
	db := open(t, pgtest.Database(t))
	store := db.SessionStore()
	live, dead := time.Now().Add(time.Hour), time.Now().Add(-time.Hour)
	const sessions = 300
	for i := range sessions {
		expiry := live
		if i%10 == 9 {
			expiry = dead
		}
		if err := store.Commit("token-"+strconv.Itoa(i), []byte("data of "+strconv.Itoa(i)), expiry); err != nil {
			t.Fatal(err)
		}
	}
	want := func(i int) (string, bool) {
		if i >= sessions || i%10 == 9 {
			return "", false
		}
		return "data of " + strconv.Itoa(i), true
	}

	t.Run("one batch", func(t *testing.T) {
		ids := []int{3, 9, 3, 400, 0, 299, 3, 298}
		tokens := make([]string, len(ids))
		for i, id := range ids {
			tokens[i] = "token-" + strconv.Itoa(id)
		}
		data, found, err := postgres.FindBatch(db, tokens)
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range ids {
			if wd, wf := want(id); data[i] != wd || found[i] != wf {
				t.Errorf("%s: got %q, %v; want %q, %v", tokens[i], data[i], found[i], wd, wf)
			}
		}
	})

	t.Run("many at once", func(t *testing.T) {
		const finds = 2000
		var wg sync.WaitGroup
		errs := make(chan error, finds)
		for n := range finds {
			id := n * 7 % (sessions + 20) // some twice or more, some never stored
			wg.Go(func() {
				token := "token-" + strconv.Itoa(id)
				b, found, err := store.Find(token)
				if wd, wf := want(id); err != nil || string(b) != wd || found != wf {
					errs <- fmt.Errorf("Find(%s) = %q, %v, %v; want %q, %v", token, b, found, err, wd, wf)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	t.Run("a caller that gives up", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := store.(scs.CtxStore).FindCtx(ctx, "token-1"); !errors.Is(err, context.Canceled) {
			t.Errorf("FindCtx with a cancelled context = %v, want context.Canceled", err)
		}
	})

	t.Run("after Close", func(t *testing.T) {
		db.Close()
		done := make(chan error, 1)
		go func() {
			_, _, err := store.Find("token-1")
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, auth.ErrStoreUnavailable) {
				t.Errorf("Find after Close = %v, want auth.ErrStoreUnavailable", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Find after Close did not return")
		}
	})
}

// TestUnavailable stops the server under a store in use: every call fails
// with auth.ErrStoreUnavailable, never naming the password, and the store
// works again once the server is back.
func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	u, err := url.Parse(pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	// The test cluster trusts every connection, so any password will do;
	// it is there to be looked for in the errors.
	const password = "s3cret-pa55word"
	u.User = url.UserPassword(u.User.Username(), password)
	db := open(t, u.String())
	alice, err := db.CreateUser(ctx, "alice", "h")
	if err != nil {
		t.Fatal(err)
	}
	store := db.SessionStore()

	pgtest.Stop(t)
	// after is what each call returns once the server is back.
	calls := []struct {
		name  string
		run   func() error
		after error
	}{
		{"Ping", func() error { return db.Ping(ctx) }, nil},
		{"CreateUser", func() error { _, err := db.CreateUser(ctx, "bob", "h"); return err }, nil},
		{"UserByName", func() error { _, _, err := db.UserByName(ctx, "alice"); return err }, nil},
		{"UserByID of an unread user", func() error { _, err := db.UserByID(ctx, alice.ID+1000); return err }, auth.ErrNoUser},
		{"Revoke", func() error { return db.Revoke(ctx, "jti", time.Now().Add(time.Hour)) }, nil},
		{"Revocations", func() error { _, err := activeRevocations(ctx, db, time.Now()); return err }, nil},
		{"PruneRevocations", func() error { return pruneRevocations(ctx, db, time.Now()) }, nil},
		{"IsRevoked", func() error { _, err := db.IsRevoked(ctx, "jti", time.Now()); return err }, nil},
		{"SetPassword", func() error { return db.SetPassword(ctx, alice.ID, "h2") }, nil},
		{"AddLogin", func() error { return db.AddLogin(ctx, testLogin("key", time.Now())) }, nil},
		{"LiveLogins", func() error { _, err := db.LiveLogins(ctx, alice.ID, time.Now()); return err }, nil},
		{"LoginByKey of an unknown key", func() error { _, err := db.LoginByKey(ctx, "unknown"); return err }, auth.ErrNoLogin},
		{"EndLogin", func() error { return db.EndLogin(ctx, "key", time.Now(), auth.EndedByLogout) }, nil},
		{"PruneLogins", func() error { _, err := db.PruneLogins(ctx, time.Now(), 10); return err }, nil},
		{"LoginFailures", func() error { _, err := db.LoginFailures(ctx, "alice", "a", time.Now(), time.Now()); return err }, nil},
		{"AddLoginFailure", func() error { return db.AddLoginFailure(ctx, "alice", "a", time.Now(), time.Now()) }, nil},
		{"LoginSucceeded", func() error { return db.LoginSucceeded(ctx, "alice", "a", time.Now()) }, nil},
		{"Signups", func() error { _, _, err := db.Signups(ctx, "a", time.Now()); return err }, nil},
		{"AddSignup", func() error { return db.AddSignup(ctx, "a", time.Now()) }, nil},
		{"PruneThrottle", func() error { _, err := db.PruneThrottle(ctx, time.Now(), time.Now(), 10); return err }, nil},
		{"Find", func() error { _, _, err := store.Find("token"); return err }, nil},
		{"Commit", func() error { return store.Commit("token", []byte("x"), time.Now().Add(time.Hour)) }, nil},
		{"Delete", func() error { return store.Delete("token") }, nil},
		{"Open", func() error {
			db, err := postgres.Open(ctx, u.String(), postgres.Options{})
			if err == nil {
				db.Close()
			}
			return err
		}, nil},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if !errors.Is(err, auth.ErrStoreUnavailable) {
				t.Fatalf("err = %v, want ErrStoreUnavailable", err)
			}
			if strings.Contains(err.Error(), password) {
				t.Fatalf("error names the password: %v", err)
			}
		})
	}
	t.Run("a cached user is still served", func(t *testing.T) {
		if got, err := db.UserByID(ctx, alice.ID); err != nil || got != alice {
			t.Fatalf("UserByID = %+v, %v; want %+v from memory", got, err, alice)
		}
	})

	pgtest.Start(t)
	eventually(t, 10*time.Second, func() error { return db.Ping(ctx) })
	for _, tc := range calls {
		t.Run(tc.name+" after the server is back", func(t *testing.T) {
			var err error
			eventually(t, 5*time.Second, func() error {
				if err = tc.run(); errors.Is(err, auth.ErrStoreUnavailable) {
					return err
				}
				return nil
			})
			if !errors.Is(err, tc.after) || (tc.after == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.after)
			}
		})
	}
}

// TestRecoversAfterRestart restarts the server under a pool whose
// connections were all in use a moment ago, so that none is old enough
// for pgx to ping before use: once the server is back, not one call fails.
func TestRecoversAfterRestart(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Database(t)
	db := open(t, url)
	if _, err := db.CreateUser(ctx, "alice", "h"); err != nil {
		t.Fatal(err)
	}
	store := db.SessionStore()
	const parallel = 8
	calls := []struct {
		name string
		run  func(i int) error
	}{
		{"UserByName", func(int) error { _, _, err := db.UserByName(ctx, "alice"); return err }},
		{"CreateUser", func(i int) error { _, err := db.CreateUser(ctx, fmt.Sprintf("user%d", i), "h"); return err }},
		{"Revoke", func(i int) error { return db.Revoke(ctx, fmt.Sprintf("jti%d", i), time.Now().Add(time.Hour)) }},
		{"Find", func(int) error { _, _, err := store.Find("token"); return err }},
		{"Commit", func(i int) error {
			return store.Commit(fmt.Sprintf("token%d", i), []byte("x"), time.Now().Add(time.Hour))
		}},
		{"Ping", func(int) error { return db.Ping(ctx) }},
		{"AddLoginFailure", func(i int) error {
			return db.AddLoginFailure(ctx, "alice", fmt.Sprintf("192.0.2.%d", i), time.Now(), time.Now().Add(-time.Hour))
		}},
		{"AddLogin", func(i int) error { return db.AddLogin(ctx, testLogin(fmt.Sprintf("key%d", i), time.Now())) }},
		{"LiveLogins", func(int) error { _, err := db.LiveLogins(ctx, 1, time.Now()); return err }},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			inParallel(t, parallel, func(int) error { _, _, err := db.UserByName(ctx, "alice"); return err })
			pgtest.Restart(t)
			inParallel(t, parallel, tc.run)
		})
	}
}

// inParallel calls f(0) to f(n-1) at once and fails t for each error.
func inParallel(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
}

// TestConcurrentMigrations starts ten instances at once on an empty
// database, as a deployment of ten would: all start, and each migration is
// applied once (a second application would fail on its CREATE TABLE).
func TestConcurrentMigrations(t *testing.T) {
	url := pgtest.Database(t)
	const instances = 10
	var (
		wg   sync.WaitGroup
		errs = make([]error, instances)
	)
	for i := range instances {
		wg.Go(func() {
			db, err := postgres.Open(context.Background(), url, postgres.Options{})
			if err == nil {
				t.Cleanup(db.Close)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}

	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, e := range entries {
		v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			t.Fatalf("migration %s: %v", e.Name(), err)
		}
		want = append(want, v)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	got, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("schema_migrations = %v, want %v", got, want)
	}

	// Opening a migrated database applies nothing and succeeds.
	open(t, url)
}

func TestOpenRefusesBadURLs(t *testing.T) {
	const password = "s3cret-pa55word"
	tests := []struct {
		name, url   string
		unavailable bool
	}{
		{"unparsable", "postgres://alice:" + password + "@db:notaport/authlab", false},
		{"password with an unescaped slash", "postgres://alice:" + password + "/x@db/authlab", false},
		{"nothing listening", "postgres://alice:" + password + "@127.0.0.1:1/authlab?sslmode=disable", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := postgres.Open(context.Background(), tc.url, postgres.Options{})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error names the password: %v", err)
			}
			if got := errors.Is(err, auth.ErrStoreUnavailable); got != tc.unavailable {
				t.Errorf("errors.Is(%v, ErrStoreUnavailable) = %v, want %v", err, got, tc.unavailable)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://alice:secret@db:5432/authlab?sslmode=disable", "postgres://alice:xxxxx@db:5432/authlab?sslmode=disable"},
		{"postgres://alice@db/authlab", "postgres://alice@db/authlab"},
		{"postgresql://db/authlab?password=secret&user=alice", "postgresql://db/authlab?password=xxxxx&user=alice"},
		{"postgres://alice:se/cret@db/authlab", "postgres://xxxxx@db/authlab"},
		{"host=db user=alice password=secret dbname=authlab", "host=db user=alice password=xxxxx dbname=authlab"},
		{"host=db password='a secret' dbname=authlab", "host=db password=xxxxx dbname=authlab"},
	}
	for _, tc := range tests {
		if got := postgres.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t, pgtest.Database(t)) })
}

// testLogin is a live session login of user 1 under key.
func testLogin(key string, now time.Time) auth.Login {
	return auth.Login{ID: "id-" + key, UserID: 1, Strategy: auth.StrategySession, Key: key,
		Started: now, Seen: now, Expires: now.Add(time.Hour), Agent: "test", Address: "192.0.2.1"}
}

// TestThrottleCountsAnAttemptOnce sends a failed login and a signup twice
// under one attempt, as retry does after a connection died with the first
// sending's outcome unknown: each counts once.
func TestThrottleCountsAnAttemptOnce(t *testing.T) {
	db := open(t, pgtest.Database(t))
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	for range 2 {
		if err := postgres.AddLoginFailureAttempt(db, "attempt-1", "alice", "192.0.2.1", now, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := postgres.AddSignupAttempt(db, "attempt-1", "192.0.2.1", now); err != nil {
			t.Fatal(err)
		}
	}
	if err := postgres.AddLoginFailureAttempt(db, "attempt-2", "alice", "192.0.2.1", now, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	f, err := db.LoginFailures(ctx, "alice", "192.0.2.1", now.Add(-time.Minute), now.Add(-time.Minute))
	if err != nil || f.Account != 2 || f.Address != 2 {
		t.Errorf("LoginFailures = %+v, %v; want 2 on the account and 2 from the address (attempt-1 once)", f, err)
	}
	if n, _, err := db.Signups(ctx, "192.0.2.1", now.Add(-time.Minute)); err != nil || n != 1 {
		t.Errorf("Signups = %d, %v; want 1", n, err)
	}
}

// TestMigrationDropsPlaintextSessions: a database of the version before
// sessions were keyed by their token's hash loses its session rows, whose
// keys are live tokens, when it takes the new migration.
func TestMigrationDropsPlaintextSessions(t *testing.T) {
	url := pgtest.Database(t)
	open(t, url).Close()
	// Back to version 3, with a session stored the old way.
	exec(t, url, `DROP TABLE logins, login_failures, failed_logins, signups, login_known;
		DELETE FROM schema_migrations WHERE version >= 4`)
	exec(t, url, `INSERT INTO sessions (token, data, expiry) VALUES ('plaintext-token', '\x00', now() + interval '1 hour')`)
	db := open(t, url)
	if n := count(t, url, `SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("%d session rows after the migration, want 0", n)
	}
	if _, found, err := db.SessionStore().Find("plaintext-token"); err != nil || found {
		t.Errorf("Find(plaintext-token) = %v, %v; want not found", found, err)
	}
	if err := db.AddLogin(context.Background(), testLogin("k", time.Now())); err != nil {
		t.Errorf("AddLogin after the migration: %v", err)
	}
}

// activeRevocations reads every entry of db in force at now into a map.
func activeRevocations(ctx context.Context, db auth.RevocationStore, now time.Time) (map[string]time.Time, error) {
	m := map[string]time.Time{}
	err := db.Revocations(ctx, now, func(id string, until time.Time) { m[id] = until })
	return m, err
}

// pruneRevocations deletes every entry of db that ended before now.
func pruneRevocations(ctx context.Context, db auth.RevocationStore, now time.Time) error {
	_, err := db.PruneRevocations(ctx, now, 1_000_000)
	return err
}

// BenchmarkFind looks sessions up from many goroutines at once, as the
// requests of a busy instance do, over as many sessions as goroutines:
// concurrent look-ups share queries (sessionStore). Each op is one Find.
func BenchmarkFind(b *testing.B) {
	db := open(b, pgtest.Database(b))
	store := db.SessionStore()
	const sessions = 64
	for i := range sessions {
		if err := store.Commit("token-"+strconv.Itoa(i), []byte("data"), time.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	b.SetParallelism(25) // 50 goroutines on 2 CPUs, as make loadtest's connections
	b.ReportAllocs()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		token := "token-" + strconv.Itoa(int(next.Add(1)%sessions))
		for pb.Next() {
			if _, found, err := store.Find(token); err != nil || !found {
				b.Fatalf("Find(%s) = %v, %v", token, found, err)
			}
		}
	})
}
