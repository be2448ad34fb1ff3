package routes_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/auth/authtest"
	"github.com/authlab/authlab/auth/sqlite"
	"github.com/authlab/authlab/routes"
)

// cheapParams keep argon2id fast under -race; production uses
// auth.DefaultParams, which main_test.go checks.
var cheapParams = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// testKey is the HMAC key every test server signs with, so tests can forge
// tokens with the right key and with a wrong one.
var testKey = []byte("authlab-routes-test-key-0123456789")

// serverConfig is what options change in newTestServer.
type serverConfig struct {
	store        string // "sqlite" or "memory"
	baseURL      string // "" means the test server's own URL
	secure       bool
	idle         time.Duration
	lifetime     time.Duration
	ttl          time.Duration
	key          []byte
	users        func(*sqlite.DB) auth.UserStore // wraps the user store; nil: the database itself
	ping         func(context.Context) error
	brokenLogins bool // the user store panics when a login looks a name up
	deps         []func(*routes.Deps)
	sqlite       sqlite.Options
	// trusted are the proxies whose X-Forwarded-For names the client.
	// The test client stands behind one on loopback, and each test names
	// its own address (see do), so one test's failed logins never
	// throttle another's.
	trusted []netip.Prefix
}

type option func(*serverConfig)

// withoutTrustedProxy makes the client the connection's address, whatever
// X-Forwarded-For says.
func withoutTrustedProxy() option { return func(c *serverConfig) { c.trusted = nil } }

func withMemoryStore() option { return func(c *serverConfig) { c.store = "memory" } }

func withHTTPSBaseURL() option {
	return func(c *serverConfig) { c.baseURL, c.secure = "https://authlab.example", true }
}

func withIdle(d time.Duration) option { return func(c *serverConfig) { c.idle = d } }

func withTokenTimes(ttl, lifetime time.Duration) option {
	return func(c *serverConfig) { c.ttl, c.lifetime = ttl, lifetime }
}

func withKey(key []byte) option { return func(c *serverConfig) { c.key = key } }

func withUsers(wrap func(*sqlite.DB) auth.UserStore) option {
	return func(c *serverConfig) { c.users = wrap }
}

// stubUsers is the test database's user store with two faults a test can
// switch on: one user deleted, or the database gone away.
type stubUsers struct {
	*sqlite.DB
	deleted atomic.Int64
	down    atomic.Bool
}

func (u *stubUsers) UserByID(ctx context.Context, id int64) (auth.User, error) {
	if u.down.Load() {
		return auth.User{}, fmt.Errorf("users: %w: connection refused", auth.ErrStoreUnavailable)
	}
	if id == u.deleted.Load() {
		return auth.User{}, auth.ErrNoUser
	}
	return u.DB.UserByID(ctx, id)
}

// withStubUsers serves users through stub.
func withStubUsers(stub *stubUsers) option {
	return withUsers(func(db *sqlite.DB) auth.UserStore {
		stub.DB = db
		return stub
	})
}

func withPing(f func(context.Context) error) option { return func(c *serverConfig) { c.ping = f } }

func withBrokenLogins() option { return func(c *serverConfig) { c.brokenLogins = true } }

// withDeps lets edit change the router's Deps last, before routes.New.
func withDeps(edit func(*routes.Deps)) option {
	return func(c *serverConfig) { c.deps = append(c.deps, edit) }
}

// testServer is the real router over real stores, with handles on what
// tests need to reach behind it.
type testServer struct {
	*httptest.Server
	dir   string // the data folder holding sqlite.FileName
	db    *sqlite.DB
	auth  *auth.Auth
	clock *authtest.Clock
	log   *authtest.Buffer
}

// panicUsers is a user store whose name look-up panics, as a store with a
// bug would, so that a login reaches the panic handler.
type panicUsers struct{ *sqlite.DB }

func (panicUsers) UserByName(context.Context, string) (auth.User, string, error) {
	panic("user store exploded")
}

