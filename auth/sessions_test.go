package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authlab/authlab/auth/authtest"
)

// sessionServer is a small app on the session strategy, mounted as the
// package documents: LoadAndSave, then Identify, then the routes.
type sessionServer struct {
	f *fixture
	h http.Handler
}

func newSessionServer(t testing.TB, opts Options) *sessionServer {
	t.Helper()
	f := newFixture(t, opts)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if _, err := f.a.Sessions.Login(r, f.alice); err != nil {
			t.Error(err)
		}
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if _, err := f.a.Sessions.Logout(r.Context()); err != nil {
			t.Error(err)
		}
	})
	// An anonymous session, such as an attacker can obtain and plant.
	mux.HandleFunc("POST /anon", func(w http.ResponseWriter, r *http.Request) {
		f.a.Sessions.mgr.Put(r.Context(), "cart", int64(3))
	})
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		id, _ := IdentityFrom(r.Context())
		st := id.Session
		if !st.SignedIn() {
			fmt.Fprintf(w, "reason:%s", ReasonFor(st.Err))
			return
		}
		fmt.Fprintf(w, "user:%s id:%d record:%d idle:%s", st.User.Username, st.User.ID, st.Record.UserID, st.Record.IdleDeadline.Format(time.RFC3339))
	})
	return &sessionServer{f: f, h: f.a.Sessions.LoadAndSave(f.a.Identify(mux))}
}

// do sends one request with the session cookie value token ("" for none)
// and returns the session cookie set, if any, and the body.
func (s *sessionServer) do(t testing.TB, method, path, token string) (*http.Cookie, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, s.f.request(method, path, creds{session: token}))
	res := rec.Result()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d", method, path, res.StatusCode)
	}
	body, _ := io.ReadAll(res.Body)
	var set *http.Cookie
	for _, c := range res.Cookies() {
		if set != nil {
			t.Fatalf("%s %s set two cookies", method, path)
		}
		set = c
	}
	return set, string(body)
}

// login signs alice in, starting from the session token planted ("" for
// none), and returns the new token.
func (s *sessionServer) login(t testing.TB, planted string) string {
	t.Helper()
	set, _ := s.do(t, http.MethodPost, "/login", planted)
	if set == nil || set.Value == "" {
		t.Fatal("login set no session cookie")
	}
	return set.Value
}

func TestSessionLoginRenewsToken(t *testing.T) {
	s := newSessionServer(t, Options{})
	planted, _ := s.do(t, http.MethodPost, "/anon", "")
	if planted == nil {
		t.Fatal("no anonymous session to plant")
	}
	if _, found, _ := s.f.sessions.Find(sessionKey(planted.Value)); !found {
		t.Fatal("the planted session is not live; this test would prove nothing")
	}

	token := s.login(t, planted.Value)
	if token == planted.Value {
		t.Fatal("login kept the planted session token (session fixation)")
	}
	if !scsToken.MatchString(token) {
		t.Errorf("new token %q does not look like an scs token", token)
	}
	if _, body := s.do(t, http.MethodGet, "/whoami", token); !strings.HasPrefix(body, "user:alice") {
		t.Fatalf("new token: %q, want alice", body)
	}
	if _, body := s.do(t, http.MethodGet, "/whoami", planted.Value); body != "reason:expired" {
		t.Fatalf("planted token after login: %q, want reason:expired", body)
	}
	if _, found, _ := s.f.sessions.Find(sessionKey(planted.Value)); found {
		t.Fatal("the planted session's record outlived the login")
	}
}

func TestSessionLogout(t *testing.T) {
	s := newSessionServer(t, Options{})
	token := s.login(t, "")
	other := s.login(t, "") // alice on a second device

	set, _ := s.do(t, http.MethodPost, "/logout", token)
	if set == nil || set.Value != "" || set.MaxAge >= 0 {
		t.Fatalf("logout cookie = %+v, want it deleted", set)
	}
	if _, found, _ := s.f.sessions.Find(sessionKey(token)); found {
		t.Fatal("logout left the session record in the store")
	}
	// A copy of the old token replayed later finds nothing, and the
	// index of logins says the server ended it.
	if _, body := s.do(t, http.MethodGet, "/whoami", token); body != "reason:revoked" {
		t.Fatalf("replayed token after logout: %q, want reason:revoked", body)
	}
	if id := s.f.identify(t, creds{session: token}); !errors.Is(id.Session.Err, ErrLoginEnded) {
		t.Fatalf("Identity of the replayed token: Session.Err = %v, want ErrLoginEnded", id.Session.Err)
	}
	if _, body := s.do(t, http.MethodGet, "/whoami", other); !strings.HasPrefix(body, "user:alice") {
		t.Fatalf("logging out one session ended another: %q", body)
	}
}

