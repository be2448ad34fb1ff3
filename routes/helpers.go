package routes

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/authlab/authlab/views"
)

// page returns the view model every page shares, with this browser's
// sign-in state under each strategy for the nav.
func (s *server) page(r *http.Request, title string) views.Page {
	p := views.Page{Title: title, Path: r.URL.Path, Nav: &views.Nav{}}
	id := s.who(r)
	if id.sessionErr == nil {
		p.Nav.SessionUser = id.session.Username
	}
	if id.jwtErr == nil {
		p.Nav.JWTUser = id.jwt.Username
	}
	return p
}

// render writes c with status. It renders into a buffer first, so a
// component that fails sends a 500 page instead of half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

func isAPI(r *http.Request) bool {
	return r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
}

// writeJSON writes v as JSON with status.
func (s *server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

type apiError struct {
	Error string `json:"error"`
}

// errorPage answers with status: a JSON error under /api/, else a page in
// the layout.
func (s *server) errorPage(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	if isAPI(r) {
		s.writeJSON(w, r, status, apiError{Error: message})
		return
	}
	var buf bytes.Buffer
	v := views.ErrorView{Page: views.Page{Title: heading, Path: r.URL.Path}, Status: status, Heading: heading, Message: message}
	if err := views.Error(v).Render(r.Context(), &buf); err != nil {
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// serverError logs err with the request id and answers 500. The client
// learns only that something failed, and the id to quote.
func (s *server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	id := requestIDFrom(r.Context())
	s.Log.Error("server error", "id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong",
		"The server failed to answer this request. It has been logged as "+id+".")
}

const tooLarge = "The request body is larger than 1 MiB."

// clientError answers a request the server cannot act on. A body over the
// size limit gets 413 whatever the caller asked for.
func (s *server) clientError(w http.ResponseWriter, r *http.Request, status int, message string, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		status, message = http.StatusRequestEntityTooLarge, tooLarge
	}
	s.errorPage(w, r, status, http.StatusText(status), message)
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusNotFound, "Page not found", "There is nothing at "+r.URL.Path+".")
}

func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodDelete} {
		if s.router.Match(chi.NewRouteContext(), m, r.URL.Path) {
			allow = append(allow, m)
		}
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.errorPage(w, r, http.StatusMethodNotAllowed, "Method not allowed",
		r.Method+" is not something "+r.URL.Path+" answers.")
}

func (s *server) crossOrigin(w http.ResponseWriter, r *http.Request) {
	s.Log.Warn("cross-origin request refused", "id", requestIDFrom(r.Context()), "method", r.Method, "path", r.URL.Path)
	s.errorPage(w, r, http.StatusForbidden, "Cross-site request refused",
		"This request came from another site. authlab accepts forms and API calls that change state only from its own pages.")
}

// toLogin is what a dashboard does for a signed-out visitor: send them to
// login with the page they wanted as next.
func (s *server) toLogin(login string) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, _ error) {
		http.Redirect(w, r, login+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}
}

// localPath returns next when it is a path on this site, else fallback. A
// redirect to anything else would let a link to authlab's login send
// people on to a site of an attacker's choosing.
func localPath(next, fallback string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return fallback
	}
	for _, c := range next {
		if c < ' ' || c == 0x7f {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return fallback
	}
	return next
}

// StoreError returns the handler for a request whose session could not be
// loaded or saved: it logs the error with the request id and answers with
// the 500 page (or JSON under /api/). Pass it as auth.SessionConfig's
// ErrorFunc.
func StoreError(log *slog.Logger) func(http.ResponseWriter, *http.Request, error) {
	s := &server{Deps: Deps{Log: log}}
	return s.serverError
}
