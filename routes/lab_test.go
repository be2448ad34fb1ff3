package routes_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// labBrowser is a browser signed in as user1 under both strategies.
func labBrowser(t *testing.T, ts *testServer) *http.Client {
	t.Helper()
	c := ts.browser(t)
	ts.login(t, c, "session", "user1", "pass123")
	ts.login(t, c, "jwt", "user1", "pass123")
	return c
}

// keep presses "Keep a copy of my cookies" and checks the lab cookie.
func keep(t *testing.T, ts *testServer, c *http.Client) {
	t.Helper()
	r := ts.postForm(t, c, "/learn/lab/keep", url.Values{})
	if r.status != http.StatusSeeOther || r.location() != "/learn/lab#steal" {
		t.Fatalf("POST /learn/lab/keep = %d to %q, want 303 to /learn/lab#steal; body %s", r.status, r.location(), r.body)
	}
}

func TestLabStealAndReplay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// end ends the login of browser c, in the way a user would.
		end                    func(t *testing.T, ts *testServer, c *http.Client)
		sessionReason, jwtWhy  string // the replay's reason, and a word of the JWT's check
		sessionIn, jwtIn       bool
		sessionWhy, jwtReason  string
		sessionCode, tokenCode string
	}{
		{
			name:      "not ended: the copies work",
			end:       func(*testing.T, *testServer, *http.Client) {},
			sessionIn: true, jwtIn: true, sessionWhy: "still in the store", jwtWhy: "neither its jti nor its sid",
			sessionCode: "return SessionState{User: u, Record: rec", tokenCode: "return c, nil",
		},
		{
			name: "logout",
			end: func(t *testing.T, ts *testServer, c *http.Client) {
				for _, p := range []string{"/session/logout", "/jwt/logout"} {
					if r := ts.postForm(t, c, p, url.Values{}); r.status != http.StatusSeeOther {
						t.Fatalf("POST %s = %d", p, r.status)
					}
				}
			},
			sessionReason: "revoked", jwtReason: "revoked", sessionWhy: "Record gone", jwtWhy: "both its jti (this token) and its sid",
			sessionCode: "return SessionState{Err: ErrLoginEnded}", tokenCode: "t.revoked.isRevoked(c.ID) || t.revoked.isRevoked(c.SessionID)",
		},
		{
			name: "End from the devices page",
			end: func(t *testing.T, ts *testServer, c *http.Client) {
				r := ts.get(t, c, "/api/auth/sessions")
				for _, l := range decodeLogins(t, r) {
					if r := ts.postForm(t, c, "/account/sessions", url.Values{"end": {l.ID}}); r.status >= http.StatusBadRequest {
						t.Fatalf("End %s login = %d; body %s", l.Strategy, r.status, r.body)
					}
				}
			},
			sessionReason: "revoked", jwtReason: "revoked", sessionWhy: "Record gone", jwtWhy: "its sid",
			sessionCode: "return SessionState{Err: ErrLoginEnded}", tokenCode: "t.revoked.isRevoked(c.ID)",
		},
		{
			name: "password changed from another browser",
			end: func(t *testing.T, ts *testServer, _ *http.Client) {
				other := ts.browser(t)
				ts.login(t, other, "session", "user1", "pass123")
				r := ts.postForm(t, other, "/account/password", url.Values{"current": {"pass123"}, "password": {"a-new-password-1"}})
				if r.status != http.StatusOK {
					t.Fatalf("POST /account/password = %d; body %s", r.status, r.body)
				}
			},
			sessionReason: "revoked", jwtReason: "revoked", sessionWhy: "Record gone", jwtWhy: "its sid but not its jti",
			sessionCode: "return SessionState{Err: ErrLoginEnded}", tokenCode: "t.revoked.isRevoked(c.ID)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t)
			c := labBrowser(t, ts)
			r := ts.postForm(t, c, "/learn/lab/keep", url.Values{})
			if r.status != http.StatusSeeOther {
				t.Fatalf("POST /learn/lab/keep = %d; body %s", r.status, r.body)
			}
			ck := r.cookie("authlab_lab")
			if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.MaxAge != 600 || ck.Secure {
				t.Fatalf("lab cookie %+v, want HttpOnly, SameSite=Lax, Path=/, Max-Age=600, not Secure over http", ck)
			}
			if page := ts.get(t, c, "/learn/lab"); !strings.Contains(testID(page.body, "lab-kept"), "session cookie and JWT") {
				t.Errorf("the lab page does not say both copies are kept: %q", testID(page.body, "lab-kept"))
			}
			tc.end(t, ts, c)

			r = ts.postForm(t, c, "/learn/lab/replay", url.Values{})
			assertHTML(t, r, http.StatusOK)
			for _, side := range []struct {
				id, reason, why, code string
				in                    bool
			}{
				{"replay-session", tc.sessionReason, tc.sessionWhy, tc.sessionCode, tc.sessionIn},
				{"replay-jwt", tc.jwtReason, tc.jwtWhy, tc.tokenCode, tc.jwtIn},
			} {
				if !strings.Contains(r.body, `data-testid="`+side.id+`"`) {
					t.Fatalf("no %s answer in the page", side.id)
				}
				if got := testID(r.body, side.id+"-reason"); got != side.reason {
					t.Errorf("%s reason %q, want %q", side.id, got, side.reason)
				}
				if got := testID(r.body, side.id+"-check"); !strings.Contains(got, side.why) {
					t.Errorf("%s check %q, want it to say %q", side.id, got, side.why)
				}
				if !strings.Contains(r.body, htmlEscape(side.code)) {
					t.Errorf("%s: the page does not quote the deciding line %q", side.id, side.code)
				}
			}
			if !strings.Contains(r.body, `href="/learn/4#code-Tokens-Verify"`) || !strings.Contains(r.body, `href="/learn/4#code-Sessions-current"`) {
				t.Error("the replay links no code panel of step 4")
			}
		})
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