// TestSessionIdentity is what Identify makes of each kind of session
// cookie.
func TestSessionIdentity(t *testing.T) {
	s := newSessionServer(t, Options{})
	token := s.login(t, "")
	bob, err := s.f.users.CreateUser(context.Background(), "bob", "x")
	if err != nil {
		t.Fatal(err)
	}
	// bob logs in, then his account is deleted.
	bobToken := s.f.sessionLogin(t, bob, "")
	s.f.users.delete("bob")

	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"signed in", token, "user:alice id:1 record:1"},
		{"no cookie", "", "reason:missing"},
		{"not an scs token", "garbage", "reason:malformed"},
		{"token too long", token + "A", "reason:malformed"},
		{"token with a bad character", "!" + token[1:], "reason:malformed"},
		{"well-formed token nobody issued", strings.Repeat("A", 43), "reason:expired"},
		{"user deleted", bobToken, "reason:unknown_user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, body := s.do(t, http.MethodGet, "/whoami", tc.token); !strings.HasPrefix(body, tc.want) {
				t.Fatalf("whoami = %q, want %q", body, tc.want)
			}
		})
	}

	t.Run("empty cookie", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
		r.Header.Set("Cookie", s.f.a.Settings().SessionCookie+"=")
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK || rec.Body.String() != "reason:missing" {
			t.Fatalf("whoami = %d %q, want 200 reason:missing", rec.Code, rec.Body)
		}
	})
}

// The session record holds the user id and the login's two times, and
// nothing else about the user.
func TestSessionDataHoldsOnlyIDAndTimes(t *testing.T) {
	s := newSessionServer(t, Options{})
	token := s.login(t, "")
	b, found, err := s.f.sessions.Find(sessionKey(token))
	if err != nil || !found {
		t.Fatalf("Find = %v, %v", found, err)
	}
	_, values, err := s.f.a.Sessions.mgr.Codec.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	at := authtest.Start.UnixMilli()
	want := map[string]any{sessionUserKey: s.f.alice.ID, sessionLoginKey: at, sessionSeenKey: at}
	if !maps.Equal(values, want) {
		t.Fatalf("session data = %#v, want %#v", values, want)
	}
}

func TestSessionRecord(t *testing.T) {
	const idle, lifetime = 30 * time.Minute, 40 * time.Minute
	f := newFixture(t, Options{IdleTimeout: idle, Lifetime: lifetime})
	token := f.sessionLogin(t, f.alice, "")
	rec := f.identify(t, creds{session: token}).Session.Record

	if rec.UserID != f.alice.ID {
		t.Errorf("UserID = %d, want %d", rec.UserID, f.alice.ID)
	}
	if want := authtest.Start.Add(idle); !rec.IdleDeadline.Equal(want) {
		t.Errorf("IdleDeadline = %v, want clock + idle = %v", rec.IdleDeadline, want)
	}
	if want := authtest.Start.Add(lifetime); !rec.Deadline.Equal(want) || !rec.Login.Equal(authtest.Start) {
		t.Errorf("Login, Deadline = %v, %v; want %v, login + %v", rec.Login, rec.Deadline, authtest.Start, lifetime)
	}
	stored, found, err := f.sessions.Find(sessionKey(token))
	if err != nil || !found {
		t.Fatalf("Find = %v, %v", found, err)
	}
	if got := f.a.Sessions.RecordSize(rec); got <= 0 || got != len(stored) {
		t.Errorf("RecordSize = %d, want the %d bytes stored", got, len(stored))
	}

	// Seen 20 minutes in, the idle deadline would be 50 minutes: it is
	// never shown past the absolute one, and the session ends there.
	f.clock.Advance(20 * time.Minute)
	rec = f.identify(t, creds{session: token}).Session.Record
	if rec.UserID != f.alice.ID {
		t.Fatalf("the session did not load: %+v", rec)
	}
	if !rec.IdleDeadline.Equal(rec.Deadline) {
		t.Errorf("IdleDeadline = %v past Deadline %v", rec.IdleDeadline, rec.Deadline)
	}
	f.clock.Set(rec.Deadline)
	if st := f.identify(t, creds{session: token}).Session; ReasonFor(st.Err) != ReasonExpired {
		t.Errorf("at the deadline: %+v, want expired", st)
	}
}

