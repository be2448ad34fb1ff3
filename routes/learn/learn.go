// Package learn serves the walkthrough: its steps, the quiz and the
// trade-offs measured on the running server. It is mounted beside the
// core routes with its own dependencies, so it widens none of their types.
package learn

import (
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/routes/walkthrough"
	"github.com/authlab/authlab/routes/web"
	"github.com/authlab/authlab/views"
)

// Deps is what the /learn pages need.
type Deps struct {
	Web  *web.Responder
	Auth *auth.Auth // its settings are quoted, and the trade-offs measured on it
	// BaseURL is the public URL, for the curl commands the steps show.
	BaseURL string
	// SessionStore names the session store ("sqlite" or "memory").
	SessionStore string
	// Source holds authlab's Go files (auth/ and auth/sqlite/), which the
	// steps quote; see walkthrough.Source.
	Source fs.FS
	// NotFound answers a step that does not exist.
	NotFound http.HandlerFunc
}

// Mount adds the walkthrough's routes under prefix.
func Mount(r chi.Router, prefix string, d Deps) {
	s := &server{Deps: d}
	h := d.Web.Handle
	r.Get(prefix, h(s.index))
	r.Get(prefix+"/{step}", h(s.step))
	r.Get(prefix+"/quiz", h(s.quizForm))
	r.Post(prefix+"/quiz", h(s.quizSubmit))
	r.Get(prefix+"/tradeoffs", h(s.tradeoffs))
	r.Get(prefix+"/lab", h(s.labPage))
	r.Post(prefix+"/lab/keep", h(s.labKeep))
	r.Post(prefix+"/lab/replay", h(s.labReplay))
	r.Post(prefix+"/lab/tamper", h(s.labTamper))
	r.Post(prefix+"/lab/flip", h(s.labFlip))
	r.Post(prefix+"/lab/guess", h(s.labGuess))
}

type server struct {
	Deps
	cache cache
	lab   labStore
}

// cache is what the /learn pages work out once per process: the
// declarations they quote and the figures they show.
type cache struct {
	sourceOnce sync.Once
	source     map[int]map[string]walkthrough.Snippet
	sourceErr  error

	// figuresMu is held while measuring, so concurrent first visitors wait
	// for one measurement. A failed one is not kept: the next visit retries.
	figuresMu sync.Mutex
	figures   *walkthrough.Figures
}

// learnSource returns the quoted declarations, parsing the source on first
// use. The files are embedded, so an error here is permanent.
func (s *server) source() (map[int]map[string]walkthrough.Snippet, error) {
	s.cache.sourceOnce.Do(func() {
		s.cache.source, s.cache.sourceErr = walkthrough.Source(s.Source)
	})
	return s.cache.source, s.cache.sourceErr
}

// learnFigures measures the trade-offs on first use and keeps them. It
// runs on the first request for /learn/tradeoffs rather than at start-up,
// so neither starting the server nor a test that never opens the page
// pays for it.
func (s *server) figures() (walkthrough.Figures, error) {
	s.cache.figuresMu.Lock()
	defer s.cache.figuresMu.Unlock()
	if s.cache.figures == nil {
		f, err := walkthrough.Measure(s.Auth)
		if err != nil {
			return walkthrough.Figures{}, err
		}
		s.cache.figures = &f
	}
	return *s.cache.figures, nil
}

// page is the shared page model plus the walkthrough's stylesheet.
func (s *server) page(r *http.Request, title string) views.Page {
	p := s.Web.Page(r, title)
	p.Styles = append(p.Styles, "/static/learn.css")
	return p
}

func (s *server) settings() views.LearnSettings {
	a := s.Auth.Settings()
	return views.LearnSettings{
		BaseURL:         s.BaseURL,
		SessionStore:    s.SessionStore,
		SessionCookie:   a.SessionCookie,
		JWTCookie:       a.TokenCookie,
		SessionIdle:     a.IdleTimeout,
		SessionIdleStep: a.IdleStep,
		SessionLifetime: a.Lifetime,
		JWTTTL:          a.TokenTTL,
		JWTLifetime:     a.Lifetime,
	}
}

func learnSteps() []views.LearnStep {
	out := make([]views.LearnStep, len(walkthrough.Steps))
	for i, st := range walkthrough.Steps {
		out[i] = learnStepOf(st)
	}
	return out
}

func learnStepOf(st walkthrough.Step) views.LearnStep {
	return views.LearnStep{Number: st.Number, Title: st.Title, Summary: st.Summary}
}

func (s *server) index(w http.ResponseWriter, r *http.Request) error {
	v := views.LearnIndexView{Page: s.page(r, "Learn"), Steps: learnSteps()}
	return s.Web.Render(w, r, http.StatusOK, views.LearnIndex(v))
}

