package routes_test

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/authlab/authlab/routes"
	"github.com/authlab/authlab/routes/walkthrough"
)

// learnPage GETs path as a new visitor and returns the body, failing the
// test unless the answer is 200.
func learnPage(t *testing.T, ts *testServer, path string) string {
	t.Helper()
	r := ts.get(t, ts.browser(t), path)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", path, r.status)
	}
	return r.body
}

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

// codePanel matches a code panel as views.codePanel renders it.
var codePanel = regexp.MustCompile(`(?s)<pre [^>]*data-file="([^"]+)" data-name="([^"]+)"><code>(.*?)</code></pre>`)

// TestLearnStepsQuoteTheSource renders every step and checks that its code
// panels are exactly the declarations the step names, each a verbatim part
// of the file on disk.
func TestLearnStepsQuoteTheSource(t *testing.T) {
	ts := newTestServer(t)
	for _, st := range walkthrough.Steps {
		t.Run("step "+strconv.Itoa(st.Number), func(t *testing.T) {
			body := learnPage(t, ts, "/learn/"+strconv.Itoa(st.Number))
			mustContain(t, body,
				"<h1>"+html.EscapeString(st.Title)+"</h1>",
				`<link rel="stylesheet" href="/static/learn.css">`,
				`<a href="/learn" aria-current="page">Learn</a>`,
				`<a href="/learn/`+strconv.Itoa(st.Number)+`" aria-current="page">`,
				`<h2 id="try-it">Try it</h2>`,
			)
			panels := codePanel.FindAllStringSubmatch(body, -1)
			if len(panels) != len(st.Refs) {
				t.Errorf("%d code panels, want %d", len(panels), len(st.Refs))
			}
			for i, p := range panels {
				file, name, code := p[1], p[2], html.UnescapeString(p[3])
				if i < len(st.Refs) && (st.Refs[i].File != file || st.Refs[i].Name != name) {
					t.Logf("panel %d is %s in %s (order differs from steps.go)", i, name, file)
				}
				src, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(file)))
				if err != nil {
					t.Fatalf("panel %s names %s: %v", name, file, err)
				}
				if strings.TrimSpace(code) == "" || !strings.Contains(string(src), code) {
					t.Errorf("panel %s is not a verbatim part of %s", name, file)
				}
				if !strings.Contains(code, name[strings.LastIndex(name, ".")+1:]) {
					t.Errorf("panel %s does not mention its own name", name)
				}
			}
		})
	}
}

// TestLearnStepFailsWithoutItsSource checks that a step whose code cannot
// be found is an error page and a log line, never a step without code.
func TestLearnStepFailsWithoutItsSource(t *testing.T) {
	ts := newTestServer(t, withDeps(func(d *routes.Deps) {
		d.Source = fstest.MapFS{"auth/sessions.go": {Data: []byte("package auth\n")}}
	}))
	if r := ts.get(t, ts.browser(t), "/learn/1"); r.status != http.StatusInternalServerError {
		t.Errorf("GET /learn/1 with the source missing = %d, want 500", r.status)
	}
	if !strings.Contains(ts.log.String(), "walkthrough") {
		t.Errorf("the log does not say what is missing:\n%s", ts.log)
	}
}

func TestLearnNavigation(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		path       string
		prev, next string
	}{
		{"/learn/1", "/learn", "/learn/2"},
		{"/learn/2", "/learn/1", "/learn/3"},
		{"/learn/3", "/learn/2", "/learn/4"},
		{"/learn/4", "/learn/3", "/learn/tradeoffs"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			body := learnPage(t, ts, tc.path)
			mustContain(t, body, `<a rel="prev" href="`+tc.prev+`">`, `<a rel="next" href="`+tc.next+`">`)
		})
	}
	t.Run("overview", func(t *testing.T) {
		body := learnPage(t, ts, "/learn")
		for _, st := range walkthrough.Steps {
			mustContain(t, body, `href="/learn/`+strconv.Itoa(st.Number)+`"`)
		}
		// One sequence diagram per strategy, each an image with a name
		// and a description, and a text version.
		for _, id := range []string{"seq-session", "seq-jwt"} {
			mustContain(t, body,
				`role="img" aria-labelledby="`+id+`-title" aria-describedby="`+id+`-desc" data-testid="`+id+`"`,
				`<title id="`+id+`-title">`, `<desc id="`+id+`-desc">`)
		}
		if n := strings.Count(body, "<summary>The same, as text</summary>"); n != 2 {
			t.Errorf("%d text versions of the diagrams, want 2", n)
		}
	})
	for _, path := range []string{"/learn/0", "/learn/5", "/learn/01", "/learn/one", "/learn/-1"} {
		t.Run(path, func(t *testing.T) {
			if r := ts.get(t, ts.browser(t), path); r.status != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", path, r.status)
			}
		})
	}
}