func TestLabCopiesAreTheBrowsersOwn(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	owner := labBrowser(t, ts)
	keep(t, ts, owner)

	tests := []struct {
		name   string
		client func() *http.Client
		status int
	}{
		{"no lab cookie", func() *http.Client { return ts.browser(t) }, http.StatusNotFound},
		{"a lab id the server never gave", func() *http.Client {
			c := ts.browser(t)
			ts.plant(t, c, "authlab_lab", "NOTALABIDNOTALABIDNOTALAB")
			return c
		}, http.StatusNotFound},
		{"another signed-in browser", func() *http.Client { return labBrowser(t, ts) }, http.StatusNotFound},
		{"the owner", func() *http.Client { return owner }, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.postForm(t, tc.client(), "/learn/lab/replay", url.Values{})
			assertHTML(t, r, tc.status)
			if tc.status == http.StatusNotFound && !strings.Contains(r.body, "No copies to replay") {
				t.Errorf("the 404 does not say there are no copies:\n%s", r.body)
			}
		})
	}

	t.Run("forgotten after ten minutes", func(t *testing.T) {
		ts := newTestServer(t)
		c := labBrowser(t, ts)
		keep(t, ts, c)
		ts.clock.Advance(10*time.Minute + time.Second)
		assertHTML(t, ts.postForm(t, c, "/learn/lab/replay", url.Values{}), http.StatusNotFound)
	})

	t.Run("nothing kept for a signed-out browser", func(t *testing.T) {
		r := ts.postForm(t, ts.browser(t), "/learn/lab/keep", url.Values{})
		assertHTML(t, r, http.StatusForbidden)
		if len(r.cookies) != 0 {
			t.Errorf("a refused keep set cookies: %q", r.header.Values("Set-Cookie"))
		}
	})

	t.Run("the page never shows the cookies", func(t *testing.T) {
		session, token := ts.jarCookie(t, owner, "authlab_session"), ts.jarCookie(t, owner, "authlab_token")
		for _, r := range []response{ts.get(t, owner, "/learn/lab"), ts.postForm(t, owner, "/learn/lab/replay", url.Values{})} {
			if strings.Contains(r.body, session) || strings.Contains(r.body, token) {
				t.Error("the lab page holds a cookie value")
			}
		}
		if strings.Contains(ts.log.String(), session) || strings.Contains(ts.log.String(), token) {
			t.Error("the log holds a cookie value")
		}
	})
}

func TestLabCookieBehindHTTPS(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, withHTTPSBaseURL())
	c := ts.browser(t)
	r := ts.postForm(t, c, "/session/login", creds("user1", "pass123"))
	session := r.cookie("__Host-authlab_session")
	if session == nil {
		t.Fatalf("no __Host- session cookie: %q", r.header.Values("Set-Cookie"))
	}
	// The jar keeps no Secure cookie over http; send it by hand.
	r = ts.do(t, ts.curl(), http.MethodPost, "/learn/lab/keep", "application/x-www-form-urlencoded", nil,
		"Cookie", "__Host-authlab_session="+session.Value)
	ck := r.cookie("__Host-authlab_lab")
	if r.status != http.StatusSeeOther || ck == nil || !ck.Secure || !ck.HttpOnly || ck.Path != "/" {
		t.Fatalf("keep behind https = %d with lab cookie %+v, want 303 and a Secure __Host- cookie", r.status, ck)
	}
}

