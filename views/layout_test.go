package views

import (
	"slices"
	"testing"

	"golang.org/x/net/html"
)

// mainNav returns the links of the main navigation.
func mainNav(t *testing.T, doc *html.Node) []*html.Node {
	t.Helper()
	nav := must(t, find(doc, tag("nav"), attrIs("aria-label", "Main")), `nav "Main"`)
	return findAll(nav, tag("a"))
}

func TestLayoutNavFollowsLinks(t *testing.T) {
	moved := testLinks()
	moved.Home = "/start"
	moved.Compare = "/side-by-side"
	moved.Session.Dashboard = "/s/home"
	moved.JWT.Dashboard = "/j/home"
	moved.Signup = "/join"
	moved.Learn = "/walkthrough"
	moved.Devices = "/me/logins"
	moved.Password = "/me/password"

	labels := []string{"Home", "Compare", "Session", "JWT", "Sign up", "Learn"}
	tests := []struct {
		name  string
		links Links
		want  []string
	}{
		{"route table paths", testLinks(), []string{"/", "/compare", "/session/dashboard", "/jwt/dashboard", "/signup", "/learn"}},
		{"moved paths", moved, []string{"/start", "/side-by-side", "/s/home", "/j/home", "/join", "/walkthrough"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testPage("/elsewhere")
			p.Links = tc.links
			p.Nav = &Nav{SessionUser: "user1"}
			doc := render(t, Layout(p))
			nav := mainNav(t, doc)
			if got := texts(nav); !slices.Equal(got, labels) {
				t.Errorf("nav labels = %q, want %q", got, labels)
			}
			if got := hrefs(nav); !slices.Equal(got, tc.want) {
				t.Errorf("nav hrefs = %q, want %q", got, tc.want)
			}
			brand := must(t, find(doc, tag("a"), attrIs("class", "brand")), "brand link")
			if got := attr(brand, "href"); got != tc.links.Home {
				t.Errorf("brand href = %q, want %q", got, tc.links.Home)
			}
			// The account menu is rendered once for each set of links too.
			menu := must(t, find(doc, tag("ul"), attrIs("aria-label", "Account")), "account menu")
			if got, want := hrefs(findAll(menu, tag("a"))), []string{tc.links.Devices, tc.links.Password}; !slices.Equal(got, want) {
				t.Errorf("account menu hrefs = %q, want %q", got, want)
			}
			form := must(t, find(menu, tag("form")), "log out everywhere form")
			if got := attr(form, "action"); got != tc.links.Devices {
				t.Errorf("log out everywhere posts to %q, want %q", got, tc.links.Devices)
			}
		})
	}
}

func TestLayoutCurrentPage(t *testing.T) {
	tests := []struct {
		path string
		want string // the label marked current, "" for none
	}{
		{"/", "Home"},
		{"/compare", "Compare"},
		{"/session/dashboard", "Session"},
		{"/jwt/dashboard", "JWT"},
		{"/signup", "Sign up"},
		{"/learn", "Learn"},
		{"/learn/2", "Learn"},
		{"/learn/quiz", "Learn"},
		{"/learning", ""}, // a shared prefix is not a section
		{"/compare-old", ""},
		{"/jwt/login", ""},
		{"/nowhere", ""},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			doc := render(t, Layout(testPage(tc.path)))
			var current []string
			for _, a := range mainNav(t, doc) {
				if v, ok := lookup(a, "aria-current"); ok {
					if v != "page" {
						t.Errorf("%q has aria-current=%q, want \"page\"", textOf(a), v)
					}
					current = append(current, textOf(a))
				}
			}
			var want []string
			if tc.want != "" {
				want = []string{tc.want}
			}
			if !slices.Equal(current, want) {
				t.Errorf("current nav links at %q = %q, want %q", tc.path, current, want)
			}
		})
	}
}