// newTestServer starts the real router over a fresh SQLite database with
// user1/pass123 (id 1) and user2/pass456 (id 2), and the repository's own
// Go files as the source the /learn pages quote.
func newTestServer(t testing.TB, opts ...option) *testServer {
	t.Helper()
	cfg := serverConfig{store: "sqlite", idle: 30 * time.Minute, lifetime: 24 * time.Hour, ttl: 15 * time.Minute, key: testKey,
		trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := t.Context()
	dir := t.TempDir()
	db, err := sqlite.OpenWith(ctx, dir, cfg.sqlite)
	if err != nil {
		t.Fatalf("sqlite.OpenWith: %v", err)
	}
	t.Cleanup(func() { db.Close() })

	clock := authtest.NewClock()
	clock.Set(time.Now().UTC().Truncate(time.Second))
	logs := &authtest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	web := routes.NewResponder(log, "test-instance")

	var store scs.Store = db.SessionStore()
	if cfg.store == "memory" {
		// No cleanup goroutine: memstore's StopCleanup races with its start.
		store = memstore.NewWithCleanupInterval(0)
	}
	newAuth := func(users auth.UserStore) *auth.Auth {
		a, err := auth.New(ctx, auth.Options{
			Users:         users,
			SessionStore:  store,
			Revocations:   db,
			Logins:        db,
			Throttle:      db,
			ClientAddress: routes.ClientAddresses(cfg.trusted),
			Key:           cfg.key,
			Hasher:        auth.NewHasher(cheapParams, 0),
			IdleTimeout:   cfg.idle,
			Lifetime:      cfg.lifetime,
			TokenTTL:      cfg.ttl,
			Secure:        cfg.secure,
			Clock:         clock.Now,
			ErrorFunc:     web.Fail,
		})
		if err != nil {
			t.Fatalf("auth.New: %v", err)
		}
		return a
	}
	a := newAuth(db)
	for _, c := range [][2]string{{"user1", "pass123"}, {"user2", "pass456"}} {
		if _, err := a.Users.Seed(ctx, c[0], c[1]); err != nil {
			t.Fatalf("seed %s: %v", c[0], err)
		}
	}
	switch {
	case cfg.brokenLogins:
		a = newAuth(panicUsers{db})
	case cfg.users != nil:
		a = newAuth(cfg.users(db))
	}

	srv := httptest.NewUnstartedServer(nil)
	base := cfg.baseURL
	if base == "" {
		base = "http://" + srv.Listener.Addr().String()
	}
	ping := db.Ping
	if cfg.ping != nil {
		ping = cfg.ping
	}
	deps := routes.Deps{
		Web:          web,
		Auth:         a,
		Ping:         ping,
		BaseURL:      base,
		SessionStore: cfg.store,
		Source:       os.DirFS(".."),
	}
	for _, edit := range cfg.deps {
		edit(&deps)
	}
	h, err := routes.New(deps)
	if err != nil {
		t.Fatalf("routes.New: %v", err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return &testServer{Server: srv, dir: dir, db: db, auth: a, clock: clock, log: logs}
}

// browser returns a client with its own cookie jar that hands redirects
// back instead of following them.
func (ts *testServer) browser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := ts.curl()
	c.Jar = jar
	return c
}

// curl returns a client with no cookie jar: every cookie it sends is one
// the test wrote into the request.
func (ts *testServer) curl() *http.Client {
	return &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       20 * time.Second,
	}
}

// response is a finished exchange, body read.
type response struct {
	status  int
	header  http.Header
	body    string
	cookies []*http.Cookie
}

func (r response) location() string { return r.header.Get("Location") }

// cookie returns the Set-Cookie named name, or nil.
func (r response) cookie(name string) *http.Cookie {
	for _, c := range r.cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// do sends one request. header is pairs of name and value.
func (ts *testServer) do(t testing.TB, c *http.Client, method, path, contentType string, body io.Reader, header ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	if req.Header.Get("X-Forwarded-For") == "" {
		req.Header.Set("X-Forwarded-For", testAddress(t))
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b), cookies: resp.Cookies()}
}

func (ts *testServer) get(t testing.TB, c *http.Client, path string, header ...string) response {
	t.Helper()
	return ts.do(t, c, http.MethodGet, path, "", nil, header...)
}

func (ts *testServer) postForm(t testing.TB, c *http.Client, path string, form url.Values, header ...string) response {
	t.Helper()
	return ts.do(t, c, http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), header...)
}

// testAddress is the client address a test's requests come from: one per
// test, in 10.0.0.0/8, so that throttling counts each test on its own.
func testAddress(t testing.TB) string {
	h := fnv.New32a()
	h.Write([]byte(t.Name()))
	n := h.Sum32()
	return fmt.Sprintf("10.%d.%d.%d", n>>16&0xff, n>>8&0xff, n&0xff)
}

func creds(username, password string) url.Values {
	return url.Values{"username": {username}, "password": {password}}
}

// login signs c in under strategy ("session" or "jwt") and returns the
// value of the cookie it set.
func (ts *testServer) login(t testing.TB, c *http.Client, strategy, username, password string) string {
	t.Helper()
	r := ts.postForm(t, c, "/"+strategy+"/login", creds(username, password))
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /%s/login as %s: status %d, want 303", strategy, username, r.status)
	}
	name := map[string]string{"session": "authlab_session", "jwt": "authlab_token"}[strategy]
	ck := r.cookie(name)
	if ck == nil || ck.Value == "" {
		t.Fatalf("POST /%s/login set no %s cookie; Set-Cookie: %q", strategy, name, r.header.Values("Set-Cookie"))
	}
	return ck.Value
}

