package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"
)

type sessionFixture struct {
	sessions  *Sessions
	store     *memstore.MemStore
	userStore *memUsers
	alice     User
	clock     *fakeClock
	handler   http.Handler
}

func newSessionFixture(t *testing.T, cfg SessionConfig) *sessionFixture {
	t.Helper()
	f := &sessionFixture{store: memstore.NewWithCleanupInterval(0), clock: newFakeClock()}
	var users *Users
	users, f.userStore, f.alice = newTestUsers(t)
	cfg.Store = f.store
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = 24 * time.Hour
	}
	cfg.Clock = f.clock.Now
	f.sessions = NewSessions(cfg, users)

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if err := f.sessions.Login(r.Context(), f.alice); err != nil {
			t.Error(err)
		}
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := f.sessions.Logout(r.Context()); err != nil {
			t.Error(err)
		}
	})
	// An anonymous session, such as an attacker can obtain and plant.
	mux.HandleFunc("POST /anon", func(w http.ResponseWriter, r *http.Request) {
		f.sessions.mgr.Put(r.Context(), "cart", "socks")
	})
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		u, err := f.sessions.Current(r)
		if err != nil {
			fmt.Fprintf(w, "reason:%s", ReasonFor(err))
			return
		}
		rec := f.sessions.Record(r.Context())
		fmt.Fprintf(w, "user:%s id:%d record:%d idle:%s", u.Username, u.ID, rec.UserID, rec.IdleDeadline.Format(time.RFC3339))
	})
	f.handler = f.sessions.LoadAndSave(mux)
	return f
}

// do sends one request with the session cookie value token ("" for none)
// and returns the session cookie set, if any, and the body.
func (f *sessionFixture) do(t *testing.T, method, path, token string) (*http.Cookie, string) {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	if token != "" {
		r.AddCookie(&http.Cookie{Name: f.sessions.CookieName(), Value: token})
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, r)
	res := rec.Result()
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
func (f *sessionFixture) login(t *testing.T, planted string) string {
	t.Helper()
	set, _ := f.do(t, http.MethodPost, "/login", planted)
	if set == nil || set.Value == "" {
		t.Fatal("login set no session cookie")
	}
	return set.Value
}

func TestSessionLoginRenewsToken(t *testing.T) {
	f := newSessionFixture(t, SessionConfig{})
	planted, _ := f.do(t, http.MethodPost, "/anon", "")
	if planted == nil {
		t.Fatal("no anonymous session to plant")
	}
	if _, found, _ := f.store.Find(planted.Value); !found {
		t.Fatal("the planted session is not live; this test would prove nothing")
	}

	token := f.login(t, planted.Value)
	if token == planted.Value {
		t.Fatal("login kept the planted session token (session fixation)")
	}
	if !scsToken.MatchString(token) {
		t.Errorf("new token %q does not look like an scs token", token)
	}
	if _, body := f.do(t, http.MethodGet, "/whoami", token); !strings.HasPrefix(body, "user:alice") {
		t.Fatalf("new token: %q, want alice", body)
	}
	if _, body := f.do(t, http.MethodGet, "/whoami", planted.Value); body != "reason:expired" {
		t.Fatalf("planted token after login: %q, want reason:expired", body)
	}
	if _, found, _ := f.store.Find(planted.Value); found {
		t.Fatal("the planted session's record outlived the login")
	}
}

func TestSessionLogout(t *testing.T) {
	f := newSessionFixture(t, SessionConfig{})
	token := f.login(t, "")
	other := f.login(t, "") // alice on a second device

	set, _ := f.do(t, http.MethodPost, "/logout", token)
	if set == nil || set.Value != "" || set.MaxAge >= 0 {
		t.Fatalf("logout cookie = %+v, want it deleted", set)
	}
	if _, found, _ := f.store.Find(token); found {
		t.Fatal("logout left the session record in the store")
	}
	// A copy of the old token replayed later finds nothing.
	if _, body := f.do(t, http.MethodGet, "/whoami", token); body != "reason:expired" {
		t.Fatalf("replayed token after logout: %q, want reason:expired", body)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: f.sessions.CookieName(), Value: token})
	var err error
	f.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err = f.sessions.Current(r)
	})).ServeHTTP(httptest.NewRecorder(), r)
	if !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("Current(replayed token) err = %v, want ErrSessionEnded", err)
	}
	if _, body := f.do(t, http.MethodGet, "/whoami", other); !strings.HasPrefix(body, "user:alice") {
		t.Fatalf("logging out one session ended another: %q", body)
	}
}

