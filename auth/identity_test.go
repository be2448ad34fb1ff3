package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authlab/authlab/auth/authtest"
)

// TestIdentityFrom defends the context key: only the package's own key
// finds an Identity, a handler gets a copy it cannot change for others,
// and a context without one reads as nobody signed in.
func TestIdentityFrom(t *testing.T) {
	want := Identity{
		At:      authtest.Start,
		Session: SessionState{User: User{ID: 7, Username: "alice"}},
		JWT:     TokenState{Err: ErrNoCredentials},
		Bearer:  TokenState{Err: ErrNoCredentials},
	}
	type otherKey int
	tests := []struct {
		name   string
		ctx    context.Context
		wantOK bool
	}{
		{"empty context", context.Background(), false},
		// An Identity stored by another package, under its own key type
		// with the same underlying value, is not this request's.
		{"foreign key, pointer", context.WithValue(context.Background(), otherKey(identityKey), &want), false},
		{"foreign key, value", context.WithValue(context.Background(), otherKey(identityKey), want), false},
		//lint:ignore SA1029 a plain string key, the collision a typed key prevents, is the point here
		{"foreign string key", context.WithValue(context.Background(), "auth.identity", &want), false},
		{"put by withIdentity", withIdentity(context.Background(), want), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := IdentityFrom(tc.ctx)
			if ok != tc.wantOK {
				t.Fatalf("IdentityFrom ok = %v, want %v", ok, tc.wantOK)
			}
			if ok {
				if got.At != want.At || got.Session.User != want.Session.User || !got.Session.SignedIn() || got.JWT.SignedIn() {
					t.Fatalf("IdentityFrom = %+v, want %+v", got, want)
				}
				return
			}
			for name, err := range map[string]error{"Session": got.Session.Err, "JWT": got.JWT.Err, "Bearer": got.Bearer.Err} {
				if !errors.Is(err, ErrNotIdentified) {
					t.Errorf("no Identity: %s.Err = %v, want ErrNotIdentified", name, err)
				}
			}
			if got.Session.SignedIn() || got.JWT.SignedIn() || got.Bearer.SignedIn() {
				t.Fatalf("no Identity reads as signed in: %+v", got)
			}
		})
	}

	t.Run("a copy", func(t *testing.T) {
		ctx := withIdentity(context.Background(), want)
		got, _ := IdentityFrom(ctx)
		got.Session.User.Username = "mallory"
		got.JWT = TokenState{User: User{ID: 9}}
		again, _ := IdentityFrom(ctx)
		if again.Session.User.Username != "alice" || again.JWT.Err != ErrNoCredentials {
			t.Fatalf("changing one handler's Identity changed the request's: %+v", again)
		}
	})
}

// countingHS256 is HS256 counting its signature checks.
type countingHS256 struct {
	*jwt.SigningMethodHMAC
	verifies atomic.Int64
}

func (m *countingHS256) Verify(signingString string, sig []byte, key any) error {
	m.verifies.Add(1)
	return m.SigningMethodHMAC.Verify(signingString, sig, key)
}

// countHS256 makes the jwt package check HS256 signatures through a
// counter until the test ends. The registry is global: a test that calls
// it must not run in parallel.
func countHS256(t *testing.T) *countingHS256 {
	m := &countingHS256{SigningMethodHMAC: jwt.SigningMethodHS256}
	jwt.RegisterSigningMethod(m.Alg(), func() jwt.SigningMethod { return m })
	t.Cleanup(func() {
		jwt.RegisterSigningMethod(jwt.SigningMethodHS256.Alg(), func() jwt.SigningMethod { return jwt.SigningMethodHS256 })
	})
	return m
}

