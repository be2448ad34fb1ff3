package walkthrough

import (
	"fmt"
	"io/fs"
)

// Step is one page of the walkthrough, with the declarations it quotes.
type Step struct {
	Number  int
	Title   string
	Summary string
	Refs    []Ref
}

// Steps follow the tutorial's arc: data, configuration, core logic,
// completion.
var Steps = []Step{
	{
		Number:  1,
		Title:   "Data: users and stored passwords",
		Summary: "The users table, and why it holds an argon2id hash instead of the password.",
		Refs: []Ref{
			{"auth/sqlite/sqlite.go", "schema"},
			{"auth/password.go", "DefaultParams"},
			{"auth/password.go", "Hasher.hash"},
			{"auth/password.go", "Hasher.Verify"},
			{"auth/throttle.go", "loginWait"},
		},
	},
	{
		Number:  2,
		Title:   "Configuration: the key and the session settings",
		Summary: "What a cookie and a JWT are, then where the JWT key and the session timeouts come from, and what a bad value does.",
		Refs: []Ref{
			{"auth/key.go", "KeyID"},
			{"auth/key.go", "KeyFile.Rotate"},
			{"auth/sessions.go", "newSessions"},
			{"auth/tokens.go", "newTokens"},
		},
	},
	{
		Number:  3,
		Title:   "Core logic: what login does",
		Summary: "One password check, then a server-side record under one strategy and a signed token under the other.",
		Refs: []Ref{
			{"auth/users.go", "Users.Authenticate"},
			{"auth/sessions.go", "Sessions.Login"},
			{"auth/logins.go", "sessionKey"},
			{"auth/tokens.go", "Tokens.Login"},
			{"auth/tokens.go", "Tokens.Issue"},
			{"auth/tokens.go", "Tokens.issue"},
		},
	},
	{
		Number:  4,
		Title:   "Completion: later requests, and logging out",
		Summary: "How each request is recognised afterwards, and what logout can and cannot undo.",
		Refs: []Ref{
			{"auth/identity.go", "Auth.Identify"},
			{"auth/sessions.go", "Sessions.current"},
			{"auth/tokens.go", "Tokens.fromHeader"},
			{"auth/tokens.go", "Tokens.Verify"},
			{"auth/sessions.go", "Sessions.Logout"},
			{"auth/tokens.go", "Tokens.Logout"},
			{"auth/tokens.go", "Tokens.Renew"},
			{"auth/tokens.go", "Tokens.Revoke"},
			{"auth/revocations.go", "revocations"},
			{"auth/logins.go", "Auth.end"},
		},
	},
}

// StepByNumber returns step n, counted from 1.
func StepByNumber(n int) (Step, bool) {
	if n < 1 || n > len(Steps) {
		return Step{}, false
	}
	return Steps[n-1], true
}

// Source cuts every declaration the steps quote out of fsys, keyed by step
// number and then by name. It fails on the first one missing, so a renamed
// function breaks the walkthrough loudly instead of showing stale code.
func Source(fsys fs.FS) (map[int]map[string]Snippet, error) {
	return source(fsys, Steps)
}

func source(fsys fs.FS, steps []Step) (map[int]map[string]Snippet, error) {
	if fsys == nil {
		return nil, fmt.Errorf("walkthrough: no source files to quote")
	}
	out := make(map[int]map[string]Snippet, len(steps))
	for _, st := range steps {
		m := make(map[string]Snippet, len(st.Refs))
		for _, ref := range st.Refs {
			s, err := Extract(fsys, ref)
			if err != nil {
				return nil, fmt.Errorf("step %d: %w", st.Number, err)
			}
			m[ref.Name] = s
		}
		out[st.Number] = m
	}
	return out, nil
}
