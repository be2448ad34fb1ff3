package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/authlab/authlab/auth/authtest"
)

// deviceRequest is a login request from a client with the User-Agent
// agent at the address addr.
func deviceRequest(f *fixture, agent, addr string) *http.Request {
	r := f.request(http.MethodPost, "/login", creds{})
	r.Header.Set("User-Agent", agent)
	r.RemoteAddr = addr + ":4321"
	return r
}

// loginSession signs u in to a new session from agent at addr and
// returns the session token.
func loginSession(t *testing.T, f *fixture, u User, agent, addr string) string {
	t.Helper()
	rec := f.serve(deviceRequest(f, agent, addr), func(_ http.ResponseWriter, r *http.Request) {
		if _, err := f.a.Sessions.Login(r, u); err != nil {
			t.Error(err)
		}
	})
	c := onlyCookie(t, rec.Result())
	if c.Value == "" {
		t.Fatal("login set an empty session cookie")
	}
	return c.Value
}

// loginJWT signs u in with a new JWT login from agent at addr.
func loginJWT(t *testing.T, f *fixture, u User, agent, addr string) TokenState {
	t.Helper()
	st, err := f.a.Tokens.Login(httptest.NewRecorder(), deviceRequest(f, agent, addr), u)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// liveLogins lists the logins of whoever c signs in as.
func liveLogins(t *testing.T, f *fixture, c creds) []Login {
	t.Helper()
	ls, err := f.a.Logins(context.Background(), f.identify(t, c))
	if err != nil {
		t.Fatalf("Logins: %v", err)
	}
	return ls
}

// loginKeyed returns the login in ls with key, failing the test if there
// is none.
func loginKeyed(t *testing.T, ls []Login, key string) Login {
	t.Helper()
	for _, l := range ls {
		if l.Key == key {
			return l
		}
	}
	t.Fatalf("no login with key %q in %+v", key, ls)
	return Login{}
}

func keysOf(ls []Login) []string {
	var keys []string
	for _, l := range ls {
		keys = append(keys, string(l.Strategy)+":"+l.Key)
	}
	return keys
}

// sameKeys reports whether got are the logins named by want
// ("strategy:key"), in any order.
func sameKeys(got []Login, want ...string) bool {
	return slices.Equal(slices.Sorted(slices.Values(keysOf(got))), slices.Sorted(slices.Values(want)))
}

func TestLoginsListsBothStrategies(t *testing.T) {
	f := newFixture(t, Options{})
	bob, err := f.a.Users.SignUp(context.Background(), "bob", "battery staple")
	if err != nil {
		t.Fatal(err)
	}
	token := loginSession(t, f, f.alice, "Firefox/128", "198.51.100.7")
	loginSession(t, f, bob, "Bob's browser", "198.51.100.8")
	f.clock.Advance(time.Minute)
	jwt := loginJWT(t, f, f.alice, "curl/8.5", "203.0.113.9")
	f.clock.Advance(10 * time.Second)

	both := f.identify(t, creds{session: token, jwt: jwt.Raw})
	ls, err := f.a.Logins(context.Background(), both)
	if err != nil {
		t.Fatal(err)
	}
	want := []Login{ // newest first
		{UserID: f.alice.ID, Strategy: StrategyJWT, Key: jwt.Claims.SessionID, Agent: "curl/8.5", Address: "203.0.113.9", Started: authtest.Start.Add(time.Minute)},
		{UserID: f.alice.ID, Strategy: StrategySession, Key: sessionKey(token), Agent: "Firefox/128", Address: "198.51.100.7", Started: authtest.Start},
	}
	if len(ls) != len(want) {
		t.Fatalf("Logins = %+v, want %d logins", ls, len(want))
	}
	for i, w := range want {
		l := ls[i]
		if l.UserID != w.UserID || l.Strategy != w.Strategy || l.Key != w.Key || l.Agent != w.Agent ||
			l.Address != w.Address || !l.Started.Equal(w.Started) {
			t.Errorf("Logins[%d] = %+v, want %+v", i, l, w)
		}
		if !both.IsCurrent(l) {
			t.Errorf("IsCurrent(Logins[%d]) = false for the identity holding it", i)
		}
		for _, secret := range []string{token, jwt.Raw, l.Key} {
			if l.ID == "" || l.ID == secret {
				t.Errorf("Logins[%d].ID = %q: empty, or a credential", i, l.ID)
			}
		}
	}
	if ls[0].ID == ls[1].ID {
		t.Errorf("both logins have the ID %q", ls[0].ID)
	}

	// Each credential on its own marks only its own login current, and
	// lists the same logins.
	tests := []struct {
		name string
		c    creds
		want []bool // IsCurrent for want's logins
	}{
		{"session cookie", creds{session: token}, []bool{false, true}},
		{"JWT cookie", creds{jwt: jwt.Raw}, []bool{true, false}},
		{"Bearer token", creds{bearer: "Bearer " + jwt.Raw}, []bool{true, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := f.identify(t, tc.c)
			got := liveLogins(t, f, tc.c)
			if !sameKeys(got, keysOf(ls)...) {
				t.Errorf("Logins = %v, want %v", keysOf(got), keysOf(ls))
			}
			for i, l := range ls {
				if id.IsCurrent(l) != tc.want[i] {
					t.Errorf("IsCurrent(%s login) = %v, want %v", l.Strategy, id.IsCurrent(l), tc.want[i])
				}
			}
		})
	}
	t.Run("no credentials", func(t *testing.T) {
		if ls, err := f.a.Logins(context.Background(), f.identify(t, creds{})); !errors.Is(err, ErrNoCredentials) {
			t.Errorf("Logins = %v, %v; want ErrNoCredentials", ls, err)
		}
	})
}

func TestLoginKeysHashedAtRest(t *testing.T) {
	f := newFixture(t, Options{})
	token := loginSession(t, f, f.alice, "Firefox/128", "198.51.100.7")

	if _, found, _ := f.sessions.Find(token); found {
		t.Error("the session store holds a record under the raw token")
	}
	if _, found, _ := f.sessions.Find(sessionKey(token)); !found {
		t.Fatal("the session store holds no record under sessionKey(token)")
	}
	if l, err := f.logins.LoginByKey(context.Background(), sessionKey(token)); err != nil || l.Strategy != StrategySession {
		t.Errorf("the login index under sessionKey(token): %+v, %v", l, err)
	}
	if _, err := f.logins.LoginByKey(context.Background(), token); !errors.Is(err, ErrNoLogin) {
		t.Errorf("the login index under the raw token: %v, want ErrNoLogin", err)
	}

	// Whoever copies the store gets keys; none of them works as a cookie.
	stored, err := f.sessions.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) == 0 {
		t.Fatal("the session store is empty; the test proves nothing")
	}
	for key := range stored {
		if key == token {
			t.Errorf("stored key %q is the token", key)
		}
		if st := f.identify(t, creds{session: key}).Session; st.SignedIn() {
			t.Errorf("the stored key %q, presented as a cookie, signs in as %v", key, st.User)
		}
	}
	if st := f.identify(t, creds{session: token}).Session; !st.SignedIn() || st.User.ID != f.alice.ID {
		t.Errorf("the token itself: %+v, want alice signed in", st)
	}
}

