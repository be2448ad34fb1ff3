package views

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func signedInPanel(st Strategy, user string) Panel {
	return Panel{Strategy: st, SignedIn: true, Username: user, Cookie: st.Key + "_cookie", HasCookie: true,
		Facts: []Fact{{Label: "Server-side record", Value: "user id 7", Note: "kept on the server"}}}
}

func signedOutPanel(st Strategy, reason, text string) Panel {
	return Panel{Strategy: st, Reason: reason, ReasonText: text, Cookie: st.Key + "_cookie"}
}

// panels are the compare page's strategy panels, in page order.
func panels(doc *html.Node) []*html.Node {
	return findAll(doc, tag("section"), func(n *html.Node) bool {
		return strings.HasPrefix(attr(n, "data-testid"), "panel-")
	})
}

func TestComparePanels(t *testing.T) {
	l := testLinks()
	session := signedInPanel(l.Session, "ada")
	jwt := signedOutPanel(l.JWT, "expired", "The token's exp has passed.")
	frontSession, frontJWT := session, jwt
	frontSession.Front, frontJWT.Front = true, true

	tests := []struct {
		name    string
		front   string
		panels  []Panel
		order   []string // panel testids, in page order
		inFront string   // testid of the panel with class front, "" for none
	}{
		{"side by side", "", []Panel{session, jwt}, []string{"panel-session", "panel-jwt"}, ""},
		{"session in front", "session", []Panel{frontSession, jwt}, []string{"panel-session", "panel-jwt"}, "panel-session"},
		{"jwt in front, first", "jwt", []Panel{frontJWT, session}, []string{"panel-jwt", "panel-session"}, "panel-jwt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := render(t, Compare(CompareView{Page: testPage("/compare"), Front: tc.front, Panels: tc.panels}))
			var order []string
			for _, s := range panels(doc) {
				id := attr(s, "data-testid")
				order = append(order, id)
				if got, want := hasClass(s, "front"), id == tc.inFront; got != want {
					t.Errorf("%s has class front = %v, want %v", id, got, want)
				}
				// Each panel is a region named by its own heading.
				h := must(t, byID(doc, attr(s, "aria-labelledby")), id+" heading")
				if h.Parent != s || h.Data != "h2" {
					t.Errorf("%s is labelled by <%s id=%q> outside it", id, h.Data, attr(h, "id"))
				}
			}
			if !slices.Equal(order, tc.order) {
				t.Errorf("panels = %q, want %q", order, tc.order)
			}
			grid := must(t, find(doc, tag("div"), classed("compare")), "compare grid")
			if got, want := hasClass(grid, "has-front"), tc.front != ""; got != want {
				t.Errorf("compare grid has class has-front = %v, want %v", got, want)
			}
		})
	}
}

func TestCompareToggle(t *testing.T) {
	l := testLinks()
	l.Compare = "/cmp" // the toggle follows the route table
	labels := []string{"Side by side", "Server session", "JWT cookie"}
	hrefsWant := []string{"/cmp", "/cmp?strategy=session", "/cmp?strategy=jwt"}

	tests := []struct {
		front   string
		current string // label of the link marked current
	}{
		{"", "Side by side"},
		{"session", "Server session"},
		{"jwt", "JWT cookie"},
	}
	for _, tc := range tests {
		t.Run("front="+tc.front, func(t *testing.T) {
			p := testPage("/cmp")
			p.Links = l
			doc := render(t, Compare(CompareView{Page: p, Front: tc.front,
				Panels: []Panel{signedOutPanel(l.Session, "missing", "x"), signedOutPanel(l.JWT, "missing", "x")}}))
			nav := must(t, find(doc, tag("nav"), attrIs("aria-label", "Bring a strategy to the front")), "toggle")
			links := findAll(nav, tag("a"))
			if got := texts(links); !slices.Equal(got, labels) {
				t.Errorf("toggle labels = %q, want %q", got, labels)
			}
			if got := hrefs(links); !slices.Equal(got, hrefsWant) {
				t.Errorf("toggle hrefs = %q, want %q", got, hrefsWant)
			}
			for _, a := range links {
				cur := textOf(a) == tc.current
				if got, want := attr(a, "aria-current"), map[bool]string{true: "true"}[cur]; got != want {
					t.Errorf("%q aria-current = %q, want %q", textOf(a), got, want)
				}
				if hasClass(a, "on") != cur {
					t.Errorf("%q has class on = %v, want %v", textOf(a), !cur, cur)
				}
			}
		})
	}
}

