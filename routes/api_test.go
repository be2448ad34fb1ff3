package routes_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

type loginJSON struct {
	Token   string `json:"token"`
	Message string `json:"message"`
	UserID  int64  `json:"userId"`
}

func multipartBody(t *testing.T, fields map[string]string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), b.String()
}

// chunked hides a body's length, so the server learns its size only by
// reading it.
type chunked struct{ io.Reader }

func TestAPILogin(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	mpType, mpBody := multipartBody(t, map[string]string{"username": "user1", "password": "pass123"})
	big := `{"username":"user1","password":"` + strings.Repeat("x", 1<<20) + `"}`
	bigForm := "username=user1&password=" + strings.Repeat("x", 1<<20)
	bigMPType, bigMPBody := multipartBody(t, map[string]string{"username": "user1", "password": strings.Repeat("x", 1<<20)})
	tests := []struct {
		name    string
		ctype   string
		body    io.Reader
		status  int
		userID  int64
		errBody string // the exact body of a 401
	}{
		{name: "JSON", ctype: "application/json", body: strings.NewReader(`{"username":"user1","password":"pass123"}`), status: http.StatusOK, userID: 1},
		{name: "JSON with charset", ctype: "application/json; charset=utf-8", body: strings.NewReader(`{"username":"user2","password":"pass456"}`), status: http.StatusOK, userID: 2},
		{name: "form body", ctype: "application/x-www-form-urlencoded", body: strings.NewReader(creds("user1", "pass123").Encode()), status: http.StatusOK, userID: 1},
		{name: "multipart form body", ctype: mpType, body: strings.NewReader(mpBody), status: http.StatusOK, userID: 1},
		{name: "wrong password", ctype: "application/json", body: strings.NewReader(`{"username":"user1","password":"nope"}`),
			status: http.StatusUnauthorized, errBody: `{"error":"invalid username or password"}`},
		{name: "unknown user", ctype: "application/json", body: strings.NewReader(`{"username":"ghost","password":"pass123"}`),
			status: http.StatusUnauthorized, errBody: `{"error":"invalid username or password"}`},
		{name: "wrong password in a form", ctype: "application/x-www-form-urlencoded", body: strings.NewReader(creds("user1", "nope").Encode()),
			status: http.StatusUnauthorized, errBody: `{"error":"invalid username or password"}`},
		{name: "malformed JSON", ctype: "application/json", body: strings.NewReader(`{"username":"user1",`), status: http.StatusBadRequest},
		{name: "JSON of the wrong type", ctype: "application/json", body: strings.NewReader(`{"username":1,"password":true}`), status: http.StatusBadRequest},
		{name: "JSON array", ctype: "application/json", body: strings.NewReader(`["user1","pass123"]`), status: http.StatusBadRequest},
		{name: "two JSON objects", ctype: "application/json", body: strings.NewReader(`{"username":"user1","password":"pass123"}{}`), status: http.StatusBadRequest},
		{name: "a stray closing brace", ctype: "application/json", body: strings.NewReader(`{"username":"user1","password":"pass123"}}`), status: http.StatusBadRequest},
		{name: "a stray closing bracket", ctype: "application/json", body: strings.NewReader(`{"username":"user1","password":"pass123"}]`), status: http.StatusBadRequest},
		{name: "trailing white space", ctype: "application/json", body: strings.NewReader("{\"username\":\"user1\",\"password\":\"pass123\"}\n "), status: http.StatusOK, userID: 1},
		{name: "empty JSON body", ctype: "application/json", body: strings.NewReader(""), status: http.StatusBadRequest},
		{name: "missing password", ctype: "application/json", body: strings.NewReader(`{"username":"user1"}`), status: http.StatusBadRequest},
		{name: "unreadable form", ctype: "application/x-www-form-urlencoded", body: strings.NewReader("username=%zz"), status: http.StatusBadRequest},
		{name: "plain text", ctype: "text/plain", body: strings.NewReader("user1:pass123"), status: http.StatusUnsupportedMediaType},
		{name: "JSON over 1 MiB", ctype: "application/json", body: strings.NewReader(big), status: http.StatusRequestEntityTooLarge},
		{name: "JSON over 1 MiB, length not declared", ctype: "application/json", body: chunked{strings.NewReader(big)}, status: http.StatusRequestEntityTooLarge},
		{name: "form over 1 MiB, length not declared", ctype: "application/x-www-form-urlencoded", body: chunked{strings.NewReader(bigForm)}, status: http.StatusRequestEntityTooLarge},
		{name: "multipart over 1 MiB, length not declared", ctype: bigMPType, body: chunked{strings.NewReader(bigMPBody)}, status: http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, ts.curl(), http.MethodPost, "/api/auth", tc.ctype, tc.body)
			if tc.status != http.StatusOK {
				msg := assertJSONError(t, r, tc.status)
				if tc.errBody != "" && strings.TrimSpace(r.body) != tc.errBody {
					t.Errorf("body %s, want %s", r.body, tc.errBody)
				}
				if strings.Contains(msg, "json:") || strings.Contains(msg, "http:") {
					t.Errorf("error %q passes a Go error to the client", msg)
				}
				if len(r.cookies) != 0 {
					t.Errorf("refused login set cookies: %q", r.header.Values("Set-Cookie"))
				}
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("status %d, want 200; body %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			var got loginJSON
			dec := json.NewDecoder(strings.NewReader(r.body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("body %s: %v", r.body, err)
			}
			if got.Message != "Login successful" || got.UserID != tc.userID || got.Token == "" {
				t.Errorf("body %s, want a token, \"Login successful\" and userId %d", r.body, tc.userID)
			}
			claims := ts.parseToken(t, got.Token)
			if claims["sub"] != strconv.FormatInt(tc.userID, 10) || claims["iss"] != "authlab" || claims["jti"] == "" {
				t.Errorf("claims %v", claims)
			}
			if aud, _ := claims.GetAudience(); len(aud) != 1 || aud[0] != "authlab" {
				t.Errorf("aud %v, want authlab", aud)
			}
			exp, _ := claims.GetExpirationTime()
			if want := ts.clock.Now().Add(15 * time.Minute); exp == nil || !exp.Equal(want) {
				t.Errorf("exp %v, want %v (now + TTL)", exp, want)
			}
			ck := r.cookie("authlab_session")
			if ck == nil || ck.Value == "" {
				t.Fatalf("no session cookie: %q", r.header.Values("Set-Cookie"))
			}
			if r.cookie("authlab_token") != nil {
				t.Errorf("the API login set the JWT cookie; the token belongs in the body")
			}
			// The body's token and the cookie's session both sign in.
			s := ts.status(t, ts.curl(), "Authorization", "Bearer "+got.Token, "Cookie", "authlab_session="+ck.Value)
			if !s.Authenticated || s.UserID != tc.userID || !s.Strategies.JWT.Authenticated || s.Strategies.JWT.Source != "header" ||
				!s.Strategies.Session.Authenticated || s.Strategies.Session.UserID != tc.userID {
				t.Errorf("status with the new credentials: %+v", s)
			}
		})
	}
}

func TestAPIStatus(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.browser(t)
	session := ts.login(t, c, "session", "user1", "pass123")
	cookieToken := ts.login(t, c, "jwt", "user1", "pass123")
	c2 := ts.browser(t)
	user2Token := ts.login(t, c2, "jwt", "user2", "pass456")

	type want struct {
		auth     bool
		userID   int64
		session  string // "ok" or the reason
		jwt      string
		jwtSrc   string
		username string
	}
	tests := []struct {
		name   string
		path   string // "" means /api/auth
		header []string
		want   want
	}{
		{name: "nothing", want: want{session: "missing", jwt: "missing"}},
		{name: "session cookie", header: []string{"Cookie", "authlab_session=" + session},
			want: want{auth: true, userID: 1, username: "user1", session: "ok", jwt: "missing"}},
		{name: "JWT cookie", header: []string{"Cookie", "authlab_token=" + cookieToken},
			want: want{auth: true, userID: 1, username: "user1", session: "missing", jwt: "ok", jwtSrc: "cookie"}},
		{name: "Bearer header", header: []string{"Authorization", "Bearer " + cookieToken},
			want: want{auth: true, userID: 1, username: "user1", session: "missing", jwt: "ok", jwtSrc: "header"}},
		{name: "bearer in lower case", header: []string{"Authorization", "bearer " + cookieToken},
			want: want{auth: true, userID: 1, username: "user1", session: "missing", jwt: "ok", jwtSrc: "header"}},
		{name: "both cookies", header: []string{"Cookie", "authlab_session=" + session + "; authlab_token=" + cookieToken},
			want: want{auth: true, userID: 1, username: "user1", session: "ok", jwt: "ok", jwtSrc: "cookie"}},
		{name: "the header wins over the cookie", header: []string{"Authorization", "Bearer " + user2Token, "Cookie", "authlab_token=" + cookieToken},
			want: want{auth: true, userID: 2, username: "user2", session: "missing", jwt: "ok", jwtSrc: "header"}},
		{name: "a bad header is not rescued by the cookie", header: []string{"Authorization", "Bearer junk", "Cookie", "authlab_token=" + cookieToken},
			want: want{session: "missing", jwt: "malformed"}},
		{name: "Basic auth", header: []string{"Authorization", "Basic dXNlcjE6cGFzczEyMw=="},
			want: want{session: "missing", jwt: "malformed"}},
		{name: "empty Bearer", header: []string{"Authorization", "Bearer "},
			want: want{session: "missing", jwt: "malformed"}},
		{name: "session cookie not made by scs", header: []string{"Cookie", "authlab_session=not-a-token"},
			want: want{session: "malformed", jwt: "missing"}},
		{name: "session cookie of a session that never existed", header: []string{"Cookie", "authlab_session=" + strings.Repeat("A", 43)},
			want: want{session: "expired", jwt: "missing"}},
		{name: "token in the query string is ignored", path: "/api/auth?token=" + cookieToken + "&access_token=" + cookieToken,
			want: want{session: "missing", jwt: "missing"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = "/api/auth"
			}
			r := ts.get(t, ts.curl(), path, tc.header...)
			if r.status != http.StatusOK {
				t.Fatalf("status %d", r.status)
			}
			var s statusJSON
			if err := json.Unmarshal([]byte(r.body), &s); err != nil {
				t.Fatal(err)
			}
			if s.Authenticated != tc.want.auth || s.UserID != tc.want.userID || s.Username != tc.want.username {
				t.Errorf("top level %+v, want authenticated=%v userId=%d username=%q", s, tc.want.auth, tc.want.userID, tc.want.username)
			}
			check := func(name string, got strategyJSON, want string) {
				if want == "ok" {
					if !got.Authenticated || got.Reason != "" || got.ExpiresAt == nil {
						t.Errorf("%s: %+v, want authenticated with expiresAt", name, got)
					}
					return
				}
				if got.Authenticated || got.Reason != want {
					t.Errorf("%s: %+v, want reason %q", name, got, want)
				}
			}
			check("session", s.Strategies.Session, tc.want.session)
			check("jwt", s.Strategies.JWT, tc.want.jwt)
			if s.Strategies.JWT.Source != tc.want.jwtSrc {
				t.Errorf("jwt source %q, want %q", s.Strategies.JWT.Source, tc.want.jwtSrc)
			}
			// The shape the tutorial's clients read.
			var raw map[string]any
			json.Unmarshal([]byte(r.body), &raw)
			if _, ok := raw["authenticated"].(bool); !ok {
				t.Errorf("body %s lacks a boolean authenticated", r.body)
			}
			if !tc.want.auth {
				if _, ok := raw["userId"]; ok {
					t.Errorf("signed-out body %s carries a userId", r.body)
				}
			}
		})
	}
}

