package routes_test

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/auth/sqlite"
)

// User-Agents of two devices, and the summaries the list of logins shows
// for them.
const (
	firefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	safariIPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

// device is one browser of a user: its own cookie jar, and the address
// and User-Agent it sends with every request.
type device struct {
	ts      *testServer
	c       *http.Client
	addr    string
	agent   string
	summary string // what the list of logins should call agent
}

func newDevice(t *testing.T, ts *testServer, addr, agent, summary string) *device {
	t.Helper()
	return &device{ts: ts, c: ts.browser(t), addr: addr, agent: agent, summary: summary}
}

func (d *device) header(extra ...string) []string {
	return append([]string{"X-Forwarded-For", d.addr, "User-Agent", d.agent}, extra...)
}

func (d *device) get(t *testing.T, path string) response {
	t.Helper()
	return d.ts.get(t, d.c, path, d.header()...)
}

func (d *device) post(t *testing.T, path string, form url.Values) response {
	t.Helper()
	return d.ts.postForm(t, d.c, path, form, d.header()...)
}

func (d *device) delete(t *testing.T, path string) response {
	t.Helper()
	return d.ts.do(t, d.c, http.MethodDelete, path, "", nil, d.header()...)
}

// login signs d in under strategy and returns the cookie value it set.
func (d *device) login(t *testing.T, strategy, username, password string) string {
	t.Helper()
	r := d.post(t, "/"+strategy+"/login", creds(username, password))
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /%s/login as %s from %s: status %d, want 303", strategy, username, d.addr, r.status)
	}
	name := map[string]string{"session": "authlab_session", "jwt": "authlab_token"}[strategy]
	ck := r.cookie(name)
	if ck == nil || ck.Value == "" {
		t.Fatalf("POST /%s/login set no %s cookie", strategy, name)
	}
	return ck.Value
}

func (d *device) status(t *testing.T) statusJSON {
	t.Helper()
	return d.ts.status(t, d.c, d.header()...)
}

// logins asks GET /api/auth/sessions for d's user's logins.
func (d *device) logins(t *testing.T) []accountLogin {
	t.Helper()
	return decodeLogins(t, d.get(t, "/api/auth/sessions"))
}

// accountLogin is one entry of GET /api/auth/sessions.
type accountLogin struct {
	ID       string    `json:"id"`
	Strategy string    `json:"strategy"`
	Started  time.Time `json:"started"`
	LastSeen time.Time `json:"lastSeen"`
	Expires  time.Time `json:"expires"`
	Client   string    `json:"client"`
	Address  string    `json:"address"`
	Current  bool      `json:"current"`
}