func TestEndLogin(t *testing.T) {
	tests := []struct {
		end         Strategy
		wantSession Reason // "" for signed in
		wantJWT     Reason
	}{
		{StrategySession, ReasonRevoked, ""},
		{StrategyJWT, "", ReasonRevoked},
	}
	for _, tc := range tests {
		t.Run(string(tc.end), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, Options{})
			token := loginSession(t, f, f.alice, "Firefox/128", "198.51.100.7")
			jwt := loginJWT(t, f, f.alice, "curl/8.5", "203.0.113.9")
			both := creds{session: token, jwt: jwt.Raw}
			ls := liveLogins(t, f, both)
			key := map[Strategy]string{StrategySession: sessionKey(token), StrategyJWT: jwt.Claims.SessionID}
			target := loginKeyed(t, ls, key[tc.end])

			ended, err := f.a.EndLogin(ctx, f.alice.ID, target.ID, EndedByUser)
			if err != nil || ended.ID != target.ID {
				t.Fatalf("EndLogin = %+v, %v; want the login ended", ended, err)
			}

			id := f.identify(t, both)
			if got := ReasonFor(id.Session.Err); got != tc.wantSession {
				t.Errorf("session cookie: %q (%v), want %q", got, id.Session.Err, tc.wantSession)
			}
			if got := ReasonFor(id.JWT.Err); got != tc.wantJWT {
				t.Errorf("JWT cookie: %q (%v), want %q", got, id.JWT.Err, tc.wantJWT)
			}
			switch tc.end {
			case StrategySession:
				if !errors.Is(id.Session.Err, ErrLoginEnded) {
					t.Errorf("session cookie: %v, want ErrLoginEnded", id.Session.Err)
				}
				if _, found, _ := f.sessions.Find(key[StrategySession]); found {
					t.Error("the ended session's record is still in the store")
				}
			case StrategyJWT:
				if !errors.Is(id.JWT.Err, ErrTokenRevoked) {
					t.Errorf("JWT cookie: %v, want ErrTokenRevoked", id.JWT.Err)
				}
				// A token renewed from the login is refused too.
				renewed, err := f.a.Tokens.issue(f.alice, jwt.Claims.AuthTime.Time, jwt.Claims.SessionID)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.a.Tokens.Verify(renewed.Raw); !errors.Is(err, ErrTokenRevoked) {
					t.Errorf("a renewal of the ended login: %v, want ErrTokenRevoked", err)
				}
			}
			l, err := f.logins.LoginByKey(ctx, key[tc.end])
			if err != nil || l.EndedBy != EndedByUser || !l.Ended.Equal(f.clock.Now()) {
				t.Errorf("the index's entry: %+v, %v; want ended now by %q", l, err, EndedByUser)
			}

			var other Strategy = StrategySession
			if tc.end == StrategySession {
				other = StrategyJWT
			}
			if ls := liveLogins(t, f, both); !sameKeys(ls, string(other)+":"+key[other]) {
				t.Errorf("Logins after ending the %s login = %v, want only the %s login", tc.end, keysOf(ls), other)
			}
			if _, err := f.a.EndLogin(ctx, f.alice.ID, target.ID, EndedByUser); !errors.Is(err, ErrNoLogin) {
				t.Errorf("ending it again: %v, want ErrNoLogin", err)
			}
		})
	}
}