// jarCookie returns the value c's jar holds for name ("" if none).
func (ts *testServer) jarCookie(t *testing.T, c *http.Client, name string) string {
	t.Helper()
	u, _ := url.Parse(ts.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// plant puts a cookie in c's jar, as an attacker or a stale tab would.
func (ts *testServer) plant(t *testing.T, c *http.Client, name, value string) {
	t.Helper()
	u, _ := url.Parse(ts.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

type strategyJSON struct {
	Authenticated bool       `json:"authenticated"`
	Reason        string     `json:"reason"`
	UserID        int64      `json:"userId"`
	Username      string     `json:"username"`
	Source        string     `json:"source"`
	ExpiresAt     *time.Time `json:"expiresAt"`
}

type statusJSON struct {
	Instance      string `json:"instance"`
	Authenticated bool   `json:"authenticated"`
	UserID        int64  `json:"userId"`
	Username      string `json:"username"`
	Strategies    struct {
		Session strategyJSON `json:"session"`
		JWT     strategyJSON `json:"jwt"`
	} `json:"strategies"`
}

// status asks GET /api/auth who c is; header is pairs as for do.
func (ts *testServer) status(t *testing.T, c *http.Client, header ...string) statusJSON {
	t.Helper()
	r := ts.get(t, c, "/api/auth", header...)
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/auth: status %d, want 200; body %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET /api/auth: Content-Type %q, want application/json", ct)
	}
	var s statusJSON
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		t.Fatalf("GET /api/auth: %v in %s", err, r.body)
	}
	return s
}

// parseToken verifies raw with the test key and returns its claims.
func (ts *testServer) parseToken(t *testing.T, raw string) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(ts.clock.Now)).
		ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return testKey, nil })
	if err != nil {
		t.Fatalf("token %q does not verify with the test key: %v", raw, err)
	}
	return claims
}

// openDB opens the test server's SQLite file beside the server's own
// connection, to age or delete rows behind its back.
func (ts *testServer) openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(ts.dir, sqlite.FileName)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// assertHTML checks a page answer.
func assertHTML(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d; body:\n%s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q, want text/html; charset=utf-8", ct)
	}
	if !strings.Contains(r.body, "</html>") {
		t.Errorf("body is not a whole page:\n%s", r.body)
	}
}

// assertJSONError checks an /api/ error answer and returns its message.
func assertJSONError(t *testing.T, r response, status int) string {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var e map[string]any
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, r.body)
	}
	msg, _ := e["error"].(string)
	if msg == "" || len(e) != 1 {
		t.Errorf("body %s, want exactly {\"error\":\"…\"}", r.body)
	}
	return msg
}

