package routes_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authlab/authlab/routes"
	"github.com/authlab/authlab/routes/walkthrough"
)

// serveInProcess sends one request straight to ts's router, without a
// connection, so a fuzz target spends its time in the handlers.
func serveInProcess(ts *testServer, method, path, contentType string, body []byte) *http.Response {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	ts.Config.Handler.ServeHTTP(rec, r)
	return rec.Result()
}

// oneJSONDocument decodes b, which must hold exactly one JSON value, into v.
func oneJSONDocument(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("more than one JSON value")
	}
	return nil
}

// seededUsers are the accounts newTestServer makes, by id.
var seededUsers = map[int64]string{1: "user1", 2: "user2"}

// FuzzLoginBodies posts arbitrary bodies, with arbitrary content types, to
// the API login and both login forms of the real router. No answer is a
// 500 (or any status a client error or a login cannot explain); the API
// answers with one JSON document, an error or a token for a seeded user;
// a form answers with a page, or with a redirect that stays on the site.
func FuzzLoginBodies(f *testing.F) {
	ts := newTestServer(f)
	base, err := url.Parse(ts.URL)
	if err != nil {
		f.Fatal(err)
	}
	multi := func(fields ...string) (string, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		for i := 0; i+1 < len(fields); i += 2 {
			if err := w.WriteField(fields[i], fields[i+1]); err != nil {
				f.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			f.Fatal(err)
		}
		return w.FormDataContentType(), b.String()
	}
	const (
		jsonType = "application/json"
		formType = "application/x-www-form-urlencoded"
	)
	mpType, mpBody := multi("username", "user1", "password", "pass123", "next", "/compare")
	seeds := [][2]string{
		{jsonType, `{"username":"user1","password":"pass123"}`},
		{jsonType + "; charset=utf-8", `{"username":" USER2 ","password":"pass456"}`},
		{"APPLICATION/JSON", `{"username":"user1","password":"pass123"}`},
		{jsonType, `{"username":"user1","password":"nope"}`},
		{jsonType, `{"username":"ghost","password":"pass123"}`},
		{jsonType, `{"username":"user1","password":"pass123"}}`},
		{jsonType, `{"username":"user1","password":"pass123"}{}`},
		{jsonType, `{"username":"ghost","username":"user1","password":"pass123"}`},
		{jsonType, `{"USERNAME":"user1","Password":"pass123"}`},
		{jsonType, `{"username":"user\u0031","password":"pass\u0031\u0032\u0033"}`},
		{jsonType, `{"username":"user1\u0000","password":"pass123"}`},
		{jsonType, "{\"username\":\"\xff\xfe\",\"password\":\"pass123\"}"},
		{jsonType, `{"username":1,"password":true}`},
		{jsonType, `{"username":"user1","password":"pass123","extra":[[[[[[]]]]]]}`},
		{jsonType, `["user1","pass123"]`},
		{jsonType, `null`},
		{jsonType, `{"username":"user1"}`},
		{jsonType, `{"username":"user1",`},
		{jsonType, ``},
		{jsonType, strings.Repeat("[", 10001)},
		{formType, "username=user1&password=pass123"},
		{formType, "username=user1&password=pass123&next=%2Fcompare%3Fstrategy%3Djwt"},
		{formType, "username=user1&password=pass123&next=%2F%2Fevil.example"},
		{formType, "username=user1&password=pass123&next=%2F%5Cevil.example"},
		{formType, "username=user1&password=pass123&next=%2F%09%2Fevil.example"},
		{formType, "username=User1&password=pass123&username=user2"},
		{formType, "username=user1;password=pass123"},
		{formType, "username=%zz"},
		{formType, "username=user1%00&password=pass123"},
		{formType + "; charset=utf-8", "username=user2&password=pass456"},
		{mpType, mpBody},
		{"multipart/form-data", mpBody},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nuser1\r\n--x--"},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"password\"; filename=\"p\"\r\n\r\npass123\r\n--x--\r\n"},
		{"text/plain", "user1:pass123"},
		{"", `{"username":"user1","password":"pass123"}`},
		{"application/json;", `{}`},
		{"a/b/c", ``},
		{"application/json; charset=\"", `{}`},
	}
	for _, s := range seeds {
		f.Add(s[0], []byte(s[1]))
	}
	keyFunc := func(*jwt.Token) (any, error) { return testKey, nil }
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		tooBig := len(body) > routes.MaxBodyBytes

		res := serveInProcess(ts, http.MethodPost, "/api/auth", contentType, body)
		got, _ := io.ReadAll(res.Body)
		ok := []int{http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusUnsupportedMediaType, http.StatusTooManyRequests}
		if tooBig {
			ok = append(ok, http.StatusRequestEntityTooLarge)
		}
		if !slices.Contains(ok, res.StatusCode) {
			t.Fatalf("POST /api/auth (%q, %q) = %d: %s", contentType, body, res.StatusCode, got)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("POST /api/auth = %d with Content-Type %q", res.StatusCode, ct)
		}
		if res.StatusCode == http.StatusOK {
			var login struct {
				Token   string `json:"token"`
				Message string `json:"message"`
				UserID  int64  `json:"userId"`
			}
			if err := oneJSONDocument(got, &login); err != nil {
				t.Fatalf("POST /api/auth = 200 with body %q: %v", got, err)
			}
			if _, seeded := seededUsers[login.UserID]; !seeded {
				t.Fatalf("POST /api/auth (%q, %q) signed in user %d, who was never created", contentType, body, login.UserID)
			}
			claims := jwt.MapClaims{}
			if _, err := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(ts.clock.Now)).
				ParseWithClaims(login.Token, claims, keyFunc); err != nil || claims["sub"] != strconv.FormatInt(login.UserID, 10) {
				t.Fatalf("POST /api/auth gave user %d the token %q (%v, %v)", login.UserID, login.Token, claims, err)
			}
		} else {
			var e map[string]any
			if err := oneJSONDocument(got, &e); err != nil {
				t.Fatalf("POST /api/auth = %d with body %q: %v", res.StatusCode, got, err)
			}
			if msg, _ := e["error"].(string); msg == "" || len(e) != 1 {
				t.Fatalf("POST /api/auth = %d with body %s, want exactly {\"error\":\"…\"}", res.StatusCode, got)
			}
			if len(res.Cookies()) != 0 {
				t.Fatalf("POST /api/auth = %d and set cookies %q", res.StatusCode, res.Header.Values("Set-Cookie"))
			}
		}

		for _, form := range []struct{ path, cookie string }{
			{"/session/login", "authlab_session"},
			{"/jwt/login", "authlab_token"},
		} {
			res := serveInProcess(ts, http.MethodPost, form.path, contentType, body)
			got, _ := io.ReadAll(res.Body)
			ok := []int{http.StatusSeeOther, http.StatusBadRequest, http.StatusUnauthorized, http.StatusTooManyRequests}
			if tooBig {
				ok = append(ok, http.StatusRequestEntityTooLarge)
			}
			if !slices.Contains(ok, res.StatusCode) {
				t.Fatalf("POST %s (%q, %q) = %d: %s", form.path, contentType, body, res.StatusCode, got)
			}
			if res.StatusCode != http.StatusSeeOther {
				if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" || !bytes.Contains(got, []byte("</html>")) {
					t.Fatalf("POST %s = %d with Content-Type %q and not a whole page", form.path, res.StatusCode, ct)
				}
				if len(res.Cookies()) != 0 {
					t.Fatalf("POST %s = %d and set cookies %q", form.path, res.StatusCode, res.Header.Values("Set-Cookie"))
				}
				continue
			}
			loc := res.Header.Get("Location")
			if target, err := base.Parse(loc); err != nil || target.Host != base.Host || target.Scheme != base.Scheme ||
				!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.ContainsAny(loc, "\\\t\r\n") {
				t.Fatalf("POST %s (%q, %q) redirects off the site, to %q", form.path, contentType, body, loc)
			}
			var set bool
			for _, c := range res.Cookies() {
				set = set || c.Name == form.cookie && c.Value != ""
			}
			if !set {
				t.Fatalf("POST %s = 303 without setting %s", form.path, form.cookie)
			}
		}
	})
}