// TestIdentify checks each credential a request can carry once: the
// Identity names the right user or reason under each strategy, with at
// most one user look-up per strategy presented (one in all when they name
// the same user) and one signature check per token presented.
func TestIdentify(t *testing.T) {
	hs256 := countHS256(t)
	f := newTokenFixture(t, Options{})
	ctx := context.Background()

	bob, err := f.users.CreateUser(ctx, "bob", "x")
	if err != nil {
		t.Fatal(err)
	}
	carol, err := f.users.CreateUser(ctx, "carol", "x")
	if err != nil {
		t.Fatal(err)
	}
	aliceSession := f.sessionLogin(t, f.alice, "")
	bobSession := f.sessionLogin(t, bob, "")
	carolSession := f.sessionLogin(t, carol, "")
	issue := func(u User) TokenState {
		st, err := f.a.Tokens.Issue(testRequest(), u)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	aliceJWT, aliceBearer, bobJWT, carolJWT := issue(f.alice).Raw, issue(f.alice).Raw, issue(bob).Raw, issue(carol).Raw
	revoked := issue(f.alice)
	if err := f.a.Tokens.Revoke(ctx, revoked.Claims); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(authtest.Start.Add(-time.Hour))
	expired := issue(f.alice).Raw
	f.clock.Set(authtest.Start)
	parts := strings.Split(aliceJWT, ".")
	payload := decodeSegment(t, parts[1])
	payload["sub"] = "2" // bob
	pb, _ := json.Marshal(payload)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(pb) + "." + parts[2]
	f.users.delete("carol")

	// want is a username when signed in, else the reason.
	type want struct{ session, jwt, bearer string }
	tests := []struct {
		name     string
		creds    creds
		want     want
		lookups  int64
		verifies int64
	}{
		{"no credentials", creds{}, want{"missing", "missing", "missing"}, 0, 0},
		{"session only", creds{session: aliceSession}, want{"alice", "missing", "missing"}, 1, 0},
		{"JWT cookie only", creds{jwt: aliceJWT}, want{"missing", "alice", "missing"}, 1, 1},
		{"Bearer only", creds{bearer: "Bearer " + aliceBearer}, want{"missing", "missing", "alice"}, 1, 1},
		{"all three, one user", creds{aliceSession, aliceJWT, "Bearer " + aliceBearer}, want{"alice", "alice", "alice"}, 1, 2},
		{"session and JWT, one user", creds{session: aliceSession, jwt: aliceJWT}, want{"alice", "alice", "missing"}, 1, 1},
		{"session and JWT, two users", creds{session: aliceSession, jwt: bobJWT}, want{"alice", "bob", "missing"}, 2, 1},
		{"all three, two users", creds{bobSession, aliceJWT, "Bearer " + aliceBearer}, want{"bob", "alice", "alice"}, 2, 2},
		{"tampered JWT cookie", creds{session: aliceSession, jwt: tampered}, want{"alice", "bad_signature", "missing"}, 1, 1},
		{"expired Bearer", creds{bearer: "Bearer " + expired}, want{"missing", "missing", "expired"}, 0, 1},
		{"revoked JWT cookie", creds{jwt: revoked.Raw}, want{"missing", "revoked", "missing"}, 0, 1},
		{"revoked Bearer beside a valid cookie", creds{jwt: aliceJWT, bearer: "Bearer " + revoked.Raw}, want{"missing", "alice", "revoked"}, 1, 2},
		{"garbage JWT cookie", creds{jwt: "garbage"}, want{"missing", "malformed", "missing"}, 0, 0},
		{"Basic header", creds{bearer: "Basic dXNlcjE6cGFzczEyMw=="}, want{"missing", "missing", "malformed"}, 0, 0},
		{"ended session", creds{session: strings.Repeat("A", 43)}, want{"expired", "missing", "missing"}, 0, 0},
		{"deleted user, session", creds{session: carolSession}, want{"unknown_user", "missing", "missing"}, 1, 0},
		{"deleted user, JWT cookie", creds{jwt: carolJWT}, want{"missing", "unknown_user", "missing"}, 1, 1},
		// The memo keeps a failed look-up too.
		{"deleted user, all three", creds{carolSession, carolJWT, "Bearer " + carolJWT}, want{"unknown_user", "unknown_user", "unknown_user"}, 1, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			presented := 0
			for _, c := range []string{tc.creds.session, tc.creds.jwt, tc.creds.bearer} {
				if c != "" {
					presented++
				}
			}
			f.counted.byID.Store(0)
			hs256.verifies.Store(0)
			var id Identity
			var reached bool
			rec := f.serve(f.request(http.MethodGet, "/", tc.creds), func(w http.ResponseWriter, r *http.Request) {
				reached = true
				id, _ = IdentityFrom(r.Context())
			})
			if rec.Code != http.StatusOK || !reached {
				t.Fatalf("status %d, handler reached %v", rec.Code, reached)
			}
			if !id.At.Equal(f.clock.Now()) {
				t.Errorf("At = %v, want the clock's %v", id.At, f.clock.Now())
			}
			check := func(strategy string, u User, err error, signedIn bool, want string) {
				t.Helper()
				got := string(ReasonFor(err))
				if signedIn {
					got = u.Username
				}
				if got != want {
					t.Errorf("%s = %q (user %+v, err %v), want %q", strategy, got, u, err, want)
				}
			}
			check("Session", id.Session.User, id.Session.Err, id.Session.SignedIn(), tc.want.session)
			check("JWT", id.JWT.User, id.JWT.Err, id.JWT.SignedIn(), tc.want.jwt)
			check("Bearer", id.Bearer.User, id.Bearer.Err, id.Bearer.SignedIn(), tc.want.bearer)
			if tc.want.jwt == "unknown_user" && (id.JWT.Claims == nil || id.JWT.Claims.Subject != "3") {
				t.Errorf("a genuine token of a deleted user lost its claims: %+v", id.JWT.Claims)
			}
			if n := f.counted.byID.Load(); n != tc.lookups || n > int64(presented) {
				t.Errorf("UserByID called %d times for %d credentials, want %d", n, presented, tc.lookups)
			}
			// At most: a token verified by an earlier case is remembered
			// (TestVerifiedTokensAreRemembered).
			if n := hs256.verifies.Load(); n > tc.verifies {
				t.Errorf("HS256 Verify called %d times, want at most %d", n, tc.verifies)
			}
		})
	}
}

