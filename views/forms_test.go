package views

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// field returns the input named name inside form.
func field(t *testing.T, form *html.Node, name string) *html.Node {
	t.Helper()
	return must(t, find(form, tag("input"), attrIs("name", name)), "input "+name)
}

// labelled checks that input has a label naming it.
func labelled(t *testing.T, doc, input *html.Node, want string) {
	t.Helper()
	label := must(t, find(doc, tag("label"), attrIs("for", attr(input, "id"))), "label for #"+attr(input, "id"))
	if got := textOf(label); got != want {
		t.Errorf("label for #%s = %q, want %q", attr(input, "id"), got, want)
	}
}

func TestLoginForm(t *testing.T) {
	l := testLinks()
	l.Session.Login, l.JWT.Login = "/s/in", "/j/in" // the forms follow the route table
	for _, st := range l.Strategies() {
		other := l.Other(st)
		t.Run(st.Key, func(t *testing.T) {
			p := testPage(st.Login)
			p.Links = l
			doc := render(t, Login(LoginView{Page: p, Strategy: st}))
			main := must(t, find(doc, tag("main")), "main")
			if got, want := textOf(must(t, find(main, tag("h1")), "h1")), "Log in with a "+st.Noun; got != want {
				t.Errorf("h1 = %q, want %q", got, want)
			}
			form := must(t, find(main, tag("form")), "form")
			if got := attr(form, "action"); got != st.Login {
				t.Errorf("form action = %q, want %q", got, st.Login)
			}
			if got := attr(form, "method"); got != "post" {
				t.Errorf("form method = %q, want post", got)
			}
			user, pass := field(t, form, "username"), field(t, form, "password")
			labelled(t, doc, user, "Username")
			labelled(t, doc, pass, "Password")
			if got := attr(pass, "type"); got != "password" {
				t.Errorf("password type = %q, want password", got)
			}
			if got := attr(pass, "autocomplete"); got != "current-password" {
				t.Errorf("password autocomplete = %q, want current-password", got)
			}
			otherLink := must(t, find(main, tag("a"), func(n *html.Node) bool {
				return strings.HasPrefix(textOf(n), "Log in with a")
			}), "link to the other strategy")
			if got := attr(otherLink, "href"); got != other.Login {
				t.Errorf("other strategy link href = %q, want %q", got, other.Login)
			}
			if got, want := textOf(otherLink), "Log in with a "+other.Noun; got != want {
				t.Errorf("other strategy link = %q, want %q", got, want)
			}
			if find(main, tag("a"), attrIs("href", l.Signup)) == nil {
				t.Errorf("no link to %s", l.Signup)
			}
		})
	}
}

func TestLoginNext(t *testing.T) {
	tests := []struct {
		name string
		next string
	}{
		{"none", ""},
		{"dashboard", "/jwt/dashboard"},
		{"query kept", "/compare?strategy=jwt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := testLinks()
			doc := render(t, Login(LoginView{Page: testPage(l.JWT.Login), Strategy: l.JWT, Next: tc.next}))
			form := must(t, find(doc, tag("form")), "form")
			next := find(form, tag("input"), attrIs("name", "next"))
			if tc.next == "" {
				if next != nil {
					t.Errorf("form has next = %q, want no next field", attr(next, "value"))
				}
				return
			}
			must(t, next, "input next")
			if got := attr(next, "type"); got != "hidden" {
				t.Errorf("next type = %q, want hidden", got)
			}
			if got := attr(next, "value"); got != tc.next {
				t.Errorf("next = %q, want %q", got, tc.next)
			}
		})
	}
}

func TestLoginError(t *testing.T) {
	const failed = "Invalid username or password."
	tests := []struct {
		name     string
		username string
		err      string
		notice   string
		focus    string // the field with autofocus
	}{
		{"blank form", "", "", "", "username"},
		{"after logout", "", "", "You have logged out.", "username"},
		{"failed attempt", "ada", failed, "", "password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := testLinks()
			doc := render(t, Login(LoginView{Page: testPage(l.Session.Login), Strategy: l.Session,
				Username: tc.username, Error: tc.err, Notice: tc.notice}))
			form := must(t, find(doc, tag("form")), "form")
			user, pass := field(t, form, "username"), field(t, form, "password")

			if got := attr(user, "value"); got != tc.username {
				t.Errorf("username value = %q, want %q", got, tc.username)
			}
			if got := attr(pass, "value"); got != "" {
				t.Errorf("password value = %q, want it never echoed", got)
			}
			var focused []string
			for _, in := range []*html.Node{user, pass} {
				if hasAttr(in, "autofocus") {
					focused = append(focused, attr(in, "name"))
				}
			}
			if !slices.Equal(focused, []string{tc.focus}) {
				t.Errorf("autofocus on %q, want %q", focused, tc.focus)
			}

			alert := find(doc, attrIs("role", "alert"))
			if tc.err == "" {
				if alert != nil {
					t.Errorf("blank form has alert %q", textOf(alert))
				}
				for _, in := range []*html.Node{user, pass} {
					if hasAttr(in, "aria-invalid") || hasAttr(in, "aria-describedby") {
						t.Errorf("%s is marked invalid or described with no error", attr(in, "name"))
					}
				}
			} else {
				if got := textOf(must(t, alert, "role=alert")); got != tc.err {
					t.Errorf("alert = %q, want %q", got, tc.err)
				}
				// The server does not say which field was wrong, so the
				// error describes both.
				for _, in := range []*html.Node{user, pass} {
					if got := attr(in, "aria-invalid"); got != "true" {
						t.Errorf("%s aria-invalid = %q, want true", attr(in, "name"), got)
					}
					if got := describedBy(t, doc, in); !slices.Equal(got, []string{tc.err}) {
						t.Errorf("%s is described by %q, want %q", attr(in, "name"), got, tc.err)
					}
				}
			}

			status := find(doc, tag("p"), attrIs("role", "status"))
			switch {
			case tc.notice == "" && status != nil:
				t.Errorf("notice %q shown, want none", textOf(status))
			case tc.notice != "" && (status == nil || textOf(status) != tc.notice):
				t.Errorf("no role=status notice %q", tc.notice)
			}
		})
	}
}

