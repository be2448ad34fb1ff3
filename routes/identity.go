package routes

import (
	"context"
	"net/http"

	"github.com/authlab/authlab/auth"
)

// identity is who a request is under each strategy. A page asks in
// several places (the nav, the compare panels, a dashboard's panel); the
// answer is worked out on the first question and kept for the rest of
// the request, so each credential is checked once.
type identity struct {
	known bool

	session    auth.User
	sessionErr error

	jwt       auth.User
	jwtClaims *auth.Claims
	jwtErr    error
}

// rememberIdentity gives each request a place to keep its identity.
func rememberIdentity(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey, new(identity))))
	})
}

// who returns r's identity as the request arrived. Handlers that log in or
// out answer with a redirect and never ask afterwards.
func (s *server) who(r *http.Request) *identity {
	id, ok := r.Context().Value(identityKey).(*identity)
	if !ok {
		id = new(identity)
	}
	if !id.known {
		id.session, id.sessionErr = s.Sessions.Current(r)
		id.jwt, id.jwtClaims, id.jwtErr = s.Tokens.Current(r)
		id.known = true
	}
	return id
}