func TestSessionCurrent(t *testing.T) {
	f := newSessionFixture(t, SessionConfig{})
	token := f.login(t, "")
	bob, err := f.userStore.CreateUser(context.Background(), "bob", "x")
	if err != nil {
		t.Fatal(err)
	}
	// bob logs in, then his account is deleted.
	bobToken := func() string {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		rec := httptest.NewRecorder()
		f.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := f.sessions.Login(r.Context(), bob); err != nil {
				t.Error(err)
			}
		})).ServeHTTP(rec, r)
		return rec.Result().Cookies()[0].Value
	}()
	f.userStore.delete("bob")

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
			if _, body := f.do(t, http.MethodGet, "/whoami", tc.token); !strings.HasPrefix(body, tc.want) {
				t.Fatalf("whoami = %q, want %q", body, tc.want)
			}
		})
	}

	t.Run("empty cookie", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", f.sessions.CookieName()+"=")
		var err error
		f.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, err = f.sessions.Current(r)
		})).ServeHTTP(httptest.NewRecorder(), r)
		if ReasonFor(err) != ReasonMissing {
			t.Fatalf("Current err = %v, want missing", err)
		}
	})
}

// The session record holds the user id and nothing else.
func TestSessionDataHoldsOnlyUserID(t *testing.T) {
	f := newSessionFixture(t, SessionConfig{})
	token := f.login(t, "")
	b, found, err := f.store.Find(token)
	if err != nil || !found {
		t.Fatalf("Find = %v, %v", found, err)
	}
	_, values, err := f.sessions.mgr.Codec.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(values) != 1 || values[sessionUserKey] != f.alice.ID {
		t.Fatalf("session data = %#v, want only %s = %d", values, sessionUserKey, f.alice.ID)
	}
}

func TestSessionRecord(t *testing.T) {
	const idle, lifetime = 30 * time.Minute, 24 * time.Hour
	f := newSessionFixture(t, SessionConfig{IdleTimeout: idle, Lifetime: lifetime})
	before := time.Now()
	token := f.login(t, "")
	after := time.Now()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: f.sessions.CookieName(), Value: token})
	var rec SessionRecord
	f.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := f.sessions.Current(r); err != nil {
			t.Fatal(err)
		}
		rec = f.sessions.Record(r.Context())
	})).ServeHTTP(httptest.NewRecorder(), r)

	if rec.UserID != f.alice.ID {
		t.Errorf("UserID = %d, want %d", rec.UserID, f.alice.ID)
	}
	if want := t0.Add(idle); !rec.IdleDeadline.Equal(want) {
		t.Errorf("IdleDeadline = %v, want clock + idle = %v", rec.IdleDeadline, want)
	}
	// scs sets the absolute deadline from the wall clock at login.
	if rec.Deadline.Before(before.Add(lifetime).Add(-time.Second)) || rec.Deadline.After(after.Add(lifetime).Add(time.Second)) {
		t.Errorf("Deadline = %v, want login + %v", rec.Deadline, lifetime)
	}
	if rec.Size <= 0 {
		t.Errorf("Size = %d, want the bytes stored", rec.Size)
	}

	// Idle deadline never shown past the absolute one.
	f.clock.Set(rec.Deadline.Add(time.Hour))
	f.sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := f.sessions.Current(r); err != nil {
			t.Fatal(err)
		}
		rec = f.sessions.Record(r.Context())
	})).ServeHTTP(httptest.NewRecorder(), r)
	if !rec.IdleDeadline.Equal(rec.Deadline) {
		t.Errorf("IdleDeadline = %v past Deadline %v", rec.IdleDeadline, rec.Deadline)
	}
}