func TestSignupFieldErrors(t *testing.T) {
	tests := []struct {
		name           string
		view           SignupView
		user, password []string // what describes each field
		alert          string
	}{
		{"blank", SignupView{},
			[]string{"3 to 32 characters: lowercase letters, digits, _ . -"}, []string{"8 to 64 characters."}, ""},
		{"username taken", SignupView{Username: "ada", UsernameError: "That username is taken.", Error: "Fix the field."},
			[]string{"3 to 32 characters: lowercase letters, digits, _ . -", "That username is taken."},
			[]string{"8 to 64 characters."}, "Fix the field."},
		{"password too short", SignupView{Username: "ada", PasswordError: "Use at least 8 characters.", Error: "Fix the field."},
			[]string{"3 to 32 characters: lowercase letters, digits, _ . -"},
			[]string{"8 to 64 characters.", "Use at least 8 characters."}, "Fix the field."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.view
			v.Page, v.MinPassword, v.MaxPassword = testPage("/signup"), 8, 64
			doc := render(t, Signup(v))
			form := must(t, find(doc, tag("form")), "form")
			if got := attr(form, "action"); got != v.Links.Signup {
				t.Errorf("form action = %q, want %q", got, v.Links.Signup)
			}
			user, pass := field(t, form, "username"), field(t, form, "password")
			labelled(t, doc, user, "Username")
			labelled(t, doc, pass, "Password")
			if got := attr(user, "value"); got != v.Username {
				t.Errorf("username value = %q, want %q", got, v.Username)
			}
			if got, want := attr(pass, "minlength")+"-"+attr(pass, "maxlength"), "8-64"; got != want {
				t.Errorf("password length bounds = %s, want %s", got, want)
			}
			for _, f := range []struct {
				in      *html.Node
				want    []string
				invalid bool
			}{
				{user, tc.user, v.UsernameError != ""},
				{pass, tc.password, v.PasswordError != ""},
			} {
				name := attr(f.in, "name")
				if got := describedBy(t, doc, f.in); !slices.Equal(got, f.want) {
					t.Errorf("%s is described by %q, want %q", name, got, f.want)
				}
				if got := attr(f.in, "aria-invalid") == "true"; got != f.invalid {
					t.Errorf("%s aria-invalid = %v, want %v", name, got, f.invalid)
				}
			}
			alert := find(doc, attrIs("role", "alert"))
			switch {
			case tc.alert == "" && alert != nil:
				t.Errorf("alert %q shown, want none", textOf(alert))
			case tc.alert != "" && (alert == nil || textOf(alert) != tc.alert):
				t.Errorf("no role=alert %q", tc.alert)
			}
			if find(doc, attrIs("role", "status")) != nil {
				t.Error("form shows a success notice")
			}
		})
	}
}

func TestSignupCreated(t *testing.T) {
	l := testLinks()
	l.Session.Login, l.JWT.Login = "/s/in", "/j/in" // the links follow the route table
	p := testPage("/signup")
	p.Links = l
	doc := render(t, Signup(SignupView{Page: p, Created: "ada", MinPassword: 8, MaxPassword: 64}))
	main := must(t, find(doc, tag("main")), "main")
	if f := find(main, tag("form")); f != nil {
		t.Errorf("after signup the page still has a form posting to %q", attr(f, "action"))
	}
	notice := must(t, find(main, attrIs("role", "status")), "role=status")
	if got := textOf(must(t, find(notice, tag("strong")), "account name")); got != "ada" {
		t.Errorf("created account = %q, want %q", got, "ada")
	}
	links := findAll(notice, tag("a"))
	if got, want := hrefs(links), []string{"/s/in", "/j/in"}; !slices.Equal(got, want) {
		t.Errorf("login links = %q, want %q", got, want)
	}
	if got, want := texts(links), []string{"Server session login", "JWT cookie login"}; !slices.Equal(got, want) {
		t.Errorf("login link labels = %q, want %q", got, want)
	}
	if find(main, attrIs("role", "alert")) != nil {
		t.Error("after signup the page shows an alert")
	}
}