// tokenJSON returns the compact header and claims of a JWT.
func tokenJSON(t *testing.T, raw string) (header, claims string) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", raw)
	}
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	c, _ := base64.RawURLEncoding.DecodeString(parts[1])
	return string(h), string(c)
}

func TestLabTamper(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := labBrowser(t, ts)
	header, claims := tokenJSON(t, ts.jarCookie(t, c, "authlab_token"))
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(claims), "\t", "    "); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		form   url.Values
		status int
		reason string // "" means accepted
		why    string
	}{
		{"unchanged", url.Values{"header": {header}, "claims": {claims}}, http.StatusOK, "", "byte for byte"},
		{"alg: none", url.Values{"preset": {"alg-none"}}, http.StatusOK, "bad_signature", "algorithm is pinned"},
		{"another sub", url.Values{"preset": {"sub"}}, http.StatusOK, "bad_signature", "HMAC-SHA256"},
		{"a later exp", url.Values{"preset": {"exp"}}, http.StatusOK, "bad_signature", "HMAC-SHA256"},
		{"another kid", url.Values{"preset": {"kid"}}, http.StatusOK, "bad_signature", "No key this server holds"},
		{"sub edited by hand", url.Values{"header": {header}, "claims": {strings.Replace(claims, `"sub":"1"`, `"sub":"2"`, 1)}}, http.StatusOK, "bad_signature", "HMAC-SHA256"},
		{"a claim twice", url.Values{"header": {header}, "claims": {strings.Replace(claims, `{`, `{"sub":"2",`, 1)}}, http.StatusOK, "malformed", "no longer reads"},
		{"malformed JSON", url.Values{"header": {header}, "claims": {`{"sub": "1"`}}, http.StatusBadRequest, "", ""},
		{"not an object", url.Values{"header": {`["alg"]`}, "claims": {claims}}, http.StatusBadRequest, "", ""},
		{"empty", url.Values{}, http.StatusBadRequest, "", ""},
		{"unknown quick edit", url.Values{"preset": {"steal"}}, http.StatusBadRequest, "", ""},
		{"a field too long", url.Values{"header": {header}, "claims": {`{"x":"` + strings.Repeat("a", 5000) + `"}`}}, http.StatusRequestEntityTooLarge, "", ""},
		{"a body too long", url.Values{"header": {strings.Repeat("a", 20000)}}, http.StatusRequestEntityTooLarge, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.postForm(t, c, "/learn/lab/tamper", tc.form)
			assertHTML(t, r, tc.status)
			if tc.status != http.StatusOK {
				return
			}
			if !strings.Contains(r.body, `data-testid="tamper-result"`) {
				t.Fatal("no tamper result")
			}
			if got := testID(r.body, "tamper-reason"); got != tc.reason {
				t.Errorf("reason %q, want %q", got, tc.reason)
			}
			if got := testID(r.body, "tamper-why"); !strings.Contains(got, tc.why) {
				t.Errorf("why %q, want it to say %q", got, tc.why)
			}
		})
	}

	t.Run("a body too long is told the lab's own limit", func(t *testing.T) {
		r := ts.postForm(t, c, "/learn/lab/tamper", url.Values{"header": {strings.Repeat("a", 20000)}})
		assertHTML(t, r, http.StatusRequestEntityTooLarge)
		if !strings.Contains(r.body, "The lab&#39;s forms take at most 16 KiB.") {
			t.Errorf("the 413 does not give the lab's limit; body:\n%s", r.body)
		}
	})

	t.Run("the unchanged JSON, indented as the form shows it", func(t *testing.T) {
		page := ts.get(t, c, "/learn/lab")
		if !strings.Contains(page.body, `id="tamper-claims"`) {
			t.Fatal("no claims text area")
		}
		r := ts.postForm(t, c, "/learn/lab/tamper", url.Values{"header": {header}, "claims": {pretty.String()}})
		if got := testID(r.body, "tamper-reason"); got != "" {
			t.Errorf("reindented claims refused as %q", got)
		}
	})

	t.Run("no JWT", func(t *testing.T) {
		assertHTML(t, ts.postForm(t, ts.browser(t), "/learn/lab/tamper", url.Values{"preset": {"sub"}}), http.StatusConflict)
	})
}