func TestEndLoginOfAnotherUser(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	bob, err := f.a.Users.SignUp(ctx, "bob", "battery staple")
	if err != nil {
		t.Fatal(err)
	}
	aliceJWT, bobJWT := loginJWT(t, f, f.alice, "a", "198.51.100.1"), loginJWT(t, f, bob, "b", "198.51.100.2")
	aliceCreds := creds{session: loginSession(t, f, f.alice, "a", "198.51.100.1"), jwt: aliceJWT.Raw}
	bobCreds := creds{session: loginSession(t, f, bob, "b", "198.51.100.2"), jwt: bobJWT.Raw}
	aliceLogins, bobLogins := liveLogins(t, f, aliceCreds), liveLogins(t, f, bobCreds)
	if len(aliceLogins) != 2 || len(bobLogins) != 2 {
		t.Fatalf("alice has %d logins and bob %d, want 2 each", len(aliceLogins), len(bobLogins))
	}
	aliceSession := loginKeyed(t, aliceLogins, sessionKey(aliceCreds.session))
	bobSession := loginKeyed(t, bobLogins, sessionKey(bobCreds.session))
	bobJWTLogin := loginKeyed(t, bobLogins, bobJWT.Claims.SessionID)

	tests := []struct {
		name    string
		userID  int64
		loginID string
	}{
		{"alice ends bob's session", f.alice.ID, bobSession.ID},
		{"alice ends bob's JWT login", f.alice.ID, bobJWTLogin.ID},
		{"bob ends alice's session", bob.ID, aliceSession.ID},
		{"an id nobody has", f.alice.ID, "no-such-login"},
		{"a login's key as its id", f.alice.ID, aliceSession.Key},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if l, err := f.a.EndLogin(ctx, tc.userID, tc.loginID, EndedByUser); !errors.Is(err, ErrNoLogin) {
				t.Errorf("EndLogin = %+v, %v; want ErrNoLogin", l, err)
			}
		})
	}
	for _, who := range []struct {
		name string
		c    creds
		ls   []Login
	}{{"alice", aliceCreds, aliceLogins}, {"bob", bobCreds, bobLogins}} {
		id := f.identify(t, who.c)
		if !id.Session.SignedIn() || !id.JWT.SignedIn() {
			t.Errorf("%s afterwards: session %v, JWT %v; want both signed in", who.name, id.Session.Err, id.JWT.Err)
		}
		if got := liveLogins(t, f, who.c); !sameKeys(got, keysOf(who.ls)...) {
			t.Errorf("%s's logins afterwards = %v, want %v", who.name, keysOf(got), keysOf(who.ls))
		}
	}
}