// FuzzQuiz posts arbitrary bodies to /learn/quiz, where every answer is 200
// or 400: for a form body, 400 exactly when the form cannot be read or
// walkthrough.Grade refuses it, and a 200 page shows Grade's score.
func FuzzQuiz(f *testing.F) {
	ts := newTestServer(f)
	const formType = "application/x-www-form-urlencoded"
	qs := walkthrough.Quiz
	all := func(pick func(walkthrough.Question) string) string {
		return quizForm(pick).Encode()
	}
	for _, s := range [][2]string{
		{formType, all(func(q walkthrough.Question) string { return q.Answer })},
		{formType, all(wrongAnswer)},
		{formType, ""},
		{formType, qs[0].ID + "=" + qs[0].Answer},
		{formType, qs[0].ID + "=" + qs[0].Answer + "&" + qs[0].ID + "=" + qs[0].Answer},
		{formType, qs[0].ID + "=zz"},
		{formType, qs[0].ID + "="},
		{formType, qs[0].ID},
		{formType, qs[0].ID + "=A"},
		{formType, "nonsense=x&" + qs[1].ID + "=" + qs[1].Answer},
		{formType, qs[0].ID + "=%zz"},
		{formType, qs[0].ID + "=a;" + qs[1].ID + "=b"},
		{formType, url.QueryEscape(qs[0].ID) + "=%61"},
		{formType + "; charset=utf-8", qs[0].ID + "=" + qs[0].Answer},
		{"multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"" + qs[0].ID + "\"\r\n\r\nzz\r\n--x--\r\n"},
		{"text/plain", qs[0].ID + "=zz"},
		{"", qs[0].ID + "=zz"},
		{"a/b/c", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		res := serveInProcess(ts, http.MethodPost, "/learn/quiz", contentType, []byte(body))
		got, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusBadRequest &&
			!(res.StatusCode == http.StatusRequestEntityTooLarge && len(body) > routes.MaxBodyBytes) {
			t.Fatalf("POST /learn/quiz (%q, %q) = %d: %s", contentType, body, res.StatusCode, got)
		}
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" || !bytes.Contains(got, []byte("</html>")) {
			t.Fatalf("POST /learn/quiz = %d with Content-Type %q and not a whole page", res.StatusCode, ct)
		}
		if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != formType {
			return
		}
		form, err := url.ParseQuery(body)
		want := http.StatusBadRequest
		var graded walkthrough.Result
		if err == nil {
			if graded, err = walkthrough.Grade(qs, form); err == nil {
				want = http.StatusOK
			}
		}
		if res.StatusCode != want {
			t.Fatalf("POST /learn/quiz %q = %d, want %d (%v)", body, res.StatusCode, want, err)
		}
		if want != http.StatusOK {
			return
		}
		m := scoreRE.FindSubmatch(got)
		score := []string{strconv.Itoa(graded.Correct), strconv.Itoa(len(qs)), strconv.Itoa(graded.Wrong), strconv.Itoa(graded.Unanswered)}
		if m == nil || string(bytes.Join(m[1:], []byte(" "))) != strings.Join(score, " ") {
			t.Fatalf("POST /learn/quiz %q shows the score %q, want %v", body, m, score)
		}
	})
}
