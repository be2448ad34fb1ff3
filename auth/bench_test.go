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
	rv, err := auth.LoadRevocations(ctx, db, nil)
	if err != nil {
		b.Fatal(err)
	}
	if rv.Len() != revoked {
		b.Fatalf("revocation list holds %d entries, want %d", rv.Len(), revoked)
	}
	users := auth.NewUsers(db, auth.NewHasher(benchParams, 1))
	tokens, err := auth.NewTokens(auth.TokenConfig{
		Key:      []byte("0123456789abcdef0123456789abcdef"),
		TTL:      15 * time.Minute,
		Lifetime: 24 * time.Hour,
	}, users, rv)
	if err != nil {
		b.Fatal(err)
	}
	raw, _, err := tokens.Issue(auth.User{ID: 1}, now)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokens.Verify(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadSession is the session strategy's per-request cost with the
// SQLite store. "Find+Decode" is the load alone: the row by token and the
// gob decoding scs does. "Request" is a whole request through LoadAndSave
// and Current: the load, the user looked up by id, and, because an idle
// timeout is set, the record written back with its new expiry.
func BenchmarkLoadSession(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b)
	users := auth.NewUsers(db, auth.NewHasher(benchParams, 1))
	alice, err := users.SignUp(ctx, "alice", "correct horse")
	if err != nil {
		b.Fatal(err)
	}
	sessions := auth.NewSessions(auth.SessionConfig{
		Store:       db.SessionStore(),
		IdleTimeout: 30 * time.Minute,
		Lifetime:    24 * time.Hour,
	}, users)

	rec := httptest.NewRecorder()
	sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := sessions.Login(r.Context(), alice); err != nil {
			b.Fatal(err)
		}
	})).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/session/login", nil))
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		b.Fatalf("login set %d cookies", len(cookies))
	}
	cookie := cookies[0]

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

	b.Run("Request", func(b *testing.B) {
		h := sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := sessions.Current(r); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
			}
		}))
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodGet, "/session/dashboard", nil)
			r.AddCookie(cookie)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
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