func TestEndLogins(t *testing.T) {
	tests := []struct {
		name     string
		keep     func(Identity) func(Login) bool
		why      EndReason
		wantThis Reason // this device's session
	}{
		{"all others", func(id Identity) func(Login) bool { return id.IsCurrent }, EndedEverywhere, ""},
		{"everywhere", func(Identity) func(Login) bool { return nil }, EndedEverywhere, ReasonRevoked},
		{"password change", func(id Identity) func(Login) bool { return id.IsCurrent }, EndedByPassword, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, Options{})
			bob, err := f.a.Users.SignUp(ctx, "bob", "battery staple")
			if err != nil {
				t.Fatal(err)
			}
			this := loginSession(t, f, f.alice, "this", "198.51.100.1")
			f.clock.Advance(time.Second)
			other := loginSession(t, f, f.alice, "other", "198.51.100.2")
			otherJWT := loginJWT(t, f, f.alice, "other", "198.51.100.3")
			bobs := loginSession(t, f, bob, "bob", "198.51.100.4")

			id := f.identify(t, creds{session: this})
			ended, err := f.a.EndLogins(ctx, f.alice.ID, tc.keep(id), tc.why)
			if err != nil {
				t.Fatal(err)
			}
			wantEnded := []string{"jwt:" + otherJWT.Claims.SessionID, "session:" + sessionKey(other)}
			if tc.wantThis != "" {
				wantEnded = append(wantEnded, "session:"+sessionKey(this))
			}
			if !sameKeys(ended, wantEnded...) {
				t.Errorf("ended %v, want %v", keysOf(ended), wantEnded)
			}
			for _, l := range ended {
				if got, err := f.logins.LoginByKey(ctx, l.Key); err != nil || got.EndedBy != tc.why {
					t.Errorf("the index's %s entry: %+v, %v; want ended by %q", l.Strategy, got, err, tc.why)
				}
			}

			checks := []struct {
				name string
				err  error
				want Reason
			}{
				{"this device", f.identify(t, creds{session: this}).Session.Err, tc.wantThis},
				{"the other session", f.identify(t, creds{session: other}).Session.Err, ReasonRevoked},
				{"the other JWT", f.identify(t, creds{jwt: otherJWT.Raw}).JWT.Err, ReasonRevoked},
				{"bob's session", f.identify(t, creds{session: bobs}).Session.Err, ""},
			}
			for _, c := range checks {
				if got := ReasonFor(c.err); got != c.want {
					t.Errorf("%s: %q (%v), want %q", c.name, got, c.err, c.want)
				}
			}
			if tc.wantThis == "" {
				if ls := liveLogins(t, f, creds{session: this}); !sameKeys(ls, "session:"+sessionKey(this)) {
					t.Errorf("Logins afterwards = %v, want only this device's", keysOf(ls))
				}
			}
		})
	}
}

func TestLoginsOmitTimedOutSession(t *testing.T) {
	f := newFixture(t, Options{})
	busy := loginSession(t, f, f.alice, "busy", "198.51.100.1")
	idle := loginSession(t, f, f.alice, "idle", "198.51.100.2")
	if ls := liveLogins(t, f, creds{session: busy}); len(ls) != 2 {
		t.Fatalf("Logins = %v, want both sessions", keysOf(ls))
	}

	f.clock.Advance(DefaultIdleTimeout - 10*time.Minute)
	f.identify(t, creds{session: busy}) // a request keeps it alive
	f.clock.Advance(10*time.Minute + time.Second)

	if st := f.identify(t, creds{session: idle}).Session; !errors.Is(st.Err, ErrSessionEnded) {
		t.Fatalf("the idle session: %v, want ErrSessionEnded; the test proves nothing", st.Err)
	}
	ls := liveLogins(t, f, creds{session: busy})
	if !sameKeys(ls, "session:"+sessionKey(busy)) {
		t.Fatalf("Logins = %v, want only the busy session", keysOf(ls))
	}
	// Seen comes from the session record, which the last request moved.
	if now := f.clock.Now(); !ls[0].Seen.Equal(now) {
		t.Errorf("Seen = %v, want %v", ls[0].Seen, now)
	}
}