// TestMissingPreconditions mounts each middleware without the one it
// reads from: the request fails through Options.ErrorFunc with an error
// naming what is missing, instead of a panic, a deny, or a handler run
// with nobody identified.
func TestMissingPreconditions(t *testing.T) {
	tests := []struct {
		name  string
		build func(f *fixture, deny func(http.ResponseWriter, *http.Request, error), next http.Handler) http.Handler
		want  error
	}{
		{"Identify without LoadAndSave", func(f *fixture, _ func(http.ResponseWriter, *http.Request, error), next http.Handler) http.Handler {
			return f.a.Identify(next)
		}, ErrSessionNotLoaded},
		{"Sessions.Require without Identify", func(f *fixture, deny func(http.ResponseWriter, *http.Request, error), next http.Handler) http.Handler {
			return f.a.Sessions.LoadAndSave(f.a.Sessions.Require(deny)(next))
		}, ErrNotIdentified},
		{"Tokens.Require without Identify", func(f *fixture, deny func(http.ResponseWriter, *http.Request, error), next http.Handler) http.Handler {
			return f.a.Sessions.LoadAndSave(f.a.Tokens.Require(deny)(next))
		}, ErrNotIdentified},
		{"Tokens.Renew without Identify", func(f *fixture, _ func(http.ResponseWriter, *http.Request, error), next http.Handler) http.Handler {
			return f.a.Sessions.LoadAndSave(f.a.Tokens.Renew(next))
		}, ErrNotIdentified},
		{"Tokens.Renew mounted before Identify", func(f *fixture, _ func(http.ResponseWriter, *http.Request, error), next http.Handler) http.Handler {
			return f.a.Sessions.LoadAndSave(f.a.Tokens.Renew(f.a.Identify(next)))
		}, ErrNotIdentified},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newTokenFixture(t, Options{})
			session := f.sessionLogin(t, f.alice, "")
			token := f.issue(t, authtest.Start).Raw
			f.clock.Advance(testTTL/2 + time.Second) // due for renewal, were it identified
			var denied, reached bool
			deny := func(w http.ResponseWriter, _ *http.Request, _ error) {
				denied = true
				w.WriteHeader(http.StatusUnauthorized)
			}
			next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true })
			rec := httptest.NewRecorder()
			tc.build(f, deny, next).ServeHTTP(rec, f.request(http.MethodGet, "/", creds{session: session, jwt: token}))

			errs := f.errors()
			if len(errs) != 1 || !errors.Is(errs[0], tc.want) {
				t.Fatalf("ErrorFunc got %v, want one %v", errs, tc.want)
			}
			if rec.Code != http.StatusInternalServerError {
				t.Errorf("status %d, want 500", rec.Code)
			}
			if reached || denied {
				t.Errorf("handler reached %v, deny called %v; want neither", reached, denied)
			}
			for _, c := range rec.Result().Cookies() {
				if c.Name == f.a.Settings().TokenCookie {
					t.Errorf("a JWT cookie was set on a failed request: %v", c)
				}
			}
		})
	}
}

