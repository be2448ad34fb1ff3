package routes

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/authlab/authlab/routes/web"
)

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.Web.ErrorPage(w, r, http.StatusNotFound, "Page not found", "There is nothing at "+r.URL.Path+".")
}

func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		if s.router.Match(chi.NewRouteContext(), m, r.URL.Path) {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.Web.ErrorPage(w, r, http.StatusMethodNotAllowed, "Method not allowed",
		r.Method+" is not something "+r.URL.Path+" answers.")
}

func (s *server) crossOrigin(w http.ResponseWriter, r *http.Request) {
	s.log.Warn("cross-origin request refused", "id", web.RequestID(r.Context()), "method", r.Method, "path", r.URL.Path)
	s.Web.ErrorPage(w, r, http.StatusForbidden, "Cross-site request refused",
		"This request came from another site. authlab accepts forms and API calls that change state only from its own pages.")
}
