package views

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

var testSteps = []LearnStep{
	{1, "Users and passwords", "Where accounts live."},
	{2, "Keys and settings", "What configures each strategy."},
	{3, "Logging in", "What login does."},
	{4, "Later requests", "How a request is recognised."},
}

// stepCode is what each step quotes, in reading order.
var stepCode = map[int][]string{
	1: {"schema", "DefaultParams", "Hasher.hash", "Hasher.Verify", "loginWait"},
	2: {"KeyID", "KeyFile.Rotate", "newSessions", "newTokens"},
	3: {"Users.Authenticate", "Sessions.Login", "sessionKey", "Tokens.Login", "Tokens.Issue", "Tokens.issue"},
	4: {"Auth.Identify", "Sessions.current", "Tokens.fromHeader", "Tokens.Verify", "Sessions.Logout",
		"Tokens.Logout", "Tokens.Renew", "Tokens.Revoke", "revocations", "Auth.end"},
}

// testCode is a panel for every declaration a step quotes, each with its
// own file, lines and code so that a mix-up shows.
func testCode() map[string]CodePanel {
	code := map[string]CodePanel{}
	for step, names := range stepCode {
		for i, name := range names {
			code[name] = CodePanel{File: fmt.Sprintf("auth/step%d.go", step), Name: name,
				Line: 10 * (i + 1), EndLine: 10*(i+1) + 4, Code: "func " + name + "() {\n\treturn\n}"}
		}
	}
	return code
}

func testSettings() LearnSettings {
	return LearnSettings{BaseURL: "https://authlab.example/", SessionStore: "sqlite",
		SessionCookie: "__Host-session", JWTCookie: "__Host-jwt",
		SessionIdle: 30 * time.Minute, SessionLifetime: 24 * time.Hour, JWTTTL: 15 * time.Minute, JWTLifetime: 24 * time.Hour}
}

func stepView(n int) LearnStepView {
	return LearnStepView{Page: testPage("/learn/" + strconv.Itoa(n)), Step: testSteps[n-1], Steps: testSteps,
		Code: testCode(), Settings: testSettings()}
}

func TestLearnStepCodePanels(t *testing.T) {
	code := testCode()
	for step := 1; step <= 4; step++ {
		t.Run("step "+strconv.Itoa(step), func(t *testing.T) {
			doc := render(t, LearnStepPage(stepView(step)))
			pres := findAll(doc, attrIs("data-testid", "code-panel"))
			var names []string
			for _, pre := range pres {
				name := attr(pre, "data-name")
				names = append(names, name)
				c, ok := code[name]
				if !ok {
					t.Errorf("panel quotes %q, which no step declares", name)
					continue
				}
				fig := pre.Parent
				if fig.Data != "figure" || attr(fig, "id") != CodeID(name) {
					t.Errorf("%s is in <%s id=%q>, want <figure id=%q>", name, fig.Data, attr(fig, "id"), CodeID(name))
				}
				if got := attr(pre, "data-file"); got != c.File {
					t.Errorf("%s data-file = %q, want %q", name, got, c.File)
				}
				if got := rawText(pre); got != c.Code {
					t.Errorf("%s code = %q, want %q", name, got, c.Code)
				}
				caption := must(t, find(fig, tag("figcaption")), name+" caption")
				want := fmt.Sprintf("%s in %s, lines %d–%d", name, c.File, c.Line, c.EndLine)
				if got := textOf(caption); got != want {
					t.Errorf("caption = %q, want %q", got, want)
				}
				if got := attr(pre, "tabindex"); got != "0" {
					t.Errorf("%s tabindex = %q, want 0 so a keyboard can scroll it", name, got)
				}
			}
			if want := stepCode[step]; !slices.Equal(names, want) {
				t.Errorf("step %d quotes %q, want %q", step, names, want)
			}
		})
	}
}

