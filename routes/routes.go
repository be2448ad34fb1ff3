// Package routes is authlab's HTTP layer: one route table, handlers split by
// area, and the middleware every request passes through.
package routes

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/static"
	"github.com/authlab/authlab/views"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// Deps is what the handlers need from the rest of the program.
type Deps struct {
	Log      *slog.Logger
	Users    *auth.Users
	Sessions *auth.Sessions
	Tokens   *auth.Tokens
	// Ping reports whether the database answers, for /healthz.
	Ping func(context.Context) error
	// BaseURL is the public URL, used in the curl examples the pages show
	// and trusted as an origin for cross-origin checks.
	BaseURL string
	// SessionStore names the session store ("sqlite" or "memory").
	SessionStore string
	// Clock is the time source; nil means time.Now.
	Clock auth.Clock
	// Source holds authlab's Go files (auth/, auth/sqlite/, routes/) for
	// the /learn pages to quote; see walkthrough.Source.
	Source fs.FS
}

type server struct {
	Deps
	now    auth.Clock
	router chi.Routes // for the Allow header of a 405
	learn  learnCache
}

// New returns authlab's handler.
func New(d Deps) (http.Handler, error) {
	s := &server{Deps: d, now: d.Clock}
	if s.now == nil {
		s.now = time.Now
	}

	csrf := http.NewCrossOriginProtection()
	if err := csrf.AddTrustedOrigin(d.BaseURL); err != nil {
		return nil, err
	}
	csrf.SetDenyHandler(http.HandlerFunc(s.crossOrigin))

	r := chi.NewRouter()
	s.router = r
	r.Use(s.requestID, s.logRequests, s.recoverPanic, securityHeaders, s.limitBody, csrf.Handler)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)

	assets, err := fs.Sub(static.FS, ".")
	if err != nil {
		return nil, err
	}
	r.With(cacheStatic).Handle("/static/*", http.StripPrefix("/static/", http.FileServerFS(assets)))
	r.Get("/healthz", s.healthz)

	r.Group(func(r chi.Router) {
		r.Use(noStore, d.Sessions.LoadAndSave, d.Tokens.Renew, rememberIdentity)

		r.Get("/", s.home)
		r.Get("/compare", s.compare)
		r.Get("/signup", s.signupForm)
		r.Post("/signup", s.signup)

		r.Get("/session/login", s.sessionLoginForm)
		r.Post("/session/login", s.sessionLogin)
		r.With(d.Sessions.Require(s.toLogin(views.SessionStrategy.Login))).Get("/session/dashboard", s.sessionDashboard)
		r.Post("/session/logout", s.sessionLogout)

		r.Get("/jwt/login", s.jwtLoginForm)
		r.Post("/jwt/login", s.jwtLogin)
		r.With(d.Tokens.Require(s.toLogin(views.JWTStrategy.Login))).Get("/jwt/dashboard", s.jwtDashboard)
		r.Post("/jwt/logout", s.jwtLogout)

		r.Post("/api/auth", s.apiLogin)
		r.Get("/api/auth", s.apiStatus)
		r.Delete("/api/auth", s.apiLogout)

		r.Get("/learn", s.learnIndex)
		r.Get("/learn/{step}", s.learnStep)
		r.Get("/learn/quiz", s.quizForm)
		r.Post("/learn/quiz", s.quizSubmit)
		r.Get("/learn/tradeoffs", s.tradeoffs)
	})
	return r, nil
}
