package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/authlab/authlab/auth"
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
	st, err := a.Tokens.Issue(auth.User{ID: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Tokens.Verify(st.Raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIdentify is each strategy's per-request cost with the SQLite
// store. "Find+Decode" is the session load alone: the row by token and the
// gob decoding scs does. "Session" is a whole request through LoadAndSave
// and Identify with the session cookie: the load, the user looked up by
// id, and, because an idle timeout is set, the record written back with
// its new expiry. "Bearer" is a whole request with an Authorization
// header: the token verified and the user looked up, no session touched.
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
		if _, err := a.Sessions.Login(r.Context(), alice); err != nil {
			b.Fatal(err)
		}
	}))).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/session/login", nil))
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		b.Fatalf("login set %d cookies", len(cookies))
	}
	cookie := cookies[0]
	token, err := a.Tokens.Issue(alice)
	if err != nil {
		b.Fatal(err)
	}

	b.Run("Find+Decode", func(b *testing.B) {
		store := db.SessionStore()
		codec := scs.GobCodec{}
		b.ReportAllocs()
		for b.Loop() {
			data, found, err := store.Find(cookie.Value)
			if err != nil || !found {
				b.Fatalf("Find = %v, %v", found, err)
			}
			_, values, err := codec.Decode(data)
			if err != nil {
				b.Fatal(err)
			}
			if values["userID"] != alice.ID {
				b.Fatalf("session values = %v", values)
			}
		}
	})

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