// undeletableStore is a session store that cannot delete.
type undeletableStore struct{ *memstore.MemStore }

func (undeletableStore) Delete(string) error { return errors.New("disk gone") }

// TestLoginLogoutReturnState checks that Login and Logout hand back the
// state they made, so a handler need not ask the request again.
func TestLoginLogoutReturnState(t *testing.T) {
	ctx := context.Background()

	t.Run("Sessions.Login", func(t *testing.T) {
		f := newFixture(t, Options{})
		var st SessionState
		var before Identity
		rec := f.serve(f.request(http.MethodPost, "/login", creds{}), func(w http.ResponseWriter, r *http.Request) {
			before, _ = IdentityFrom(r.Context())
			var err error
			if st, err = f.a.Sessions.Login(r, f.alice); err != nil {
				t.Error(err)
			}
		})
		if !st.SignedIn() || st.User != f.alice || st.Record.UserID != f.alice.ID {
			t.Fatalf("Login = %+v, want alice signed in with her record", st)
		}
		if want := authtest.Start.Add(DefaultIdleTimeout); !st.Record.IdleDeadline.Equal(want) {
			t.Errorf("Record.IdleDeadline = %v, want %v", st.Record.IdleDeadline, want)
		}
		if want := authtest.Start.Add(DefaultLifetime); !st.Record.Deadline.Equal(want) {
			t.Errorf("Record.Deadline = %v, want %v", st.Record.Deadline, want)
		}
		// The request's Identity is what it was when it arrived.
		if before.Session.SignedIn() {
			t.Error("Login changed the request's Identity")
		}
		next := f.identify(t, creds{session: onlyCookie(t, rec.Result()).Value}).Session
		if next.User != st.User || next.Record.UserID != st.Record.UserID {
			t.Errorf("the next request is %+v, Login said %+v", next, st)
		}
	})

	t.Run("Sessions.Logout", func(t *testing.T) {
		f := newFixture(t, Options{})
		token := f.sessionLogin(t, f.alice, "")
		var st SessionState
		rec := f.serve(f.request(http.MethodPost, "/logout", creds{session: token}), func(w http.ResponseWriter, r *http.Request) {
			var err error
			if st, err = f.a.Sessions.Logout(r.Context()); err != nil {
				t.Error(err)
			}
		})
		if st.SignedIn() || ReasonFor(st.Err) != ReasonMissing || st.User != (User{}) {
			t.Fatalf("Logout = %+v, want no session", st)
		}
		if c := onlyCookie(t, rec.Result()); c.MaxAge >= 0 {
			t.Errorf("Logout left the cookie: %+v", c)
		}
		if got := ReasonFor(f.identify(t, creds{session: token}).Session.Err); got != ReasonRevoked {
			t.Errorf("the old token afterwards: %q, want revoked", got)
		}
	})

	t.Run("Sessions.Logout when the store fails", func(t *testing.T) {
		f := newFixture(t, Options{SessionStore: undeletableStore{memstore.NewWithCleanupInterval(0)}})
		token := f.sessionLogin(t, f.alice, "")
		var st SessionState
		var err error
		f.serve(f.request(http.MethodPost, "/logout", creds{session: token}), func(w http.ResponseWriter, r *http.Request) {
			st, err = f.a.Sessions.Logout(r.Context())
		})
		if err == nil || st.SignedIn() {
			t.Fatalf("Logout = %+v, %v; want an error and a state not signed in", st, err)
		}
	})

	t.Run("Tokens.Login", func(t *testing.T) {
		f := newTokenFixture(t, Options{})
		rec := httptest.NewRecorder()
		st, err := f.a.Tokens.Login(rec, testRequest(), f.alice)
		if err != nil {
			t.Fatal(err)
		}
		cookie := onlyCookie(t, rec.Result())
		if !st.SignedIn() || st.User != f.alice || st.Claims == nil || st.Raw != cookie.Value {
			t.Fatalf("Login = %+v, cookie %q; want alice's claims and the cookie's token", st, cookie.Value)
		}
		c, err := f.a.Tokens.Verify(st.Raw)
		if err != nil || c.ID != st.Claims.ID || c.SessionID != st.Claims.SessionID || c.Subject != "1" {
			t.Fatalf("Verify(Raw) = %+v, %v; want the claims Login returned, %+v", c, err, st.Claims)
		}
	})

	t.Run("Tokens.Logout revokes", func(t *testing.T) {
		f := newTokenFixture(t, Options{})
		in, err := f.a.Tokens.Login(httptest.NewRecorder(), testRequest(), f.alice)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		st, err := f.a.Tokens.Logout(ctx, rec, in)
		if err != nil {
			t.Fatal(err)
		}
		if st.SignedIn() || ReasonFor(st.Err) != ReasonMissing || st.Claims != nil || st.Raw != "" {
			t.Fatalf("Logout = %+v, want no token", st)
		}
		if c := onlyCookie(t, rec.Result()); c.Value != "" || c.MaxAge >= 0 {
			t.Errorf("Logout left the cookie: %+v", c)
		}
		if !f.a.Tokens.IsRevoked(in.Claims.ID) || !f.a.Tokens.IsRevoked(in.Claims.SessionID) {
			t.Error("Logout did not revoke the jti and the sid")
		}
	})

	t.Run("Tokens.Logout without a token", func(t *testing.T) {
		f := newTokenFixture(t, Options{})
		rec := httptest.NewRecorder()
		st, err := f.a.Tokens.Logout(ctx, rec, TokenState{Err: ErrMalformed, Raw: "garbage"})
		if err != nil || ReasonFor(st.Err) != ReasonMissing {
			t.Fatalf("Logout = %+v, %v; want no token", st, err)
		}
		if c := onlyCookie(t, rec.Result()); c.MaxAge >= 0 {
			t.Errorf("Logout left the cookie: %+v", c)
		}
		if n := f.revStore.len(); n != 0 {
			t.Errorf("Logout of no token wrote %d revocations", n)
		}
	})

	t.Run("Tokens.Logout when the store fails", func(t *testing.T) {
		f := newTokenFixture(t, Options{})
		in := f.issue(t, authtest.Start)
		f.revStore.mu.Lock()
		f.revStore.failRevoke = true
		f.revStore.mu.Unlock()
		rec := httptest.NewRecorder()
		st, err := f.a.Tokens.Logout(ctx, rec, in)
		if err == nil || st.SignedIn() {
			t.Fatalf("Logout = %+v, %v; want an error and a state not signed in", st, err)
		}
		// Remembered in memory only, the revocation would be lost on restart.
		if f.a.Tokens.IsRevoked(in.Claims.ID) {
			t.Error("a revocation the store refused is held in memory")
		}
	})
}