func TestAPILogout(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tests := []struct {
		name string
		// how the token is presented to DELETE
		bearer, cookie bool
	}{
		{name: "Bearer header and session cookie", bearer: true},
		{name: "JWT cookie and session cookie", cookie: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, ts.curl(), http.MethodPost, "/api/auth", "application/json",
				strings.NewReader(`{"username":"user1","password":"pass123"}`))
			var body loginJSON
			if err := json.Unmarshal([]byte(r.body), &body); err != nil || r.status != http.StatusOK {
				t.Fatalf("login: %d %s", r.status, r.body)
			}
			session := r.cookie("authlab_session").Value
			cookies := "authlab_session=" + session
			hdr := []string{"Cookie", cookies}
			if tc.bearer {
				hdr = append(hdr, "Authorization", "Bearer "+body.Token)
			}
			if tc.cookie {
				hdr = []string{"Cookie", cookies + "; authlab_token=" + body.Token}
			}
			if s := ts.status(t, ts.curl(), hdr...); !s.Strategies.Session.Authenticated || !s.Strategies.JWT.Authenticated {
				t.Fatalf("before logout: %+v", s)
			}

			r = ts.do(t, ts.curl(), http.MethodDelete, "/api/auth", "", nil, hdr...)
			if r.status != http.StatusNoContent || r.body != "" {
				t.Fatalf("DELETE: %d %q, want 204 and no body", r.status, r.body)
			}
			if ck := r.cookie("authlab_session"); ck == nil || ck.MaxAge >= 0 {
				t.Errorf("DELETE did not expire the session cookie: %q", r.header.Values("Set-Cookie"))
			}
			if ck := r.cookie("authlab_token"); ck == nil || ck.MaxAge >= 0 {
				t.Errorf("DELETE did not clear the JWT cookie: %q", r.header.Values("Set-Cookie"))
			}

			s := ts.status(t, ts.curl(), hdr...)
			if s.Authenticated || s.Strategies.Session.Reason != "revoked" || s.Strategies.JWT.Reason != "revoked" {
				t.Errorf("replayed after DELETE: %+v, want both revoked", s)
			}
		})
	}
	t.Run("signed out", func(t *testing.T) {
		r := ts.do(t, ts.curl(), http.MethodDelete, "/api/auth", "", nil)
		if r.status != http.StatusNoContent {
			t.Errorf("DELETE with nothing: %d, want 204", r.status)
		}
	})
}
