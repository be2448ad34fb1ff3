package routes_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authlab/authlab/auth"
)

// claims returns the claims of a genuine token for user sub, issued now
// with ten minutes to live.
func (ts *testServer) claims(sub string) jwt.MapClaims {
	now := ts.clock.Now()
	return jwt.MapClaims{
		"iss":       "authlab",
		"aud":       []string{"authlab"},
		"sub":       sub,
		"iat":       now.Unix(),
		"exp":       now.Add(10 * time.Minute).Unix(),
		"jti":       rand.Text(),
		"sid":       rand.Text(),
		"auth_time": now.Unix(),
	}
}

func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", m.Alg(), err)
	}
	return s
}

func segment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestForgedTokens presents tokens an attacker could make, in the Bearer
// header and in the JWT cookie, and expects each refused with its reason.
func TestForgedTokens(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	with := func(sub string, edit func(jwt.MapClaims)) jwt.MapClaims {
		c := ts.claims(sub)
		edit(c)
		return c
	}
	hs256 := func(c jwt.MapClaims) func(*testing.T) string {
		return func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, testKey, c) }
	}
	now := ts.clock.Now()
	tests := []struct {
		name   string
		token  func(*testing.T) string
		reason string // "" means accepted
	}{
		{name: "genuine", token: hs256(ts.claims("1"))},
		{name: "genuine, audience as a string", token: hs256(with("1", func(c jwt.MapClaims) { c["aud"] = "authlab" }))},
		{name: "alg none", reason: "bad_signature", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, ts.claims("1"))
		}},
		{name: "alg none over a genuine signature", reason: "bad_signature", token: func(t *testing.T) string {
			parts := strings.Split(sign(t, jwt.SigningMethodHS256, testKey, ts.claims("1")), ".")
			return segment(t, map[string]string{"alg": "none", "typ": "JWT"}) + "." + parts[1] + "." + parts[2]
		}},
		{name: "HS384 with the right key", reason: "bad_signature", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS384, testKey, ts.claims("1"))
		}},
		{name: "HS512 with the right key", reason: "bad_signature", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS512, testKey, ts.claims("1"))
		}},
		{name: "ES256", reason: "bad_signature", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodES256, ecKey, ts.claims("1"))
		}},
		{name: "HS256 with the wrong key", reason: "bad_signature", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, []byte("not-the-key-not-the-key-not-the-key"), ts.claims("1"))
		}},
		{name: "tampered payload", reason: "bad_signature", token: func(t *testing.T) string {
			c := ts.claims("2")
			parts := strings.Split(sign(t, jwt.SigningMethodHS256, testKey, c), ".")
			c["sub"] = "1"
			return parts[0] + "." + segment(t, c) + "." + parts[2]
		}},
		{name: "signature stripped", reason: "bad_signature", token: func(t *testing.T) string {
			parts := strings.Split(sign(t, jwt.SigningMethodHS256, testKey, ts.claims("1")), ".")
			return parts[0] + "." + parts[1] + "."
		}},
		{name: "missing exp", reason: "malformed", token: hs256(with("1", func(c jwt.MapClaims) { delete(c, "exp") }))},
		{name: "exp not a number", reason: "malformed", token: hs256(with("1", func(c jwt.MapClaims) { c["exp"] = "tomorrow" }))},
		{name: "exp an hour ago", reason: "expired", token: hs256(with("1", func(c jwt.MapClaims) {
			c["iat"], c["auth_time"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		}))},
		{name: "exp past the leeway", reason: "expired", token: hs256(with("1", func(c jwt.MapClaims) {
			c["iat"], c["auth_time"], c["exp"] = now.Add(-15*time.Minute).Unix(), now.Add(-15*time.Minute).Unix(), now.Add(-31*time.Second).Unix()
		}))},
		{name: "nbf in the future", reason: "not_yet_valid", token: hs256(with("1", func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }))},
		{name: "iat in the future", reason: "not_yet_valid", token: hs256(with("1", func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() }))},
		{name: "wrong iss", reason: "malformed", token: hs256(with("1", func(c jwt.MapClaims) { c["iss"] = "evil" }))},
		{name: "missing iss", reason: "malformed", token: hs256(with("1", func(c jwt.MapClaims) { delete(c, "iss") }))},
		{name: "wrong aud", reason: "malformed", token: hs256(with("1", func(c jwt.MapClaims) { c["aud"] = []string{"someone-else"} }))},
		{name: "missing aud", reason: "malformed", token: hs256(with("1", func(c jwt.MapClaims) { delete(c, "aud") }))},
		{name: "missing iat", reason: "malformed", token: hs256(with("1", func(c jwt.MapClaims) { delete(c, "iat") }))},
		{name: "missing jti", reason: "malformed", token: hs256(with("1", func(c jwt.MapClaims) { delete(c, "jti") }))},
		{name: "missing sid", reason: "malformed", token: hs256(with("1", func(c jwt.MapClaims) { delete(c, "sid") }))},
		{name: "missing sub", reason: "malformed", token: hs256(with("1", func(c jwt.MapClaims) { delete(c, "sub") }))},
		{name: "sub not a number", reason: "malformed", token: hs256(ts.claims("user1"))},
		{name: "sub zero", reason: "malformed", token: hs256(ts.claims("0"))},
		{name: "sub negative", reason: "malformed", token: hs256(ts.claims("-1"))},
		{name: "revoked", reason: "revoked", token: func(t *testing.T) string {
			c := ts.claims("1")
			// Only the token's jti is listed: the sid revoked beside it is
			// another login's, so the refusal can come from the jti alone.
			revoked := &auth.Claims{AuthTime: jwt.NewNumericDate(now), SessionID: rand.Text()}
			revoked.ID, revoked.ExpiresAt = c["jti"].(string), jwt.NewNumericDate(now.Add(10*time.Minute))
			if err := ts.auth.Tokens.Revoke(t.Context(), revoked); err != nil {
				t.Fatal(err)
			}
			return sign(t, jwt.SigningMethodHS256, testKey, c)
		}},
		{name: "unknown user", reason: "unknown_user", token: hs256(ts.claims("999"))},
		{name: "not a JWT", reason: "malformed", token: func(*testing.T) string { return "hello" }},
		{name: "three junk segments", reason: "malformed", token: func(*testing.T) string { return "a.b.c" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := tc.token(t)
			c := ts.curl()

			bearer := ts.status(t, c, "Authorization", "Bearer "+token).Strategies.JWT
			cookie := ts.status(t, c, "Cookie", "authlab_token="+token).Strategies.JWT
			for via, got := range map[string]strategyJSON{"Bearer header": bearer, "cookie": cookie} {
				if tc.reason == "" {
					if !got.Authenticated || got.UserID != 1 {
						t.Errorf("API via %s: %+v, want accepted as user 1", via, got)
					}
					continue
				}
				if got.Authenticated || got.Reason != tc.reason || got.UserID != 0 {
					t.Errorf("API via %s: %+v, want refused with reason %q", via, got, tc.reason)
				}
			}

			r := ts.get(t, c, "/jwt/dashboard", "Cookie", "authlab_token="+token)
			if tc.reason == "" {
				assertHTML(t, r, http.StatusOK)
				return
			}
			if r.status != http.StatusSeeOther || r.location() != "/jwt/login?next=%2Fjwt%2Fdashboard" {
				t.Errorf("dashboard: %d to %q, want 303 to /jwt/login?next=%%2Fjwt%%2Fdashboard", r.status, r.location())
			}
			if r.cookie("authlab_token") != nil {
				t.Errorf("a refused token was renewed: %q", r.header.Values("Set-Cookie"))
			}

			r = ts.get(t, c, "/compare", "Cookie", "authlab_token="+token)
			if got := testID(r.body, "reason-jwt"); got != tc.reason {
				t.Errorf("compare page reason %q, want %q", got, tc.reason)
			}
		})
	}
}

