// Package routes is authlab's HTTP layer: one route table, handlers split by
// area, and the middleware every request passes through.
package routes

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/routes/learn"
	"github.com/authlab/authlab/routes/web"
	"github.com/authlab/authlab/static"
	"github.com/authlab/authlab/views"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// The site's paths. Templates get them through views.Links, so this is the
// one place a path is written.
const (
	pathHome     = "/"
	pathCompare  = "/compare"
	pathSignup   = "/signup"
	pathLearn    = "/learn"
	pathAPIAuth  = "/api/auth"
	pathHealthz  = "/healthz"
	pathStatic   = "/static/"
	pathSessions = "/session"
	pathJWT      = "/jwt"

	pathAccountSessions = "/account/sessions"
	pathAccountPassword = "/account/password"
	pathAPISessions     = "/api/auth/sessions"
)

// links are the paths handed to every page.
var links = views.Links{
	Home:     pathHome,
	Compare:  pathCompare,
	Signup:   pathSignup,
	Learn:    pathLearn,
	Devices:  pathAccountSessions,
	Password: pathAccountPassword,
	Session: views.Strategy{Key: "session", Name: "Server session", Noun: "server session",
		Login: pathSessions + "/login", Dashboard: pathSessions + "/dashboard", Logout: pathSessions + "/logout"},
	JWT: views.Strategy{Key: "jwt", Name: "JWT cookie", Noun: "JWT cookie",
		Login: pathJWT + "/login", Dashboard: pathJWT + "/dashboard", Logout: pathJWT + "/logout"},
}

// NewResponder returns the Responder that writes authlab's pages and
// errors. main builds it first and hands it to auth.Options.ErrorFunc and
// to Deps, so neither needs the other half-built.
func NewResponder(log *slog.Logger, instance string) *web.Responder {
	return web.NewResponder(log, links, instance)
}

// Deps is what the handlers need from the rest of the program.
type Deps struct {
	Web  *web.Responder
	Auth *auth.Auth
	// Ping reports whether the database answers, for /healthz.
	Ping func(context.Context) error
	// BaseURL is the public URL, used in the curl examples the pages show
	// and trusted as an origin for cross-origin checks.
	BaseURL string
	// SessionStore names the session store ("sqlite" or "memory").
	SessionStore string
	// Source holds the Go files the /learn pages quote; see learn.Deps.
	Source fs.FS
}

type server struct {
	Deps
	log      *slog.Logger
	router   chi.Routes // for the Allow header of a 405
	session  strategy
	jwt      strategy
	sessions *auth.Sessions
	tokens   *auth.Tokens
}

// New returns authlab's handler.
func New(d Deps) (http.Handler, error) {
	s := &server{Deps: d, log: d.Web.Log(), sessions: d.Auth.Sessions, tokens: d.Auth.Tokens}
	s.session, s.jwt = s.sessionStrategy(), s.jwtStrategy()

	csrf := http.NewCrossOriginProtection()
	if err := csrf.AddTrustedOrigin(d.BaseURL); err != nil {
		return nil, err
	}
	csrf.SetDenyHandler(http.HandlerFunc(s.crossOrigin))

	r := chi.NewRouter()
	s.router = r
	// Every GET route answers HEAD too (RFC 9110 §9.1); net/http sends
	// the headers without the body.
	r.Use(middleware.GetHead)
	r.Use(closeAfterChunked, s.requestID, s.logRequests, s.recoverPanic,
		securityHeaders(strings.HasPrefix(d.BaseURL, "https://")), s.limitBody, csrf.Handler)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)

	r.With(cacheStatic).Handle(pathStatic+"*", http.StripPrefix(pathStatic, s.files(http.FileServerFS(static.FS))))
	r.Get(pathHealthz, s.healthz)

	// identified pages know who the browser is under each strategy:
	// every credential is checked once, before the handler runs.
	identified := chi.Chain(noStore, s.sessions.LoadAndSave, d.Auth.Identify, s.tokens.Renew)
	requireSession := s.sessions.Require(s.toLogin(links.Session.Login))
	requireJWT := s.tokens.Require(s.toLogin(links.JWT.Login))

	r.Group(func(r chi.Router) {
		r.Use(identified...)
		h := d.Web.Handle

		r.Get(pathHome, h(s.home))
		r.Get(pathCompare, h(s.compare))
		r.Get(pathSignup, h(s.signupForm))
		r.Post(pathSignup, h(s.signup))

		for _, st := range []strategy{s.session, s.jwt} {
			r.Get(st.view.Login, h(s.loginForm(st)))
			r.Post(st.view.Login, h(s.login(st)))
			r.Post(st.view.Logout, h(s.logout(st)))
		}
		r.With(requireSession).Get(links.Session.Dashboard, h(s.dashboard(s.session)))
		r.With(requireJWT).Get(links.JWT.Dashboard, h(s.dashboard(s.jwt)))

		r.Post(pathAPIAuth, h(s.apiLogin))
		r.Get(pathAPIAuth, h(s.apiStatus))
		r.Delete(pathAPIAuth, h(s.apiLogout))

		// The account controls, for a user signed in under either
		// strategy.
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Get(pathAccountSessions, h(s.devices))
			r.Post(pathAccountSessions, h(s.endFromDevices))
			r.Get(pathAccountPassword, h(s.passwordForm))
			r.Post(pathAccountPassword, h(s.changePassword))
			r.Get(pathAPISessions, h(s.apiSessions))
			r.Delete(pathAPISessions, h(s.apiEndOtherSessions))
			r.Delete(pathAPISessions+"/{id}", h(s.apiEndSession))
		})

		learn.Mount(r, pathLearn, learn.Deps{
			Web:          d.Web,
			Auth:         d.Auth,
			BaseURL:      d.BaseURL,
			SessionStore: d.SessionStore,
			Source:       d.Source,
			NotFound:     s.notFound,
		})
	})
	return r, nil
}

// clientIP is chi's middleware that finds the client's address: from
// X-Forwarded-For when the connection comes from a trusted proxy, else
// the connection's own.
func clientIP(trusted []netip.Prefix) func(http.Handler) http.Handler {
	if len(trusted) == 0 {
		return middleware.ClientIPFromRemoteAddr
	}
	cidrs := make([]string, len(trusted))
	for i, p := range trusted {
		cidrs[i] = p.String()
	}
	return middleware.ClientIPFromXFF(cidrs...)
}