func TestLabFlipAndLeak(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := labBrowser(t, ts)

	r := ts.postForm(t, c, "/learn/lab/flip", url.Values{})
	assertHTML(t, r, http.StatusOK)
	if got := testID(r.body, "flip-reason"); got != "expired" {
		t.Errorf("flipped session cookie: reason %q, want expired (no record)", got)
	}
	if st := ts.status(t, c); !st.Strategies.Session.Authenticated {
		t.Error("the flip signed the browser out")
	}

	session := ts.jarCookie(t, c, "authlab_session")
	sum := sha256.Sum256([]byte(session))
	page := ts.get(t, c, "/learn/lab")
	assertHTML(t, page, http.StatusOK)
	if got, want := testID(page.body, "leak-session-key"), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("leak-session-key %q, want the SHA-256 of the cookie %q", got, want)
	}
	if got := testID(page.body, "leak-hash-reason"); got != "malformed" {
		t.Errorf("the hash presented as a cookie: reason %q, want malformed", got)
	}
	if strings.Contains(page.body, "$argon2id$") || strings.Contains(page.body, string(testKey)) {
		t.Error("the leak section shows a hash or the key")
	}
	if testID(page.body, "leak-kid") == "" {
		t.Error("the leak section does not name the JWT's kid")
	}

	t.Run("no session", func(t *testing.T) {
		assertHTML(t, ts.postForm(t, ts.browser(t), "/learn/lab/flip", url.Values{}), http.StatusConflict)
	})
}

// guesses returns the status and wait of each attempt in a guess page.
func guesses(body string) (statuses, waits []string) {
	for _, row := range strings.Split(body, `data-testid="guess-attempt"`)[1:] {
		statuses = append(statuses, testID(row, "guess-status"))
		waits = append(waits, testID(row, "guess-wait"))
	}
	return statuses, waits
}

func TestLabGuess(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := labBrowser(t, ts)

	r := ts.postForm(t, c, "/learn/lab/guess", url.Values{})
	assertHTML(t, r, http.StatusOK)
	account := testID(r.body, "guess-account")
	if !strings.HasPrefix(account, "lab-") {
		t.Fatalf("lab account %q, want lab-…", account)
	}
	statuses, waits := guesses(r.body)
	if want := []string{"401", "401", "401", "401", "401", "429", "429", "429"}; strings.Join(statuses, " ") != strings.Join(want, " ") {
		t.Errorf("first burst %v, want %v", statuses, want)
	}
	if waits[5] != "1 s" || waits[0] != "none" {
		t.Errorf("waits %q, want none for a 401 and 1 s after five failures", waits)
	}

	ts.clock.Advance(time.Second)
	r = ts.postForm(t, c, "/learn/lab/guess", url.Values{})
	if got := testID(r.body, "guess-account"); got != account {
		t.Errorf("second burst used account %q, want the same %q", got, account)
	}
	statuses, waits = guesses(r.body)
	if statuses[0] != "401" || statuses[1] != "429" || waits[1] != "2 s" {
		t.Errorf("second burst %v %q, want 401 then 429 with 2 s", statuses, waits)
	}

	// user1's own account was never tried: it logs in at once from
	// another address.
	other := ts.browser(t)
	if r := ts.postForm(t, other, "/session/login", creds("user1", "pass123"), "X-Forwarded-For", "10.255.0.1"); r.status != http.StatusSeeOther {
		t.Errorf("user1 login after the lab's bursts = %d, want 303", r.status)
	}

	t.Run("signed out, no lab", func(t *testing.T) {
		assertHTML(t, ts.postForm(t, ts.browser(t), "/learn/lab/guess", url.Values{}), http.StatusForbidden)
	})
}

func TestLabPage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tests := []struct {
		name     string
		client   *http.Client
		contains []string
	}{
		{"signed out", ts.browser(t), []string{`data-testid="lab-signed-out"`, `<a href="/learn/lab" aria-current="page">Lab</a>`,
			`id="steal"`, `id="tamper"`, `id="leak"`, `id="guess"`}},
		{"signed in", labBrowser(t, ts), []string{`action="/learn/lab/keep"`, `action="/learn/lab/tamper#tamper-result"`,
			`name="preset" value="alg-none"`, `action="/learn/lab/flip#flip-result"`, `action="/learn/lab/guess#guess-result"`,
			`href="/learn/1#code-loginWait"`, `href="/learn/3#code-sessionKey"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.get(t, tc.client, "/learn/lab")
			assertHTML(t, r, http.StatusOK)
			for _, s := range tc.contains {
				if !strings.Contains(r.body, s) {
					t.Errorf("page lacks %s", s)
				}
			}
		})
	}
	for _, path := range []string{"/learn", "/learn/1", "/learn/tradeoffs", "/learn/quiz"} {
		if r := ts.get(t, ts.browser(t), path); !strings.Contains(r.body, `<a href="/learn/lab">Lab</a>`) {
			t.Errorf("%s does not link the lab", path)
		}
	}
}
