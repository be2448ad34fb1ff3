package routes

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/a-h/templ"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/views"
)

func TestLocalPath(t *testing.T) {
	const fallback = "/session/dashboard"
	tests := []struct {
		next, want string
	}{
		// Paths on this site are kept as they are, query and fragment too.
		{"/", "/"},
		{"/compare", "/compare"},
		{"/jwt/dashboard?x=1&y=two", "/jwt/dashboard?x=1&y=two"},
		{"/compare?strategy=jwt#panel-jwt", "/compare?strategy=jwt#panel-jwt"},
		{"/learn/%2F%2Fevil.example", "/learn/%2F%2Fevil.example"}, // escaped slashes stay in the path
		{"/a%0d%0aSet-Cookie:x", "/a%0d%0aSet-Cookie:x"},           // escaped, so no header is split
		// Anything a browser would take to another site falls back.
		{"//evil.example", fallback},
		{"//evil.example/path", fallback},
		{"/\\evil.example", fallback},
		{"/ok\\..\\path", fallback},
		{"https://evil.example/", fallback},
		{"http:/evil.example", fallback},
		{"javascript:alert(1)", fallback},
		{"JavaScript:alert(1)", fallback},
		// Control characters, which browsers strip before parsing.
		{"/\t/evil.example", fallback},
		{"/\n/evil.example", fallback},
		{"/\r/evil.example", fallback},
		{"/compare\x00", fallback},
		{"/compare\x7f", fallback},
		// Empty and relative.
		{"", fallback},
		{"compare", fallback},
		{"../compare", fallback},
		{" /compare", fallback},
		{"?next=/compare", fallback},
	}
	for _, tc := range tests {
		if got := localPath(tc.next, fallback); got != tc.want {
			t.Errorf("localPath(%q, %q) = %q, want %q", tc.next, fallback, got, tc.want)
		}
	}
	// The login form passes no fallback, so a refused next is dropped.
	for _, next := range []string{"//evil.example", "https://evil.example/", ""} {
		if got := localPath(next, ""); got != "" {
			t.Errorf("localPath(%q, %q) = %q, want %q", next, "", got, "")
		}
	}
}

func TestReasonText(t *testing.T) {
	tests := []struct {
		reason auth.Reason
		// Where the strategies are explained differently, a word that
		// belongs in one text and not the other; "" where one text serves
		// both.
		sessionWord, jwtWord string
	}{
		{auth.ReasonMissing, "", ""},
		{auth.ReasonMalformed, "issue", "claim"},
		{auth.ReasonBadSignature, "", ""},
		{auth.ReasonExpired, "record", "exp"},
		{auth.ReasonNotYetValid, "", ""},
		{auth.ReasonRevoked, "", ""},
		{auth.ReasonUnknownUser, "", ""},
	}
	for _, tc := range tests {
		session, jwt := reasonText(true, tc.reason), reasonText(false, tc.reason)
		for _, s := range []struct {
			session     bool
			text        string
			word, other string
		}{{true, session, tc.sessionWord, tc.jwtWord}, {false, jwt, tc.jwtWord, tc.sessionWord}} {
			if s.text == "" || !strings.HasSuffix(s.text, ".") || s.text[0] < 'A' || s.text[0] > 'Z' {
				t.Errorf("reasonText(%v, %q) = %q, want a sentence", s.session, tc.reason, s.text)
			}
			if s.word != "" && (!hasWord(s.text, s.word) || hasWord(s.text, s.other)) {
				t.Errorf("reasonText(%v, %q) = %q, want it to say %q and not %q", s.session, tc.reason, s.text, s.word, s.other)
			}
		}
		if differ, want := session != jwt, tc.sessionWord != ""; differ != want {
			t.Errorf("reasonText(true, %q) = %q, reasonText(false, %q) = %q: differ = %v, want %v",
				tc.reason, session, tc.reason, jwt, differ, want)
		}
	}
	// An empty Reason means signed in, and a signed-in panel explains nothing.
	for _, session := range []bool{true, false} {
		if got := reasonText(session, ""); got != "" {
			t.Errorf("reasonText(%v, %q) = %q, want %q", session, "", got, "")
		}
	}
}

// hasWord reports whether word is one of the words of s.
func hasWord(s, word string) bool {
	return slices.Contains(strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }), word)
}

