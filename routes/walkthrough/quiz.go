package walkthrough

import (
	"errors"
	"fmt"
	"net/url"
)

// Level is how hard a question is.
type Level string

// The levels, easiest first.
const (
	Easy   Level = "easy"
	Medium Level = "medium"
	Hard   Level = "hard"
)

// Question is one multiple-choice question. Text in backquotes is code.
type Question struct {
	ID      string // the form field that carries the answer
	Level   Level
	Prompt  string
	Code    string // Go source the question is about, or ""
	Choices []Choice
	Answer  string // the ID of the right choice
	Step    int    // the step that teaches it
}

// Choice is one answer, with why it is right or wrong, shown to whoever
// picks it.
type Choice struct {
	ID   string
	Text string
	Why  string
}

// Choice returns the question's choice with id.
func (q Question) Choice(id string) (Choice, bool) {
	for _, c := range q.Choices {
		if c.ID == id {
			return c, true
		}
	}
	return Choice{}, false
}

// ErrBadAnswer means a submitted value is not one of its question's
// choices, or a question got more than one answer. No form the quiz page
// renders can send that.
var ErrBadAnswer = errors.New("walkthrough: not an answer to this question")

// Answer is one question as answered; Chosen is "" when it was left blank.
type Answer struct {
	Question Question
	Chosen   string
}

// Answered reports whether a choice was made.
func (a Answer) Answered() bool { return a.Chosen != "" }

// Correct reports whether the right choice was made.
func (a Answer) Correct() bool { return a.Chosen == a.Question.Answer }

// Result is a graded quiz.
type Result struct {
	Answers    []Answer
	Correct    int
	Wrong      int
	Unanswered int
}

// Grade scores form against qs. A question with no value in form counts
// as unanswered; fields that name no question are ignored.
func Grade(qs []Question, form url.Values) (Result, error) {
	res := Result{Answers: make([]Answer, 0, len(qs))}
	for _, q := range qs {
		vals := form[q.ID]
		a := Answer{Question: q}
		switch {
		case len(vals) == 0:
			res.Unanswered++
		case len(vals) > 1:
			return Result{}, fmt.Errorf("%w: %d answers to %s", ErrBadAnswer, len(vals), q.ID)
		default:
			if _, ok := q.Choice(vals[0]); !ok {
				return Result{}, fmt.Errorf("%w: %q for %s", ErrBadAnswer, vals[0], q.ID)
			}
			a.Chosen = vals[0]
			if a.Correct() {
				res.Correct++
			} else {
				res.Wrong++
			}
		}
		res.Answers = append(res.Answers, a)
	}
	return res, nil
}