// TestRenewIdentity checks that Renew hands the handlers after it a new
// Identity holding the renewed token, leaves the Identity of the request
// it was given as it was, and renews only on GET and HEAD.
func TestRenewIdentity(t *testing.T) {
	tests := []struct {
		method string
		renews bool
	}{
		{http.MethodGet, true},
		{http.MethodHead, true},
		{http.MethodPost, false},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			f := newTokenFixture(t, Options{})
			session := f.sessionLogin(t, f.alice, "")
			old := f.issue(t, authtest.Start)
			f.clock.Advance(testTTL/2 + time.Second)

			var beforeCtx context.Context
			var before, after Identity
			probe := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					beforeCtx = r.Context()
					before, _ = IdentityFrom(r.Context())
					next.ServeHTTP(w, r)
				})
			}
			rec := f.serve(f.request(tc.method, "/", creds{session: session, jwt: old.Raw}), func(w http.ResponseWriter, r *http.Request) {
				after, _ = IdentityFrom(r.Context())
			}, probe, f.a.Tokens.Renew)

			// The Identity Renew was given is as it was.
			again, _ := IdentityFrom(beforeCtx)
			for _, id := range []Identity{before, again} {
				if id.JWT.Raw != old.Raw || id.JWT.Claims.ID != old.Claims.ID {
					t.Fatalf("the Identity before Renew changed: JWT %+v", id.JWT)
				}
			}
			if after.At != before.At || after.Session.User != before.Session.User || after.Bearer.Err != before.Bearer.Err {
				t.Errorf("Renew changed more than the JWT: before %+v, after %+v", before, after)
			}

			cookies := rec.Result().Cookies()
			if !tc.renews {
				if len(cookies) != 1 || cookies[0].Name != f.a.Settings().SessionCookie {
					t.Errorf("%s set cookies %v, want only the session's", tc.method, cookies)
				}
				if after.JWT.Raw != old.Raw || after.JWT.Claims.ID != old.Claims.ID {
					t.Errorf("%s: the handler sees %+v, want the token sent", tc.method, after.JWT)
				}
				return
			}
			var set *http.Cookie
			for _, c := range cookies {
				if c.Name == f.a.Settings().TokenCookie {
					set = c
				}
			}
			if set == nil {
				t.Fatalf("%s did not renew: cookies %v", tc.method, cookies)
			}
			got := after.JWT
			if !got.SignedIn() || got.User != f.alice || got.Raw != set.Value {
				t.Fatalf("the handler sees %+v, want alice with the token set, %q", got, set.Value)
			}
			if got.Claims.ID == old.Claims.ID || got.Claims.SessionID != old.Claims.SessionID {
				t.Errorf("renewed jti %q, sid %q; want a new jti and the sid %q", got.Claims.ID, got.Claims.SessionID, old.Claims.SessionID)
			}
			if c, err := f.a.Tokens.Verify(set.Value); err != nil || c.ID != got.Claims.ID {
				t.Errorf("Verify(cookie) = %+v, %v; want the Identity's claims", c, err)
			}
		})
	}
}