func (s *server) step(w http.ResponseWriter, r *http.Request) error {
	param := chi.URLParam(r, "step")
	n, err := strconv.Atoi(param)
	st, ok := walkthrough.StepByNumber(n)
	if err != nil || !ok || strconv.Itoa(n) != param {
		s.NotFound(w, r)
		return nil
	}
	source, err := s.source()
	if err != nil {
		return err
	}
	code := make(map[string]views.CodePanel, len(source[n]))
	for name, sn := range source[n] {
		code[name] = views.CodePanel{File: sn.File, Name: sn.Name, Line: sn.Line, EndLine: sn.EndLine, Code: sn.Code}
	}
	v := views.LearnStepView{
		Page:     s.page(r, "Step "+param+": "+st.Title),
		Step:     learnStepOf(st),
		Steps:    learnSteps(),
		Code:     code,
		Settings: s.settings(),
	}
	return s.Web.Render(w, r, http.StatusOK, views.LearnStepPage(v))
}

func (s *server) quizForm(w http.ResponseWriter, r *http.Request) error {
	return s.Web.Render(w, r, http.StatusOK, views.LearnQuiz(s.quizView(r, nil)))
}

// quizSubmit grades the quiz form. Unanswered questions are fine; a value
// that is not one of a question's choices is a 400, since no form this
// server renders can send one.
func (s *server) quizSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The quiz form could not be read.", err)
	}
	res, err := walkthrough.Grade(walkthrough.Quiz, r.PostForm)
	if errors.Is(err, walkthrough.ErrBadAnswer) {
		return web.BadRequest("An answer is not one of its question's choices.", err)
	}
	if err != nil {
		return err
	}
	return s.Web.Render(w, r, http.StatusOK, views.LearnQuiz(s.quizView(r, &res)))
}

// quizView is the quiz page: blank when res is nil, else graded.
func (s *server) quizView(r *http.Request, res *walkthrough.Result) views.QuizView {
	v := views.QuizView{Page: s.page(r, "Quiz"), Steps: learnSteps()}
	if res != nil {
		v.Graded, v.Correct, v.Wrong, v.Unanswered = true, res.Correct, res.Wrong, res.Unanswered
	}
	for i, q := range walkthrough.Quiz {
		a := walkthrough.Answer{Question: q}
		if res != nil {
			a = res.Answers[i]
		}
		v.Questions = append(v.Questions, quizQuestion(a, res != nil))
	}
	return v
}

func quizQuestion(a walkthrough.Answer, graded bool) views.QuizQuestion {
	q := a.Question
	st, _ := walkthrough.StepByNumber(q.Step)
	out := views.QuizQuestion{ID: q.ID, Level: string(q.Level), Prompt: q.Prompt, Code: q.Code, Step: learnStepOf(st)}
	for _, c := range q.Choices {
		vc := views.QuizChoice{ID: c.ID, Text: c.Text, Why: c.Why, Checked: c.ID == a.Chosen}
		out.Choices = append(out.Choices, vc)
		if c.ID == a.Chosen {
			out.Chosen = vc
		}
		if c.ID == q.Answer {
			out.Right = vc
		}
	}
	switch {
	case !graded:
	case !a.Answered():
		out.Outcome = views.QuizUnanswered
	case a.Correct():
		out.Outcome = views.QuizCorrect
	default:
		out.Outcome = views.QuizWrong
	}
	return out
}

func (s *server) tradeoffs(w http.ResponseWriter, r *http.Request) error {
	f, err := s.figures()
	if err != nil {
		return err
	}
	v := views.TradeoffsView{
		Page:     s.page(r, "Trade-offs"),
		Steps:    learnSteps(),
		Settings: s.settings(),
		Figures: views.TradeoffFigures{
			UserID:        f.UserID,
			SessionCookie: f.SessionCookie,
			JWTCookie:     f.JWTCookie,
			BearerHeader:  f.BearerHeader,
			SessionToken:  f.SessionToken,
			SessionRecord: f.SessionRecord,
			TokenID:       f.TokenID,
			SessionCheck:  views.Timing{N: f.SessionCheck.N, Each: f.SessionCheck.Each()},
			JWTCheck:      views.Timing{N: f.JWTCheck.N, Each: f.JWTCheck.Each()},
			JWTFirst:      views.Timing{N: f.JWTFirst.N, Each: f.JWTFirst.Each()},
			MinRuns:       walkthrough.MinRuns,
			MaxRuns:       walkthrough.MaxRuns,
			Budget:        walkthrough.TimeBudget,
		},
	}
	return s.Web.Render(w, r, http.StatusOK, views.LearnTradeoffs(v))
}