func TestLearnTryItUsesBaseURL(t *testing.T) {
	ts := newTestServer(t)
	body := learnPage(t, ts, "/learn/4")
	mustContain(t, body,
		html.EscapeString("curl -s -H \"Authorization: Bearer $TOKEN\" "+ts.URL+"/api/auth"),
		html.EscapeString("-X DELETE -b authlab-cookies.txt"),
		`href="/compare"`,
	)
}

// quizForm answers every question with pick(q).
func quizForm(pick func(walkthrough.Question) string) url.Values {
	form := url.Values{}
	for _, q := range walkthrough.Quiz {
		form.Set(q.ID, pick(q))
	}
	return form
}

func wrongAnswer(q walkthrough.Question) string {
	for _, c := range q.Choices {
		if c.ID != q.Answer {
			return c.ID
		}
	}
	return ""
}

// rich is s as the quiz renders it: escaped, with backquoted parts as code.
func rich(s string) string {
	var b strings.Builder
	for i, part := range strings.Split(s, "`") {
		if i%2 == 1 {
			b.WriteString("<code>" + html.EscapeString(part) + "</code>")
		} else {
			b.WriteString(html.EscapeString(part))
		}
	}
	return b.String()
}

var scoreRE = regexp.MustCompile(`data-testid="quiz-score">(\d+) of (\d+)</strong>.*?data-testid="quiz-wrong">(\d+)</span>.*?data-testid="quiz-unanswered">(\d+)</span>`)

func TestQuiz(t *testing.T) {
	ts := newTestServer(t)
	n := len(walkthrough.Quiz)

	t.Run("blank form", func(t *testing.T) {
		body := learnPage(t, ts, "/learn/quiz")
		for _, q := range walkthrough.Quiz {
			mustContain(t, body, `<fieldset class="learn-q learn-" id="q-`+q.ID+`"`)
			for _, c := range q.Choices {
				mustContain(t, body, `<input type="radio" id="`+q.ID+`-`+c.ID+`" name="`+q.ID+`" value="`+c.ID+`">`)
			}
		}
		if strings.Count(body, "<legend>") != n {
			t.Errorf("want one legend per question")
		}
		if strings.Contains(body, `data-testid="quiz-score"`) {
			t.Error("a blank quiz shows a score")
		}
	})

	tests := []struct {
		name                       string
		form                       url.Values
		correct, wrong, unanswered int
		outcome                    string
	}{
		{"all right", quizForm(func(q walkthrough.Question) string { return q.Answer }), n, 0, 0, "correct"},
		{"all wrong", quizForm(wrongAnswer), 0, n, 0, "wrong"},
		{"none answered", url.Values{}, 0, 0, n, "unanswered"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.postForm(t, ts.browser(t), "/learn/quiz", tc.form)
			if r.status != http.StatusOK {
				t.Fatalf("POST /learn/quiz = %d, want 200", r.status)
			}
			body := r.body
			m := scoreRE.FindStringSubmatch(body)
			if m == nil {
				t.Fatal("no score on the graded page")
			}
			want := []string{strconv.Itoa(tc.correct), strconv.Itoa(n), strconv.Itoa(tc.wrong), strconv.Itoa(tc.unanswered)}
			if got := m[1:]; strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("score (right, total, wrong, blank) = %v, want %v", got, want)
			}
			for _, q := range walkthrough.Quiz {
				right, _ := q.Choice(q.Answer)
				mustContain(t, body,
					`data-testid="feedback-`+q.ID+`" data-outcome="`+tc.outcome+`"`,
					rich(right.Why),
					`<a href="/learn/`+strconv.Itoa(q.Step)+`">`,
				)
				if tc.outcome == "wrong" {
					chosen, _ := q.Choice(wrongAnswer(q))
					mustContain(t, body, `value="`+chosen.ID+`" checked>`, rich(chosen.Why))
				}
			}
		})
	}

	bad := []struct {
		name string
		form url.Values
	}{
		{"a value that is no choice", url.Values{walkthrough.Quiz[0].ID: {"zz"}}},
		{"two answers to one question", url.Values{walkthrough.Quiz[0].ID: {"a", "b"}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if r := ts.postForm(t, ts.browser(t), "/learn/quiz", tc.form); r.status != http.StatusBadRequest {
				t.Errorf("POST /learn/quiz = %d, want 400", r.status)
			}
		})
	}
	t.Run("from another site", func(t *testing.T) {
		r := ts.postForm(t, ts.browser(t), "/learn/quiz", url.Values{}, "Sec-Fetch-Site", "cross-site")
		if r.status != http.StatusForbidden {
			t.Errorf("cross-site POST /learn/quiz = %d, want 403", r.status)
		}
	})
}