func TestCodeID(t *testing.T) {
	tests := []struct{ name, want string }{
		{"schema", "code-schema"},
		{"Tokens.Issue", "code-Tokens-Issue"},
		{"KeyFile.Rotate", "code-KeyFile-Rotate"},
	}
	for _, tc := range tests {
		if got := CodeID(tc.name); got != tc.want {
			t.Errorf("CodeID(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLearnStepMissingCode(t *testing.T) {
	for step, names := range stepCode {
		missing := names[len(names)-1]
		t.Run(missing, func(t *testing.T) {
			v := stepView(step)
			delete(v.Code, missing)
			var buf strings.Builder
			err := LearnStepPage(v).Render(t.Context(), &buf)
			if err == nil || !strings.Contains(err.Error(), missing) {
				t.Errorf("step %d without %s: Render error = %v, want one naming it", step, missing, err)
			}
		})
	}
}

func TestLearnStepSettings(t *testing.T) {
	tests := []struct {
		name                string
		ttl, idle, lifetime time.Duration
		wantTTL, wantIdle   string
		wantLifetime        string
	}{
		{"defaults", 15 * time.Minute, 30 * time.Minute, 24 * time.Hour, "15m", "30m", "24h"},
		{"short", 40 * time.Second, time.Minute, 90 * time.Minute, "40s", "1m", "1h30m"},
		{"odd", 90 * time.Second, 2*time.Hour + 30*time.Second, 36 * time.Hour, "1m30s", "2h0m30s", "36h"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := stepView(2)
			v.Settings.JWTTTL, v.Settings.SessionIdle, v.Settings.SessionLifetime = tc.ttl, tc.idle, tc.lifetime
			doc := render(t, LearnStepPage(v))
			for id, want := range map[string]string{
				"setting-jwt-ttl":          tc.wantTTL,
				"setting-session-idle":     tc.wantIdle,
				"setting-session-lifetime": tc.wantLifetime,
			} {
				if got := textOf(must(t, byTestID(doc, id), id)); got != want {
					t.Errorf("%s = %q, want %q", id, got, want)
				}
			}
		})
	}
}

func TestLearnStepNavigation(t *testing.T) {
	tests := []struct {
		step       int
		prev, next string
	}{
		{1, "/learn", "/learn/2"},
		{2, "/learn/1", "/learn/3"},
		{4, "/learn/3", "/learn/tradeoffs"},
	}
	for _, tc := range tests {
		t.Run("step "+strconv.Itoa(tc.step), func(t *testing.T) {
			doc := render(t, LearnStepPage(stepView(tc.step)))
			kicker := textOf(must(t, find(doc, classed("learn-kicker")), "kicker"))
			if want := fmt.Sprintf("Step %d of 4", tc.step); kicker != want {
				t.Errorf("kicker = %q, want %q", kicker, want)
			}
			pager := must(t, find(doc, tag("nav"), attrIs("aria-label", "Previous and next step")), "pager")
			for rel, want := range map[string]string{"prev": tc.prev, "next": tc.next} {
				a := must(t, find(pager, tag("a"), attrIs("rel", rel)), "rel="+rel)
				if got := attr(a, "href"); got != want {
					t.Errorf("%s = %q, want %q", rel, got, want)
				}
			}
			nav := must(t, find(doc, tag("nav"), attrIs("aria-label", "Walkthrough")), "walkthrough nav")
			var current []string
			for _, a := range findAll(nav, tag("a")) {
				if attr(a, "aria-current") == "page" {
					current = append(current, textOf(a))
				}
			}
			if want := []string{"Step " + strconv.Itoa(tc.step)}; !slices.Equal(current, want) {
				t.Errorf("walkthrough nav current = %q, want %q", current, want)
			}
		})
	}
}

func TestLearnTryIt(t *testing.T) {
	l := testLinks()
	l.Compare, l.Session.Login, l.JWT.Login = "/cmp", "/s/in", "/j/in"
	common := []string{"/s/in?next=/cmp", "/j/in?next=/cmp", "/cmp"}
	tests := []struct {
		step     int
		links    []string
		commands int
	}{
		{1, append(slices.Clone(common), l.Signup), 2},
		{2, common, 3},
		{3, common, 1},
		{4, append(slices.Clone(common), l.Session.Dashboard, l.JWT.Dashboard), 3},
	}
	for _, tc := range tests {
		t.Run("step "+strconv.Itoa(tc.step), func(t *testing.T) {
			v := stepView(tc.step)
			v.Links = l
			doc := render(t, LearnStepPage(v))
			try := must(t, find(doc, tag("section"), attrIs("aria-labelledby", "try-it")), "try it")
			list := must(t, find(try, tag("ul"), classed("learn-links")), "try-it links")
			if got := hrefs(findAll(list, tag("a"))); !slices.Equal(got, tc.links) {
				t.Errorf("try-it links = %q, want %q", got, tc.links)
			}
			cmds := findAll(try, attrIs("data-testid", "try-command"))
			if len(cmds) != tc.commands {
				t.Errorf("%d try-it commands, want %d", len(cmds), tc.commands)
			}
			// Commands aimed at the server go to BaseURL without its
			// trailing slash, never to a doubled one.
			for _, c := range cmds {
				text := rawText(c)
				if strings.Contains(text, "authlab.example//") {
					t.Errorf("command has a doubled slash: %q", text)
				}
				if strings.Contains(text, "curl") && !strings.Contains(text, "https://authlab.example/") {
					t.Errorf("curl command not aimed at the base URL: %q", text)
				}
			}
		})
	}
}

// quizQuestions are three graded questions: one right, one wrong, one
// skipped.
func quizQuestions(graded bool) []QuizQuestion {
	choices := func(q string) []QuizChoice {
		return []QuizChoice{
			{ID: "a", Text: "The `sid` claim", Why: q + ": a is right."},
			{ID: "b", Text: "The cookie name", Why: q + ": b is wrong."},
		}
	}
	qs := []QuizQuestion{
		{ID: "logout", Level: "easy", Prompt: "What does `Tokens.Logout` revoke?", Step: testSteps[3], Choices: choices("logout")},
		{ID: "hash", Level: "medium", Prompt: "What is stored?", Code: "password_hash TEXT", Step: testSteps[0], Choices: choices("hash")},
		{ID: "alg", Level: "hard", Prompt: "Which algorithm?", Step: testSteps[1], Choices: choices("alg")},
	}
	if !graded {
		return qs
	}
	for i := range qs {
		qs[i].Right = qs[i].Choices[0]
	}
	qs[0].Outcome, qs[0].Chosen, qs[0].Choices[0].Checked = QuizCorrect, qs[0].Choices[0], true
	qs[1].Outcome, qs[1].Chosen, qs[1].Choices[1].Checked = QuizWrong, qs[1].Choices[1], true
	qs[2].Outcome = QuizUnanswered
	return qs
}

func TestLearnQuizBlank(t *testing.T) {
	doc := render(t, LearnQuiz(QuizView{Page: testPage("/learn/quiz"), Steps: testSteps, Questions: quizQuestions(false)}))
	for _, id := range []string{"quiz-score", "quiz-wrong", "quiz-unanswered", "feedback-logout", "feedback-hash", "feedback-alg"} {
		if n := byTestID(doc, id); n != nil {
			t.Errorf("blank quiz shows %s %q", id, textOf(n))
		}
	}
	form := must(t, find(doc, tag("form")), "form")
	if got := attr(form, "method"); got != "post" {
		t.Errorf("form method = %q, want post", got)
	}
	for _, q := range []string{"logout", "hash", "alg"} {
		fs := must(t, byTestID(form, "question-"+q), "question-"+q)
		radios := findAll(fs, tag("input"), attrIs("type", "radio"), attrIs("name", q))
		if len(radios) != 2 {
			t.Fatalf("question %s has %d radios named %s, want 2", q, len(radios), q)
		}
		for _, r := range radios {
			if hasAttr(r, "checked") {
				t.Errorf("blank quiz has %s checked", attr(r, "id"))
			}
			labelled(t, doc, r, map[string]string{"a": "The sid claim", "b": "The cookie name"}[attr(r, "value")])
		}
	}
	// Backquoted text in a prompt is code.
	legend := must(t, find(must(t, byTestID(doc, "question-logout"), "question-logout"), tag("legend")), "legend")
	if code := find(legend, tag("code")); code == nil || textOf(code) != "Tokens.Logout" {
		t.Errorf("prompt %q does not show Tokens.Logout as code", textOf(legend))
	}
	// A question's code block describes its fieldset.
	hash := must(t, byTestID(doc, "question-hash"), "question-hash")
	if got := describedBy(t, doc, hash); !slices.Equal(got, []string{"password_hash TEXT"}) {
		t.Errorf("question-hash is described by %q, want its code", got)
	}
}

func TestLearnQuizGraded(t *testing.T) {
	qs := quizQuestions(true)
	doc := render(t, LearnQuiz(QuizView{Page: testPage("/learn/quiz"), Steps: testSteps, Questions: qs,
		Graded: true, Correct: 1, Wrong: 1, Unanswered: 1}))
	score := must(t, find(doc, tag("section"), attrIs("id", "score")), "#score")
	for id, want := range map[string]string{"quiz-score": "1 of 3", "quiz-wrong": "1", "quiz-unanswered": "1"} {
		if got := textOf(must(t, byTestID(score, id), id)); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if find(score, attrIs("role", "status")) == nil {
		t.Error("the score is not announced (no role=status)")
	}
	if got := attr(must(t, find(doc, tag("form")), "form"), "action"); !strings.HasSuffix(got, "#score") {
		t.Errorf("form action = %q, want it to land on #score", got)
	}

	tests := []struct {
		id      string
		outcome QuizOutcome
		checked string // the radio kept checked, "" for none
		says    []string
		step    string
	}{
		{"logout", QuizCorrect, "logout-a", []string{"Correct.", "logout: a is right."}, "/learn/4"},
		{"hash", QuizWrong, "hash-b", []string{"Not this one.", "hash: b is wrong.", "The answer: The sid claim", "hash: a is right."}, "/learn/1"},
		{"alg", QuizUnanswered, "", []string{"Unanswered.", "The answer: The sid claim", "alg: a is right."}, "/learn/2"},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			fs := must(t, byTestID(doc, "question-"+tc.id), "question-"+tc.id)
			if !hasClass(fs, "learn-"+string(tc.outcome)) {
				t.Errorf("question class = %q, want learn-%s", attr(fs, "class"), tc.outcome)
			}
			fb := must(t, byTestID(fs, "feedback-"+tc.id), "feedback-"+tc.id)
			if got := attr(fb, "data-outcome"); got != string(tc.outcome) {
				t.Errorf("data-outcome = %q, want %q", got, tc.outcome)
			}
			text := textOf(fb)
			for _, s := range tc.says {
				if !strings.Contains(text, s) {
					t.Errorf("feedback %q does not say %q", text, s)
				}
			}
			if tc.outcome == QuizCorrect && strings.Contains(text, "The answer:") {
				t.Errorf("correct answer's feedback repeats the answer: %q", text)
			}
			if find(fb, tag("a"), attrIs("href", tc.step)) == nil {
				t.Errorf("feedback does not link to %s", tc.step)
			}
			var checked []string
			for _, r := range findAll(fs, tag("input"), attrIs("type", "radio")) {
				if hasAttr(r, "checked") {
					checked = append(checked, attr(r, "id"))
				}
			}
			var want []string
			if tc.checked != "" {
				want = []string{tc.checked}
			}
			if !slices.Equal(checked, want) {
				t.Errorf("checked = %q, want %q", checked, want)
			}
		})
	}
}

// tradeoffsView is the trade-offs page with made-up figures.
func tradeoffsView() TradeoffsView {
	return TradeoffsView{Page: testPage("/learn/tradeoffs"), Steps: testSteps, Settings: testSettings(),
		Figures: TradeoffFigures{UserID: 1, SessionCookie: 59, JWTCookie: 359, BearerHeader: 367, SessionToken: 43,
			SessionRecord: 52, TokenID: 26, SessionCheck: Timing{N: 1000, Each: 20 * time.Microsecond},
			JWTCheck: Timing{N: 1000, Each: 4 * time.Microsecond}, JWTFirst: Timing{N: 20, Each: 23 * time.Microsecond},
			MinRuns: 20, MaxRuns: 1000, Budget: 100 * time.Millisecond}}
}

// TestLearnTablesLabelEveryCell checks that every cell of every
// walkthrough table carries its column's header as data-label, which the
// stylesheet shows above the cell once a narrow screen stacks the columns.
func TestLearnTablesLabelEveryCell(t *testing.T) {
	pages := map[string]*html.Node{
		"step 2":    render(t, LearnStepPage(stepView(2))),
		"step 4":    render(t, LearnStepPage(stepView(4))),
		"tradeoffs": render(t, LearnTradeoffs(tradeoffsView())),
	}
	for name, doc := range pages {
		t.Run(name, func(t *testing.T) {
			tables := findAll(doc, tag("table"), classed("learn-table"))
			if len(tables) == 0 {
				t.Fatal("no tables")
			}
			for _, table := range tables {
				headers := texts(findAll(must(t, find(table, tag("thead")), "thead"), tag("th")))
				for _, tr := range findAll(must(t, find(table, tag("tbody")), "tbody"), tag("tr")) {
					col := 0
					for c := tr.FirstChild; c != nil; c = c.NextSibling {
						if c.Type != html.ElementNode {
							continue
						}
						if c.Data == "td" {
							got, ok := lookup(c, "data-label")
							switch {
							case !ok || got == "":
								t.Errorf("%q: a cell in column %d has no data-label: %q", textOf(tr), col, textOf(c))
							case attr(c, "colspan") == "" && col < len(headers) && got != headers[col]:
								t.Errorf("%q: data-label %q, want the column header %q", textOf(tr), got, headers[col])
							}
						}
						col++
					}
				}
			}
		})
	}
}

// TestLearnPrimer checks step 2's primer: the cookie attributes, a sample
// JWT whose parts decode to what the page says they hold, and a glossary
// of every claim authlab writes.
func TestLearnPrimer(t *testing.T) {
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("sample part %q: %v", s, err)
		}
		return b
	}
	for i, want := range []string{sampleHeader, sampleClaims} {
		var got, shown any
		if err := json.Unmarshal(dec(sampleJWT[i]), &got); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(want), &shown); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, shown) {
			t.Errorf("part %d decodes to %v, but the page shows %v", i+1, got, shown)
		}
	}
	if n := len(dec(sampleJWT[2])); n != sha256.Size {
		t.Errorf("the signature is %d bytes, want an HMAC-SHA256's %d", n, sha256.Size)
	}

	doc := render(t, LearnStepPage(stepView(2)))
	cookie := textOf(must(t, find(doc, tag("section"), attrIs("aria-labelledby", "primer-cookie")), "cookie primer"))
	for _, want := range []string{"HttpOnly", "Secure", "SameSite=Lax", "top-level GET", "Path=/", "__Host-", "Expires", "restore"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("the cookie primer does not mention %q", want)
		}
	}
	sample := rawText(must(t, byTestID(doc, "sample-jwt"), "sample-jwt"))
	if want := strings.Join(sampleJWT[:], "\n."); sample != want {
		t.Errorf("sample token = %q, want its three parts split at the dots", sample)
	}
	jwtPrimer := must(t, find(doc, tag("section"), attrIs("aria-labelledby", "primer-jwt")), "JWT primer")
	var fields []string
	for _, th := range findAll(must(t, find(jwtPrimer, tag("tbody")), "glossary"), tag("th")) {
		for _, c := range findAll(th, tag("code")) {
			fields = append(fields, textOf(c))
		}
	}
	for _, claim := range []string{"alg", "kid", "iss", "aud", "sub", "iat", "exp", "jti", "sid", "auth_time"} {
		if !slices.Contains(fields, claim) {
			t.Errorf("the glossary lacks %s; it has %q", claim, fields)
		}
	}
	// The primer comes before the settings it prepares for.
	sections := findAll(doc, tag("h2"))
	if len(sections) < 3 || attr(sections[0], "id") != "primer-cookie" || attr(sections[1], "id") != "primer-jwt" {
		t.Errorf("step 2 opens with %q, want the cookie and JWT primer first", texts(sections))
	}
}