// TestEndLoginBeatsInFlightWriteBack ends a login while a request using
// it is in flight: the record that request writes back must not bring the
// session back.
func TestEndLoginBeatsInFlightWriteBack(t *testing.T) {
	t.Run("request in flight", func(t *testing.T) {
		f := newFixture(t, Options{})
		token := loginSession(t, f, f.alice, "Firefox/128", "198.51.100.7")
		f.clock.Advance(2 * time.Minute) // the request will mark the session seen
		f.serve(f.request(http.MethodGet, "/", creds{session: token}), func(_ http.ResponseWriter, r *http.Request) {
			id, _ := IdentityFrom(r.Context())
			if !id.Session.SignedIn() {
				t.Fatalf("the request is not signed in: %v", id.Session.Err)
			}
			ls, err := f.a.Logins(r.Context(), id)
			if err != nil || len(ls) != 1 {
				t.Fatalf("Logins = %v, %v", ls, err)
			}
			if _, err := f.a.EndLogin(r.Context(), f.alice.ID, ls[0].ID, EndedByUser); err != nil {
				t.Fatal(err)
			}
			f.a.Sessions.mgr.Put(r.Context(), "cart", int64(3))
			if st := f.a.Sessions.mgr.Status(r.Context()); st != scs.Modified {
				t.Fatalf("session status %v: scs would not write it back; the test proves nothing", st)
			}
		})
		if _, found, _ := f.sessions.Find(sessionKey(token)); found {
			t.Error("the in-flight request wrote the ended session back")
		}
		if st := f.identify(t, creds{session: token}).Session; !errors.Is(st.Err, ErrLoginEnded) {
			t.Errorf("the old cookie: %v, want ErrLoginEnded", st.Err)
		}
	})

	t.Run("record committed after the end", func(t *testing.T) {
		f := newFixture(t, Options{})
		token := loginSession(t, f, f.alice, "Firefox/128", "198.51.100.7")
		b, found, err := f.sessions.Find(sessionKey(token))
		if err != nil || !found {
			t.Fatalf("the session's record: %v, %v", found, err)
		}
		ls := liveLogins(t, f, creds{session: token})
		if _, err := f.a.EndLogin(context.Background(), f.alice.ID, ls[0].ID, EndedByUser); err != nil {
			t.Fatal(err)
		}
		if err := f.a.Sessions.mgr.Store.Commit(token, b, f.clock.Now().Add(time.Hour)); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if _, found, _ := f.sessions.Find(sessionKey(token)); found {
			t.Error("the ended session's record was written back")
		}
		if st := f.identify(t, creds{session: token}).Session; !errors.Is(st.Err, ErrLoginEnded) {
			t.Errorf("the old cookie: %v, want ErrLoginEnded", st.Err)
		}
	})

	// The end lands between a write-back's look-up of the login and its
	// write: the login is marked ended and the record deleted just before
	// the record is written again.
	t.Run("ended while the record is written back", func(t *testing.T) {
		f := newFixture(t, Options{})
		token := loginSession(t, f, f.alice, "Firefox/128", "198.51.100.7")
		b, found, err := f.sessions.Find(sessionKey(token))
		if err != nil || !found {
			t.Fatalf("the session's record: %v, %v", found, err)
		}
		ls := liveLogins(t, f, creds{session: token})
		es := f.a.Sessions.mgr.Store.(*expiringStore)
		es.store = &endingStore{Store: f.sessions, end: func() {
			if _, err := f.a.EndLogin(context.Background(), f.alice.ID, ls[0].ID, EndedByUser); err != nil {
				t.Fatal(err)
			}
		}}
		if err := f.a.Sessions.mgr.Store.Commit(token, b, f.clock.Now().Add(time.Hour)); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if _, found, _ := f.sessions.Find(sessionKey(token)); found {
			t.Error("the ended session's record was written back")
		}
		if st := f.identify(t, creds{session: token}).Session; !errors.Is(st.Err, ErrLoginEnded) {
			t.Errorf("the old cookie: %v, want ErrLoginEnded", st.Err)
		}
	})
}

// endingStore runs end just before its first Commit writes.
type endingStore struct {
	scs.Store
	end func()
}

func (s *endingStore) Commit(token string, b []byte, expiry time.Time) error {
	if s.end != nil {
		s.end()
		s.end = nil
	}
	return s.Store.Commit(token, b, expiry)
}