// testID returns the text inside the element with data-testid id, or "".
func testID(body, id string) string {
	re := regexp.MustCompile(`data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

func TestPagesAnonymous(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.browser(t)
	tests := []struct {
		name     string
		path     string
		status   int
		ctype    string
		location string
		contains []string
	}{
		{name: "home", path: "/", status: http.StatusOK, ctype: "text/html; charset=utf-8",
			contains: []string{`href="/session/login"`, `href="/jwt/login"`, `href="/compare"`}},
		{name: "session login form", path: "/session/login", status: http.StatusOK, ctype: "text/html; charset=utf-8",
			contains: []string{`action="/session/login"`, `name="username"`, `name="password"`}},
		{name: "jwt login form", path: "/jwt/login", status: http.StatusOK, ctype: "text/html; charset=utf-8",
			contains: []string{`action="/jwt/login"`, `name="username"`, `name="password"`}},
		{name: "login form keeps a local next", path: "/session/login?next=%2Fcompare", status: http.StatusOK,
			ctype: "text/html; charset=utf-8", contains: []string{`name="next"`, `value="/compare"`}},
		{name: "signup form", path: "/signup", status: http.StatusOK, ctype: "text/html; charset=utf-8",
			contains: []string{`action="/signup"`, `name="username"`, `name="password"`}},
		{name: "compare, both signed out", path: "/compare", status: http.StatusOK, ctype: "text/html; charset=utf-8",
			contains: []string{`data-testid="reason-session">missing<`, `data-testid="reason-jwt">missing<`}},
		{name: "session dashboard", path: "/session/dashboard", status: http.StatusSeeOther,
			location: "/session/login?next=%2Fsession%2Fdashboard"},
		{name: "jwt dashboard", path: "/jwt/dashboard", status: http.StatusSeeOther,
			location: "/jwt/login?next=%2Fjwt%2Fdashboard"},
		{name: "healthz", path: "/healthz", status: http.StatusOK, ctype: "text/plain; charset=utf-8"},
		{name: "stylesheet", path: "/static/app.css", status: http.StatusOK, ctype: "text/css; charset=utf-8"},
		{name: "favicon", path: "/static/favicon.svg", status: http.StatusOK, ctype: "image/svg+xml"},
		{name: "missing static file", path: "/static/nope.css", status: http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, c, tc.path)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d; body:\n%s", r.status, tc.status, r.body)
			}
			if tc.ctype != "" && r.header.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", r.header.Get("Content-Type"), tc.ctype)
			}
			if r.location() != tc.location {
				t.Errorf("Location %q, want %q", r.location(), tc.location)
			}
			for _, s := range tc.contains {
				if !strings.Contains(r.body, s) {
					t.Errorf("body lacks %s", s)
				}
			}
			if len(r.cookies) != 0 {
				t.Errorf("an anonymous GET set cookies: %q", r.header.Values("Set-Cookie"))
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	t.Run("database answers", func(t *testing.T) {
		ts := newTestServer(t)
		r := ts.get(t, ts.curl(), "/healthz")
		if r.status != http.StatusOK || r.body != "ok" {
			t.Errorf("got %d %q, want 200 \"ok\"", r.status, r.body)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
	})
	t.Run("database down", func(t *testing.T) {
		ts := newTestServer(t, withPing(func(context.Context) error { return errors.New("disk on fire") }))
		r := ts.get(t, ts.curl(), "/healthz")
		if r.status != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 503", r.status)
		}
		if strings.Contains(r.body, "ok") || strings.Contains(r.body, "disk on fire") {
			t.Errorf("body %q says ok or leaks the error", r.body)
		}
	})
}

// strategy describes one login strategy for tests that run the same flow
// under both.
type strategy struct {
	key       string // "session" or "jwt"
	cookie    string
	login     string
	dashboard string
	logout    string
	// afterLogout is the API's reason for the old cookie replayed after
	// logout: the server ended both, the session by deleting its record
	// and noting the login ended, the JWT by listing its jti and sid.
	afterLogout string
}

var strategies = []strategy{
	{key: "session", cookie: "authlab_session", login: "/session/login", dashboard: "/session/dashboard",
		logout: "/session/logout", afterLogout: "revoked"},
	{key: "jwt", cookie: "authlab_token", login: "/jwt/login", dashboard: "/jwt/dashboard",
		logout: "/jwt/logout", afterLogout: "revoked"},
}

func (st strategy) of(s statusJSON) strategyJSON {
	if st.key == "session" {
		return s.Strategies.Session
	}
	return s.Strategies.JWT
}

func (st strategy) other() strategy {
	if st.key == "session" {
		return strategies[1]
	}
	return strategies[0]
}

func (st strategy) toLogin() string { return st.login + "?next=" + url.QueryEscape(st.dashboard) }

// TestStrategyFlow walks each strategy through login, its dashboard, the
// other strategy's dashboard, the API, the compare page and logout, over
// both session stores.
func TestStrategyFlow(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "memory"} {
		for _, st := range strategies {
			t.Run(store+"/"+st.key, func(t *testing.T) {
				t.Parallel()
				var opts []option
				if store == "memory" {
					opts = append(opts, withMemoryStore())
				}
				ts := newTestServer(t, opts...)
				c := ts.browser(t)

				r := ts.postForm(t, c, st.login, creds("user1", "pass123"))
				if r.status != http.StatusSeeOther || r.location() != st.dashboard {
					t.Fatalf("login: %d to %q, want 303 to %s", r.status, r.location(), st.dashboard)
				}
				if r.cookie(st.other().cookie) != nil {
					t.Errorf("login set the other strategy's cookie %s", st.other().cookie)
				}
				value := ts.jarCookie(t, c, st.cookie)

				r = ts.get(t, c, st.dashboard)
				assertHTML(t, r, http.StatusOK)
				if got := testID(r.body, "dashboard-user"); got != "user1" {
					t.Errorf("dashboard shows user %q, want user1", got)
				}

				r = ts.get(t, c, st.other().dashboard)
				if r.status != http.StatusSeeOther || r.location() != st.other().toLogin() {
					t.Errorf("other dashboard: %d to %q, want 303 to %s", r.status, r.location(), st.other().toLogin())
				}

				s := ts.status(t, c)
				if !s.Authenticated || s.UserID != 1 || s.Username != "user1" {
					t.Errorf("API: %+v, want authenticated as user 1, user1", s)
				}
				if got := st.of(s); !got.Authenticated || got.UserID != 1 || got.ExpiresAt == nil {
					t.Errorf("API %s: %+v, want authenticated as user 1 with expiresAt", st.key, got)
				}
				if got := st.other().of(s); got.Authenticated || got.Reason != "missing" {
					t.Errorf("API %s: %+v, want reason missing", st.other().key, got)
				}

				r = ts.get(t, c, "/compare")
				assertHTML(t, r, http.StatusOK)
				if got := testID(r.body, "state-"+st.key); !strings.HasPrefix(got, "Signed in as") {
					t.Errorf("compare %s panel: %q, want signed in", st.key, got)
				}
				if got := testID(r.body, "reason-"+st.other().key); got != "missing" {
					t.Errorf("compare %s reason %q, want missing", st.other().key, got)
				}

				r = ts.postForm(t, c, st.logout, nil)
				if want := "/compare?loggedout=" + st.key; r.status != http.StatusSeeOther || r.location() != want {
					t.Fatalf("logout: %d to %q, want 303 to %s", r.status, r.location(), want)
				}
				notice := ts.get(t, c, r.location())
				if got := testID(notice.body, "logout-notice"); !strings.Contains(got, "You logged out of the "+map[string]string{"session": "server session", "jwt": "JWT login"}[st.key]) {
					t.Errorf("compare after logout: notice %q", got)
				}
				if ck := r.cookie(st.cookie); ck == nil || ck.MaxAge >= 0 {
					t.Errorf("logout did not expire the %s cookie: %q", st.cookie, r.header.Values("Set-Cookie"))
				}
				if v := ts.jarCookie(t, c, st.cookie); v != "" {
					t.Errorf("jar still holds %s=%s after logout", st.cookie, v)
				}
				r = ts.get(t, c, st.dashboard)
				if r.status != http.StatusSeeOther || r.location() != st.toLogin() {
					t.Errorf("dashboard after logout: %d to %q, want 303 to %s", r.status, r.location(), st.toLogin())
				}

				// The logged-out cookie, replayed, is refused.
				replay := ts.curl()
				hdr := []string{"Cookie", st.cookie + "=" + value}
				r = ts.get(t, replay, st.dashboard, hdr...)
				if r.status != http.StatusSeeOther || r.location() != st.toLogin() {
					t.Errorf("replayed cookie on dashboard: %d to %q, want 303 to %s", r.status, r.location(), st.toLogin())
				}
				if got := st.of(ts.status(t, replay, hdr...)); got.Authenticated || got.Reason != st.afterLogout {
					t.Errorf("replayed cookie: %+v, want reason %s", got, st.afterLogout)
				}
			})
		}
	}
}

func TestLoginForm(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tests := []struct {
		name     string
		body     string
		status   int
		location string // for 303
	}{
		{name: "right password", body: creds("user1", "pass123").Encode(), status: http.StatusSeeOther, location: "dashboard"},
		{name: "username in capitals", body: creds("  User1 ", "pass123").Encode(), status: http.StatusSeeOther, location: "dashboard"},
		{name: "second user", body: creds("user2", "pass456").Encode(), status: http.StatusSeeOther, location: "dashboard"},
		{name: "wrong password", body: creds("user1", "pass124").Encode(), status: http.StatusUnauthorized},
		{name: "another user's password", body: creds("user1", "pass456").Encode(), status: http.StatusUnauthorized},
		{name: "unknown user", body: creds("nobody", "pass123").Encode(), status: http.StatusUnauthorized},
		{name: "empty form", body: "", status: http.StatusUnauthorized},
		{name: "password in wrong case", body: creds("user1", "PASS123").Encode(), status: http.StatusUnauthorized},
		{name: "unreadable form", body: "username=%zz&password=pass123", status: http.StatusBadRequest},
		{name: "form over 1 MiB", body: "username=user1&password=" + strings.Repeat("x", 1<<20), status: http.StatusRequestEntityTooLarge},
	}
	for _, st := range strategies {
		for _, tc := range tests {
			t.Run(st.key+"/"+tc.name, func(t *testing.T) {
				r := ts.do(t, ts.browser(t), http.MethodPost, st.login, "application/x-www-form-urlencoded", strings.NewReader(tc.body))
				switch tc.status {
				case http.StatusSeeOther:
					if r.status != tc.status || r.location() != st.dashboard {
						t.Fatalf("%d to %q, want 303 to %s", r.status, r.location(), st.dashboard)
					}
					if ck := r.cookie(st.cookie); ck == nil || ck.Value == "" {
						t.Errorf("no %s cookie set", st.cookie)
					}
				case http.StatusUnauthorized:
					assertHTML(t, r, http.StatusUnauthorized)
					if !strings.Contains(r.body, "Invalid username or password.") {
						t.Errorf("body lacks the login error")
					}
					for _, leak := range []string{"unknown user", "no such user", "wrong password", "does not exist"} {
						if strings.Contains(strings.ToLower(r.body), leak) {
							t.Errorf("body says %q: it must not tell which was wrong", leak)
						}
					}
					if len(r.cookies) != 0 {
						t.Errorf("failed login set cookies: %q", r.header.Values("Set-Cookie"))
					}
				default:
					assertHTML(t, r, tc.status)
					if len(r.cookies) != 0 {
						t.Errorf("refused login set cookies: %q", r.header.Values("Set-Cookie"))
					}
				}
			})
		}
	}

	t.Run("one message for unknown user and wrong password", func(t *testing.T) {
		for _, st := range strategies {
			unknown := ts.postForm(t, ts.curl(), st.login, creds("nosuchuser", "pass123"))
			wrong := ts.postForm(t, ts.curl(), st.login, creds("nosuchuser", "wrongpass"))
			user := ts.postForm(t, ts.curl(), st.login, creds("user2", "wrongpass"))
			if unknown.status != http.StatusUnauthorized || user.status != http.StatusUnauthorized {
				t.Fatalf("%s: statuses %d and %d, want 401 for both", st.key, unknown.status, user.status)
			}
			// The pages differ only in the username echoed into the form.
			a := strings.ReplaceAll(unknown.body, `value="nosuchuser"`, `value="USER"`)
			b := strings.ReplaceAll(user.body, `value="user2"`, `value="USER"`)
			if a != b {
				t.Errorf("%s: the 401 page for an unknown user differs from the one for a wrong password", st.key)
			}
			if unknown.body != wrong.body {
				t.Errorf("%s: the 401 page depends on the password typed", st.key)
			}
		}
	})
}

func TestSignup(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tests := []struct {
		name     string
		username string
		password string
		status   int
		contains string
	}{
		{name: "new account", username: "alice", password: "correct horse", status: http.StatusCreated, contains: "alice"},
		{name: "every allowed character", username: "a_b.c-9", password: "12345678", status: http.StatusCreated, contains: "a_b.c-9"},
		{name: "taken name", username: "user1", password: "long enough", status: http.StatusConflict, contains: "taken"},
		{name: "taken name in capitals", username: "USER2", password: "long enough", status: http.StatusConflict, contains: "taken"},
		{name: "username too short", username: "ab", password: "long enough", status: http.StatusUnprocessableEntity, contains: "3 to 32"},
		{name: "username too long", username: strings.Repeat("a", 33), password: "long enough", status: http.StatusUnprocessableEntity, contains: "3 to 32"},
		{name: "username with a space", username: "bad name", password: "long enough", status: http.StatusUnprocessableEntity, contains: "3 to 32"},
		{name: "username with a slash", username: "bad/name", password: "long enough", status: http.StatusUnprocessableEntity, contains: "3 to 32"},
		{name: "password too short", username: "bob", password: "1234567", status: http.StatusUnprocessableEntity, contains: "8 to 128"},
		{name: "password too long", username: "bob", password: strings.Repeat("p", 129), status: http.StatusUnprocessableEntity, contains: "8 to 128"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.postForm(t, ts.curl(), "/signup", creds(tc.username, tc.password))
			assertHTML(t, r, tc.status)
			if !strings.Contains(r.body, tc.contains) {
				t.Errorf("body lacks %q", tc.contains)
			}
			if len(r.cookies) != 0 {
				t.Errorf("signup set cookies: %q", r.header.Values("Set-Cookie"))
			}
		})
	}
	t.Run("the new account logs in under both strategies", func(t *testing.T) {
		for _, st := range strategies {
			ts.login(t, ts.browser(t), st.key, "alice", "correct horse")
		}
	})
	t.Run("a refused signup creates nothing", func(t *testing.T) {
		r := ts.postForm(t, ts.curl(), "/session/login", creds("bob", "1234567"))
		if r.status != http.StatusUnauthorized {
			t.Errorf("login as the refused bob: status %d, want 401", r.status)
		}
	})
}

func TestCompareToggle(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.browser(t)
	ts.login(t, c, "session", "user1", "pass123")
	tests := []struct {
		name   string
		query  string
		status int
		first  string // the panel shown first
	}{
		{name: "side by side", query: "", status: http.StatusOK, first: "session"},
		{name: "session in front", query: "?strategy=session", status: http.StatusOK, first: "session"},
		{name: "jwt in front", query: "?strategy=jwt", status: http.StatusOK, first: "jwt"},
		{name: "unknown strategy", query: "?strategy=bogus", status: http.StatusBadRequest},
		{name: "strategy in capitals", query: "?strategy=JWT", status: http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, c, "/compare"+tc.query)
			assertHTML(t, r, tc.status)
			if tc.status != http.StatusOK {
				if strings.Contains(r.body, `data-testid="panel-`) {
					t.Errorf("the 400 page shows panels")
				}
				if !strings.Contains(r.body, `"session" or "jwt"`) && !strings.Contains(r.body, `&#34;session&#34; or &#34;jwt&#34;`) {
					t.Errorf("the 400 page does not say which strategies exist")
				}
				return
			}
			s := strings.Index(r.body, `data-testid="panel-session"`)
			j := strings.Index(r.body, `data-testid="panel-jwt"`)
			if s < 0 || j < 0 {
				t.Fatalf("page lacks a panel (session at %d, jwt at %d)", s, j)
			}
			if first := map[bool]string{true: "session", false: "jwt"}[s < j]; first != tc.first {
				t.Errorf("%s panel first, want %s", first, tc.first)
			}
			if got := testID(r.body, "state-session"); !strings.Contains(got, "Signed in as") {
				t.Errorf("session panel: %q, want signed in", got)
			}
			if got := testID(r.body, "reason-jwt"); got != "missing" {
				t.Errorf("jwt panel reason %q, want missing", got)
			}
		})
	}
}

