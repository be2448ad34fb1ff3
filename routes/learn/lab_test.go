package learn

import (
	"os"
	"testing"
	"time"
)

// TestLabLines fails when a line the lab quotes as the one that decided
// is no longer in the declaration the walkthrough quotes: the page would
// then link the panel without the line.
func TestLabLines(t *testing.T) {
	s := &server{Deps: Deps{Source: os.DirFS("../..")}}
	tests := []struct {
		step         int
		name, needle string
	}{
		{4, "Sessions.current", "return SessionState{User: u, Record: rec"},
		{4, "Sessions.current", "return SessionState{Err: ErrLoginEnded}"},
		{4, "Sessions.current", "return SessionState{Err: ErrSessionEnded}"},
		{4, "Sessions.current", "if !scsToken.MatchString(c.Value)"},
		{4, "Sessions.current", "u, err := byID(ctx, id)"},
		{4, "Tokens.Verify", "if v, err = t.decode(raw, t.parser); err != nil"},
		{4, "Tokens.Verify", "return c, nil"},
		{4, "Tokens.Verify", "t.revoked.isRevoked(c.ID) || t.revoked.isRevoked(c.SessionID)"},
		{2, "newTokens", "jwt.WithValidMethods"},
		{3, "sessionKey", "sha256.Sum256"},
		{1, "Hasher.hash", "argon2.IDKey"},
		{1, "loginWait", "delayAfter(f.Account)"},
	}
	for _, tc := range tests {
		c, err := s.code(tc.step, tc.name, tc.needle)
		if err != nil {
			t.Fatal(err)
		}
		if c.Line == 0 || c.File == "" {
			t.Errorf("step %d, %s: no line contains %q", tc.step, tc.name, tc.needle)
		}
	}
}

func TestSetMember(t *testing.T) {
	tests := []struct {
		obj, name string
		value     any
		want      string
	}{
		{`{"alg":"HS256","kid":"a","typ":"JWT"}`, "alg", "none", `{"alg":"none","kid":"a","typ":"JWT"}`},
		{`{"alg":"HS256"}`, "kid", "b", `{"alg":"HS256","kid":"b"}`},
		{`{"exp":1700000000,"sub":"1"}`, "exp", int64(1700086400), `{"exp":1700086400,"sub":"1"}`},
		{`{}`, "sub", "2", `{"sub":"2"}`},
	}
	for _, tc := range tests {
		got, err := setMember([]byte(tc.obj), tc.name, tc.value)
		if err != nil || string(got) != tc.want {
			t.Errorf("setMember(%s, %q, %v) = %s, %v, want %s", tc.obj, tc.name, tc.value, got, err, tc.want)
		}
	}
	if _, err := setMember([]byte(`[1]`), "a", 1); err == nil {
		t.Error("setMember of an array: no error")
	}
}

func TestLabStoreBounded(t *testing.T) {
	var ls labStore
	now := time.Unix(1_700_000_000, 0)
	first, _ := ls.create(now)
	for i := 1; i < labEntries+10; i++ {
		ls.create(now.Add(time.Duration(i) * time.Millisecond))
	}
	if n := len(ls.entries); n != labEntries {
		t.Errorf("%d entries, want at most %d", n, labEntries)
	}
	if _, ok := ls.entry(first, now); ok {
		t.Error("the oldest entry survived a full store")
	}
	id, _ := ls.create(now)
	if _, ok := ls.entry(id, now.Add(labTTL)); ok {
		t.Errorf("an entry lived past %s", labTTL)
	}
}
