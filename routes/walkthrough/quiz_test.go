package walkthrough

import (
	"errors"
	"net/url"
	"testing"
)

func TestQuizData(t *testing.T) {
	if len(Quiz) < 8 {
		t.Errorf("%d questions, want at least 8", len(Quiz))
	}
	levels := map[Level]int{}
	ids := map[string]bool{}
	for _, q := range Quiz {
		levels[q.Level]++
		if ids[q.ID] || q.ID == "" {
			t.Errorf("question id %q is empty or used twice", q.ID)
		}
		ids[q.ID] = true
		if q.Prompt == "" || len(q.Choices) < 2 {
			t.Errorf("%s: needs a prompt and at least two choices", q.ID)
		}
		if _, ok := StepByNumber(q.Step); !ok {
			t.Errorf("%s: step %d does not exist", q.ID, q.Step)
		}
		if _, ok := q.Choice(q.Answer); !ok {
			t.Errorf("%s: answer %q is not a choice", q.ID, q.Answer)
		}
		seen := map[string]bool{}
		for _, c := range q.Choices {
			if seen[c.ID] || c.ID == "" || c.Text == "" || c.Why == "" {
				t.Errorf("%s: choice %q is duplicated or lacks text or an explanation", q.ID, c.ID)
			}
			seen[c.ID] = true
		}
	}
	for _, l := range []Level{Easy, Medium, Hard} {
		if levels[l] == 0 {
			t.Errorf("no %s questions", l)
		}
	}
	if len(levels) != 3 {
		t.Errorf("levels %v, want only easy, medium and hard", levels)
	}
}

// answers returns a form answering every question with pick(q).
func answers(pick func(Question) string) url.Values {
	form := url.Values{}
	for _, q := range Quiz {
		form.Set(q.ID, pick(q))
	}
	return form
}

func wrongChoice(q Question) string {
	for _, c := range q.Choices {
		if c.ID != q.Answer {
			return c.ID
		}
	}
	return ""
}

func TestGrade(t *testing.T) {
	n := len(Quiz)
	first := Quiz[0]
	tests := []struct {
		name                       string
		form                       url.Values
		correct, wrong, unanswered int
		wantErr                    bool
	}{
		{"all right", answers(func(q Question) string { return q.Answer }), n, 0, 0, false},
		{"all wrong", answers(wrongChoice), 0, n, 0, false},
		{"blank", url.Values{}, 0, 0, n, false},
		{"one right, the rest blank", url.Values{first.ID: {first.Answer}}, 1, 0, n - 1, false},
		{"unknown fields are ignored", url.Values{"nonsense": {"x"}}, 0, 0, n, false},
		{"a value that is no choice", url.Values{first.ID: {"z"}}, 0, 0, 0, true},
		{"an empty value", url.Values{first.ID: {""}}, 0, 0, 0, true},
		{"two answers to one question", url.Values{first.ID: {first.Answer, wrongChoice(first)}}, 0, 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Grade(Quiz, tc.form)
			if tc.wantErr {
				if !errors.Is(err, ErrBadAnswer) {
					t.Fatalf("Grade = %v, want ErrBadAnswer", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Correct != tc.correct || res.Wrong != tc.wrong || res.Unanswered != tc.unanswered {
				t.Errorf("right/wrong/blank = %d/%d/%d, want %d/%d/%d",
					res.Correct, res.Wrong, res.Unanswered, tc.correct, tc.wrong, tc.unanswered)
			}
			if len(res.Answers) != n {
				t.Errorf("%d answers, want one per question (%d)", len(res.Answers), n)
			}
		})
	}
}
