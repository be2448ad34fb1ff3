package routes

import (
	"net/http"

	"github.com/authlab/authlab/views"
)

func (s *server) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, views.Home(s.page(r, "Sessions and JWTs, side by side"), s.BaseURL))
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.Ping(r.Context()); err != nil {
		s.Log.Error("health check", "id", requestIDFrom(r.Context()), "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unavailable\n"))
		return
	}
	w.Write([]byte("ok"))
}
