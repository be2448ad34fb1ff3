package routes_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestHSTSOnlyBehindHTTPS defends the https deployment against a first
// visit being downgraded: every answer carries Strict-Transport-Security
// there, and none does over plain http, where a browser would ignore it
// and a mistaken https base URL would lock a local user out.
func TestHSTSOnlyBehindHTTPS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []option
		want string
	}{
		{"https", []option{withHTTPSBaseURL()}, "max-age=63072000; includeSubDomains"},
		{"http", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, tc.opts...)
			for _, path := range []string{"/", "/healthz", "/static/app.css", "/no-such-page", "/api/auth"} {
				if got := ts.get(t, ts.curl(), path).header.Get("Strict-Transport-Security"); got != tc.want {
					t.Errorf("GET %s: Strict-Transport-Security %q, want %q", path, got, tc.want)
				}
			}
		})
	}
}

// TestHEADAnswersEveryGETRoute checks RFC 9110 §9.1: HEAD is a GET without
// the body, on every route that answers GET, redirects included.
func TestHEADAnswersEveryGETRoute(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/", http.StatusOK}, {"/compare", http.StatusOK}, {"/signup", http.StatusOK},
		{"/session/login", http.StatusOK}, {"/jwt/login", http.StatusOK},
		{"/session/dashboard", http.StatusSeeOther}, {"/jwt/dashboard", http.StatusSeeOther},
		{"/learn", http.StatusOK}, {"/learn/1", http.StatusOK}, {"/learn/quiz", http.StatusOK},
		{"/api/auth", http.StatusOK}, {"/healthz", http.StatusOK}, {"/static/app.css", http.StatusOK},
	} {
		t.Run(tc.path, func(t *testing.T) {
			get := ts.get(t, ts.curl(), tc.path)
			head := ts.do(t, ts.curl(), http.MethodHead, tc.path, "", nil)
			if head.status != tc.status || get.status != tc.status {
				t.Fatalf("HEAD %d, GET %d; want %d", head.status, get.status, tc.status)
			}
			if head.body != "" {
				t.Errorf("HEAD sent a body of %d bytes", len(head.body))
			}
			if h, g := head.header.Get("Content-Type"), get.header.Get("Content-Type"); h != g {
				t.Errorf("HEAD Content-Type %q, GET %q", h, g)
			}
		})
	}
	r := ts.do(t, ts.curl(), http.MethodPost, "/healthz", "", nil)
	if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /healthz: %d, Allow %q; want 405 and GET, HEAD", r.status, r.header.Get("Allow"))
	}
}

// TestStaticListsNothing: the file server would list a folder; only the
// files themselves are served.
func TestStaticListsNothing(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for path, want := range map[string]int{
		"/static/":        http.StatusNotFound,
		"/static/app.css": http.StatusOK,
		"/static/nope":    http.StatusNotFound,
	} {
		r := ts.get(t, ts.curl(), path)
		if r.status != want {
			t.Errorf("GET %s = %d, want %d", path, r.status, want)
		}
		if strings.Contains(r.body, `href="app.css"`) && path == "/static/" {
			t.Errorf("GET /static/ lists the files:\n%s", r.body)
		}
	}
}

// TestNextIsCapped keeps a next of up to 2 KiB and drops a longer one for
// the dashboard.
func TestNextIsCapped(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, tc := range []struct {
		next, want string
	}{
		{"/compare?x=" + strings.Repeat("a", 2048-len("/compare?x=")), "/compare?x=" + strings.Repeat("a", 2048-len("/compare?x="))},
		{"/compare?x=" + strings.Repeat("a", 2049-len("/compare?x=")), "/session/dashboard"},
	} {
		form := creds("user1", "pass123")
		form.Set("next", tc.next)
		r := ts.postForm(t, ts.browser(t), "/session/login", form)
		if r.status != http.StatusSeeOther || r.location() != tc.want {
			t.Errorf("next of %d bytes: %d to %.40q…, want 303 to %.40q…", len(tc.next), r.status, r.location(), tc.want)
		}
	}
}

// TestAPILoginNormalisesUsername: the API takes a username as the forms do.
func TestAPILoginNormalisesUsername(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, name := range []string{"USER1", " User1 "} {
		r := ts.do(t, ts.curl(), http.MethodPost, "/api/auth", "application/json",
			strings.NewReader(`{"username":"`+name+`","password":"pass123"}`))
		if r.status != http.StatusOK {
			t.Errorf("JSON login as %q = %d, want 200", name, r.status)
		}
		r = ts.postForm(t, ts.curl(), "/api/auth", url.Values{"username": {name}, "password": {"pass123"}})
		if r.status != http.StatusOK {
			t.Errorf("form login as %q = %d, want 200", name, r.status)
		}
	}
}

// TestStoreUnavailableIs503: a request that needs a database that does not
// answer gets one whole 503 with Retry-After, a page or JSON, naming no
// internals; the same request succeeds once the database is back.
func TestStoreUnavailableIs503(t *testing.T) {
	t.Parallel()
	users := &stubUsers{}
	ts := newTestServer(t, withStubUsers(users))
	c := ts.browser(t)
	ts.login(t, c, "session", "user1", "pass123")
	users.down.Store(true)
	for _, tc := range []struct {
		path string
		json bool
	}{{"/session/dashboard", false}, {"/compare", false}, {"/api/auth", true}} {
		r := ts.get(t, c, tc.path)
		if tc.json {
			assertJSONError(t, r, http.StatusServiceUnavailable)
		} else {
			assertHTML(t, r, http.StatusServiceUnavailable)
		}
		if r.header.Get("Retry-After") == "" {
			t.Errorf("GET %s: 503 without Retry-After", tc.path)
		}
		if strings.Contains(r.body, "connection refused") {
			t.Errorf("GET %s: the answer names the store's error", tc.path)
		}
	}
	users.down.Store(false)
	if r := ts.get(t, c, "/session/dashboard"); r.status != http.StatusOK {
		t.Errorf("after the store is back: %d, want 200", r.status)
	}
}

// TestInstanceIsNamed: every page's footer and GET /api/auth say which
// instance answered.
func TestInstanceIsNamed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	if got := testID(ts.get(t, ts.curl(), "/").body, "instance"); got != "test-instance" {
		t.Errorf("footer names %q, want test-instance", got)
	}
	if s := ts.status(t, ts.curl()); s.Instance != "test-instance" {
		t.Errorf("GET /api/auth instance %q, want test-instance", s.Instance)
	}
}

// TestSmuggledRequestIsNotServed sends a request with both Content-Length
// and Transfer-Encoding and a second request pipelined behind it on one
// connection: the first is answered and the connection closed (RFC 9112
// §6.1), so the second, which a proxy reading Content-Length would not
// have seen, is never served.
func TestSmuggledRequestIsNotServed(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "POST /api/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
		"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
		"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("the connection stayed open: %v (read %q)", err, got)
	}
	if n := strings.Count(string(got), "HTTP/1.1 "); n != 1 {
		t.Errorf("%d responses on the connection, want 1:\n%s", n, got)
	}
}