// TestErrorPages checks that 404 and 405 are pages, and JSON under /api/.
func TestErrorPages(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tests := []struct {
		name   string
		method string
		path   string
		status int
		json   bool
		allow  string
	}{
		{name: "unknown page", method: http.MethodGet, path: "/nope", status: http.StatusNotFound},
		{name: "unknown page under a strategy", method: http.MethodGet, path: "/session/nope", status: http.StatusNotFound},
		{name: "unknown API route", method: http.MethodGet, path: "/api/nope", status: http.StatusNotFound, json: true},
		{name: "API root", method: http.MethodGet, path: "/api", status: http.StatusNotFound, json: true},
		{name: "POST to a page", method: http.MethodPost, path: "/", status: http.StatusMethodNotAllowed, allow: "GET"},
		{name: "GET a logout", method: http.MethodGet, path: "/session/logout", status: http.StatusMethodNotAllowed, allow: "POST"},
		{name: "DELETE a dashboard", method: http.MethodDelete, path: "/jwt/dashboard", status: http.StatusMethodNotAllowed, allow: "GET"},
		{name: "PUT the API", method: http.MethodPut, path: "/api/auth", status: http.StatusMethodNotAllowed, json: true, allow: "POST"},
		{name: "PATCH the API", method: http.MethodPatch, path: "/api/auth", status: http.StatusMethodNotAllowed, json: true, allow: "DELETE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, ts.curl(), tc.method, tc.path, "", nil)
			if tc.json {
				assertJSONError(t, r, tc.status)
			} else {
				assertHTML(t, r, tc.status)
				if body := strings.ToLower(r.body); !strings.Contains(body, strings.ToLower(http.StatusText(tc.status))) &&
					!strings.Contains(body, "page not found") {
					t.Errorf("page does not say what went wrong")
				}
			}
			if tc.allow != "" && !strings.Contains(r.header.Get("Allow"), tc.allow) {
				t.Errorf("Allow %q, want it to list %s", r.header.Get("Allow"), tc.allow)
			}
			if strings.Contains(r.body, "goroutine") || strings.Contains(r.body, ".go:") {
				t.Errorf("body carries Go internals:\n%s", r.body)
			}
		})
	}
}

