package routes_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/auth/sqlite"
)

// countingUsers counts look-ups by id, the one every credential check
// makes.
type countingUsers struct {
	*sqlite.DB
	byID atomic.Int64
}

func (c *countingUsers) UserByID(ctx context.Context, id int64) (auth.User, error) {
	c.byID.Add(1)
	return c.DB.UserByID(ctx, id)
}

// countingHS256 counts HMAC verifications made with one key. It is
// registered as HS256 for the length of a test, so every parse of an HS256
// token goes through it; other tests' servers, with other keys, are not
// counted.
type countingHS256 struct {
	key      []byte
	verifies atomic.Int64
}

func (c *countingHS256) Alg() string { return jwt.SigningMethodHS256.Alg() }

func (c *countingHS256) Sign(s string, key any) ([]byte, error) {
	return jwt.SigningMethodHS256.Sign(s, key)
}

func (c *countingHS256) Verify(s string, sig []byte, key any) error {
	if k, ok := key.([]byte); ok && bytes.Equal(k, c.key) {
		c.verifies.Add(1)
	}
	return jwt.SigningMethodHS256.Verify(s, sig, key)
}

// TestEachCredentialIsCheckedOnce asserts what auth.Identify is for: on
// every page and on the API, each credential a request carries costs at
// most one user look-up and each token one HMAC verification, however
// many places on the page (the nav, the panels, a dashboard, its Require)
// ask who the visitor is.
func TestEachCredentialIsCheckedOnce(t *testing.T) {
	key := []byte("authlab-routes-counting-key-0123456789")
	hmacs := &countingHS256{key: key}
	jwt.RegisterSigningMethod(hmacs.Alg(), func() jwt.SigningMethod { return hmacs })
	t.Cleanup(func() {
		jwt.RegisterSigningMethod(jwt.SigningMethodHS256.Alg(), func() jwt.SigningMethod { return jwt.SigningMethodHS256 })
	})
	users := &countingUsers{}
	ts := newTestServer(t, withKey(key), withUsers(func(db *sqlite.DB) auth.UserStore {
		users.DB = db
		return users
	}))
	c := ts.browser(t)
	session := ts.login(t, c, "session", "user1", "pass123")
	token := ts.login(t, c, "jwt", "user1", "pass123")
	bearer := ts.login(t, ts.browser(t), "jwt", "user2", "pass456")
	// The trade-offs page measures once, on its first visit; that
	// measuring is not a visitor's request.
	if r := ts.get(t, ts.curl(), "/learn/tradeoffs"); r.status != http.StatusOK {
		t.Fatalf("GET /learn/tradeoffs = %d", r.status)
	}

	cookies := map[string]string{
		"session": "authlab_session=" + session,
		"jwt":     "authlab_token=" + token,
		"both":    "authlab_session=" + session + "; authlab_token=" + token,
	}
	pages := []string{"/", "/compare", "/compare?strategy=jwt", "/signup", "/session/login", "/jwt/login",
		"/learn", "/learn/2", "/learn/quiz", "/learn/tradeoffs", "/api/auth"}
	type request struct {
		path, cookie string
		bearer       bool
		lookups      int64 // user look-ups: one per user named, the two cookies naming one user
		verifies     int64 // HMAC verifications: at most one per token presented
	}
	var tests []request
	for _, p := range pages {
		tests = append(tests,
			request{path: p, cookie: "session", lookups: 1},
			request{path: p, cookie: "jwt", lookups: 1, verifies: 1},
			request{path: p, cookie: "both", lookups: 1, verifies: 1},
		)
	}
	tests = append(tests,
		request{path: "/session/dashboard", cookie: "both", lookups: 1, verifies: 1},
		request{path: "/jwt/dashboard", cookie: "both", lookups: 1, verifies: 1},
		request{path: "/api/auth", cookie: "both", bearer: true, lookups: 2, verifies: 2},
		request{path: "/api/auth", bearer: true, lookups: 1, verifies: 1},
	)
	for _, tc := range tests {
		name := fmt.Sprintf("%s %s bearer=%v", tc.path, tc.cookie, tc.bearer)
		t.Run(name, func(t *testing.T) {
			var header []string
			if tc.cookie != "" {
				header = append(header, "Cookie", cookies[tc.cookie])
			}
			if tc.bearer {
				header = append(header, "Authorization", "Bearer "+bearer)
			}
			lookups, verifies := users.byID.Load(), hmacs.verifies.Load()
			r := ts.get(t, ts.curl(), tc.path, header...)
			if r.status != http.StatusOK {
				t.Fatalf("GET %s = %d, want 200", tc.path, r.status)
			}
			if got := users.byID.Load() - lookups; got != tc.lookups {
				t.Errorf("user look-ups = %d, want %d", got, tc.lookups)
			}
			// At most: a token this server verified before is remembered
			// and costs no HMAC (auth's TestVerifiedTokensAreRemembered).
			if got := hmacs.verifies.Load() - verifies; got > tc.verifies {
				t.Errorf("HMAC verifications = %d, want at most %d", got, tc.verifies)
			}
		})
	}
}