func TestChangePassword(t *testing.T) {
	const (
		old  = "correct horse"
		next = "a brand new password"
	)
	tests := []struct {
		name         string
		wrongBefore  int // wrong passwords tried first
		current      string
		next         string
		wantErr      error
		wantField    string // of a *ValidationError
		wantChanged  bool
		wantFailures int // recorded for the account afterwards
	}{
		{name: "success", current: old, next: next, wantChanged: true},
		{name: "wrong current password", current: "wrong password", next: next, wantErr: ErrInvalidCredentials, wantFailures: 1},
		{name: "new password too short", current: old, next: "short", wantField: "password"},
		{name: "new password too long", current: old, next: strings.Repeat("x", MaxPassword+1), wantField: "password"},
		{name: "throttled", wrongBefore: FreeFailures, current: old, next: next, wantErr: ErrThrottled, wantFailures: FreeFailures},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			before := f.users.hashOf("alice")
			for range tc.wrongBefore {
				if err := f.a.ChangePassword(testRequest(), f.alice, "wrong password", next); !errors.Is(err, ErrInvalidCredentials) {
					t.Fatalf("wrong current password: %v", err)
				}
			}

			err := f.a.ChangePassword(testRequest(), f.alice, tc.current, tc.next)
			switch {
			case tc.wantField != "":
				var ve *ValidationError
				if !errors.As(err, &ve) || ve.Field != tc.wantField {
					t.Errorf("ChangePassword = %v, want a *ValidationError on %q", err, tc.wantField)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("ChangePassword = %v, want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Errorf("ChangePassword = %v, want nil", err)
			}
			if changed := f.users.hashOf("alice") != before; changed != tc.wantChanged {
				t.Errorf("hash changed = %v, want %v", changed, tc.wantChanged)
			}
			fs, err := f.throttle.LoginFailures(context.Background(), "alice", ClientAddress(testRequest()), f.clock.Now().Add(-AddressWindow), f.clock.Now().Add(-KnownFor))
			if err != nil {
				t.Fatal(err)
			}
			if fs.Account != tc.wantFailures {
				t.Errorf("failures recorded = %d, want %d", fs.Account, tc.wantFailures)
			}

			f.clock.Advance(MaxDelay) // past any delay the case earned
			// The password that works first: its success resets the
			// count, so the other's failure is not throttled.
			works, fails := old, tc.next
			if tc.wantChanged {
				works, fails = tc.next, old
			}
			if _, err := f.a.Authenticate(testRequest(), "alice", works); err != nil {
				t.Errorf("%q afterwards: %v, want signed in", works, err)
			}
			if _, err := f.a.Authenticate(testRequest(), "alice", fails); !errors.Is(err, ErrInvalidCredentials) {
				t.Errorf("%q afterwards: %v, want ErrInvalidCredentials", fails, err)
			}
		})
	}
}

// failingLogins is a LoginStore whose AddLogin fails, as a database that
// went away between two statements would.
type failingLogins struct{ *memLogins }

func (failingLogins) AddLogin(context.Context, Login) error { return errors.New("the index is down") }

// TestLoginThatCannotBeListed holds a session login whose entry in the
// index failed to a cookie that proves nothing: a session its user could
// never see or end must not be signed in.
func TestLoginThatCannotBeListed(t *testing.T) {
	f := newFixture(t, Options{Logins: failingLogins{newMemLogins()}})
	rec := f.serve(deviceRequest(f, "Firefox/128", "198.51.100.7"), func(w http.ResponseWriter, r *http.Request) {
		if _, err := f.a.Sessions.Login(r, f.alice); err == nil {
			t.Error("Login succeeded although the index refused the login")
		}
		// The handler answers its error, which saves the session.
		w.WriteHeader(http.StatusInternalServerError)
	})
	for _, c := range rec.Result().Cookies() {
		if c.Name != f.a.Settings().SessionCookie || c.Value == "" {
			continue
		}
		if st := f.identify(t, creds{session: c.Value}).Session; st.SignedIn() {
			t.Errorf("the cookie the failed login set is signed in as %q", st.User.Username)
		}
	}
}

// TestEndingAJWTLoginThatCannotBeRevoked holds a JWT login whose sid could
// not go on the revocation list to the list of logins: it stays there for
// its user to end again, rather than disappearing while its tokens renew.
func TestEndingAJWTLoginThatCannotBeRevoked(t *testing.T) {
	f := newFixture(t, Options{})
	st := loginJWT(t, f, f.alice, "Firefox/128", "198.51.100.7")
	ls := liveLogins(t, f, creds{jwt: st.Raw})
	f.revStore.mu.Lock()
	f.revStore.failRevoke = true
	f.revStore.mu.Unlock()
	if _, err := f.a.EndLogin(context.Background(), f.alice.ID, ls[0].ID, EndedByUser); err == nil {
		t.Fatal("EndLogin succeeded although the revocation failed")
	}
	if got := liveLogins(t, f, creds{jwt: st.Raw}); len(got) != 1 || got[0].ID != ls[0].ID {
		t.Errorf("after a failed end, the logins listed are %v, want the login still there", got)
	}
}