func TestComparePanelState(t *testing.T) {
	l := testLinks()
	tests := []struct {
		name       string
		panel      Panel
		state      string
		reason     string // "" when no reason code is shown
		reasonText string
	}{
		{"session signed in", signedInPanel(l.Session, "ada"), "Signed in as ada", "", ""},
		{"jwt signed in", signedInPanel(l.JWT, "grace"), "Signed in as grace", "", ""},
		{"session expired", signedOutPanel(l.Session, "expired", "The server has no live record."),
			"Not signed in reason: expired", "expired", "The server has no live record."},
		{"jwt revoked", signedOutPanel(l.JWT, "revoked", "The token is on the revocation list."),
			"Not signed in reason: revoked", "revoked", "The token is on the revocation list."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.panel.Strategy
			doc := render(t, Compare(CompareView{Page: testPage("/compare"), Panels: []Panel{tc.panel}}))
			panel := must(t, byTestID(doc, "panel-"+st.Key), "panel-"+st.Key)
			if got := textOf(must(t, find(panel, tag("h2")), "panel heading")); got != st.Name {
				t.Errorf("heading = %q, want %q", got, st.Name)
			}
			if got := textOf(must(t, byTestID(panel, "state-"+st.Key), "state-"+st.Key)); got != tc.state {
				t.Errorf("state-%s = %q, want %q", st.Key, got, tc.state)
			}
			reason := byTestID(panel, "reason-"+st.Key)
			switch {
			case tc.reason == "" && reason != nil:
				t.Errorf("signed-in panel shows reason %q", textOf(reason))
			case tc.reason != "" && reason == nil:
				t.Errorf("signed-out panel has no reason-%s", st.Key)
			case reason != nil && textOf(reason) != tc.reason:
				t.Errorf("reason-%s = %q, want %q", st.Key, textOf(reason), tc.reason)
			}
			var explained string
			if n := find(panel, classed("reason-text")); n != nil {
				explained = textOf(n)
			}
			if explained != tc.reasonText {
				t.Errorf("reason text = %q, want %q", explained, tc.reasonText)
			}

			actions := must(t, find(panel, classed("actions")), "the panel's actions")
			logout := find(actions, tag("form"))
			if tc.panel.SignedIn {
				if logout == nil || attr(logout, "method") != "post" || attr(logout, "action") != st.Logout {
					t.Errorf("signed-in panel has no form posting to %s", st.Logout)
				}
				if dash := find(actions, tag("a"), attrIs("href", st.Dashboard)); dash == nil {
					t.Errorf("signed-in panel has no link to %s", st.Dashboard)
				}
			} else {
				if logout != nil {
					t.Errorf("signed-out panel has a form posting to %s", attr(logout, "action"))
				}
				want := st.Login + "?next=/compare"
				if login := find(actions, tag("a"), attrIs("href", want)); login == nil {
					t.Errorf("signed-out panel has no link to %s; links: %q", want, hrefs(findAll(actions, tag("a"))))
				}
			}
		})
	}
}

