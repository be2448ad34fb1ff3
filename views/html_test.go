package views

import (
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
)

// testLinks are the paths the route table hands to pages, as routes.go
// builds them.
func testLinks() Links {
	return Links{
		Home:    "/",
		Compare: "/compare",
		Signup:  "/signup",
		Learn:   "/learn",
		Session: Strategy{Key: "session", Name: "Server session", Noun: "server session",
			Login: "/session/login", Dashboard: "/session/dashboard", Logout: "/session/logout"},
		JWT: Strategy{Key: "jwt", Name: "JWT cookie", Noun: "JWT cookie",
			Login: "/jwt/login", Dashboard: "/jwt/dashboard", Logout: "/jwt/logout"},
	}
}

// testPage is a page for a signed-out visitor at path.
func testPage(path string) Page {
	return Page{Title: "Test", Path: path, Nav: &Nav{}, Links: testLinks()}
}

// render renders c into a buffer and parses the result as a browser would.
func render(t *testing.T, c templ.Component) *html.Node {
	t.Helper()
	var buf strings.Builder
	if err := c.Render(t.Context(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := html.Parse(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

// match is a test on one element.
type match func(*html.Node) bool

// tag matches elements named name.
func tag(name string) match { return func(n *html.Node) bool { return n.Data == name } }

// attrIs matches elements whose attribute name is value.
func attrIs(name, value string) match {
	return func(n *html.Node) bool { v, ok := lookup(n, name); return ok && v == value }
}

// classed matches elements with class among their classes.
func classed(class string) match { return func(n *html.Node) bool { return hasClass(n, class) } }

// findAll returns the elements under n, in document order, that pass every
// test in ms.
func findAll(n *html.Node, ms ...match) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type != html.ElementNode {
			continue
		}
		ok := true
		for _, m := range ms {
			if !m(d) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, d)
		}
	}
	return out
}

// find returns the first element under n that passes every test in ms, or
// nil.
func find(n *html.Node, ms ...match) *html.Node {
	if all := findAll(n, ms...); len(all) > 0 {
		return all[0]
	}
	return nil
}

func byTestID(n *html.Node, id string) *html.Node { return find(n, attrIs("data-testid", id)) }

func byID(n *html.Node, id string) *html.Node { return find(n, attrIs("id", id)) }

// must fails the test when n, described by what, was not found.
func must(t *testing.T, n *html.Node, what string) *html.Node {
	t.Helper()
	if n == nil {
		t.Fatalf("no %s in the page", what)
	}
	return n
}

func lookup(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val, true
		}
	}
	return "", false
}

// attr is n's attribute name, or "" when it has none.
func attr(n *html.Node, name string) string { v, _ := lookup(n, name); return v }

func hasAttr(n *html.Node, name string) bool { _, ok := lookup(n, name); return ok }

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// textOf is the text under n with runs of white space made one space, as a
// reader sees it.
func textOf(n *html.Node) string { return strings.Join(strings.Fields(rawText(n)), " ") }

// rawText is the text under n exactly as written, for pre elements.
func rawText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// describedBy is the text of each element that n's aria-describedby names,
// failing the test if one is missing: a dangling id describes nothing.
func describedBy(t *testing.T, doc, n *html.Node) []string {
	t.Helper()
	var out []string
	for _, id := range strings.Fields(attr(n, "aria-describedby")) {
		out = append(out, textOf(must(t, byID(doc, id), "element #"+id+" named by aria-describedby")))
	}
	return out
}

// hrefs are the href of each of links.
func hrefs(links []*html.Node) []string {
	out := make([]string, len(links))
	for i, a := range links {
		out[i] = attr(a, "href")
	}
	return out
}

// texts are the text of each of ns.
func texts(ns []*html.Node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = textOf(n)
	}
	return out
}
