package walkthrough

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"
)

// repo is the module root, whose files the walkthrough quotes.
var repo = os.DirFS("../..")

func TestExtract(t *testing.T) {
	fsys := fstest.MapFS{"p/p.go": {Data: []byte(`package p

// T is a type.
type T struct{ n int }

// Get returns n.
func (t *T) Get() int { return t.n }

func (t T) Value() int { return t.n }

// G is generic.
type G[K comparable] struct{}

// Len is a method on a generic type.
func (g *G[K]) Len() int { return 0 }

// Free is a function.
func Free() {}

// Limit is a constant on its own.
const Limit = 3

var (
	// A is first.
	A = 1
	B = 2
)
`)}, "bad/bad.go": {Data: []byte("package bad\nfunc {")}}

	tests := []struct {
		name    string
		ref     Ref
		want    string // the snippet's first line
		lines   [2]int
		wantErr error
	}{
		{"function", Ref{"p/p.go", "Free"}, "// Free is a function.", [2]int{17, 18}, nil},
		{"pointer method", Ref{"p/p.go", "T.Get"}, "// Get returns n.", [2]int{6, 7}, nil},
		{"value method, no doc", Ref{"p/p.go", "T.Value"}, "func (t T) Value() int { return t.n }", [2]int{9, 9}, nil},
		{"method on a generic type", Ref{"p/p.go", "G.Len"}, "// Len is a method on a generic type.", [2]int{14, 15}, nil},
		{"type", Ref{"p/p.go", "T"}, "// T is a type.", [2]int{3, 4}, nil},
		{"constant", Ref{"p/p.go", "Limit"}, "// Limit is a constant on its own.", [2]int{20, 21}, nil},
		{"variable in a group", Ref{"p/p.go", "A"}, "// A is first.", [2]int{24, 25}, nil},
		{"missing name", Ref{"p/p.go", "Gone"}, "", [2]int{}, ErrNotFound},
		{"function named like a method", Ref{"p/p.go", "Get"}, "", [2]int{}, ErrNotFound},
		{"missing file", Ref{"p/nope.go", "Free"}, "", [2]int{}, fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Extract(fsys, tc.ref)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Extract(%v) = %v, want an error wrapping %v", tc.ref, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Extract(%v): %v", tc.ref, err)
			}
			if first, _, _ := strings.Cut(s.Code, "\n"); first != tc.want {
				t.Errorf("first line = %q, want %q", first, tc.want)
			}
			if s.Line != tc.lines[0] || s.EndLine != tc.lines[1] {
				t.Errorf("lines %d–%d, want %d–%d", s.Line, s.EndLine, tc.lines[0], tc.lines[1])
			}
		})
	}
	t.Run("syntax error", func(t *testing.T) {
		if _, err := Extract(fsys, Ref{"bad/bad.go", "X"}); err == nil || errors.Is(err, ErrNotFound) {
			t.Fatalf("Extract of a broken file = %v, want a parse error", err)
		}
	})
}

// TestQuotedDeclarationsExist lists every declaration the walkthrough
// quotes and checks that each is still in the repository, verbatim. It
// fails when one is renamed, moved or removed: update steps.go (and the
// step's template) to match.
func TestQuotedDeclarationsExist(t *testing.T) {
	for _, st := range Steps {
		for _, ref := range st.Refs {
			t.Run(path.Base(ref.File)+"/"+ref.Name, func(t *testing.T) {
				s, err := Extract(repo, ref)
				if err != nil {
					t.Fatalf("step %d quotes %s from %s: %v", st.Number, ref.Name, ref.File, err)
				}
				file, err := fs.ReadFile(repo, ref.File)
				if err != nil {
					t.Fatal(err)
				}
				if s.Code == "" || !strings.Contains(string(file), s.Code) {
					t.Errorf("the snippet for %s is not a verbatim part of %s", ref.Name, ref.File)
				}
			})
		}
	}
}

func TestSourceFailsOnAMissingDeclaration(t *testing.T) {
	steps := []Step{{Number: 1, Refs: []Ref{{"auth/tokens.go", "Tokens.Verify"}, {"auth/tokens.go", "Tokens.VerifyRenamed"}}}}
	if _, err := source(repo, steps); !errors.Is(err, ErrNotFound) {
		t.Fatalf("source = %v, want ErrNotFound", err)
	}
	if _, err := Source(nil); err == nil {
		t.Fatal("Source(nil) succeeded")
	}
}

func TestSteps(t *testing.T) {
	if len(Steps) != 4 {
		t.Fatalf("%d steps, want the tutorial's 4", len(Steps))
	}
	for i, st := range Steps {
		if st.Number != i+1 {
			t.Errorf("Steps[%d].Number = %d", i, st.Number)
		}
		if st.Title == "" || st.Summary == "" || len(st.Refs) == 0 {
			t.Errorf("step %d lacks a title, summary or code", st.Number)
		}
		seen := map[string]bool{}
		for _, ref := range st.Refs {
			if seen[ref.Name] {
				t.Errorf("step %d quotes %s twice; panels are looked up by name", st.Number, ref.Name)
			}
			seen[ref.Name] = true
		}
	}
	for _, n := range []int{0, len(Steps) + 1, -1} {
		if _, ok := StepByNumber(n); ok {
			t.Errorf("StepByNumber(%d) found a step", n)
		}
	}
}