// TestPanicGives500 makes real handlers panic: /healthz through a Ping that
// panics, and POST /api/auth through a user store that is not there.
func TestPanicGives500(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opt    option
		method string
		path   string
		ctype  string
		body   string
		json   bool
	}{
		{name: "page", opt: withPing(func(context.Context) error { panic("ping exploded") }),
			method: http.MethodGet, path: "/healthz"},
		{name: "API", opt: withBrokenLogins(), method: http.MethodPost, path: "/api/auth",
			ctype: "application/json", body: `{"username":"user1","password":"pass123"}`, json: true},
		{name: "login form", opt: withBrokenLogins(), method: http.MethodPost, path: "/session/login",
			ctype: "application/x-www-form-urlencoded", body: creds("user1", "pass123").Encode()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, tc.opt)
			r := ts.do(t, ts.curl(), tc.method, tc.path, tc.ctype, strings.NewReader(tc.body))
			if tc.json {
				assertJSONError(t, r, http.StatusInternalServerError)
			} else {
				assertHTML(t, r, http.StatusInternalServerError)
			}
			for _, leak := range []string{"goroutine", ".go:", "runtime/", "panic", "exploded", "nil pointer"} {
				if strings.Contains(r.body, leak) {
					t.Errorf("the 500 answer shows %q:\n%s", leak, r.body)
				}
			}
			if id := r.header.Get("X-Request-Id"); id == "" || !strings.Contains(r.body, id) {
				t.Errorf("the 500 answer does not quote its request id %q", id)
			}
			if len(r.cookies) != 0 {
				t.Errorf("the 500 answer set cookies: %q", r.header.Values("Set-Cookie"))
			}
			// The server keeps serving.
			if r := ts.get(t, ts.curl(), "/"); r.status != http.StatusOK {
				t.Errorf("after the panic GET / is %d", r.status)
			}
			ts.Close()
			if log := ts.log.String(); !strings.Contains(log, "panic") || !strings.Contains(log, "goroutine") {
				t.Errorf("the log lacks the panic and its stack:\n%s", log)
			}
		})
	}
}

