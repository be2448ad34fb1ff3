package routes

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/authlab/authlab/auth"
)

type apiLoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type apiLoginResponse struct {
	Token   string `json:"token"`
	Message string `json:"message"`
	UserID  int64  `json:"userId"`
}

// apiLogin is the tutorial's login route: it answers with a JWT in the body
// and starts a server session, whose cookie it sets.
func (s *server) apiLogin(w http.ResponseWriter, r *http.Request) {
	var req apiLoginRequest
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&req); err != nil {
			s.clientError(w, r, http.StatusBadRequest, "The body is not a JSON object with username and password.", err)
			return
		}
		if dec.More() {
			s.clientError(w, r, http.StatusBadRequest, "The body must hold one JSON object.", nil)
			return
		}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		// ParseForm leaves a multipart body unread, and PostFormValue
		// then finds the form already parsed, and empty.
		parse := r.ParseForm
		if mt == "multipart/form-data" {
			parse = func() error { return r.ParseMultipartForm(MaxBodyBytes) }
		}
		if err := parse(); err != nil {
			s.clientError(w, r, http.StatusBadRequest, "The form body could not be read.", err)
			return
		}
		req.Username, req.Password = credentials(r)
	default:
		s.clientError(w, r, http.StatusUnsupportedMediaType, "Send application/json or a form body.", nil)
		return
	}
	if req.Username == "" || req.Password == "" {
		s.clientError(w, r, http.StatusBadRequest, "username and password are required.", nil)
		return
	}
	u, err := s.Users.Authenticate(r.Context(), req.Username, req.Password)
	if errors.Is(err, auth.ErrInvalidCredentials) {
		s.writeJSON(w, r, http.StatusUnauthorized, apiError{Error: "invalid username or password"})
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.Sessions.Login(r.Context(), u); err != nil {
		s.serverError(w, r, err)
		return
	}
	token, _, err := s.Tokens.Issue(u, s.now())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, apiLoginResponse{Token: token, Message: "Login successful", UserID: u.ID})
}

// strategyStatus is one strategy's answer in GET /api/auth.
type strategyStatus struct {
	Authenticated bool       `json:"authenticated"`
	Reason        string     `json:"reason,omitempty"`
	UserID        int64      `json:"userId,omitempty"`
	Username      string     `json:"username,omitempty"`
	Source        string     `json:"source,omitempty"` // jwt only: "header" or "cookie"
	ExpiresAt     *time.Time `json:"expiresAt,omitempty"`
}

type apiStatusResponse struct {
	Authenticated bool   `json:"authenticated"`
	UserID        int64  `json:"userId,omitempty"`
	Username      string `json:"username,omitempty"`
	Strategies    struct {
		Session strategyStatus `json:"session"`
		JWT     strategyStatus `json:"jwt"`
	} `json:"strategies"`
}

func statusOf(u auth.User, err error) strategyStatus {
	if err != nil {
		return strategyStatus{Reason: string(auth.ReasonFor(err))}
	}
	return strategyStatus{Authenticated: true, UserID: u.ID, Username: u.Username}
}

// apiStatus answers who this request is, under each strategy. A Bearer
// header, when present, is the JWT looked at; otherwise the JWT cookie.
func (s *server) apiStatus(w http.ResponseWriter, r *http.Request) {
	var resp apiStatusResponse
	resp.Strategies.Session = statusOf(s.Sessions.Current(r))
	if resp.Strategies.Session.Authenticated {
		exp := s.Sessions.Record(r.Context()).IdleDeadline
		resp.Strategies.Session.ExpiresAt = &exp
	}

	source, u, claims, err := "header", auth.User{}, (*auth.Claims)(nil), error(nil)
	if r.Header.Get("Authorization") != "" {
		u, claims, err = s.Tokens.Bearer(r)
	} else {
		source = "cookie"
		u, claims, err = s.Tokens.Current(r)
	}
	resp.Strategies.JWT = statusOf(u, err)
	if err == nil {
		exp := claims.ExpiresAt.UTC()
		resp.Strategies.JWT.Source, resp.Strategies.JWT.ExpiresAt = source, &exp
	}

	for _, st := range []strategyStatus{resp.Strategies.JWT, resp.Strategies.Session} {
		if st.Authenticated {
			resp.Authenticated, resp.UserID, resp.Username = true, st.UserID, st.Username
			break
		}
	}
	s.writeJSON(w, r, http.StatusOK, resp)
}

// apiLogout ends both: it destroys the server session and revokes the
// JWT presented, in the Authorization header or the cookie.
func (s *server) apiLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.Sessions.Logout(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	if _, claims, err := s.Tokens.Bearer(r); err == nil {
		if err := s.Tokens.RevokeClaims(r.Context(), claims); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	if err := s.Tokens.Logout(r.Context(), w, r); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
