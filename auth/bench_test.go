package auth_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/auth/authtest"
	"github.com/authlab/authlab/auth/sqlite"
)

// Budgets on the 2-core reference machine: Tokens.Verify under 15 µs/op,
// loading a session from SQLite under 100 µs/op. Benchmarks measure; no
// test asserts on wall time.

const revokedEntries = 5000

var benchParams = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func benchDB(b *testing.B) *sqlite.DB {
	b.Helper()
	db, err := sqlite.Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// newBenchAuth builds both strategies over db as main does, with a cheap
// password hasher: the benchmarks here are about requests, not logins.
func newBenchAuth(b *testing.B, db *sqlite.DB) *auth.Auth {
	b.Helper()
	a, err := auth.New(context.Background(), auth.Options{
		Users:        db,
		SessionStore: db.SessionStore(),
		Revocations:  db,
		Logins:       db,
		Throttle:     db,
		Key:          []byte("0123456789abcdef0123456789abcdef"),
		Hasher:       auth.NewHasher(benchParams, 1),
	})
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkVerifyJWT is the JWT strategy's per-request cost: signature,
// every claim, and the revocation check. The list is held in memory, so
// its length should not show; the empty case is there to prove it.
func BenchmarkVerifyJWT(b *testing.B) {
	for _, n := range []int{revokedEntries, 0} {
		b.Run(fmt.Sprintf("revoked=%d", n), func(b *testing.B) { benchVerifyJWT(b, n) })
	}
}

func benchVerifyJWT(b *testing.B, revoked int) {
	ctx := context.Background()
	db := benchDB(b)
	now := time.Now()
	for i := range revoked {
		if err := db.Revoke(ctx, fmt.Sprintf("revoked-%d", i), now.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	a := newBenchAuth(b, db)
	for _, id := range []string{"revoked-0", fmt.Sprintf("revoked-%d", revoked-1)} {
		if got, want := a.Tokens.IsRevoked(id), revoked > 0; got != want {
			b.Fatalf("IsRevoked(%q) = %v after loading %d entries", id, got, revoked)
		}
	}
	// "first" is a token's first presentation: decoding, the HMAC and
	// every claim. "again" is every later one, remembered: the time
	// claims and the revocation list only.
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			st, err := a.Tokens.Issue(httptest.NewRequest(http.MethodPost, "/", nil), auth.User{ID: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := a.Tokens.Verify(st.Raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("again", func(b *testing.B) {
		st, err := a.Tokens.Issue(httptest.NewRequest(http.MethodPost, "/", nil), auth.User{ID: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.Tokens.Verify(st.Raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSessionFind is the SQLite session store's read: "SQLite" a
// record this process has not read yet, through the read pool's prepared
// statement; "memory" one it has, which is every later request.
func BenchmarkSessionFind(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	store := db.SessionStore()
	// Rows written beside the store, so that it has not seen them.
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	const rows = 20000
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range rows {
		if _, err := tx.Exec(`INSERT INTO sessions (token, data, expiry) VALUES (?, ?, julianday('now') + 1)`,
			fmt.Sprintf("token-%d", i), []byte("record")); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	i := 0
	b.Run("SQLite", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if i == rows {
				b.Fatal("out of rows not yet read; lower -benchtime")
			}
			if _, found, err := store.Find(fmt.Sprintf("token-%d", i)); err != nil || !found {
				b.Fatalf("Find = %v, %v", found, err)
			}
			i++
		}
	})
	b.Run("memory", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, found, err := store.Find("token-0"); err != nil || !found {
				b.Fatalf("Find = %v, %v", found, err)
			}
		}
	})
}

// BenchmarkIdentify is each strategy's per-request cost with the SQLite
// store. "Session" is a whole request through LoadAndSave and Identify
// with the session cookie: the record loaded and the user looked up by id,
// both from memory once read, and nothing written, as on every request
// within one idle step of the last write. "Bearer" is a whole request with
// an Authorization header: the token checked and the user looked up, no
// session touched.
func BenchmarkIdentify(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b)
	a := newBenchAuth(b, db)
	alice, err := a.Users.SignUp(ctx, "alice", "correct horse")
	if err != nil {
		b.Fatal(err)
	}

	rec := httptest.NewRecorder()
	a.Sessions.LoadAndSave(a.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := a.Sessions.Login(r, alice); err != nil {
			b.Fatal(err)
		}
	}))).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/session/login", nil))
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		b.Fatalf("login set %d cookies", len(cookies))
	}
	cookie := cookies[0]
	token, err := a.Tokens.Issue(httptest.NewRequest(http.MethodPost, "/", nil), alice)
	if err != nil {
		b.Fatal(err)
	}

	// h answers 200 when the request is alice's under the strategy pick
	// reads, and 401 with the reason otherwise.
	h := func(pick func(auth.Identity) (auth.User, error)) http.Handler {
		return a.Sessions.LoadAndSave(a.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, _ := auth.IdentityFrom(r.Context())
			if u, err := pick(id); err != nil || u.ID != alice.ID {
				http.Error(w, string(auth.ReasonFor(err)), http.StatusUnauthorized)
			}
		})))
	}
	requests := []struct {
		name    string
		handler http.Handler
		prepare func(*http.Request)
	}{
		{"Session", h(func(id auth.Identity) (auth.User, error) { return id.Session.User, id.Session.Err }),
			func(r *http.Request) { r.AddCookie(cookie) }},
		{"Bearer", h(func(id auth.Identity) (auth.User, error) { return id.Bearer.User, id.Bearer.Err }),
			func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token.Raw) }},
	}
	for _, req := range requests {
		b.Run(req.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
				req.prepare(r)
				rec := httptest.NewRecorder()
				req.handler.ServeHTTP(rec, r)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkSessionWriteBack is a session request over the SQLite store
// that writes its record back, as the first request a step after the last
// write does ("written": the clock moves a step each time), beside one
// that does not ("within a step").
func BenchmarkSessionWriteBack(b *testing.B) {
	for _, tc := range []struct {
		name    string
		advance time.Duration
	}{{"within a step", 0}, {"written", time.Minute}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			db := benchDB(b)
			clock := authtest.NewClock()
			clock.Set(time.Now())
			a, err := auth.New(ctx, auth.Options{
				Users: db, SessionStore: db.SessionStore(), Revocations: db, Logins: db, Throttle: db,
				Key:    []byte("0123456789abcdef0123456789abcdef"),
				Hasher: auth.NewHasher(benchParams, 1), Clock: clock.Now,
				IdleTimeout: 10 * time.Minute, Lifetime: 10000 * time.Hour,
			})
			if err != nil {
				b.Fatal(err)
			}
			alice, err := a.Users.SignUp(ctx, "alice", "correct horse")
			if err != nil {
				b.Fatal(err)
			}
			rec := httptest.NewRecorder()
			a.Sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := a.Sessions.Login(r, alice); err != nil {
					b.Fatal(err)
				}
			})).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login", nil))
			cookie := rec.Result().Cookies()[0]
			h := a.Sessions.LoadAndSave(a.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if id, _ := auth.IdentityFrom(r.Context()); !id.Session.SignedIn() {
					http.Error(w, string(auth.ReasonFor(id.Session.Err)), http.StatusUnauthorized)
				}
			})))
			b.ReportAllocs()
			for b.Loop() {
				clock.Advance(tc.advance)
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.AddCookie(cookie)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkHashPassword is one signup's or login's argon2id cost under
// DefaultParams.
func BenchmarkHashPassword(b *testing.B) {
	ctx := context.Background()
	h := auth.NewHasher(auth.DefaultParams, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
