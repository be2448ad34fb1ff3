package routes

import (
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/authlab/authlab/routes/walkthrough"
	"github.com/authlab/authlab/views"
)

// learnCache is what the /learn pages work out once per process: the
// declarations they quote and the figures they show.
type learnCache struct {
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
func (s *server) learnSource() (map[int]map[string]walkthrough.Snippet, error) {
	s.learn.sourceOnce.Do(func() {
		s.learn.source, s.learn.sourceErr = walkthrough.Source(s.Source)
	})
	return s.learn.source, s.learn.sourceErr
}

// learnFigures measures the trade-offs on first use and keeps them. It
// runs on the first request for /learn/tradeoffs rather than at start-up,
// so neither starting the server nor a test that never opens the page
// pays for it.
func (s *server) learnFigures() (walkthrough.Figures, error) {
	s.learn.figuresMu.Lock()
	defer s.learn.figuresMu.Unlock()
	if s.learn.figures == nil {
		f, err := walkthrough.Measure(s.Sessions, s.Tokens)
		if err != nil {
			return walkthrough.Figures{}, err
		}
		s.learn.figures = &f
	}
	return *s.learn.figures, nil
}

// learnPage is the shared page model plus the walkthrough's stylesheet.
func (s *server) learnPage(r *http.Request, title string) views.Page {
	p := s.page(r, title)
	p.Styles = append(p.Styles, "/static/learn.css")
	return p
}

func (s *server) learnSettings() views.LearnSettings {
	return views.LearnSettings{
		BaseURL:         s.BaseURL,
		SessionStore:    s.SessionStore,
		SessionCookie:   s.Sessions.CookieName(),
		JWTCookie:       s.Tokens.CookieName(),
		SessionIdle:     s.Sessions.IdleTimeout(),
		SessionLifetime: s.Sessions.Lifetime(),
		JWTTTL:          s.Tokens.TTL(),
		JWTLifetime:     s.Tokens.Lifetime(),
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

func (s *server) learnIndex(w http.ResponseWriter, r *http.Request) {
	v := views.LearnIndexView{Page: s.learnPage(r, "Learn"), Steps: learnSteps()}
	s.render(w, r, http.StatusOK, views.LearnIndex(v))
}

func (s *server) learnStep(w http.ResponseWriter, r *http.Request) {
	param := chi.URLParam(r, "step")
	n, err := strconv.Atoi(param)
	st, ok := walkthrough.StepByNumber(n)
	if err != nil || !ok || strconv.Itoa(n) != param {
		s.notFound(w, r)
		return
	}
	source, err := s.learnSource()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	code := make(map[string]views.CodePanel, len(source[n]))
	for name, sn := range source[n] {
		code[name] = views.CodePanel{File: sn.File, Name: sn.Name, Line: sn.Line, EndLine: sn.EndLine, Code: sn.Code}
	}
	v := views.LearnStepView{
		Page:     s.learnPage(r, "Step "+param+": "+st.Title),
		Step:     learnStepOf(st),
		Steps:    learnSteps(),
		Code:     code,
		Settings: s.learnSettings(),
	}
	s.render(w, r, http.StatusOK, views.LearnStepPage(v))
}

func (s *server) quizForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, views.LearnQuiz(s.quizView(r, nil)))
}

// quizSubmit grades the quiz form. Unanswered questions are fine; a value
// that is not one of a question's choices is a 400, since no form this
// server renders can send one.
func (s *server) quizSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.clientError(w, r, http.StatusBadRequest, "The quiz form could not be read.", err)
		return
	}
	res, err := walkthrough.Grade(walkthrough.Quiz, r.PostForm)
	if errors.Is(err, walkthrough.ErrBadAnswer) {
		s.clientError(w, r, http.StatusBadRequest, "An answer is not one of its question's choices.", err)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, views.LearnQuiz(s.quizView(r, &res)))
}

// quizView is the quiz page: blank when res is nil, else graded.
func (s *server) quizView(r *http.Request, res *walkthrough.Result) views.QuizView {
	v := views.QuizView{Page: s.learnPage(r, "Quiz"), Steps: learnSteps()}
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

func (s *server) tradeoffs(w http.ResponseWriter, r *http.Request) {
	f, err := s.learnFigures()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := views.TradeoffsView{
		Page:     s.learnPage(r, "Trade-offs"),
		Steps:    learnSteps(),
		Settings: s.learnSettings(),
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
			MinRuns:       walkthrough.MinRuns,
			MaxRuns:       walkthrough.MaxRuns,
			Budget:        walkthrough.TimeBudget,
		},
	}
	s.render(w, r, http.StatusOK, views.LearnTradeoffs(v))
}