// TestLearnStepFacts pins facts the steps must state, and claims that were
// once wrong and must not come back.
func TestLearnStepFacts(t *testing.T) {
	tests := []struct {
		step      int
		want, not []string
	}{
		{2, []string{"openssl rand -base64 32", "32-character passphrase", "separate databases", "user 2"}, nil},
		{4, []string{"is reported revoked", "exactly when", "LISTEN/NOTIFY", "closing the browser revokes nothing",
			"if you close the browser instead"}, []string{"all are reported as expired"}},
	}
	for _, tc := range tests {
		t.Run("step "+strconv.Itoa(tc.step), func(t *testing.T) {
			text := textOf(render(t, LearnStepPage(stepView(tc.step))))
			for _, s := range tc.want {
				if !strings.Contains(text, s) {
					t.Errorf("step %d does not say %q", tc.step, s)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(text, s) {
					t.Errorf("step %d still says %q", tc.step, s)
				}
			}
		})
	}
}

// TestLearnTradeoffsSections checks that the trade-offs page answers each
// question an engineer brings to it, with its source where it cites one.
func TestLearnTradeoffsSections(t *testing.T) {
	doc := render(t, LearnTradeoffs(tradeoffsView()))
	tests := []struct {
		section string
		says    []string
	}{
		{"browser-attacks", []string{"HttpOnly", "Bearer", "CrossOriginProtection", "SameSite=Lax", "Immune"}},
		{"where-kept", []string{"localStorage", "backend for frontend", "Keychain"}},
		{"renewal", []string{"never renewed", "every 15m", "RFC 9700", "§4.14", "rotated", "authlab does not do this"}},
		{"size", []string{"4096 bytes", "RFC 6265 §6.1", "/static/", "359 bytes"}},
		{"keys", []string{"kid", "authlab keys rotate", "asymmetric", "authlab does not do this", "RFC 8725 §2.1"}},
		{"timeouts", []string{"OWASP", "NIST SP 800-63B", "30m", "24h", "AAL2"}},
		{"choose", []string{"Which should I choose?", "Server sessions", "asymmetric key", "clearly wins", "clearly loses"}},
	}
	for _, tc := range tests {
		t.Run(tc.section, func(t *testing.T) {
			s := must(t, find(doc, tag("section"), attrIs("aria-labelledby", tc.section)), tc.section)
			text := textOf(s)
			for _, want := range tc.says {
				if !strings.Contains(text, want) {
					t.Errorf("%s does not say %q", tc.section, want)
				}
			}
		})
	}

	// The measured table states the database work beside the times, and
	// what the JWT strategy keeps, before and after logout.
	for id, want := range map[string][]string{
		"session-db-ops": {"a record read", "from memory after the first read", "a user lookup", "at most once every"},
		"jwt-db-ops":     {"the first time", "a user lookup", "revocation-list check in memory", "No database read"},
	} {
		text := textOf(must(t, byTestID(doc, id), id))
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s = %q, lacks %q", id, text, w)
			}
		}
	}
	text := textOf(doc)
	for _, want := range []string{"None while signed in", "Revocation entries after logout", "How fresh the user's rights are"} {
		if !strings.Contains(text, want) {
			t.Errorf("the trade-offs page does not say %q", want)
		}
	}
}