func decodeLogins(t *testing.T, r response) []accountLogin {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/auth/sessions: status %d, want 200; body %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET /api/auth/sessions: Content-Type %q", ct)
	}
	var body struct {
		Sessions []accountLogin `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("GET /api/auth/sessions: %v in %s", err, r.body)
	}
	return body.Sessions
}

// find returns the login of ls with strategy made from addr.
func find(t *testing.T, ls []accountLogin, strategy, addr string) accountLogin {
	t.Helper()
	for _, l := range ls {
		if l.Strategy == strategy && l.Address == addr {
			return l
		}
	}
	t.Fatalf("no %s login from %s in %+v", strategy, addr, ls)
	return accountLogin{}
}

// cards splits a page listing logins into its login cards.
func cards(body string) []string {
	parts := strings.Split(body, `data-testid="login"`)
	return parts[1:]
}

// expired reports whether ck is a Set-Cookie that deletes its cookie.
func expired(ck *http.Cookie) bool {
	return ck != nil && ck.Value == "" && (ck.MaxAge < 0 || !ck.Expires.IsZero() && ck.Expires.Before(time.Now()))
}

// signedOut asserts that d is signed in under neither strategy, each
// because the server ended its login, and that both dashboards send it to
// login.
func (d *device) signedOut(t *testing.T) {
	t.Helper()
	s := d.status(t)
	if s.Authenticated || s.Strategies.Session.Reason != "revoked" || s.Strategies.JWT.Reason != "revoked" {
		t.Errorf("device %s: GET /api/auth: authenticated %v, session %q, jwt %q; want both revoked",
			d.addr, s.Authenticated, s.Strategies.Session.Reason, s.Strategies.JWT.Reason)
	}
	for _, st := range strategies {
		r := d.get(t, st.dashboard)
		if want := st.login + "?next=" + url.QueryEscape(st.dashboard); r.status != http.StatusSeeOther || r.location() != want {
			t.Errorf("device %s: GET %s: %d to %q, want 303 to %q", d.addr, st.dashboard, r.status, r.location(), want)
		}
	}
}

// signedIn asserts that d is signed in as username under both strategies.
func (d *device) signedIn(t *testing.T, username string) {
	t.Helper()
	s := d.status(t)
	if !s.Strategies.Session.Authenticated || !s.Strategies.JWT.Authenticated || s.Username != username {
		t.Errorf("device %s: GET /api/auth: %+v, want signed in as %s under both", d.addr, s, username)
	}
	for _, st := range strategies {
		if r := d.get(t, st.dashboard); r.status != http.StatusOK {
			t.Errorf("device %s: GET %s: %d, want 200", d.addr, st.dashboard, r.status)
		}
	}
}

// TestAccountAccess checks that the account pages and API turn a
// signed-out request away and let in one signed in under any credential.
func TestAccountAccess(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)

	// A session cookie that was logged out is no way in either.
	stale := ts.browser(t)
	old := ts.login(t, stale, "session", "user1", "pass123")
	if r := ts.postForm(t, stale, "/session/logout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.status)
	}
	ts.plant(t, stale, "authlab_session", old)

	t.Run("signed out", func(t *testing.T) {
		tests := []struct {
			name   string
			method string
			path   string
			form   url.Values
			next   string // "" for the API's 401
		}{
			{name: "devices page", method: http.MethodGet, path: "/account/sessions", next: "/account/sessions"},
			{name: "end from devices page", method: http.MethodPost, path: "/account/sessions",
				form: url.Values{"end": {"everywhere"}}, next: "/account/sessions"},
			{name: "password page", method: http.MethodGet, path: "/account/password", next: "/account/password"},
			{name: "password change", method: http.MethodPost, path: "/account/password",
				form: url.Values{"current": {"pass123"}, "password": {"whatever-new-1"}}, next: "/account/password"},
			{name: "API list", method: http.MethodGet, path: "/api/auth/sessions"},
			{name: "API end others", method: http.MethodDelete, path: "/api/auth/sessions"},
			{name: "API end one", method: http.MethodDelete, path: "/api/auth/sessions/ABCDEF"},
		}
		clients := []struct {
			name string
			c    *http.Client
		}{
			{name: "no cookie", c: ts.curl()},
			{name: "logged-out session cookie", c: stale},
		}
		for _, cl := range clients {
			for _, tc := range tests {
				t.Run(cl.name+"/"+tc.name, func(t *testing.T) {
					var r response
					if tc.form != nil {
						r = ts.postForm(t, cl.c, tc.path, tc.form)
					} else {
						r = ts.do(t, cl.c, tc.method, tc.path, "", nil)
					}
					if tc.next == "" {
						if msg := assertJSONError(t, r, http.StatusUnauthorized); msg != "not signed in" {
							t.Errorf("error %q, want not signed in", msg)
						}
						return
					}
					if want := "/session/login?next=" + url.QueryEscape(tc.next); r.status != http.StatusSeeOther || r.location() != want {
						t.Errorf("status %d to %q, want 303 to %q", r.status, r.location(), want)
					}
				})
			}
		}
	})

	t.Run("signed in", func(t *testing.T) {
		session := ts.browser(t)
		ts.login(t, session, "session", "user1", "pass123")
		jwtOnly := ts.browser(t)
		ts.login(t, jwtOnly, "jwt", "user1", "pass123")
		r := ts.do(t, ts.curl(), http.MethodPost, "/api/auth", "application/json",
			strings.NewReader(`{"username":"user1","password":"pass123"}`))
		var api struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal([]byte(r.body), &api); r.status != http.StatusOK || err != nil || api.Token == "" {
			t.Fatalf("POST /api/auth: %d %s", r.status, r.body)
		}
		tests := []struct {
			name     string
			c        *http.Client
			header   []string
			pages    bool
			strategy string // the strategy of the login marked current
		}{
			{name: "session cookie", c: session, pages: true, strategy: "session"},
			{name: "JWT cookie", c: jwtOnly, pages: true, strategy: "jwt"},
			{name: "Bearer token", c: ts.curl(), header: []string{"Authorization", "Bearer " + api.Token}, strategy: "jwt"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if tc.pages {
					for path, fact := range map[string]string{
						"/account/sessions": "Where you are logged in",
						"/account/password": `action="/account/password"`,
					} {
						r := ts.get(t, tc.c, path, tc.header...)
						assertHTML(t, r, http.StatusOK)
						if !strings.Contains(r.body, fact) || !strings.Contains(r.body, "user1") {
							t.Errorf("GET %s lacks %q or the username", path, fact)
						}
					}
				}
				ls := decodeLogins(t, ts.get(t, tc.c, "/api/auth/sessions", tc.header...))
				var current []accountLogin
				for _, l := range ls {
					if l.Current {
						current = append(current, l)
					}
				}
				if len(current) != 1 || current[0].Strategy != tc.strategy {
					t.Errorf("current logins %+v, want one %s login", current, tc.strategy)
				}
				// user1 has four live logins: the session, the JWT, and
				// the API's session and JWT.
				if len(ls) != 4 {
					t.Errorf("%d logins listed, want 4: %+v", len(ls), ls)
				}
			})
		}
	})

	t.Run("the signed-out requests changed nothing", func(t *testing.T) {
		if r := ts.postForm(t, ts.curl(), "/session/login", creds("user1", "pass123")); r.status != http.StatusSeeOther {
			t.Errorf("user1 with the old password after a signed-out change: %d, want 303", r.status)
		}
	})
}

// TestDevicesEndEachOther signs one user in on two devices under both
// strategies: each lists all four logins with the right facts, and the
// first ends the second's logins one by one from the devices page.
func TestDevicesEndEachOther(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	d1 := newDevice(t, ts, "203.0.113.10", firefoxLinux, "Firefox on Linux")
	d2 := newDevice(t, ts, "198.51.100.20", safariIPhone, "Safari on iOS")
	values := map[string]bool{}
	for _, d := range []*device{d1, d2} {
		for _, st := range strategies {
			values[d.login(t, st.key, "user1", "pass123")] = true
		}
	}

	t.Run("the list", func(t *testing.T) {
		for _, me := range []*device{d1, d2} {
			ls := me.logins(t)
			if len(ls) != 4 {
				t.Fatalf("device %s: %d logins, want 4: %+v", me.addr, len(ls), ls)
			}
			ids := map[string]bool{}
			for _, d := range []*device{d1, d2} {
				for _, st := range strategies {
					l := find(t, ls, st.key, d.addr)
					if l.Client != d.summary {
						t.Errorf("%s login from %s: client %q, want %q", st.key, d.addr, l.Client, d.summary)
					}
					if l.Current != (d == me) {
						t.Errorf("device %s sees the %s login from %s with current %v", me.addr, st.key, d.addr, l.Current)
					}
					if l.ID == "" || ids[l.ID] || values[l.ID] {
						t.Errorf("id %q is empty, repeated or a cookie value", l.ID)
					}
					ids[l.ID] = true
					if now := ts.clock.Now(); !l.Started.Equal(now) || !l.LastSeen.Equal(now) || !l.Expires.After(now) {
						t.Errorf("%s login from %s: started %v, last seen %v, expires %v; now is %v",
							st.key, d.addr, l.Started, l.LastSeen, l.Expires, now)
					}
				}
			}
		}
	})

	t.Run("the page", func(t *testing.T) {
		r := d1.get(t, "/account/sessions")
		assertHTML(t, r, http.StatusOK)
		cs := cards(r.body)
		if len(cs) != 4 {
			t.Fatalf("%d login cards, want 4", len(cs))
		}
		for i, c := range cs {
			mine := i < 2 // this browser's logins come first
			d := map[bool]*device{true: d1, false: d2}[mine]
			if strings.Contains(c, "This browser") != mine || !strings.Contains(c, d.addr) || !strings.Contains(c, d.summary) {
				t.Errorf("card %d: want this browser %v, address %s and client %s:\n%s", i, mine, d.addr, d.summary, c)
			}
		}
		for _, l := range d1.logins(t) {
			if !strings.Contains(r.body, `name="end" value="`+l.ID+`"`) {
				t.Errorf("no End button for login %s", l.ID)
			}
		}
		for _, name := range []string{"Server session", "JWT cookie", `value="others"`, `value="everywhere"`} {
			if !strings.Contains(r.body, name) {
				t.Errorf("page lacks %q", name)
			}
		}
	})

	before := d1.logins(t)
	for _, st := range strategies {
		t.Run("end the other device's "+st.key+" login", func(t *testing.T) {
			id := find(t, before, st.key, d2.addr).ID
			r := d1.post(t, "/account/sessions", url.Values{"end": {id}})
			if r.status != http.StatusSeeOther || r.location() != "/account/sessions?ended=1" {
				t.Fatalf("POST end=%s: %d to %q, want 303 to /account/sessions?ended=1", id, r.status, r.location())
			}
			page := d1.get(t, r.location())
			assertHTML(t, page, http.StatusOK)
			if !strings.Contains(page.body, "1 login ended.") {
				t.Errorf("the page after the redirect does not say 1 login ended")
			}
			s := d2.status(t)
			if got := st.of(s); got.Authenticated || got.Reason != "revoked" {
				t.Errorf("device 2's %s: %+v, want revoked", st.key, got)
			}
			if r := d2.get(t, st.dashboard); r.status != http.StatusSeeOther {
				t.Errorf("device 2 GET %s: %d, want 303", st.dashboard, r.status)
			}
			for _, l := range d1.logins(t) {
				if l.ID == id {
					t.Errorf("the ended login is still listed")
				}
			}
			// Ending it again is ending what is not a live login.
			r = d1.post(t, "/account/sessions", url.Values{"end": {id}})
			assertHTML(t, r, http.StatusNotFound)
		})
	}
	t.Run("the second device is signed out, the first is not", func(t *testing.T) {
		d2.signedOut(t)
		d1.signedIn(t, "user1")
		ls := d1.logins(t)
		if len(ls) != 2 || !ls[0].Current || !ls[1].Current {
			t.Errorf("after ending device 2: %+v, want device 1's two logins", ls)
		}
	})
}

// TestLoginsOfAnotherUser checks that user1 can neither see nor end
// user2's logins, from the page or the API.
func TestLoginsOfAnotherUser(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	one := newDevice(t, ts, "203.0.113.1", firefoxLinux, "Firefox on Linux")
	two := newDevice(t, ts, "203.0.113.2", safariIPhone, "Safari on iOS")
	for _, st := range strategies {
		one.login(t, st.key, "user1", "pass123")
		two.login(t, st.key, "user2", "pass456")
	}
	theirs := two.logins(t)
	if len(theirs) != 2 {
		t.Fatalf("user2 has %d logins, want 2", len(theirs))
	}
	mine := one.logins(t)
	page := one.get(t, "/account/sessions")
	for _, l := range theirs {
		for _, m := range mine {
			if m.ID == l.ID {
				t.Errorf("user1's list holds user2's login %s", l.ID)
			}
		}
		if strings.Contains(page.body, l.ID) || strings.Contains(page.body, two.addr) {
			t.Errorf("user1's devices page shows user2's login %s", l.ID)
		}
	}

	for _, l := range theirs {
		t.Run("form/"+l.Strategy, func(t *testing.T) {
			r := one.post(t, "/account/sessions", url.Values{"end": {l.ID}})
			assertHTML(t, r, http.StatusNotFound)
			if !strings.Contains(r.body, "not one of yours") {
				t.Errorf("the 404 page does not say the login is not theirs")
			}
		})
		t.Run("API/"+l.Strategy, func(t *testing.T) {
			r := one.delete(t, "/api/auth/sessions/"+url.PathEscape(l.ID))
			if msg := assertJSONError(t, r, http.StatusNotFound); msg != "no such session" {
				t.Errorf("error %q, want no such session", msg)
			}
		})
	}
	t.Run("unknown id", func(t *testing.T) {
		assertJSONError(t, one.delete(t, "/api/auth/sessions/NOSUCHLOGIN"), http.StatusNotFound)
		assertHTML(t, one.post(t, "/account/sessions", url.Values{"end": {"NOSUCHLOGIN"}}), http.StatusNotFound)
	})
	t.Run("user2 is still signed in", func(t *testing.T) {
		two.signedIn(t, "user2")
		if got := two.logins(t); len(got) != 2 {
			t.Errorf("user2 has %d logins, want 2", len(got))
		}
	})
	t.Run("user1 can end its own through the API", func(t *testing.T) {
		l := find(t, mine, "jwt", one.addr)
		if r := one.delete(t, "/api/auth/sessions/"+url.PathEscape(l.ID)); r.status != http.StatusNoContent || r.body != "" {
			t.Errorf("DELETE own login: %d %q, want 204 and no body", r.status, r.body)
		}
		if got := one.status(t).Strategies.JWT; got.Authenticated || got.Reason != "revoked" {
			t.Errorf("user1's JWT after ending it: %+v, want revoked", got)
		}
	})
}

// TestEndOtherLogins ends every other login, from the page and through
// the API: this device stays signed in, the other is signed out.
func TestEndOtherLogins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		end   func(t *testing.T, d *device) response
		check func(t *testing.T, r response)
	}{
		{
			name: "form",
			end: func(t *testing.T, d *device) response {
				return d.post(t, "/account/sessions", url.Values{"end": {"others"}})
			},
			check: func(t *testing.T, r response) {
				if r.status != http.StatusSeeOther || r.location() != "/account/sessions?ended=2" {
					t.Errorf("POST end=others: %d to %q, want 303 to /account/sessions?ended=2", r.status, r.location())
				}
			},
		},
		{
			name: "API",
			end:  func(t *testing.T, d *device) response { return d.delete(t, "/api/auth/sessions") },
			check: func(t *testing.T, r response) {
				if r.status != http.StatusOK || strings.TrimSpace(r.body) != `{"ended":2}` {
					t.Errorf("DELETE /api/auth/sessions: %d %s, want 200 {\"ended\":2}", r.status, r.body)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t)
			d1 := newDevice(t, ts, "203.0.113.1", firefoxLinux, "Firefox on Linux")
			d2 := newDevice(t, ts, "203.0.113.2", safariIPhone, "Safari on iOS")
			for _, d := range []*device{d1, d2} {
				for _, st := range strategies {
					d.login(t, st.key, "user1", "pass123")
				}
			}
			before := map[string]string{}
			for _, st := range strategies {
				before[st.cookie] = ts.jarCookie(t, d1.c, st.cookie)
			}
			r := tc.end(t, d1)
			tc.check(t, r)
			for _, st := range strategies {
				if got := ts.jarCookie(t, d1.c, st.cookie); got != before[st.cookie] {
					t.Errorf("ending the others changed this device's %s: %q", st.cookie, r.header.Values("Set-Cookie"))
				}
			}
			d1.signedIn(t, "user1")
			d2.signedOut(t)
			ls := d1.logins(t)
			if len(ls) != 2 || !ls[0].Current || !ls[1].Current {
				t.Errorf("left %+v, want this device's two logins", ls)
			}
			// Nothing is left to end.
			r = tc.end(t, d1)
			if tc.name == "form" && r.location() != "/account/sessions?ended=0" {
				t.Errorf("second end=others: to %q, want ?ended=0", r.location())
			}
			if tc.name == "API" && strings.TrimSpace(r.body) != `{"ended":0}` {
				t.Errorf("second DELETE: %s, want {\"ended\":0}", r.body)
			}
		})
	}
}

// TestAccountLogOutEverywhere signs out every device, this one included, and
// clears this browser's cookies.
func TestAccountLogOutEverywhere(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	d1 := newDevice(t, ts, "203.0.113.1", firefoxLinux, "Firefox on Linux")
	d2 := newDevice(t, ts, "203.0.113.2", safariIPhone, "Safari on iOS")
	old := map[string]string{}
	for _, d := range []*device{d1, d2} {
		for _, st := range strategies {
			v := d.login(t, st.key, "user1", "pass123")
			if d == d1 {
				old[st.cookie] = v
			}
		}
	}
	r := d1.post(t, "/account/sessions", url.Values{"end": {"everywhere"}})
	assertHTML(t, r, http.StatusOK)
	if !strings.Contains(r.body, "Logged out everywhere") {
		t.Errorf("page does not say Logged out everywhere")
	}
	if m := regexp.MustCompile(`(\d+)\s+logins? ended`).FindStringSubmatch(r.body); m == nil || m[1] != "4" {
		t.Errorf("page says %v logins ended, want 4", m)
	}
	if n := len(cards(r.body)); n != 4 {
		t.Errorf("page lists %d ended logins, want 4", n)
	}
	for _, st := range strategies {
		if ck := r.cookie(st.cookie); !expired(ck) {
			t.Errorf("%s not cleared: Set-Cookie %q", st.cookie, r.header.Values("Set-Cookie"))
		}
		if v := ts.jarCookie(t, d1.c, st.cookie); v != "" {
			t.Errorf("the jar still holds %s", st.cookie)
		}
	}
	d2.signedOut(t)
	// This browser's old cookies, replayed, name ended logins.
	for _, st := range strategies {
		ts.plant(t, d1.c, st.cookie, old[st.cookie])
	}
	d1.signedOut(t)
	if r := d2.get(t, "/api/auth/sessions"); r.status != http.StatusUnauthorized {
		t.Errorf("device 2 lists logins after everywhere: %d", r.status)
	}
}

func passwordForm(current, next string) url.Values {
	return url.Values{"current": {current}, "password": {next}}
}

// TestPasswordChange changes user1's password on one device: the other
// device is signed out under both strategies, this one carries on with
// new cookies, and only the new password logs in.
func TestPasswordChange(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	d1 := newDevice(t, ts, "203.0.113.1", firefoxLinux, "Firefox on Linux")
	d2 := newDevice(t, ts, "203.0.113.2", safariIPhone, "Safari on iOS")
	old := map[string]string{}
	for _, d := range []*device{d1, d2} {
		for _, st := range strategies {
			v := d.login(t, st.key, "user1", "pass123")
			if d == d1 {
				old[st.cookie] = v
			}
		}
	}

	t.Run("refused", func(t *testing.T) {
		tests := []struct {
			name     string
			current  string
			next     string
			status   int
			contains string
		}{
			{name: "wrong current password", current: "pass124", next: "a-fine-new-password", status: http.StatusUnauthorized,
				contains: "That is not your current password."},
			{name: "new password too short", current: "pass123", next: "short", status: http.StatusUnprocessableEntity,
				contains: "Use 8 to 128 characters."},
			{name: "new password too long", current: "pass123", next: strings.Repeat("p", 129), status: http.StatusUnprocessableEntity,
				contains: "Use 8 to 128 characters."},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := d1.post(t, "/account/password", passwordForm(tc.current, tc.next))
				assertHTML(t, r, tc.status)
				if !strings.Contains(r.body, tc.contains) {
					t.Errorf("body lacks %q", tc.contains)
				}
				if strings.Contains(r.body, "Password changed") || len(r.cookies) != 0 {
					t.Errorf("a refused change says changed or sets cookies: %q", r.header.Values("Set-Cookie"))
				}
				d2.signedIn(t, "user1")
			})
		}
	})

	r := d1.post(t, "/account/password", passwordForm("pass123", "correct horse battery"))
	assertHTML(t, r, http.StatusOK)
	if !strings.Contains(r.body, "Password changed") {
		t.Fatalf("page does not say Password changed:\n%s", r.body)
	}
	t.Run("the page says what this browser goes on with", func(t *testing.T) {
		if !strings.Contains(r.body, "This browser stays logged in with a new session token and a new JWT;") {
			t.Errorf("the page does not say this browser got a new session token and a new JWT")
		}
	})
	t.Run("the page lists the other device's logins as ended", func(t *testing.T) {
		if m := regexp.MustCompile(`(\d+)\s+other logins? ended`).FindStringSubmatch(r.body); m == nil || m[1] != "2" {
			t.Errorf("page says %v other logins ended, want 2", m)
		}
		cs := cards(r.body)
		if len(cs) != 2 {
			t.Fatalf("%d ended logins listed, want 2", len(cs))
		}
		for _, c := range cs {
			if !strings.Contains(c, d2.addr) || !strings.Contains(c, d2.summary) || strings.Contains(c, d1.addr) {
				t.Errorf("ended login card is not device 2's:\n%s", c)
			}
		}
	})
	t.Run("this device has new cookies that sign in", func(t *testing.T) {
		for _, st := range strategies {
			ck := r.cookie(st.cookie)
			if ck == nil || ck.Value == "" || ck.Value == old[st.cookie] {
				t.Errorf("%s: Set-Cookie %v, want a new value", st.cookie, ck)
			}
		}
		d1.signedIn(t, "user1")
		ls := d1.logins(t)
		if len(ls) != 2 || !ls[0].Current || !ls[1].Current {
			t.Errorf("logins after the change: %+v, want this device's two new ones", ls)
		}
	})
	t.Run("this device's old cookies are dead", func(t *testing.T) {
		s := ts.status(t, ts.curl(), "Cookie", "authlab_session="+old["authlab_session"]+"; authlab_token="+old["authlab_token"])
		if s.Authenticated || s.Strategies.Session.Reason != "revoked" || s.Strategies.JWT.Reason != "revoked" {
			t.Errorf("old cookies: %+v, want both revoked", s)
		}
	})
	t.Run("the other device is signed out", func(t *testing.T) { d2.signedOut(t) })
	t.Run("only the new password logs in", func(t *testing.T) {
		tests := []struct {
			password string
			status   int
		}{
			{password: "pass123", status: http.StatusUnauthorized},
			{password: "correct horse battery", status: http.StatusOK},
		}
		for _, tc := range tests {
			body, _ := json.Marshal(map[string]string{"username": "user1", "password": tc.password})
			r := ts.do(t, ts.curl(), http.MethodPost, "/api/auth", "application/json", strings.NewReader(string(body)))
			if r.status != tc.status {
				t.Errorf("POST /api/auth with %q: %d, want %d", tc.password, r.status, tc.status)
			}
		}
	})
}

// TestPasswordChangeKeepsAnotherUsersCookie changes the password of the
// session's user in a browser whose JWT cookie is another user's: that
// cookie must be left as it was, not swapped for one of the session's
// user.
func TestPasswordChangeKeepsAnotherUsersCookie(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	d := newDevice(t, ts, "203.0.113.9", firefoxLinux, "Firefox on Linux")
	d.login(t, "session", "user1", "pass123")
	jwt := d.login(t, "jwt", "user2", "pass456")
	r := d.post(t, "/account/password", passwordForm("pass123", "a-fine-new-password"))
	assertHTML(t, r, http.StatusOK)
	if ck := r.cookie("authlab_token"); ck != nil {
		t.Errorf("the password change of user1 set the JWT cookie %q over user2's", ck.Value)
	}
	st := d.status(t)
	if !st.Strategies.JWT.Authenticated || st.Strategies.JWT.Username != "user2" || d.ts.jarCookie(t, d.c, "authlab_token") != jwt {
		t.Errorf("JWT afterwards: %+v, want user2's token unchanged", st.Strategies.JWT)
	}
	if !st.Strategies.Session.Authenticated || st.Strategies.Session.Username != "user1" {
		t.Errorf("session afterwards: %+v, want user1 still signed in", st.Strategies.Session)
	}
}

// TestLogOutEverywhereKeepsAnotherUsersCookie logs the session's user out
// everywhere in a browser whose JWT cookie is another user's: that login
// is not this user's to end.
func TestLogOutEverywhereKeepsAnotherUsersCookie(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	d := newDevice(t, ts, "203.0.113.10", firefoxLinux, "Firefox on Linux")
	d.login(t, "session", "user1", "pass123")
	d.login(t, "jwt", "user2", "pass456")
	r := d.post(t, "/account/sessions", url.Values{"end": {"everywhere"}})
	assertHTML(t, r, http.StatusOK)
	if ck := r.cookie("authlab_token"); ck != nil {
		t.Errorf("logging user1 out everywhere touched user2's JWT cookie: %+v", ck)
	}
	st := d.status(t)
	if !st.Strategies.JWT.Authenticated || st.Strategies.JWT.Username != "user2" {
		t.Errorf("JWT afterwards: %+v, want user2 still signed in", st.Strategies.JWT)
	}
	if st.Strategies.Session.Authenticated {
		t.Errorf("session afterwards: %+v, want user1 signed out", st.Strategies.Session)
	}
}

// TestPasswordChangeThrottled checks that a wrong current password is a
// failed login: the sixth in a row waits, even with the right password.
func TestPasswordChangeThrottled(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	d := newDevice(t, ts, "203.0.113.1", firefoxLinux, "Firefox on Linux")
	d.login(t, "session", "user1", "pass123")
	for i := range auth.FreeFailures {
		r := d.post(t, "/account/password", passwordForm(fmt.Sprintf("guess-%d", i), "a-fine-new-password"))
		assertHTML(t, r, http.StatusUnauthorized)
	}
	r := d.post(t, "/account/password", passwordForm("pass123", "a-fine-new-password"))
	assertHTML(t, r, http.StatusTooManyRequests)
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	if !strings.Contains(r.body, "Wait 1 second") || strings.Contains(r.body, "Password changed") {
		t.Errorf("the 429 page does not say to wait 1 second, or says changed")
	}
	// The login form from this address shares the count.
	if r := ts.postForm(t, ts.curl(), "/session/login", creds("user1", "pass123"), "X-Forwarded-For", d.addr); r.status != http.StatusTooManyRequests {
		t.Errorf("login form from the same address: %d, want 429", r.status)
	}
	ts.clock.Advance(time.Second)
	r = d.post(t, "/account/password", passwordForm("pass123", "a-fine-new-password"))
	assertHTML(t, r, http.StatusOK)
	if !strings.Contains(r.body, "Password changed") {
		t.Errorf("after the wait the change is refused")
	}
	lines := logLines(ts, "WARN", "password change refused")
	if len(lines) != auth.FreeFailures || !strings.Contains(lines[0], "client="+d.addr) || !strings.Contains(lines[0], "username=user1") {
		t.Errorf("refused password changes logged at warn: %q, want %d naming client and username", lines, auth.FreeFailures)
	}
	if lines := logLines(ts, "WARN", "password change throttled"); len(lines) != 1 || !strings.Contains(lines[0], "client="+d.addr) ||
		!strings.Contains(lines[0], "username=user1") {
		t.Errorf("throttled password changes logged at warn: %q, want 1 naming client and username", lines)
	}
	for _, secret := range []string{"guess-", "a-fine-new-password", "pass123"} {
		if strings.Contains(ts.log.String(), secret) {
			t.Errorf("the log holds the password %q", secret)
		}
	}
}

// TestThrottlingCapsFailuresPerAccount spreads MaxFailures wrong passwords
// over as many addresses, none of which waits on its own: the one that
// reaches the cap closes the account to every address, the right password
// included, for Pause, and no longer.
func TestThrottlingCapsFailuresPerAccount(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for i := range auth.MaxFailures {
		addr := fmt.Sprintf("10.200.%d.%d", i/250, i%250+1)
		if r := ts.postForm(t, ts.curl(), "/session/login", creds("user2", "guess"), "X-Forwarded-For", addr); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d from %s: %d, want 401", i+1, addr, r.status)
		}
	}
	pause := strconv.Itoa(int(auth.Pause / time.Second))
	tests := []struct {
		name    string
		advance time.Duration
		status  int
		retry   string
	}{
		{name: "at once", status: http.StatusTooManyRequests, retry: pause},
		{name: "a second before the pause ends", advance: auth.Pause - time.Second, status: http.StatusTooManyRequests, retry: "1"},
		{name: "after the pause", advance: time.Second, status: http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts.clock.Advance(tc.advance)
			loginEndpoints[0].expect(t, loginEndpoints[0].try(t, ts, "203.0.113.200", "user2", "pass456"), tc.status, tc.retry)
		})
	}
}

// TestTokensHashedAtRest reads the database the way someone holding a
// copy of it would, and finds no token a browser could present.
func TestTokensHashedAtRest(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	var secrets, sessionTokens []string
	for _, st := range strategies {
		for _, u := range [][2]string{{"user1", "pass123"}, {"user2", "pass456"}} {
			v := ts.login(t, ts.browser(t), st.key, u[0], u[1])
			secrets = append(secrets, v)
			if st.key == "session" {
				sessionTokens = append(sessionTokens, v)
			}
		}
	}
	r := ts.do(t, ts.curl(), http.MethodPost, "/api/auth", "application/json",
		strings.NewReader(`{"username":"user1","password":"pass123"}`))
	var api struct {
		Token string `json:"token"`
	}
	ck := r.cookie("authlab_session")
	if err := json.Unmarshal([]byte(r.body), &api); err != nil || ck == nil || api.Token == "" {
		t.Fatalf("POST /api/auth: %d %s", r.status, r.body)
	}
	secrets = append(secrets, api.Token, ck.Value)
	sessionTokens = append(sessionTokens, ck.Value)

	db, err := sql.Open("sqlite", "file:"+filepath.Join(ts.dir, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	column := func(query string) []string {
		t.Helper()
		rows, err := db.QueryContext(t.Context(), query)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		var vs []string
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return vs
	}
	stored := column(`SELECT token FROM sessions`)
	keys := column(`SELECT key FROM logins`)
	// Five logins by form and one by the API, which starts a session and
	// a JWT login.
	if len(stored) != len(sessionTokens) || len(keys) != 6 {
		t.Fatalf("%d sessions and %d logins stored, want %d and 6", len(stored), len(keys), len(sessionTokens))
	}
	for _, token := range sessionTokens {
		sum := sha256.Sum256([]byte(token))
		want := hex.EncodeToString(sum[:])
		found := false
		for _, s := range stored {
			found = found || s == want
		}
		if !found {
			t.Errorf("no session stored under the SHA-256 of a session token")
		}
	}
	for _, v := range append(stored, keys...) {
		for _, s := range secrets {
			if v == s {
				t.Errorf("the database holds %q, a credential the server set", v)
			}
		}
	}
	t.Run("no stored value signs in", func(t *testing.T) {
		for _, v := range append(stored, keys...) {
			for _, name := range []string{"authlab_session", "authlab_token"} {
				s := ts.status(t, ts.curl(), "Cookie", name+"="+v)
				if s.Authenticated {
					t.Errorf("%s=%s from the database signs in: %+v", name, v, s)
				}
			}
		}
	})
	t.Run("no file in the data folder holds a credential", func(t *testing.T) {
		entries, err := os.ReadDir(ts.dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(ts.dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				if strings.Contains(string(b), s) {
					t.Errorf("%s holds a credential the server set", e.Name())
				}
			}
		}
	})
}

// loginEndpoint is one way of logging in, for throttling tests that run
// the same attempts through each.
type loginEndpoint struct {
	name string
	path string
	json bool
	ok   int // the status of a success
}

var loginEndpoints = []loginEndpoint{
	{name: "session form", path: "/session/login", ok: http.StatusSeeOther},
	{name: "jwt form", path: "/jwt/login", ok: http.StatusSeeOther},
	{name: "API", path: "/api/auth", json: true, ok: http.StatusOK},
}

// try sends one login to e from addr.
func (e loginEndpoint) try(t *testing.T, ts *testServer, addr, username, password string) response {
	t.Helper()
	if e.json {
		b, _ := json.Marshal(map[string]string{"username": username, "password": password})
		return ts.do(t, ts.curl(), http.MethodPost, e.path, "application/json", strings.NewReader(string(b)),
			"X-Forwarded-For", addr)
	}
	return ts.postForm(t, ts.curl(), e.path, creds(username, password), "X-Forwarded-For", addr)
}

// expect checks a login answer: status, and for 429 the Retry-After and
// the body saying the same wait.
func (e loginEndpoint) expect(t *testing.T, r response, status int, retryAfter string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d; body %s", e.name, r.status, status, r.body)
		return
	}
	if got := r.header.Get("Retry-After"); got != retryAfter {
		t.Errorf("%s: Retry-After %q, want %q", e.name, got, retryAfter)
	}
	if status == http.StatusTooManyRequests {
		if len(r.cookies) != 0 {
			t.Errorf("%s: a throttled login set cookies", e.name)
		}
		n, _ := strconv.Atoi(retryAfter)
		if e.json {
			msg := assertJSONError(t, r, status)
			if want := "too many attempts: wait " + waitWords(n); msg != want {
				t.Errorf("%s: error %q, want %q", e.name, msg, want)
			}
		} else {
			assertHTML(t, r, status)
			if want := "Too many attempts. Wait " + waitWords(n) + " before trying again."; !strings.Contains(r.body, want) {
				t.Errorf("%s: the 429 page lacks %q", e.name, want)
			}
		}
	}
}

// waitWords is how the pages word a wait of n seconds.
func waitWords(n int) string {
	switch {
	case n == 1:
		return "1 second"
	case n >= 7200 && n%3600 == 0:
		return strconv.Itoa(n/3600) + " hours"
	case n >= 120 && n%60 == 0:
		return strconv.Itoa(n/60) + " minutes"
	}
	return strconv.Itoa(n) + " seconds"
}

// logLines returns the lines of ts's log at level with message msg.
func logLines(ts *testServer, level, msg string) []string {
	var out []string
	for _, line := range strings.Split(ts.log.String(), "\n") {
		if strings.Contains(line, "level="+level+" ") && (strings.Contains(line, `msg="`+msg+`"`) || strings.Contains(line, "msg="+msg+" ")) {
			out = append(out, line)
		}
	}
	return out
}

// TestThrottlingPerAccount runs the account delay through each login
// endpoint, for an account that exists and one that does not: five free
// failures, then waits of 1, 2 and 4 s, each let through once over.
func TestThrottlingPerAccount(t *testing.T) {
	t.Parallel()
	for _, e := range loginEndpoints {
		for _, exists := range []bool{true, false} {
			name := e.name + map[bool]string{true: "/existing user", false: "/unknown user"}[exists]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				ts := newTestServer(t)
				username, password := "victim", "Right-Pa55word-x"
				if exists {
					if _, err := ts.auth.Users.Seed(t.Context(), username, password); err != nil {
						t.Fatal(err)
					}
				} else {
					username = "nobody-here"
				}
				wrong := "Wr0ng-Guess-Q7"
				addr := "198.51.100.7"
				for range auth.FreeFailures {
					e.expect(t, e.try(t, ts, addr, username, wrong), http.StatusUnauthorized, "")
				}
				for i, wait := range []string{"1", "2", "4"} {
					e.expect(t, e.try(t, ts, addr, username, wrong), http.StatusTooManyRequests, wait)
					if i == 0 && exists {
						// The right password waits too: no hash is checked.
						e.expect(t, e.try(t, ts, addr, username, password), http.StatusTooManyRequests, wait)
					}
					n, _ := strconv.Atoi(wait)
					ts.clock.Advance(time.Duration(n)*time.Second - time.Millisecond)
					e.expect(t, e.try(t, ts, addr, username, wrong), http.StatusTooManyRequests, "1")
					ts.clock.Advance(time.Millisecond)
					if i < 2 {
						e.expect(t, e.try(t, ts, addr, username, wrong), http.StatusUnauthorized, "")
					}
				}
				if exists {
					e.expect(t, e.try(t, ts, addr, username, password), e.ok, "")
					// The success reset the count.
					e.expect(t, e.try(t, ts, addr, username, wrong), http.StatusUnauthorized, "")
				} else {
					e.expect(t, e.try(t, ts, addr, username, password), http.StatusUnauthorized, "")
				}

				ts.Close()
				failed, throttled := logLines(ts, "WARN", "login failed"), logLines(ts, "WARN", "login throttled")
				if len(failed) < auth.FreeFailures+2 || len(throttled) < 3 {
					t.Errorf("%d failed and %d throttled lines at warn, want at least %d and 3", len(failed), len(throttled), auth.FreeFailures+2)
				}
				for _, line := range append(failed, throttled...) {
					if !strings.Contains(line, "client="+addr) || !strings.Contains(line, "username="+username) {
						t.Errorf("log line lacks client or username: %s", line)
					}
				}
				if exists && len(logLines(ts, "INFO", "login")) != 1 {
					t.Errorf("want one login line at info, got %q", logLines(ts, "INFO", "login"))
				}
				for _, secret := range []string{wrong, password} {
					if strings.Contains(ts.log.String(), secret) {
						t.Errorf("the log holds the password %q", secret)
					}
				}
			})
		}
	}
}

// TestThrottlingAccountUnderAttack floods one account with wrong
// passwords from many addresses: the flooders wait, doubled per failure,
// while the real user logs in at once from an address of their own.
func TestThrottlingAccountUnderAttack(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	const flood = 12
	attacker := func(i int) string { return fmt.Sprintf("192.0.2.%d", i+1) }
	for i := range flood {
		r := ts.postForm(t, ts.curl(), "/session/login", creds("user1", "guess"), "X-Forwarded-For", attacker(i))
		if r.status != http.StatusUnauthorized {
			t.Fatalf("first attempt from %s: %d, want 401", attacker(i), r.status)
		}
	}
	// Twelve failures: the delay is 2^(12-5) s.
	r := ts.postForm(t, ts.curl(), "/session/login", creds("user1", "pass123"), "X-Forwarded-For", attacker(0))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "128" {
		t.Errorf("a flooder's next attempt: %d with Retry-After %q, want 429 with 128", r.status, r.header.Get("Retry-After"))
	}
	c := ts.browser(t)
	r = ts.postForm(t, c, "/session/login", creds("user1", "pass123"), "X-Forwarded-For", "203.0.113.99")
	if r.status != http.StatusSeeOther || r.cookie("authlab_session") == nil {
		t.Errorf("the real user from their own address: %d, want 303 with a cookie", r.status)
	}
}

// TestThrottlingPerAddress fails ten logins from one address over several
// usernames: the eleventh waits out the window, even with a right
// password, while other addresses log in.
func TestThrottlingPerAddress(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	addr := "198.51.100.66"
	names := []string{"user1", "user2", "ghost-a", "ghost-b", "ghost-c"}
	for i := range auth.AddressFailures {
		r := ts.postForm(t, ts.curl(), "/jwt/login", creds(names[i%len(names)], "nope-nope"), "X-Forwarded-For", addr)
		if r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, r.status)
		}
	}
	window := strconv.Itoa(int(auth.AddressWindow / time.Second))
	tests := []struct {
		name    string
		e       loginEndpoint
		addr    string
		advance time.Duration
		user    string
		pass    string
		status  int
		retry   string
	}{
		{name: "right password from the address", e: loginEndpoints[0], addr: addr, user: "user1", pass: "pass123",
			status: http.StatusTooManyRequests, retry: window},
		{name: "right password from the address, API", e: loginEndpoints[2], addr: addr, user: "user2", pass: "pass456",
			status: http.StatusTooManyRequests, retry: window},
		{name: "a name never tried", e: loginEndpoints[1], addr: addr, user: "ghost-z", pass: "x",
			status: http.StatusTooManyRequests, retry: window},
		{name: "another address", e: loginEndpoints[2], addr: "198.51.100.67", user: "user2", pass: "pass456",
			status: http.StatusOK},
		{name: "a second before the window ends", e: loginEndpoints[0], addr: addr, advance: auth.AddressWindow - time.Second,
			user: "user1", pass: "pass123", status: http.StatusTooManyRequests, retry: "1"},
		{name: "the window has passed", e: loginEndpoints[0], addr: addr, advance: time.Second,
			user: "user1", pass: "pass123", status: http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts.clock.Advance(tc.advance)
			tc.e.expect(t, tc.e.try(t, ts, tc.addr, tc.user, tc.pass), tc.status, tc.retry)
		})
	}
}

// TestSignupThrottled makes ten signups from one address, one of them
// refused: the eleventh waits out the window and creates nothing.
func TestSignupThrottled(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	addr := "198.51.100.5"
	for i := range auth.AddressSignups {
		name, want := fmt.Sprintf("newbie-%d", i), http.StatusCreated
		if i == 3 {
			name, want = "user1", http.StatusConflict
		}
		if r := ts.postForm(t, ts.curl(), "/signup", creds(name, "long enough pw"), "X-Forwarded-For", addr); r.status != want {
			t.Fatalf("signup %d: %d, want %d", i+1, r.status, want)
		}
	}
	tests := []struct {
		name    string
		addr    string
		advance time.Duration
		user    string
		status  int
		retry   string
		says    string
	}{
		{name: "eleventh", addr: addr, user: "late-one", status: http.StatusTooManyRequests, retry: "600",
			says: "Too many signups from your address. Wait 10 minutes before trying again."},
		{name: "another address", addr: "198.51.100.6", user: "elsewhere", status: http.StatusCreated},
		{name: "a second before the window ends", addr: addr, advance: auth.AddressWindow - time.Second, user: "late-two",
			status: http.StatusTooManyRequests, retry: "1", says: "Wait 1 second"},
		{name: "after the window", addr: addr, advance: time.Second, user: "late-three", status: http.StatusCreated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts.clock.Advance(tc.advance)
			r := ts.postForm(t, ts.curl(), "/signup", creds(tc.user, "long enough pw"), "X-Forwarded-For", tc.addr)
			assertHTML(t, r, tc.status)
			if got := r.header.Get("Retry-After"); got != tc.retry {
				t.Errorf("Retry-After %q, want %q", got, tc.retry)
			}
			if !strings.Contains(r.body, tc.says) {
				t.Errorf("body lacks %q", tc.says)
			}
			// Whether the account exists shows in its login.
			want := http.StatusSeeOther
			if tc.status != http.StatusCreated {
				want = http.StatusUnauthorized
			}
			if r := ts.postForm(t, ts.curl(), "/session/login", creds(tc.user, "long enough pw")); r.status != want {
				t.Errorf("login as %s: %d, want %d", tc.user, r.status, want)
			}
		})
	}
	ts.Close()
	lines := logLines(ts, "WARN", "signup throttled")
	if len(lines) != 2 || !strings.Contains(lines[0], "client="+addr) {
		t.Errorf("signup throttled lines %q, want 2 naming client %s", lines, addr)
	}
}

// TestTrustedProxy sends the same logins with and without a trusted
// proxy: without one, X-Forwarded-For is the client's to write and is
// ignored, so the list shows the connection's address and failures from
// "different" addresses all count against it.
func TestTrustedProxy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		trusted bool
		sixth   int // a sixth wrong password on one account, from a new X-Forwarded-For
		twelfth int // a wrong password after ten failures, for a new name from a new X-Forwarded-For
	}{
		{name: "trusted proxy", trusted: true, sixth: http.StatusUnauthorized, twelfth: http.StatusUnauthorized},
		{name: "no trusted proxy", trusted: false, sixth: http.StatusTooManyRequests, twelfth: http.StatusTooManyRequests},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var opts []option
			if !tc.trusted {
				opts = append(opts, withoutTrustedProxy())
			}
			ts := newTestServer(t, opts...)
			conn, _, err := net.SplitHostPort(ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			forwarded := "203.0.113.77"
			want := map[bool]string{true: forwarded, false: conn}[tc.trusted]

			d := newDevice(t, ts, forwarded, firefoxLinux, "Firefox on Linux")
			d.login(t, "session", "user1", "pass123")
			d.login(t, "jwt", "user1", "pass123")
			for _, l := range d.logins(t) {
				if l.Address != want {
					t.Errorf("%s login listed from %q, want %q", l.Strategy, l.Address, want)
				}
			}
			page := d.get(t, "/account/sessions")
			if !strings.Contains(page.body, "<dd>"+want+"</dd>") || !tc.trusted && strings.Contains(page.body, forwarded) {
				t.Errorf("devices page does not show the address %s alone", want)
			}

			xff := func(i int) string { return fmt.Sprintf("203.0.113.%d", i) }
			for i := range auth.FreeFailures {
				if r := ts.postForm(t, ts.curl(), "/session/login", creds("user2", "wrong"), "X-Forwarded-For", xff(i+1)); r.status != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d", i+1, r.status)
				}
			}
			r := ts.postForm(t, ts.curl(), "/session/login", creds("user2", "wrong"), "X-Forwarded-For", xff(6))
			if r.status != tc.sixth {
				t.Errorf("sixth failure on user2: %d, want %d", r.status, tc.sixth)
			}
			failures := auth.FreeFailures
			if r.status == http.StatusUnauthorized {
				failures++
			}
			for i := failures; i < auth.AddressFailures; i++ {
				if r := ts.postForm(t, ts.curl(), "/jwt/login", creds(fmt.Sprintf("ghost-%d", i), "wrong"), "X-Forwarded-For", xff(10+i)); r.status != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d", i+1, r.status)
				}
			}
			r = ts.postForm(t, ts.curl(), "/jwt/login", creds("ghost-new", "wrong"), "X-Forwarded-For", xff(99))
			if r.status != tc.twelfth {
				t.Errorf("a new name from a new X-Forwarded-For after ten failures: %d, want %d", r.status, tc.twelfth)
			}
			if !tc.trusted && r.header.Get("Retry-After") != strconv.Itoa(int(auth.AddressWindow/time.Second)) {
				t.Errorf("Retry-After %q, want the window", r.header.Get("Retry-After"))
			}

			ts.Close()
			lines := logLines(ts, "WARN", "login failed")
			if len(lines) < auth.FreeFailures {
				t.Fatalf("%d login failed lines at warn", len(lines))
			}
			for _, line := range lines {
				if tc.trusted == strings.Contains(line, "client="+conn+" ") {
					t.Errorf("log line names the wrong client: %s", line)
				}
			}
		})
	}
}

// TestTrustedProxyChain checks which entry of X-Forwarded-For names the
// client behind a trusted proxy: the nearest one the proxies did not
// write, never one the client put in front.
func TestTrustedProxyChain(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tests := []struct {
		name string
		xff  string
		want string
	}{
		{name: "one entry", xff: "203.0.113.5", want: "203.0.113.5"},
		{name: "a spoofed entry in front", xff: "6.6.6.6, 203.0.113.6", want: "203.0.113.6"},
		{name: "a second trusted proxy", xff: "203.0.113.7, 127.0.0.9", want: "203.0.113.7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDevice(t, ts, tc.xff, firefoxLinux, "Firefox on Linux")
			d.login(t, "jwt", "user1", "pass123")
			var current []string
			for _, l := range d.logins(t) {
				if l.Current {
					current = append(current, l.Address)
				}
			}
			if len(current) != 1 || current[0] != tc.want {
				t.Errorf("this login listed from %q, want %q", current, tc.want)
			}
		})
	}
}