// TestSessionWritesOncePerStep defends the idle timeout's cost and its
// bound: requests within one step of the last write change nothing in the
// store and send no cookie, the first one past it writes the record back,
// and the idle deadline is then measured from that request.
func TestSessionWritesOncePerStep(t *testing.T) {
	const idle = 10 * time.Minute // a step of one minute
	s := newSessionServer(t, Options{IdleTimeout: idle})
	clock, store := s.f.clock, s.f.sessions
	if got := s.f.a.Settings().IdleStep; got != time.Minute {
		t.Fatalf("Settings().IdleStep = %v, want 1m", got)
	}
	token := s.login(t, "")
	if store.commits != 1 {
		t.Fatalf("login committed %d times, want 1", store.commits)
	}
	for _, at := range []time.Duration{time.Second, 30 * time.Second, time.Minute - time.Millisecond} {
		clock.Set(authtest.Start.Add(at))
		if set, body := s.do(t, http.MethodGet, "/whoami", token); set != nil || !strings.HasPrefix(body, "user:alice") {
			t.Fatalf("at %v: cookie %v, body %q; want alice and no cookie", at, set, body)
		}
	}
	if store.commits != 1 {
		t.Fatalf("requests within the step committed %d times, want none", store.commits-1)
	}
	clock.Set(authtest.Start.Add(time.Minute))
	if set, _ := s.do(t, http.MethodGet, "/whoami", token); set == nil || set.Value != token {
		t.Fatalf("the request a step on set %v, want the same token again", set)
	}
	if store.commits != 2 {
		t.Fatalf("the request a step on committed %d times, want 1", store.commits-1)
	}
	// Idle from that request on: alive just before idle has passed, ended at it.
	clock.Set(authtest.Start.Add(time.Minute + idle - time.Millisecond))
	if _, body := s.do(t, http.MethodGet, "/whoami", token); !strings.HasPrefix(body, "user:alice") {
		t.Fatalf("just inside the idle timeout: %q", body)
	}
	clock.Set(authtest.Start.Add(time.Minute + idle - time.Millisecond + idle))
	if _, body := s.do(t, http.MethodGet, "/whoami", token); !strings.HasPrefix(body, "reason:expired") {
		t.Fatalf("idle for the whole timeout: %q, want expired", body)
	}
}

// TestSessionTimeouts moves the clock: a session ends after IdleTimeout
// without a request, and after Lifetime however busy.
func TestSessionTimeouts(t *testing.T) {
	type step struct {
		advance time.Duration
		want    string
	}
	tests := []struct {
		name  string
		opts  Options
		steps []step
	}{
		{"idle timeout", Options{IdleTimeout: 30 * time.Minute, Lifetime: 24 * time.Hour}, []step{
			{29 * time.Minute, "user:alice"},
			// That request moved the idle deadline on.
			{29 * time.Minute, "user:alice"},
			{30*time.Minute + time.Second, "reason:expired"},
		}},
		{"absolute lifetime", Options{IdleTimeout: time.Hour, Lifetime: 2 * time.Hour}, []step{
			{50 * time.Minute, "user:alice"},
			{50 * time.Minute, "user:alice"},
			// 1h59m after login, in use all along.
			{19 * time.Minute, "user:alice"},
			{2 * time.Minute, "reason:expired"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSessionServer(t, tc.opts)
			token := s.login(t, "")
			elapsed := time.Duration(0)
			for _, st := range tc.steps {
				s.f.clock.Advance(st.advance)
				elapsed += st.advance
				if _, body := s.do(t, http.MethodGet, "/whoami", token); !strings.HasPrefix(body, st.want) {
					t.Fatalf("whoami %v after login = %q, want %q", elapsed, body, st.want)
				}
			}
		})
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	for _, secure := range []bool{false, true} {
		name := "authlab_session"
		if secure {
			name = "__Host-authlab_session"
		}
		t.Run(name, func(t *testing.T) {
			s := newSessionServer(t, Options{Secure: secure})
			if got := s.f.a.Settings().SessionCookie; got != name {
				t.Fatalf("Settings().SessionCookie = %q, want %q", got, name)
			}
			set, _ := s.do(t, http.MethodPost, "/login", "")
			if set == nil {
				t.Fatal("login set no cookie")
			}
			assertCookieAttrs(t, set, name, secure)
			if set.MaxAge != 0 || !set.Expires.IsZero() {
				t.Errorf("session cookie has MaxAge %d, Expires %v; want a browser-session cookie", set.MaxAge, set.Expires)
			}
			cleared, _ := s.do(t, http.MethodPost, "/logout", set.Value)
			if cleared == nil {
				t.Fatal("logout set no cookie")
			}
			assertCookieAttrs(t, cleared, name, secure)
			if cleared.MaxAge >= 0 {
				t.Errorf("logout cookie MaxAge = %d, want it deleted", cleared.MaxAge)
			}
		})
	}
}

func TestSessionsRequire(t *testing.T) {
	f := newFixture(t, Options{})
	token := f.sessionLogin(t, f.alice, "")
	tests := []struct {
		name  string
		token string
		want  Reason
	}{
		{"signed in", token, ""},
		{"anonymous", "", ReasonMissing},
		{"garbage", "garbage", ReasonMalformed},
		{"ended", strings.Repeat("A", 43), ReasonExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var denied error
			var reached bool
			deny := func(w http.ResponseWriter, r *http.Request, err error) {
				denied = err
				w.WriteHeader(http.StatusUnauthorized)
			}
			rec := f.serve(f.request(http.MethodGet, "/session/dashboard", creds{session: tc.token}), func(w http.ResponseWriter, r *http.Request) {
				reached = true
				if id, ok := IdentityFrom(r.Context()); !ok || id.Session.User.ID != f.alice.ID {
					t.Errorf("IdentityFrom = %+v, %v; want alice's session", id.Session, ok)
				}
			}, f.a.Sessions.Require(deny))
			if tc.want == "" {
				if !reached || denied != nil || rec.Code != http.StatusOK {
					t.Fatalf("reached %v, denied %v, status %d", reached, denied, rec.Code)
				}
				return
			}
			if reached {
				t.Fatal("the protected handler ran")
			}
			if got := ReasonFor(denied); got != tc.want || rec.Code != http.StatusUnauthorized {
				t.Fatalf("deny got %v (%q), status %d; want %q, 401", denied, got, rec.Code, tc.want)
			}
		})
	}
	if errs := f.errors(); len(errs) != 0 {
		t.Fatalf("ErrorFunc called with %v", errs)
	}
}

type brokenSessionStore struct{ *memstore.MemStore }

var errSessionStore = errors.New("session store down")

func (brokenSessionStore) Find(string) ([]byte, bool, error) { return nil, false, errSessionStore }

// A session store that fails answers through Options.ErrorFunc, and no
// handler runs without its session.
func TestSessionErrorFunc(t *testing.T) {
	var got error
	f := newFixture(t, Options{
		SessionStore: brokenSessionStore{memstore.NewWithCleanupInterval(0)},
		ErrorFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			w.WriteHeader(http.StatusServiceUnavailable)
		},
	})
	reached := false
	rec := f.serve(f.request(http.MethodGet, "/", creds{session: strings.Repeat("A", 43)}), func(http.ResponseWriter, *http.Request) { reached = true })
	if !errors.Is(got, errSessionStore) || rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("ErrorFunc got %v, status %d", got, rec.Code)
	}
	if reached {
		t.Fatal("the handler ran without a session")
	}
}