func TestLayoutSignInState(t *testing.T) {
	tests := []struct {
		name             string
		nav              Nav
		session, jwt     string
		sessionOn, jwtOn bool
	}{
		{"signed out", Nav{}, "signed out", "signed out", false, false},
		{"session only", Nav{SessionUser: "ada"}, "ada", "signed out", true, false},
		{"jwt only", Nav{JWTUser: "grace"}, "signed out", "grace", false, true},
		{"both, as different users", Nav{SessionUser: "ada", JWTUser: "grace"}, "ada", "grace", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testPage("/")
			p.Nav = &tc.nav
			doc := render(t, Layout(p))
			must(t, find(doc, tag("ul"), attrIs("aria-label", "Signed in")), `list "Signed in"`)
			for _, item := range []struct {
				testid, label, want string
				on                  bool
			}{
				{"nav-session", "Session", tc.session, tc.sessionOn},
				{"nav-jwt", "JWT", tc.jwt, tc.jwtOn},
			} {
				li := must(t, byTestID(doc, item.testid), item.testid)
				if got := textOf(must(t, find(li, attrIs("class", "who-label")), item.testid+" label")); got != item.label {
					t.Errorf("%s label = %q, want %q", item.testid, got, item.label)
				}
				if got := textOf(must(t, find(li, attrIs("class", "who-name")), item.testid+" name")); got != item.want {
					t.Errorf("%s name = %q, want %q", item.testid, got, item.want)
				}
				if got := hasClass(li, "on"); got != item.on {
					t.Errorf("%s has class on = %v, want %v", item.testid, got, item.on)
				}
			}
		})
	}
}

func TestLayoutWithoutNav(t *testing.T) {
	p := testPage("/")
	p.Nav = nil
	doc := render(t, Layout(p))
	for _, id := range []string{"nav-session", "nav-jwt"} {
		if byTestID(doc, id) != nil {
			t.Errorf("page with no Nav has %s", id)
		}
	}
	if find(doc, attrIs("aria-label", "Signed in")) != nil {
		t.Error(`page with no Nav has a "Signed in" list`)
	}
	if got := len(mainNav(t, doc)); got != 6 {
		t.Errorf("page with no Nav has %d nav links, want 6", got)
	}
}

func TestLayoutHead(t *testing.T) {
	tests := []struct {
		name   string
		styles []string
		want   []string
	}{
		{"no extra styles", nil, []string{"/static/app.css"}},
		{"page styles after app.css", []string{"/static/learn.css", "/static/print.css"},
			[]string{"/static/app.css", "/static/learn.css", "/static/print.css"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testPage("/")
			p.Title = "Compare"
			p.Styles = tc.styles
			doc := render(t, Layout(p))
			head := must(t, find(doc, tag("head")), "head")
			if got := hrefs(findAll(head, tag("link"), attrIs("rel", "stylesheet"))); !slices.Equal(got, tc.want) {
				t.Errorf("stylesheets = %q, want %q", got, tc.want)
			}
			if got, want := textOf(must(t, find(head, tag("title")), "title")), "Compare · authlab"; got != want {
				t.Errorf("title = %q, want %q", got, want)
			}
		})
	}
}

func TestLayoutChildrenInMain(t *testing.T) {
	doc := render(t, Layout(testPage("/")))
	main := must(t, find(doc, tag("main")), "main")
	if got := attr(main, "id"); got != "main" {
		t.Errorf("main id = %q, want %q", got, "main")
	}
	skip := must(t, find(doc, tag("a"), attrIs("class", "skip")), "skip link")
	if got := attr(skip, "href"); got != "#main" {
		t.Errorf("skip link href = %q, want %q", got, "#main")
	}

	doc = render(t, Error(ErrorView{Page: testPage("/x"), Status: 404, Heading: "Not found"}))
	main = must(t, find(doc, tag("main")), "main")
	if find(main, tag("h1")) == nil {
		t.Error("a page's content is not inside main")
	}
}
