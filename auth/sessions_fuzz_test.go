package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzSessionCookie sends arbitrary session cookie values through
// LoadAndSave and Identify. Nothing panics or reaches the ErrorFunc, a
// read-only request sets no cookie, and a request is signed in only when
// the cookie it carries is a live token, and then as that token's user.
func FuzzSessionCookie(f *testing.F) {
	fx := newFixture(f, Options{})
	ctx := context.Background()
	bob, err := fx.a.Users.SignUp(ctx, "bob", "correct horse")
	if err != nil {
		f.Fatal(err)
	}
	name := fx.a.Settings().SessionCookie
	// run serves a request carrying cookie (a whole Cookie header, "" for
	// none) to h behind LoadAndSave and Identify, and returns the session
	// cookie it set, if any.
	run := func(cookie string, h http.HandlerFunc) *http.Cookie {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		fx.a.Sessions.LoadAndSave(fx.a.Identify(h)).ServeHTTP(rec, r)
		for _, c := range rec.Result().Cookies() {
			if c.Name == name {
				return c
			}
		}
		return nil
	}
	login := func(u User) string {
		c := run("", func(_ http.ResponseWriter, r *http.Request) {
			if _, err := fx.a.Sessions.Login(r, u); err != nil {
				f.Error(err)
			}
		})
		if c == nil || c.Value == "" {
			f.Fatal("login set no session cookie")
		}
		return c.Value
	}
	live := map[string]int64{login(fx.alice): fx.alice.ID, login(bob): bob.ID}
	ended := login(fx.alice)
	run(name+"="+ended, func(_ http.ResponseWriter, r *http.Request) {
		if _, err := fx.a.Sessions.Logout(r.Context()); err != nil {
			f.Error(err)
		}
	})
	// A session with a record but no user, as anyone can get and plant.
	anon := run("", func(_ http.ResponseWriter, r *http.Request) {
		fx.a.Sessions.mgr.Put(r.Context(), "cart", int64(3))
	}).Value

	var aliceToken string
	for tok, id := range live {
		if id == fx.alice.ID {
			aliceToken = tok
		}
	}
	seeds := []string{
		aliceToken,
		ended,
		anon,
		`"` + aliceToken + `"`,
		" " + aliceToken,
		aliceToken + " ",
		aliceToken + "=",
		aliceToken[:42],
		aliceToken[1:],
		strings.ToUpper(aliceToken),
		strings.Replace(aliceToken, aliceToken[:1], "+", 1),
		aliceToken + "; " + name + "=" + anon,
		anon + "; " + name + "=" + aliceToken,
		"x; " + name + "=" + aliceToken,
		"\x00" + aliceToken,
		strings.Repeat("A", 43),
		strings.Repeat("A", 44),
		strings.Repeat("é", 22),
		"",
		";",
		"=",
		"a,b",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		cookie := name + "=" + value
		// What the server reads as the session cookie; net/http drops a
		// value it cannot parse and unquotes a quoted one.
		probe := httptest.NewRequest(http.MethodGet, "/", nil)
		probe.Header.Set("Cookie", cookie)
		presented := ""
		if c, err := probe.Cookie(name); err == nil {
			presented = c.Value
		}

		var id Identity
		var ok bool
		before := len(fx.errors())
		set := run(cookie, func(_ http.ResponseWriter, r *http.Request) {
			id, ok = IdentityFrom(r.Context())
		})
		if errs := fx.errors(); len(errs) > before {
			t.Fatalf("cookie %q reached the ErrorFunc: %v", value, errs[before:])
		}
		if !ok {
			t.Fatalf("cookie %q: the handler behind Identify found no Identity", value)
		}
		if set != nil {
			t.Errorf("cookie %q: a read-only request set the session cookie %q", value, set.Value)
		}
		if id.JWT.SignedIn() || id.Bearer.SignedIn() {
			t.Errorf("cookie %q signed a JWT strategy in", value)
		}
		owner, isLive := live[presented]
		st := id.Session
		switch {
		case st.SignedIn() && !isLive:
			t.Fatalf("cookie %q (read as %q) signed in user %d; it is no live session", value, presented, st.User.ID)
		case st.SignedIn() && (st.User.ID != owner || st.Record.UserID != owner):
			t.Fatalf("cookie %q signed in user %d (record %d); the session is user %d's", value, st.User.ID, st.Record.UserID, owner)
		case !st.SignedIn() && isLive:
			t.Fatalf("cookie %q carries a live session but was refused: %v", value, st.Err)
		case !st.SignedIn() && !isAny(st.Err, []error{ErrNoCredentials, ErrMalformed, ErrSessionEnded, ErrLoginEnded}):
			t.Fatalf("cookie %q refused with %v, none of the session's reasons", value, st.Err)
		}
	})
}
