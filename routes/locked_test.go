package routes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authlab/authlab/auth/sqlite"
)

// withSQLite opens the test server's database with opts.
func withSQLite(opts sqlite.Options) option { return func(c *serverConfig) { c.sqlite = opts } }

// holdWriteLock takes SQLite's write lock from a connection of its own,
// as another process would, until the returned function is called.
func (ts *testServer) holdWriteLock(t *testing.T) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := ts.openDB(t).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatalf("BEGIN IMMEDIATE: %v", err)
	}
	released := false
	release = func() {
		if !released {
			released = true
			conn.ExecContext(ctx, `ROLLBACK`)
			conn.Close()
		}
	}
	t.Cleanup(release)
	return release
}

// jsonDocuments counts the JSON values in body, and fails t if any of it
// is not JSON.
func jsonDocuments(t *testing.T, body string) int {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	n := 0
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatalf("body is not JSON after %d documents: %v\n%s", n, err, body)
		}
		n++
	}
}

// TestLockedDatabase: a write that cannot get SQLite's lock within the
// busy timeout answers 503 with Retry-After and one document, in JSON
// under /api/ and as a page elsewhere, whether it failed in the handler
// (a login) or in the session save after the handler had written its
// answer (a request that marks the session seen). Nothing the handler
// wrote reaches the client, and nothing answers 500.
func TestLockedDatabase(t *testing.T) {
	ts := newTestServer(t, withSQLite(sqlite.Options{BusyTimeout: 50 * time.Millisecond}))
	api := ts.browser(t)
	ts.do(t, api, http.MethodPost, "/api/auth", "application/json",
		strings.NewReader(`{"username":"user1","password":"pass123"}`))
	page := ts.browser(t)
	ts.login(t, page, "session", "user1", "pass123")

	tests := []struct {
		name string
		send func() response
		api  bool
	}{
		{"API login", func() response {
			return ts.do(t, ts.browser(t), http.MethodPost, "/api/auth", "application/json",
				strings.NewReader(`{"username":"user1","password":"pass123"}`))
		}, true},
		{"form login", func() response {
			return ts.postForm(t, ts.browser(t), "/session/login", creds("user1", "pass123"))
		}, false},
		// The handler answers 200 first; the session save, which the
		// lapse of the idle step makes necessary, fails after it.
		{"API status with a session to save", func() response { return ts.get(t, api, "/api/auth") }, true},
		{"dashboard with a session to save", func() response { return ts.get(t, page, "/session/dashboard") }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts.clock.Advance(2 * time.Minute) // past the idle step: the session is written back
			release := ts.holdWriteLock(t)
			r := tc.send()
			release()
			if r.status != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503; body:\n%s", r.status, r.body)
			}
			if got := r.header.Get("Retry-After"); got == "" {
				t.Error("no Retry-After")
			}
			if tc.api {
				if ct := r.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q, want application/json", ct)
				}
				if n := jsonDocuments(t, r.body); n != 1 {
					t.Errorf("%d JSON documents, want 1:\n%s", n, r.body)
				}
				var e struct{ Error string }
				if json.Unmarshal([]byte(r.body), &e); e.Error == "" {
					t.Errorf("body %s, want an error", r.body)
				}
			} else {
				assertHTML(t, r, http.StatusServiceUnavailable)
				if n := strings.Count(r.body, "</html>"); n != 1 {
					t.Errorf("%d pages in the body, want 1:\n%s", n, r.body)
				}
			}
			if strings.Contains(r.body, "authenticated") || strings.Contains(r.body, `"token"`) {
				t.Errorf("the handler's answer leaked into the error:\n%s", r.body)
			}
			if len(r.cookies) != 0 {
				t.Errorf("cookies set by a failed request: %v", r.cookies)
			}
			// Once the lock is gone, the same request succeeds.
			if r := tc.send(); r.status >= http.StatusInternalServerError {
				t.Errorf("after the lock: status %d; body:\n%s", r.status, r.body)
			}
		})
	}
	if bytes.Contains([]byte(ts.log.String()), []byte("server error")) {
		t.Errorf("a locked database was logged as a server error:\n%s", ts.log)
	}
}