// TestSecurityHeaders checks the headers every page carries, and that pages
// showing who is signed in are not cached.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.browser(t)
	ts.login(t, c, "session", "user1", "pass123")
	ts.login(t, c, "jwt", "user1", "pass123")
	tests := []struct {
		name    string
		method  string
		path    string
		status  int
		noStore bool
	}{
		{name: "home", path: "/", status: http.StatusOK, noStore: true},
		{name: "compare", path: "/compare", status: http.StatusOK, noStore: true},
		{name: "session dashboard", path: "/session/dashboard", status: http.StatusOK, noStore: true},
		{name: "jwt dashboard", path: "/jwt/dashboard", status: http.StatusOK, noStore: true},
		{name: "session login", path: "/session/login", status: http.StatusOK, noStore: true},
		{name: "jwt login", path: "/jwt/login", status: http.StatusOK, noStore: true},
		{name: "signup", path: "/signup", status: http.StatusOK, noStore: true},
		{name: "API status", path: "/api/auth", status: http.StatusOK, noStore: true},
		{name: "healthz", path: "/healthz", status: http.StatusOK, noStore: true},
		{name: "404 page", path: "/nope", status: http.StatusNotFound},
		{name: "405 page", method: http.MethodPost, path: "/compare", status: http.StatusMethodNotAllowed},
		{name: "stylesheet", path: "/static/app.css", status: http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			r := ts.do(t, c, method, tc.path, "", nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			csp := r.header.Get("Content-Security-Policy")
			if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
				!strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
			switch rp := r.header.Get("Referrer-Policy"); rp {
			case "same-origin", "no-referrer", "strict-origin", "strict-origin-when-cross-origin":
			default:
				t.Errorf("Referrer-Policy %q, want one that keeps paths on this site", rp)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Errorf("no X-Request-Id")
			}
			if cc := r.header.Get("Cache-Control"); tc.noStore && cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			if strings.Contains(r.body, "<script>") || regexp.MustCompile(`\son[a-z]+="`).MatchString(r.body) {
				t.Errorf("body has inline script, which the CSP would block")
			}
		})
	}
	t.Run("a client's request id is not echoed", func(t *testing.T) {
		r := ts.get(t, c, "/", "X-Request-Id", "attacker-chosen")
		if got := r.header.Get("X-Request-Id"); got == "attacker-chosen" || got == "" {
			t.Errorf("X-Request-Id %q", got)
		}
	})
}

