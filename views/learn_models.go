package views

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
)

// LearnStep is one step of the walkthrough, as links and headings show it.
type LearnStep struct {
	Number  int
	Title   string
	Summary string
}

// Href is the step's path.
func (s LearnStep) Href() string { return "/learn/" + strconv.Itoa(s.Number) }

// CodePanel is one declaration quoted from authlab's source.
type CodePanel struct {
	File    string
	Name    string
	Line    int
	EndLine int
	Code    string
}

// ID is the panel's fragment, so other pages can link to a declaration.
func (c CodePanel) ID() string { return CodeID(c.Name) }

// CodeID is the fragment of the code panel that quotes name.
func CodeID(name string) string { return "code-" + strings.ReplaceAll(name, ".", "-") }

// LearnSettings are this server's settings, which the walkthrough quotes
// so that its numbers are the ones in force.
type LearnSettings struct {
	BaseURL         string
	SessionStore    string // "sqlite" or "memory"
	SessionCookie   string
	JWTCookie       string
	SessionIdle     time.Duration
	SessionIdleStep time.Duration // the idle deadline may come this much early
	SessionLifetime time.Duration
	JWTTTL          time.Duration
	JWTLifetime     time.Duration // renewal stops at login + this
}

// Secure reports whether the cookies carry the __Host- prefix, which
// authlab gives them behind an https base URL.
func (s LearnSettings) Secure() bool { return strings.HasPrefix(s.SessionCookie, "__Host-") }

// LearnIndexView is the walkthrough's overview.
type LearnIndexView struct {
	Page
	Steps []LearnStep
}

// LearnStepView is one step page.
type LearnStepView struct {
	Page
	Step     LearnStep
	Steps    []LearnStep
	Code     map[string]CodePanel // by declaration name
	Settings LearnSettings
}

// Prev is the step before this one; its Number is 0 on the first step.
func (v LearnStepView) Prev() LearnStep { return v.neighbour(-1) }

// Next is the step after this one; its Number is 0 on the last step.
func (v LearnStepView) Next() LearnStep { return v.neighbour(1) }

func (v LearnStepView) neighbour(d int) LearnStep {
	for i, s := range v.Steps {
		if s.Number == v.Step.Number && i+d >= 0 && i+d < len(v.Steps) {
			return v.Steps[i+d]
		}
	}
	return LearnStep{}
}

// code renders the panel for the declaration name. A step template that
// names a declaration its handler did not extract fails to render, rather
// than showing an empty panel.
func (v LearnStepView) code(name string) templ.Component {
	c, ok := v.Code[name]
	if !ok {
		return templ.ComponentFunc(func(context.Context, io.Writer) error {
			return fmt.Errorf("views: step %d quotes %s, which was not extracted", v.Step.Number, name)
		})
	}
	return codePanel(c)
}

// QuizView is the quiz, blank or graded.
type QuizView struct {
	Page
	Steps      []LearnStep
	Questions  []QuizQuestion
	Graded     bool
	Correct    int
	Wrong      int
	Unanswered int
}

// QuizQuestion is one question as the quiz page shows it.
type QuizQuestion struct {
	ID      string
	Level   string
	Prompt  string // text in backquotes is code
	Code    string
	Step    LearnStep
	Choices []QuizChoice
	// After grading:
	Outcome QuizOutcome
	Chosen  QuizChoice // the choice made, when there was one
	Right   QuizChoice
}

// QuizOutcome is how a graded question went; "" before grading.
type QuizOutcome string

// The outcomes of a graded question.
const (
	QuizCorrect    QuizOutcome = "correct"
	QuizWrong      QuizOutcome = "wrong"
	QuizUnanswered QuizOutcome = "unanswered"
)

// QuizChoice is one answer. Why is shown only once graded.
type QuizChoice struct {
	ID      string
	Text    string
	Why     string
	Checked bool
}

// TradeoffsView is the comparison table with the figures measured on this
// server.
type TradeoffsView struct {
	Page
	Steps    []LearnStep
	Settings LearnSettings
	Figures  TradeoffFigures
}

// TradeoffFigures are the measured numbers; see walkthrough.Figures.
type TradeoffFigures struct {
	UserID        int64
	SessionCookie int
	JWTCookie     int
	BearerHeader  int
	SessionToken  int
	SessionRecord int
	TokenID       int
	SessionCheck  Timing
	JWTCheck      Timing
	JWTFirst      Timing // a token's first presentation
	// The bounds of the timed loops.
	MinRuns int
	MaxRuns int
	Budget  time.Duration
}

// Timing is a timed loop: N runs, each taking Each on average.
type Timing struct {
	N    int
	Each time.Duration
}

// Human writes a setting's duration the way the flags take it: 30m, not
// 30m0s.
func Human(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// micros writes a measured time in microseconds, with one decimal.
func micros(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 1, 64) + " µs"
}

// indexedBytes is what a row keyed by a key of keyLen bytes, with one
// 8-byte time, takes beyond its data: the key and the time in the row, and
// each again in its index. SQLite's own record and page headers come on top.
func indexedBytes(keyLen int) int { return 2*keyLen + 2*8 }

func bytes(n int) string { return strconv.Itoa(n) + " bytes" }

// The sample token of step 2's primer: authlab's header and claims with
// made-up values, HMAC-SHA256-signed with a made-up key, split at its dots.
var sampleJWT = [3]string{
	"eyJhbGciOiJIUzI1NiIsImtpZCI6IjVlM2E5MGMxZDI3YjRmODYiLCJ0eXAiOiJKV1QifQ",
	"eyJpc3MiOiJhdXRobGFiIiwic3ViIjoiNDIiLCJhdWQiOlsiYXV0aGxhYiJdLCJleHAiOjE3MzU3MzM3MDAsImlhdCI6MTczNTczMjgwMCwianRpIjoiSzdRVzNaUDJYSDVNTkI0UlRENllWQ1FGSkEiLCJhdXRoX3RpbWUiOjE3MzU3MjkyMDAsInNpZCI6Ik40VkcyTEtYN1RSV1EzRFpNQkg1WVNQRTZDIn0",
	"oQyhw3RqGD8ZDWCkHZ04aVRIAH31KDJFjcInRjjz0wo",
}

// sampleHeader and sampleClaims are sampleJWT's first two parts, decoded
// and indented.
const (
	sampleHeader = `{
  "alg": "HS256",
  "kid": "5e3a90c1d27b4f86",
  "typ": "JWT"
}`
	sampleClaims = `{
  "iss": "authlab",
  "sub": "42",
  "aud": ["authlab"],
  "exp": 1735733700,
  "iat": 1735732800,
  "jti": "K7QW3ZP2XH5MNB4RTD6YVCQFJA",
  "auth_time": 1735729200,
  "sid": "N4VG2LKX7TRWQ3DZMBH5YSPE6C"
}`
)

// sessionKeyChars is the length of the key a session record is stored
// under: the SHA-256 of its token, in hex (auth's sessionKey).
const sessionKeyChars = 64