// TestSessionFixation plants user2's session token in a fresh browser and
// logs that browser in as user1: the token must change, and the planted
// one must be dead.
func TestSessionFixation(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"sqlite", "memory"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			var opts []option
			if store == "memory" {
				opts = append(opts, withMemoryStore())
			}
			ts := newTestServer(t, opts...)
			attacker := ts.browser(t)
			planted := ts.login(t, attacker, "session", "user2", "pass456")

			victim := ts.browser(t)
			ts.plant(t, victim, "authlab_session", planted)
			if s := ts.status(t, victim); s.Username != "user2" {
				t.Fatalf("the planted cookie does not work before login: %+v", s)
			}
			fresh := ts.login(t, victim, "session", "user1", "pass123")
			if fresh == planted {
				t.Fatalf("login kept the planted token %s", planted)
			}
			if got := ts.jarCookie(t, victim, "authlab_session"); got != fresh {
				t.Errorf("victim's jar holds %q, want the new token", got)
			}
			if s := ts.status(t, victim); s.Strategies.Session.Username != "user1" {
				t.Errorf("victim: %+v, want user1", s.Strategies.Session)
			}
			// The planted token signs in no one, least of all user1.
			s := ts.status(t, attacker)
			if s.Strategies.Session.Authenticated || s.Strategies.Session.Reason != "expired" {
				t.Errorf("planted token after the victim's login: %+v, want reason expired", s.Strategies.Session)
			}
			r := ts.get(t, ts.curl(), "/session/dashboard", "Cookie", "authlab_session="+planted)
			if r.status != http.StatusSeeOther {
				t.Errorf("planted token on the dashboard: %d, want 303", r.status)
			}
		})
	}
}