// BenchmarkRecordCodec compares the session record's encoding with scs's
// default gob, both ways.
func BenchmarkRecordCodec(b *testing.B) {
	deadline := authtest.Start.Add(24 * time.Hour)
	values := map[string]any{sessionUserKey: int64(1), sessionLoginKey: int64(1740830400000), sessionSeenKey: int64(1740830400000)}
	for _, c := range []struct {
		name  string
		codec scs.Codec
	}{{"record", recordCodec{}}, {"gob", scs.GobCodec{}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				enc, err := c.codec.Encode(deadline, values)
				if err != nil {
					b.Fatal(err)
				}
				if _, got, err := c.codec.Decode(enc); err != nil || got[sessionUserKey] != int64(1) {
					b.Fatalf("Decode = %v, %v", got, err)
				}
			}
		})
	}
}

// ctxStore is a session store that takes a context, and remembers the
// last one its FindCtx was given.
type ctxStore struct {
	*clockStore
	mu   sync.Mutex
	last context.Context
}

func (s *ctxStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	s.mu.Lock()
	s.last = ctx
	s.mu.Unlock()
	return s.Find(token)
}

func (s *ctxStore) CommitCtx(_ context.Context, token string, b []byte, expiry time.Time) error {
	return s.Commit(token, b, expiry)
}

func (s *ctxStore) DeleteCtx(_ context.Context, token string) error { return s.Delete(token) }

// TestStoreGetsTheRequestsContext holds that a store which takes a
// context is handed the request's, so that it can stop work for a client
// that went away.
func TestStoreGetsTheRequestsContext(t *testing.T) {
	type key struct{}
	clock := authtest.NewClock()
	store := &ctxStore{clockStore: newClockStore(clock)}
	f := newFixture(t, Options{SessionStore: store})
	token := loginSession(t, f, f.alice, "Firefox/128", "198.51.100.7")
	r := f.request(http.MethodGet, "/", creds{session: token})
	r = r.WithContext(context.WithValue(r.Context(), key{}, "this request"))
	f.serve(r, func(http.ResponseWriter, *http.Request) {})
	store.mu.Lock()
	defer store.mu.Unlock()
	if store.last == nil || store.last.Value(key{}) != "this request" {
		t.Error("the store's FindCtx was not given the request's context")
	}
}