func TestDecodeJWT(t *testing.T) {
	seg := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	header := seg(`{"alg":"HS256","typ":"JWT"}`)
	claims := seg(`{"sub":"7","jti":"j-1","sid":"s-1","exp":1700000000}`)
	const headerJSON = "{\n  \"alg\": \"HS256\",\n  \"typ\": \"JWT\"\n}"
	const claimsJSON = "{\n  \"sub\": \"7\",\n  \"jti\": \"j-1\",\n  \"sid\": \"s-1\",\n  \"exp\": 1700000000\n}"

	tests := []struct {
		name           string
		raw            string
		header, claims string
		jti, sid       string
	}{
		{"well-formed", header + "." + claims + ".sig", headerJSON, claimsJSON, "j-1", "s-1"},
		{"signature not checked", header + "." + claims + ".", headerJSON, claimsJSON, "j-1", "s-1"},
		{"no jti or sid", header + "." + seg(`{"sub":"7"}`) + ".sig", headerJSON, "{\n  \"sub\": \"7\"\n}", "", ""},
		{"jti not a string", header + "." + seg(`{"jti":42,"sid":"s-1"}`) + ".sig",
			headerJSON, "{\n  \"jti\": 42,\n  \"sid\": \"s-1\"\n}", "", "s-1"},
		{"header broken, claims readable", "!!." + claims + ".sig", "", claimsJSON, "j-1", "s-1"},
		{"two segments", header + "." + claims, "", "", "", ""},
		{"four segments", header + "." + claims + ".sig.extra", "", "", "", ""},
		{"empty", "", "", "", "", ""},
		{"bad base64 payload", header + ".!!not base64!!.sig", headerJSON, "", "", ""},
		{"padded base64 payload", header + "." + base64.URLEncoding.EncodeToString([]byte(`{"jti":"j-1"}`)) + ".sig",
			headerJSON, "", "", ""},
		{"payload not JSON", header + "." + seg("jti=j-1") + ".sig", headerJSON, "", "", ""},
		{"payload a JSON array", header + "." + seg(`["j-1"]`) + ".sig", headerJSON, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, c, payload := decodeJWT(tc.raw)
			jti, sid := tokenIDs(payload)
			if h != tc.header || c != tc.claims || jti != tc.jti || sid != tc.sid {
				t.Errorf("decodeJWT, tokenIDs(%q) = %q, %q, %q, %q, want %q, %q, %q, %q",
					tc.raw, h, c, jti, sid, tc.header, tc.claims, tc.jti, tc.sid)
			}
		})
	}
}

func TestWhen(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	berlin := time.FixedZone("CET", 60*60)
	tests := []struct {
		t    time.Time
		want string
	}{
		{now.Add(5 * time.Minute), "2025-03-04 05:11:07 UTC (in 5 min)"},
		{now.Add(-90 * time.Second), "2025-03-04 05:04:37 UTC (1 min 30 s ago)"},
		{now, "2025-03-04 05:06:07 UTC (now)"},
		{now.Add(25 * time.Hour), "2025-03-05 06:06:07 UTC (in 25 h)"},
		{now.Add(-48 * time.Hour), "2025-03-02 05:06:07 UTC (2 days ago)"},
		// The distance is rounded to the second; the time is truncated.
		{now.Add(1400 * time.Millisecond), "2025-03-04 05:06:08 UTC (in 1 s)"},
		{now.Add(1600 * time.Millisecond), "2025-03-04 05:06:08 UTC (in 2 s)"},
		{now.Add(-400 * time.Millisecond), "2025-03-04 05:06:06 UTC (now)"},
		{now.Add(-600 * time.Millisecond), "2025-03-04 05:06:06 UTC (1 s ago)"},
		// Shown in UTC whatever zone the time carries.
		{now.Add(time.Hour).In(berlin), "2025-03-04 06:06:07 UTC (in 1 h)"},
	}
	for _, tc := range tests {
		if got := when(tc.t, now); got != tc.want {
			t.Errorf("when(%v, %v) = %q, want %q", tc.t, now, got, tc.want)
		}
	}
}

func TestTokenCache(t *testing.T) {
	seg := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	header := seg(`{"alg":"HS256","typ":"JWT"}`)
	html := func(c templ.Component) string {
		var b strings.Builder
		if err := c.Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	c := tokenCache{m: make(map[tokenKey]decodedToken)}
	for i := range maxCachedTokens + 10 {
		raw := header + "." + seg(fmt.Sprintf(`{"jti":"<j-%d>"}`, i)) + ".sig"
		h, claims, _ := decodeJWT(raw)
		for _, verified := range []bool{true, false, true} {
			view, payload := c.get(raw, verified)
			if view == nil || payload == nil {
				t.Fatalf("get(%q, %t) = %v, %q, want a view and the claims", raw, verified, view, payload)
			}
			if got, want := html(view), html(views.DecodedToken(h, claims, verified)); got != want {
				t.Fatalf("get(%q, %t) renders %q, want %q", raw, verified, got, want)
			}
			if jti, _ := tokenIDs(payload); jti != fmt.Sprintf("<j-%d>", i) {
				t.Fatalf("get(%q, %t): jti %q", raw, verified, jti)
			}
		}
		if len(c.m) > maxCachedTokens {
			t.Fatalf("after %d tokens the cache holds %d, want at most %d", i+1, len(c.m), maxCachedTokens)
		}
	}
	for _, raw := range []string{"", "a.b", header + ".!!.sig", header + "." + seg(`["j"]`) + ".sig"} {
		if view, payload := c.get(raw, false); view != nil || payload != nil {
			t.Errorf("get(%q) = %v, %q, want nil, nil", raw, view, payload)
		}
	}
}

func TestLoggedName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"user1", "user1"},
		{"a.b_c-9", "a.b_c-9"},
		{"correct horse battery staple", "(not a username)"},
		{"ab", "(not a username)"},
		{strings.Repeat("x", 33), "(not a username)"},
		{"", "(not a username)"},
	}
	for _, tc := range tests {
		if got := loggedName(tc.in); got != tc.want {
			t.Errorf("loggedName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
