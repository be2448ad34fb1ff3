package routes

import (
	"net/http"

	"github.com/authlab/authlab/routes/web"
	"github.com/authlab/authlab/views"
)

func (s *server) home(w http.ResponseWriter, r *http.Request) error {
	return s.Web.Render(w, r, http.StatusOK, views.Home(s.Web.Page(r, "Sessions and JWTs, side by side"), s.BaseURL))
}

// healthz answers 200 once the database does. It writes plain text, for
// probes rather than people.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.Ping(r.Context()); err != nil {
		s.log.Error("health check", "id", web.RequestID(r.Context()), "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unavailable\n"))
		return
	}
	w.Write([]byte("ok"))
}