func TestComparePanelFacts(t *testing.T) {
	l := testLinks()
	tests := []struct {
		name   string
		panel  Panel
		cookie string // the Cookie fact
	}{
		{"cookie sent", signedInPanel(l.Session, "ada"),
			"session_cookie — sent by this browser (HttpOnly, so page scripts cannot read it)"},
		{"no cookie", signedOutPanel(l.JWT, "missing", "No cookie."), "jwt_cookie — not sent by this browser"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := render(t, Compare(CompareView{Page: testPage("/compare"), Panels: []Panel{tc.panel}}))
			dl := must(t, find(doc, tag("dl"), classed("facts")), "facts")
			terms, defs := texts(findAll(dl, tag("dt"))), findAll(dl, tag("dd"))
			want := []string{"Cookie"}
			for _, f := range tc.panel.Facts {
				want = append(want, f.Label)
			}
			if !slices.Equal(terms, want) || len(defs) != len(want) {
				t.Fatalf("facts = %q (%d values), want %q", terms, len(defs), want)
			}
			if got := textOf(defs[0]); got != tc.cookie {
				t.Errorf("Cookie = %q, want %q", got, tc.cookie)
			}
			for i, f := range tc.panel.Facts {
				if got, want := textOf(defs[i+1]), strings.TrimSpace(f.Value+" "+f.Note); got != want {
					t.Errorf("%s = %q, want %q", f.Label, got, want)
				}
			}
		})
	}
}

func TestCompareDecodedToken(t *testing.T) {
	const header = "{\n  \"alg\": \"HS256\",\n  \"typ\": \"JWT\"\n}"
	const claims = "{\n  \"sub\": \"7\"\n}"
	tests := []struct {
		name     string
		header   string
		claims   string
		verified bool
		caption  string // "" when no decoded token is shown
	}{
		{"no token", "", "", false, ""},
		{"header but no claims", header, "", false, ""},
		{"verified", header, claims, true, "Decoded token, signature verified:"},
		{"refused", header, claims, false,
			"Decoded token, not trusted (it failed verification); shown only so you can see why:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := signedOutPanel(testLinks().JWT, "bad_signature", "Bad signature.")
			if tc.claims != "" {
				p.Token = DecodedToken(tc.header, tc.claims, tc.verified)
			}
			doc := render(t, Compare(CompareView{Page: testPage("/compare"), Panels: []Panel{p}}))
			h, c := byTestID(doc, "jwt-header"), byTestID(doc, "jwt-claims")
			caption := find(doc, classed("jwt-caption"))
			if tc.caption == "" {
				if h != nil || c != nil || caption != nil {
					t.Errorf("decoded token shown with header %q and claims %q", tc.header, tc.claims)
				}
				return
			}
			if got := textOf(must(t, caption, "jwt-caption")); got != tc.caption {
				t.Errorf("caption = %q, want %q", got, tc.caption)
			}
			// A pre keeps the JSON's indentation as the reader sees it.
			if got := rawText(must(t, h, "jwt-header")); got != tc.header {
				t.Errorf("jwt-header = %q, want %q", got, tc.header)
			}
			if got := rawText(must(t, c, "jwt-claims")); got != tc.claims {
				t.Errorf("jwt-claims = %q, want %q", got, tc.claims)
			}
		})
	}
}

func TestDashboard(t *testing.T) {
	l := testLinks()
	l.Session.Logout, l.JWT.Logout = "/s/bye", "/j/bye" // the form follows the route table
	for _, st := range l.Strategies() {
		t.Run(st.Key, func(t *testing.T) {
			p := testPage(st.Dashboard)
			p.Links = l
			doc := render(t, Dashboard(DashboardView{Page: p, Strategy: st, Username: "ada", UserID: 42,
				Panel: signedInPanel(st, "ada")}))
			main := must(t, find(doc, tag("main")), "main")
			if got, want := textOf(must(t, find(main, tag("h1")), "h1")), st.Name+" dashboard"; got != want {
				t.Errorf("h1 = %q, want %q", got, want)
			}
			if got := textOf(must(t, byTestID(doc, "dashboard-user"), "dashboard-user")); got != "ada" {
				t.Errorf("dashboard-user = %q, want %q", got, "ada")
			}
			if got := textOf(must(t, byTestID(doc, "dashboard-strategy"), "dashboard-strategy")); got != st.Noun {
				t.Errorf("dashboard-strategy = %q, want %q", got, st.Noun)
			}
			if lead := textOf(must(t, find(main, classed("lead")), "lead")); !strings.Contains(lead, "(user id 42)") {
				t.Errorf("lead = %q, want the user id 42", lead)
			}
			if got := textOf(must(t, byTestID(doc, "state-"+st.Key), "state-"+st.Key)); got != "Signed in as ada" {
				t.Errorf("state-%s = %q, want %q", st.Key, got, "Signed in as ada")
			}
			forms := findAll(main, tag("form"))
			if len(forms) != 1 {
				t.Fatalf("dashboard has %d forms, want 1", len(forms))
			}
			if got := attr(forms[0], "action"); got != st.Logout {
				t.Errorf("logout form action = %q, want %q", got, st.Logout)
			}
			if got := attr(forms[0], "method"); got != "post" {
				t.Errorf("logout form method = %q, want post", got)
			}
			if got := textOf(must(t, find(forms[0], tag("button")), "logout button")); got != "Log out" {
				t.Errorf("logout button = %q, want %q", got, "Log out")
			}
		})
	}
}

