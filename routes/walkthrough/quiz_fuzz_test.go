package walkthrough

import (
	"errors"
	"net/url"
	"testing"
)

// FuzzGrade grades arbitrary forms, read from a query string as a POST
// body is (a form net/url cannot fully read is graded as far as it got).
// Grade never panics; it refuses exactly the forms with two answers to a
// question or an answer that is none of its choices, and otherwise
// accounts for every question once, in order.
func FuzzGrade(f *testing.F) {
	first := Quiz[0]
	for _, s := range []string{
		answers(func(q Question) string { return q.Answer }).Encode(),
		answers(wrongChoice).Encode(),
		"",
		first.ID + "=" + first.Answer,
		first.ID + "=" + first.Answer + "&" + first.ID + "=" + first.Answer,
		first.ID + "=zz",
		first.ID + "=",
		first.ID,
		first.ID + "=" + first.Answer + "%00",
		"nonsense=x",
		first.ID + "=%zz&" + Quiz[1].ID + "=" + Quiz[1].Answer,
		first.ID + "=a;" + Quiz[1].ID + "=b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		form, _ := url.ParseQuery(query)
		res, err := Grade(Quiz, form)

		var wantErr bool
		for _, q := range Quiz {
			switch vals := form[q.ID]; {
			case len(vals) > 1:
				wantErr = true
			case len(vals) == 1:
				if _, ok := q.Choice(vals[0]); !ok {
					wantErr = true
				}
			}
		}
		if wantErr {
			if !errors.Is(err, ErrBadAnswer) {
				t.Fatalf("Grade(%q) = %+v, %v; want ErrBadAnswer", query, res, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Grade(%q) = %v", query, err)
		}
		if len(res.Answers) != len(Quiz) {
			t.Fatalf("Grade(%q) gave %d answers for %d questions", query, len(res.Answers), len(Quiz))
		}
		var correct, wrong, blank int
		for i, a := range res.Answers {
			q := Quiz[i]
			if a.Question.ID != q.ID {
				t.Fatalf("answer %d is to %q, want %q", i, a.Question.ID, q.ID)
			}
			if want := form.Get(q.ID); a.Chosen != want {
				t.Fatalf("answer to %q is %q, the form says %q", q.ID, a.Chosen, want)
			}
			switch {
			case !a.Answered():
				blank++
			case a.Chosen == q.Answer:
				correct++
			default:
				wrong++
			}
		}
		if res.Correct != correct || res.Wrong != wrong || res.Unanswered != blank {
			t.Fatalf("Grade(%q) counts %d/%d/%d right/wrong/blank; its answers say %d/%d/%d",
				query, res.Correct, res.Wrong, res.Unanswered, correct, wrong, blank)
		}
	})
}
