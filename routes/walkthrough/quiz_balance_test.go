package walkthrough

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// longestChoice returns the id of q's longest choice, counted in runes; on
// a tie, the right answer, so a tie counts against the quiz.
func longestChoice(q Question) string {
	best, n := "", -1
	for _, c := range q.Choices {
		l := utf8.RuneCountInString(c.Text)
		if l > n || l == n && c.ID == q.Answer {
			best, n = c.ID, l
		}
	}
	return best
}

// TestQuizDoesNotGiveAnswersAway fails when the quiz can be passed without
// reading it: the right choice is the longest in more than half the
// questions, or the longest choice (or the right one) sits in the same
// place nearly every time.
func TestQuizDoesNotGiveAnswersAway(t *testing.T) {
	var longest []string
	positions := map[int]bool{}
	answers := map[string]bool{}
	for _, q := range Quiz {
		id := longestChoice(q)
		if id == q.Answer {
			longest = append(longest, q.ID)
		}
		for i, c := range q.Choices {
			if c.ID == id {
				positions[i] = true
			}
		}
		answers[q.Answer] = true
	}
	if 2*len(longest) > len(Quiz) {
		t.Errorf("the right choice is the longest in %d of %d questions (%s); at most half may be",
			len(longest), len(Quiz), strings.Join(longest, ", "))
	}
	if len(positions) < 3 {
		t.Errorf("the longest choice is always in one of %d places; vary it", len(positions))
	}
	if len(answers) < 3 {
		t.Errorf("the right choice is always one of %d letters; vary it", len(answers))
	}
}

func TestLongestChoice(t *testing.T) {
	tests := []struct {
		name    string
		choices []string
		answer  string
		want    string
	}{
		{"a distractor is longest", []string{"short", "the longest one", "mid size"}, "a", "b"},
		{"the answer is longest", []string{"the longest one", "short", "mid size"}, "a", "a"},
		{"a tie counts against the answer", []string{"same", "also", "x"}, "b", "b"},
		{"runes, not bytes", []string{"µµµµ", "abcde"}, "a", "b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := Question{Answer: tc.answer}
			for i, text := range tc.choices {
				q.Choices = append(q.Choices, Choice{ID: string(rune('a' + i)), Text: text})
			}
			if got := longestChoice(q); got != tc.want {
				t.Errorf("longestChoice(%q, answer %s) = %s, want %s", tc.choices, tc.answer, got, tc.want)
			}
		})
	}
}