// TestVerifiedTokensAreRemembered defends what remembering a verified token
// may and may not skip: a token's second presentation costs no HMAC, but a
// token one byte away is verified (and refused), and a remembered token is
// still refused once it expires or is revoked.
func TestVerifiedTokensAreRemembered(t *testing.T) {
	hs256 := countHS256(t)
	f := newFixture(t, Options{TokenTTL: 10 * time.Minute})
	verify := func(raw string, wantHMACs int64) error {
		t.Helper()
		hs256.verifies.Store(0)
		_, err := f.a.Tokens.Verify(raw)
		if n := hs256.verifies.Load(); n != wantHMACs {
			t.Errorf("Verify made %d HMAC checks, want %d", n, wantHMACs)
		}
		return err
	}
	st, err := f.a.Tokens.Issue(testRequest(), f.alice)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(st.Raw, 1); err != nil {
		t.Fatalf("first Verify: %v", err)
	}
	if err := verify(st.Raw, 0); err != nil {
		t.Fatalf("second Verify: %v", err)
	}
	// The first character of the signature, changed: all six of its bits
	// are signature, where the last one's lowest bits are padding that
	// strict decoding refuses before any HMAC.
	dot := strings.LastIndexByte(st.Raw, '.') + 1
	other := byte('A')
	if st.Raw[dot] == 'A' {
		other = 'B'
	}
	if err := verify(st.Raw[:dot]+string(other)+st.Raw[dot+1:], 1); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a changed signature: %v, want ErrBadSignature", err)
	}
	f.clock.Advance(10*time.Minute + time.Minute)
	if err := verify(st.Raw, 0); !errors.Is(err, ErrExpired) {
		t.Errorf("a remembered token past exp: %v, want ErrExpired", err)
	}
	f.clock.Set(authtest.Start)
	if err := f.a.Tokens.Revoke(context.Background(), st.Claims); err != nil {
		t.Fatal(err)
	}
	if err := verify(st.Raw, 0); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("a remembered token after its revocation: %v, want ErrTokenRevoked", err)
	}
}