// TestCookieAttributes checks both cookies as set at login, over http and
// behind an https base URL.
func TestCookieAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		https  bool
		prefix string
	}{
		{name: "http base URL", prefix: ""},
		{name: "https base URL", https: true, prefix: "__Host-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var opts []option
			if tc.https {
				opts = append(opts, withHTTPSBaseURL())
			}
			ts := newTestServer(t, opts...)
			for _, st := range strategies {
				name := tc.prefix + st.cookie
				r := ts.postForm(t, ts.curl(), st.login, creds("user1", "pass123"))
				if r.status != http.StatusSeeOther {
					t.Fatalf("%s login: status %d", st.key, r.status)
				}
				ck := r.cookie(name)
				if ck == nil {
					t.Fatalf("%s login set no %s cookie: %q", st.key, name, r.header.Values("Set-Cookie"))
				}
				if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" || ck.Secure != tc.https {
					t.Errorf("%s: %s, want HttpOnly; SameSite=Lax; Path=/; no Domain; Secure=%v", st.key, ck.Raw, tc.https)
				}
				if tc.https && r.cookie(st.cookie) != nil {
					t.Errorf("%s: the unprefixed %s was set too", st.key, st.cookie)
				}
				// The cookie works under its own name.
				hdr := []string{"Cookie", name + "=" + ck.Value}
				if got := st.of(ts.status(t, ts.curl(), hdr...)); !got.Authenticated {
					t.Errorf("%s: the cookie it set is refused: %+v", st.key, got)
				}
				// Logout clears it with the same attributes.
				r = ts.postForm(t, ts.curl(), st.logout, nil, hdr...)
				ck = r.cookie(name)
				if ck == nil || ck.MaxAge >= 0 || ck.Path != "/" || ck.Secure != tc.https {
					t.Errorf("%s logout: Set-Cookie %q, want %s expired with Path=/ and Secure=%v", st.key, r.header.Values("Set-Cookie"), name, tc.https)
				}
			}
			// The API login sets the session cookie with the same attributes.
			r := ts.do(t, ts.curl(), http.MethodPost, "/api/auth", "application/json",
				strings.NewReader(`{"username":"user1","password":"pass123"}`))
			ck := r.cookie(tc.prefix + "authlab_session")
			if r.status != http.StatusOK || ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure != tc.https {
				t.Errorf("POST /api/auth: %d, Set-Cookie %q", r.status, r.header.Values("Set-Cookie"))
			}
		})
	}
}

// TestSessionStoreFailure drops the sessions table under the server and
// presents a session token it has not seen, so the store must read SQLite:
// the answer is a 500 that names no internals.
func TestSessionStoreFailure(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	if _, err := ts.openDB(t).ExecContext(t.Context(), `DROP TABLE sessions`); err != nil {
		t.Fatal(err)
	}
	c := ts.browser(t)
	ts.plant(t, c, "authlab_session", strings.Repeat("A", 43))
	tests := []struct {
		name string
		path string
		json bool
	}{
		{name: "page", path: "/session/dashboard"},
		{name: "API", path: "/api/auth", json: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, c, tc.path)
			if tc.json {
				assertJSONError(t, r, http.StatusInternalServerError)
			} else {
				assertHTML(t, r, http.StatusInternalServerError)
			}
			for _, leak := range []string{"no such table", "sqlite", "SQL logic"} {
				if strings.Contains(r.body, leak) {
					t.Errorf("the 500 answer shows %q:\n%s", leak, r.body)
				}
			}
		})
	}
	ts.Close()
	if !strings.Contains(ts.log.String(), "no such table") {
		t.Errorf("the log lacks the store's error")
	}
}