// TestDeletedUser checks unknown_user under both strategies for a
// user deleted while signed in.
func TestDeletedUser(t *testing.T) {
	t.Parallel()
	users := &stubUsers{}
	ts := newTestServer(t, withStubUsers(users))
	c := ts.browser(t)
	ts.login(t, c, "session", "user2", "pass456")
	ts.login(t, c, "jwt", "user2", "pass456")
	users.deleted.Store(2)
	s := ts.status(t, c)
	if s.Authenticated || s.Strategies.Session.Reason != "unknown_user" || s.Strategies.JWT.Reason != "unknown_user" {
		t.Errorf("after deleting user2: %+v, want unknown_user under both", s)
	}
	for _, st := range strategies {
		if r := ts.get(t, c, st.dashboard); r.status != http.StatusSeeOther {
			t.Errorf("%s: %d, want 303", st.dashboard, r.status)
		}
	}
}

// TestCrossSiteRequests sends every unsafe route as a browser would from
// another site, and as curl would.
func TestCrossSiteRequests(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	var n atomic.Int64
	type route struct {
		name   string
		method string
		path   string
		ctype  string
		body   func() string
		ok     int // the status when allowed
	}
	unsafeRoutes := []route{
		{"session login", http.MethodPost, "/session/login", "application/x-www-form-urlencoded",
			func() string { return creds("user1", "pass123").Encode() }, http.StatusSeeOther},
		{"jwt login", http.MethodPost, "/jwt/login", "application/x-www-form-urlencoded",
			func() string { return creds("user1", "pass123").Encode() }, http.StatusSeeOther},
		{"signup", http.MethodPost, "/signup", "application/x-www-form-urlencoded",
			func() string { return creds(fmt.Sprintf("csrf%d", n.Add(1)), "long enough").Encode() }, http.StatusCreated},
		{"session logout", http.MethodPost, "/session/logout", "application/x-www-form-urlencoded",
			func() string { return "" }, http.StatusSeeOther},
		{"jwt logout", http.MethodPost, "/jwt/logout", "application/x-www-form-urlencoded",
			func() string { return "" }, http.StatusSeeOther},
		{"API login", http.MethodPost, "/api/auth", "application/json",
			func() string { return `{"username":"user1","password":"pass123"}` }, http.StatusOK},
		{"API login as a form", http.MethodPost, "/api/auth", "application/x-www-form-urlencoded",
			func() string { return creds("user1", "pass123").Encode() }, http.StatusOK},
		{"API logout", http.MethodDelete, "/api/auth", "", func() string { return "" }, http.StatusNoContent},
		{"quiz", http.MethodPost, "/learn/quiz", "application/x-www-form-urlencoded",
			func() string { return "" }, http.StatusOK},
		// The account controls and the lab change state too. Signed out,
		// an allowed request is sent to log in (forms), told why (API), or
		// told what the lab needs first: for keep and guess that is a 403
		// too, which the refusal's own words tell apart.
		{"log out everywhere", http.MethodPost, "/account/sessions", "application/x-www-form-urlencoded",
			func() string { return "end=everywhere" }, http.StatusSeeOther},
		{"password change", http.MethodPost, "/account/password", "application/x-www-form-urlencoded",
			func() string { return "current=pass123&new=another+password&confirm=another+password" }, http.StatusSeeOther},
		{"API end other logins", http.MethodDelete, "/api/auth/sessions", "", func() string { return "" }, http.StatusUnauthorized},
		{"API end a login", http.MethodDelete, "/api/auth/sessions/abc", "", func() string { return "" }, http.StatusUnauthorized},
		{"lab keep", http.MethodPost, "/learn/lab/keep", "application/x-www-form-urlencoded", func() string { return "" }, http.StatusForbidden},
		{"lab replay", http.MethodPost, "/learn/lab/replay", "application/x-www-form-urlencoded", func() string { return "" }, http.StatusNotFound},
		{"lab tamper", http.MethodPost, "/learn/lab/tamper", "application/x-www-form-urlencoded", func() string { return "" }, http.StatusConflict},
		{"lab flip", http.MethodPost, "/learn/lab/flip", "application/x-www-form-urlencoded", func() string { return "" }, http.StatusConflict},
		{"lab guess", http.MethodPost, "/learn/lab/guess", "application/x-www-form-urlencoded", func() string { return "" }, http.StatusForbidden},
	}
	headers := []struct {
		name    string
		header  []string
		refused bool
	}{
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site"}, true},
		{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site"}, true},
		{"Origin of another site", []string{"Origin", "http://evil.example"}, true},
		{"Origin null", []string{"Origin", "null"}, true},
		{"Origin of this host on another port", []string{"Origin", "http://127.0.0.1:1"}, true},
		{"cross-site with its Origin", []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example"}, true},
		{"curl: no such headers", nil, false},
		{"Sec-Fetch-Site same-origin", []string{"Sec-Fetch-Site", "same-origin"}, false},
		{"Sec-Fetch-Site none", []string{"Sec-Fetch-Site", "none"}, false},
		{"Origin of this site", []string{"Origin", ts.URL}, false},
		{"same-origin with its Origin", []string{"Sec-Fetch-Site", "same-origin", "Origin", ts.URL}, false},
	}
	for _, rt := range unsafeRoutes {
		for _, h := range headers {
			t.Run(rt.name+"/"+h.name, func(t *testing.T) {
				var body io.Reader
				if b := rt.body(); b != "" {
					body = strings.NewReader(b)
				}
				r := ts.do(t, ts.curl(), rt.method, rt.path, rt.ctype, body, h.header...)
				if !h.refused {
					if r.status != rt.ok {
						t.Errorf("status %d, want %d; body:\n%s", r.status, rt.ok, r.body)
					}
					return
				}
				if strings.HasPrefix(rt.path, "/api/") {
					assertJSONError(t, r, http.StatusForbidden)
				} else {
					assertHTML(t, r, http.StatusForbidden)
					if !strings.Contains(r.body, "Cross-site request refused") {
						t.Errorf("refused without saying why; body:\n%s", r.body)
					}
				}
				if len(r.cookies) != 0 {
					t.Errorf("a refused request set cookies: %q", r.header.Values("Set-Cookie"))
				}
			})
		}
	}

	t.Run("a refused logout leaves the user signed in", func(t *testing.T) {
		c := ts.browser(t)
		ts.login(t, c, "session", "user1", "pass123")
		ts.login(t, c, "jwt", "user1", "pass123")
		for _, rt := range []struct{ method, path string }{
			{http.MethodPost, "/session/logout"}, {http.MethodPost, "/jwt/logout"}, {http.MethodDelete, "/api/auth"},
			{http.MethodPost, "/account/sessions"}, {http.MethodDelete, "/api/auth/sessions"},
			{http.MethodPost, "/account/password"},
		} {
			r := ts.do(t, c, rt.method, rt.path, "", nil, "Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example")
			if r.status != http.StatusForbidden {
				t.Errorf("%s %s: %d, want 403", rt.method, rt.path, r.status)
			}
		}
		if s := ts.status(t, c); !s.Strategies.Session.Authenticated || !s.Strategies.JWT.Authenticated {
			t.Errorf("after refused logouts: %+v, want signed in under both", s)
		}
	})
	t.Run("a refused signup creates no account", func(t *testing.T) {
		r := ts.postForm(t, ts.curl(), "/signup", creds("planted", "long enough"), "Sec-Fetch-Site", "cross-site")
		if r.status != http.StatusForbidden {
			t.Fatalf("status %d", r.status)
		}
		if r := ts.postForm(t, ts.curl(), "/session/login", creds("planted", "long enough")); r.status != http.StatusUnauthorized {
			t.Errorf("login as the refused signup: %d, want 401", r.status)
		}
	})
	t.Run("cross-site GETs still work", func(t *testing.T) {
		for _, p := range []string{"/", "/session/login", "/compare", "/api/auth"} {
			if r := ts.get(t, ts.curl(), p, "Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example"); r.status != http.StatusOK {
				t.Errorf("GET %s: %d, want 200", p, r.status)
			}
		}
	})
}

// TestTrustedBaseURL checks that the configured public URL is accepted as
// an origin even when the Host header differs, as behind a proxy.
func TestTrustedBaseURL(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, withHTTPSBaseURL())
	tests := []struct {
		origin string
		status int
	}{
		{"https://authlab.example", http.StatusSeeOther},
		{"http://authlab.example", http.StatusForbidden},
		{"https://evil.example", http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.origin, func(t *testing.T) {
			r := ts.postForm(t, ts.curl(), "/session/login", creds("user1", "pass123"), "Origin", tc.origin)
			if r.status != tc.status {
				t.Errorf("status %d, want %d", r.status, tc.status)
			}
		})
	}
}

// TestOpenRedirects tries next values that would send a user off the site
// after login; each must land on the dashboard instead.
func TestOpenRedirects(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tests := []struct {
		name string
		next string // raw, already form-encoded
		want string // "" means the strategy's dashboard
	}{
		{name: "none", next: "", want: ""},
		{name: "local page", next: url.QueryEscape("/compare"), want: "/compare"},
		{name: "local page with a query", next: url.QueryEscape("/compare?strategy=jwt"), want: "/compare?strategy=jwt"},
		{name: "the other dashboard", next: url.QueryEscape("/jwt/dashboard"), want: "/jwt/dashboard"},
		{name: "protocol-relative", next: url.QueryEscape("//evil.example")},
		{name: "protocol-relative with a path", next: url.QueryEscape("//evil.example/session/dashboard")},
		{name: "three slashes", next: url.QueryEscape("///evil.example")},
		{name: "https URL", next: url.QueryEscape("https://evil.example")},
		{name: "http URL", next: url.QueryEscape("http://evil.example/")},
		{name: "URL of this site", next: url.QueryEscape(ts.URL + "/compare")},
		{name: "backslash", next: url.QueryEscape(`/\evil.example`)},
		{name: "two backslashes", next: url.QueryEscape(`\\evil.example`)},
		{name: "slash backslash slash", next: url.QueryEscape(`/\/evil.example`)},
		{name: "javascript", next: url.QueryEscape("javascript:alert(1)")},
		{name: "javascript in capitals", next: url.QueryEscape("JaVaScRiPt:alert(1)")},
		{name: "data URL", next: url.QueryEscape("data:text/html,<script>alert(1)</script>")},
		{name: "no leading slash", next: url.QueryEscape("evil.example")},
		{name: "tab between slashes", next: url.QueryEscape("/\t/evil.example")},
		{name: "newline between slashes", next: url.QueryEscape("/\n/evil.example")},
		{name: "leading space", next: url.QueryEscape(" //evil.example")},
		{name: "encoded slashes", next: "%2F%2Fevil.example"},
		{name: "encoded backslash", next: "%2F%5Cevil.example"},
		{name: "encoded https URL", next: "https%3A%2F%2Fevil.example"},
		{name: "encoded tab", next: "%2F%09%2Fevil.example"},
		{name: "userinfo", next: url.QueryEscape("//user@evil.example")},
		{name: "double-encoded slashes stay on this site", next: url.QueryEscape("/%2F%2Fevil.example"), want: "local"},
		{name: "dot segments stay on this site", next: url.QueryEscape("/.//evil.example"), want: "local"},
	}
	base, _ := url.Parse(ts.URL)
	for _, st := range strategies {
		for _, tc := range tests {
			t.Run(st.key+"/"+tc.name, func(t *testing.T) {
				body := creds("user1", "pass123").Encode()
				if tc.next != "" {
					body += "&next=" + tc.next
				}
				r := ts.do(t, ts.curl(), http.MethodPost, st.login, "application/x-www-form-urlencoded", strings.NewReader(body))
				if r.status != http.StatusSeeOther {
					t.Fatalf("status %d, want 303", r.status)
				}
				loc := r.location()
				target, err := base.Parse(loc)
				if err != nil || target.Host != base.Host || target.Scheme != base.Scheme ||
					strings.HasPrefix(loc, "//") || strings.Contains(loc, `\`) {
					t.Fatalf("Location %q leaves the site", loc)
				}
				switch tc.want {
				case "local":
				case "":
					if loc != st.dashboard {
						t.Errorf("Location %q, want %s", loc, st.dashboard)
					}
				default:
					if loc != tc.want {
						t.Errorf("Location %q, want %s", loc, tc.want)
					}
				}
			})
		}
	}
	t.Run("the login form drops a foreign next", func(t *testing.T) {
		for _, next := range []string{"//evil.example", "https://evil.example", `/\evil.example`, "javascript:alert(1)"} {
			r := ts.get(t, ts.curl(), "/session/login?next="+url.QueryEscape(next))
			assertHTML(t, r, http.StatusOK)
			if strings.Contains(r.body, "evil.example") || strings.Contains(r.body, "javascript:") {
				t.Errorf("next=%s: the form carries it on", next)
			}
		}
	})
	t.Run("a failed login keeps a local next", func(t *testing.T) {
		form := creds("user1", "wrong")
		form.Set("next", "/compare")
		r := ts.postForm(t, ts.curl(), "/jwt/login", form)
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, `value="/compare"`) {
			t.Errorf("status %d; the form lost next=/compare", r.status)
		}
	})
}

// TestLogsKeepSecrets runs logins, failures and logouts with a distinctive
// password and checks that the log holds neither it nor any token or
// cookie value.
func TestLogsKeepSecrets(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	password := "Pw-" + rand.Text()
	wrong := "Wrong-" + rand.Text()
	r := ts.postForm(t, ts.curl(), "/signup", creds("logcheck", password))
	if r.status != http.StatusCreated {
		t.Fatalf("signup: %d", r.status)
	}
	secrets := map[string]string{"password": password, "wrong password": wrong}

	c := ts.browser(t)
	secrets["session cookie"] = ts.login(t, c, "session", "logcheck", password)
	token := ts.login(t, c, "jwt", "logcheck", password)
	secrets["JWT cookie"] = token
	parts := strings.Split(token, ".")
	secrets["JWT payload"], secrets["JWT signature"] = parts[1], parts[2]

	r = ts.do(t, ts.curl(), http.MethodPost, "/api/auth", "application/json",
		strings.NewReader(`{"username":"logcheck","password":"`+password+`"}`))
	var api loginJSON
	if err := json.Unmarshal([]byte(r.body), &api); err != nil || api.Token == "" {
		t.Fatalf("API login: %d %s", r.status, r.body)
	}
	secrets["API token"] = api.Token
	secrets["API session cookie"] = r.cookie("authlab_session").Value

	for _, st := range strategies {
		ts.postForm(t, ts.curl(), st.login, creds("logcheck", wrong))
		ts.postForm(t, ts.curl(), st.login, creds("logcheck", password), "Sec-Fetch-Site", "cross-site")
	}
	ts.do(t, ts.curl(), http.MethodPost, "/api/auth", "application/json", strings.NewReader(`{"username":"logcheck","password":"`+wrong+`"}`))
	ts.do(t, ts.curl(), http.MethodPost, "/api/auth", "application/json", strings.NewReader(`{"username":"logcheck","password":"`+wrong))
	ts.status(t, ts.curl(), "Authorization", "Bearer "+api.Token)
	ts.get(t, ts.curl(), "/api/auth?token="+api.Token)
	ts.get(t, c, "/jwt/dashboard")
	ts.get(t, c, "/compare")
	ts.get(t, ts.curl(), "/jwt/dashboard", "Cookie", "authlab_token="+token+"x")
	ts.postForm(t, c, "/session/logout", nil)
	ts.postForm(t, c, "/jwt/logout", nil)
	ts.do(t, ts.curl(), http.MethodDelete, "/api/auth", "", nil, "Authorization", "Bearer "+api.Token)
	ts.Close() // waits for every handler, so every line is written

	log := ts.log.String()
	for _, want := range []string{"path=/session/login", "path=/api/auth", "status=303", "status=401", "status=403"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q; is it captured?", want)
		}
	}
	for name, secret := range secrets {
		if strings.Contains(log, secret) {
			t.Errorf("log contains the %s", name)
		}
	}
}