// figure returns the number a trade-offs figure shows.
func figure(t *testing.T, body, testid string) float64 {
	t.Helper()
	re := regexp.MustCompile(`data-testid="` + regexp.QuoteMeta(testid) + `">([0-9.]+)`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no figure %s on the page", testid)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTradeoffsAreMeasured(t *testing.T) {
	ts := newTestServer(t)
	visitor := ts.browser(t)
	if r := ts.postForm(t, visitor, "/session/login", creds("user1", "pass123")); r.status != http.StatusSeeOther {
		t.Fatalf("login = %d, want 303", r.status)
	}

	r := ts.get(t, visitor, "/learn/tradeoffs")
	if r.status != http.StatusOK {
		t.Fatalf("GET /learn/tradeoffs = %d, want 200", r.status)
	}
	body := r.body
	// The session cookie's size is fixed by its name and scs's 43-character
	// token, so it can be checked exactly; the rest must be plausible.
	if got, want := figure(t, body, "figure-session-cookie"), float64(len("authlab_session=")+43); got != want {
		t.Errorf("session cookie = %v bytes, want %v", got, want)
	}
	jwtCookie := figure(t, body, "figure-jwt-cookie")
	if jwtCookie < 150 {
		t.Errorf("JWT cookie = %v bytes; a signed token with seven claims is longer", jwtCookie)
	}
	if got, want := figure(t, body, "figure-bearer-header"), jwtCookie-float64(len("authlab_token="))+float64(len("Authorization: Bearer ")); got != want {
		t.Errorf("Bearer header = %v bytes, want %v", got, want)
	}
	if got := figure(t, body, "figure-session-record"); got <= 0 {
		t.Errorf("session record = %v bytes, want more than 0", got)
	}
	if got := figure(t, body, "figure-jwt-server"); got != 0 {
		t.Errorf("JWT server-side bytes = %v, want 0", got)
	}
	for _, id := range []string{"figure-session-check", "figure-jwt-check", "figure-jwt-first"} {
		if got := figure(t, body, id); got <= 0 {
			t.Errorf("%s = %v µs, want a measured time", id, got)
		}
	}
	for _, id := range []string{"figure-session-runs", "figure-jwt-runs"} {
		if got := figure(t, body, id); got < walkthrough.MinRuns || got > walkthrough.MaxRuns {
			t.Errorf("%s = %v, want between %d and %d", id, got, walkthrough.MinRuns, walkthrough.MaxRuns)
		}
	}
	mustContain(t, body, `data-testid="figure-session-idle">30m<`, `data-testid="figure-jwt-ttl">15m<`,
		`href="/learn/4#code-revocations"`, `href="/learn/2#code-KeyFile-Rotate"`)

	// Measuring left no session behind, and did not touch the visitor's.
	if n, err := ts.db.CountSessions(t.Context()); err != nil || n != 1 {
		t.Errorf("live sessions after measuring = %d (%v), want 1: the visitor's", n, err)
	}
	if page := ts.get(t, visitor, "/learn"); !strings.Contains(page.body, `<span class="who-name">user1</span>`) {
		t.Error("the visitor is no longer signed in as user1 after the measurement")
	}

	// The figures are measured once and kept.
	again := learnPage(t, ts, "/learn/tradeoffs")
	if figure(t, again, "figure-jwt-check") != figure(t, body, "figure-jwt-check") {
		t.Error("the figures were measured again on the second visit")
	}
}