func TestErrorPage(t *testing.T) {
	tests := []struct {
		status           int
		heading, message string
	}{
		{http.StatusNotFound, "Page not found", "There is nothing at this address."},
		{http.StatusMethodNotAllowed, "Method not allowed", "This page does not take a DELETE."},
		{http.StatusInternalServerError, "Something went wrong", "The error has been logged."},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			p := testPage("/nowhere")
			p.Nav = nil // error pages do not know the visitor
			p.Links.Home = "/start"
			doc := render(t, Error(ErrorView{Page: p, Status: tc.status, Heading: tc.heading, Message: tc.message}))
			main := must(t, find(doc, tag("main")), "main")
			if got, want := textOf(must(t, find(main, classed("status-code")), "status code")), strconv.Itoa(tc.status); got != want {
				t.Errorf("status = %q, want %q", got, want)
			}
			if got := textOf(must(t, find(main, tag("h1")), "h1")); got != tc.heading {
				t.Errorf("h1 = %q, want %q", got, tc.heading)
			}
			if got := textOf(must(t, find(main, classed("lead")), "lead")); got != tc.message {
				t.Errorf("message = %q, want %q", got, tc.message)
			}
			if find(main, tag("a"), attrIs("href", "/start")) == nil {
				t.Errorf("no link to Links.Home (/start); links: %q", hrefs(findAll(main, tag("a"))))
			}
			for _, id := range []string{"nav-session", "nav-jwt"} {
				if n := byTestID(doc, id); n != nil {
					t.Errorf("error page shows %s %q", id, textOf(n))
				}
			}
		})
	}
}

// TestHome checks the home page's on-ramp: a link into the walkthrough,
// and curl commands that present a credential, since a bare request to
// the API can only ever answer "signed out".
func TestHome(t *testing.T) {
	tests := []struct {
		base, cookie string
	}{
		{"http://127.0.0.1:8080", "authlab_session"},
		{"https://authlab.example/", "__Host-authlab_session"},
	}
	for _, tc := range tests {
		t.Run(tc.base, func(t *testing.T) {
			p := testPage("/")
			doc := render(t, Home(p, tc.base))
			main := must(t, find(doc, tag("main")), "main")
			if !slices.Contains(hrefs(findAll(main, tag("a"))), p.Links.Learn) {
				t.Errorf("no link to the walkthrough (%s); links: %q", p.Links.Learn, hrefs(findAll(main, tag("a"))))
			}
			api := strings.TrimSuffix(tc.base, "/") + "/api/auth"
			cookie := rawText(must(t, byTestID(doc, "home-curl-cookie"), "cookie command"))
			if want := "curl -s -b '" + tc.cookie + "=…' " + api; cookie != want {
				t.Errorf("cookie command = %q, want %q", cookie, want)
			}
			bearer := rawText(must(t, byTestID(doc, "home-curl-bearer"), "Bearer command"))
			for _, want := range []string{"TOKEN=$(curl -s", api, `-H "Authorization: Bearer $TOKEN" ` + api} {
				if !strings.Contains(bearer, want) {
					t.Errorf("Bearer command %q lacks %q", bearer, want)
				}
			}
			if strings.Contains(textOf(main), "curl -i "+api) {
				t.Error("the home page still suggests a curl command with no credential")
			}
		})
	}
}