// scs keeps its own wall-clock deadlines, so these use short settings and
// a sleep of a few milliseconds.
func TestSessionTimeouts(t *testing.T) {
	tests := []struct {
		name string
		cfg  SessionConfig
	}{
		{"idle timeout", SessionConfig{IdleTimeout: 5 * time.Millisecond, Lifetime: time.Hour}},
		{"absolute lifetime", SessionConfig{IdleTimeout: time.Hour, Lifetime: 5 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newSessionFixture(t, tc.cfg)
			token := f.login(t, "")
			time.Sleep(10 * time.Millisecond)
			if _, body := f.do(t, http.MethodGet, "/whoami", token); body != "reason:expired" {
				t.Fatalf("whoami after the %s = %q, want reason:expired", tc.name, body)
			}
		})
	}
}

// TestSessionSettings checks that the getters report the configured
// timeouts, which the /learn pages show.
func TestSessionSettings(t *testing.T) {
	const idle, lifetime = 7 * time.Minute, 3 * time.Hour
	f := newSessionFixture(t, SessionConfig{IdleTimeout: idle, Lifetime: lifetime})
	if got := f.sessions.IdleTimeout(); got != idle {
		t.Errorf("IdleTimeout = %v, want %v", got, idle)
	}
	if got := f.sessions.Lifetime(); got != lifetime {
		t.Errorf("Lifetime = %v, want %v", got, lifetime)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	for _, secure := range []bool{false, true} {
		name := "authlab_session"
		if secure {
			name = "__Host-authlab_session"
		}
		t.Run(name, func(t *testing.T) {
			f := newSessionFixture(t, SessionConfig{Secure: secure})
			if got := f.sessions.CookieName(); got != name {
				t.Fatalf("CookieName = %q, want %q", got, name)
			}
			set, _ := f.do(t, http.MethodPost, "/login", "")
			if set == nil {
				t.Fatal("login set no cookie")
			}
			assertCookieAttrs(t, set, name, secure)
			if set.MaxAge != 0 || !set.Expires.IsZero() {
				t.Errorf("session cookie has MaxAge %d, Expires %v; want a browser-session cookie", set.MaxAge, set.Expires)
			}
			cleared, _ := f.do(t, http.MethodPost, "/logout", set.Value)
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
	f := newSessionFixture(t, SessionConfig{})
	token := f.login(t, "")
	tests := []struct {
		name  string
		token string
		want  Reason
	}{
		{"signed in", token, ""},
		{"anonymous", "", ReasonMissing},
		{"garbage", "garbage", ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var denied error
			var reached bool
			h := f.sessions.LoadAndSave(f.sessions.Require(func(w http.ResponseWriter, r *http.Request, err error) {
				denied = err
			})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				if u, ok := UserFrom(r.Context()); !ok || u.ID != f.alice.ID {
					t.Errorf("UserFrom = %+v, %v; want alice", u, ok)
				}
			})))
			r := httptest.NewRequest(http.MethodGet, "/session/dashboard", nil)
			if tc.token != "" {
				r.AddCookie(&http.Cookie{Name: f.sessions.CookieName(), Value: tc.token})
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if tc.want == "" {
				if !reached || denied != nil {
					t.Fatalf("reached %v, denied %v", reached, denied)
				}
				return
			}
			if reached {
				t.Fatal("the protected handler ran")
			}
			if got := ReasonFor(denied); got != tc.want {
				t.Fatalf("deny got %v (%q), want %q", denied, got, tc.want)
			}
		})
	}
}

type brokenSessionStore struct{ *memstore.MemStore }

var errSessionStore = errors.New("session store down")

func (brokenSessionStore) Find(string) ([]byte, bool, error) { return nil, false, errSessionStore }

func TestSessionErrorFunc(t *testing.T) {
	users, _, _ := newTestUsers(t)
	var got error
	s := NewSessions(SessionConfig{
		Store:       brokenSessionStore{memstore.NewWithCleanupInterval(0)},
		IdleTimeout: time.Minute,
		Lifetime:    time.Hour,
		ErrorFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			got = err
			w.WriteHeader(http.StatusServiceUnavailable)
		},
	}, users)
	reached := false
	h := s.LoadAndSave(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: s.CookieName(), Value: strings.Repeat("A", 43)})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if !errors.Is(got, errSessionStore) || rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("ErrorFunc got %v, status %d", got, rec.Code)
	}
	if reached {
		t.Fatal("the handler ran without a session")
	}
}
