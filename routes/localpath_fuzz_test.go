package routes

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// browserTarget is where a browser on origin goes for a Location header,
// resolved the WHATWG way where it differs from net/url: leading and
// trailing C0 controls and spaces are stripped, tabs and newlines anywhere
// are removed, and in an http(s) URL a backslash is a slash.
func browserTarget(origin *url.URL, loc string) (*url.URL, error) {
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(loc)
	return origin.Parse(loc)
}

// FuzzLocalPath checks the next sanitiser: it returns the fallback or next
// itself, and next only when it is a path on this site, at most 2 KiB,
// with no backslash or control character, which http.Redirect then sends
// as a Location a browser resolves to this site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{
		"/", "/compare", "/jwt/dashboard?x=1&y=two", "/compare?strategy=jwt#panel-jwt",
		"/learn/%2F%2Fevil.example", "/a%0d%0aSet-Cookie:x", "/%2e%2e/%2e%2e/", "/..//evil.example",
		"/.//evil.example", "//evil.example", "///evil.example", "/\\evil.example",
		"https://evil.example/", "http:/evil.example", "javascript:alert(1)", "/\t/evil.example",
		"/\n/evil.example", "/compare\x00", "/compare\x7f", "/\u0085/evil.example", "/\u2028", "/\xff",
		"", "compare", "../compare", " /compare", "?next=/compare", "#//evil.example", "/?//evil.example",
		"/#//evil.example", "/@evil.example", "/:@evil.example", "/%", "/%zz", "/compare?x=" + strings.Repeat("a", 2048-11),
		"/compare?x=" + strings.Repeat("a", 2049-11),
	} {
		f.Add(s)
	}
	const fallback = "/fallback"
	origin, err := url.Parse("https://authlab.example/session/login")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := localPath(next, fallback)
		if got == fallback {
			return
		}
		if got != next {
			t.Fatalf("localPath(%q) = %q: neither next nor the fallback", next, got)
		}
		if len(got) > maxNext {
			t.Errorf("localPath kept %d bytes, over the %d cap", len(got), maxNext)
		}
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") {
			t.Errorf("localPath kept %q, which does not begin with a single /", got)
		}
		if strings.Contains(got, `\`) {
			t.Errorf("localPath kept %q, which holds a backslash", got)
		}
		if i := strings.IndexFunc(got, func(r rune) bool { return r < ' ' || r == 0x7f }); i >= 0 {
			t.Errorf("localPath kept %q, with a control character at %d", got, i)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
			t.Fatalf("localPath kept %q, which net/url reads as %#v, %v", got, u, err)
		}

		// Where the login handler's redirect takes a browser.
		rec := httptest.NewRecorder()
		http.Redirect(rec, httptest.NewRequest(http.MethodPost, origin.String(), nil), got, http.StatusSeeOther)
		loc := rec.Header().Get("Location")
		target, err := browserTarget(origin, loc)
		if err != nil || target.Scheme != origin.Scheme || target.Host != origin.Host || target.User != nil {
			t.Fatalf("next %q redirects to Location %q, which a browser resolves to %v (%v)", next, loc, target, err)
		}
	})
}
