// Package views renders authlab's pages with templ. Each page takes a view
// model holding only what it shows; handlers fill the models, and nothing
// here reads a context, a database or a cookie.
package views

import "github.com/a-h/templ"

// Page is what every page shares: its title and the navigation state.
type Page struct {
	Title string
	Path  string // the request path, to mark the current nav link
	// Nav is nil on pages rendered without knowing the visitor (error
	// pages), which then show no sign-in state rather than a wrong one.
	Nav *Nav
	// Styles are stylesheets the page needs besides /static/app.css.
	Styles []string
	// Links are the site's paths, which the route table owns.
	Links Links
	// Instance names the authlab process that answered, so a learner
	// running several can see which one did.
	Instance string
}

// Links are the paths pages link to, handed over by the route table so
// that no template types a route again.
type Links struct {
	Home    string
	Compare string
	Signup  string
	Learn   string
	// The account pages of a signed-in user.
	Devices  string
	Password string
	Session  Strategy
	JWT      Strategy
}

// Strategies are both strategies, in the order pages show them.
func (l Links) Strategies() []Strategy { return []Strategy{l.Session, l.JWT} }

// Other is the strategy that is not st.
func (l Links) Other(st Strategy) Strategy {
	if st.Key == l.Session.Key {
		return l.JWT
	}
	return l.Session
}

// Nav says who is signed in under each strategy in this browser; an empty
// name means signed out.
type Nav struct {
	SessionUser string
	JWTUser     string
}

// Strategy names one of the two ways of staying logged in, with the words
// the pages use for it and the paths the route table gives it.
type Strategy struct {
	Key       string // "session" or "jwt"
	Name      string // "Server session" or "JWT cookie"
	Noun      string // Name in running text: "server session", "JWT cookie"
	Login     string // login path
	Dashboard string // dashboard path
	Logout    string // logout path
}

// Fact is one labelled value in a definition list.
type Fact struct {
	Label string
	Value string
	Note  string
}

// LoginView is a login form for one strategy.
type LoginView struct {
	Page
	Strategy Strategy
	Next     string
	Username string
	Error    string // shown above the form and tied to both fields
	Notice   string // a neutral message, such as "you have logged out"
}

// SignupView is the account form.
type SignupView struct {
	Page
	Username      string
	UsernameError string
	PasswordError string
	Error         string
	Created       string // the name of the account just made
	MinPassword   int
	MaxPassword   int
}

// DashboardView is a strategy's protected page.
type DashboardView struct {
	Page
	Strategy Strategy
	Username string
	UserID   int64
	Panel    Panel
}

// Panel is one strategy's state for this browser, as the compare page and
// the dashboards show it.
type Panel struct {
	Strategy Strategy
	SignedIn bool
	// CanEnd is a signed-out JWT panel whose token is genuine but expired:
	// logging out still ends its login, which a copy could keep renewing.
	CanEnd     bool
	Username   string
	Reason     string // the API's reason code when signed out
	ReasonText string // the same in words
	Cookie     string // the cookie's name
	HasCookie  bool
	Facts      []Fact // how the server knows
	Front      bool   // brought to the front by the toggle
	// Token is, for a JWT whose claims decode, DecodedToken of it; nil
	// for none.
	Token templ.Component
}

// CompareView is the toggle page.
type CompareView struct {
	Page
	Front  string // "session", "jwt" or "" for side by side
	Panels []Panel
	// Notice says what a logout that just redirected here did.
	Notice string
}

// ErrorView is a 4xx or 5xx page.
type ErrorView struct {
	Page
	Status  int
	Heading string
	Message string
}
