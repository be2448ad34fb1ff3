package routes

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/routes/web"
	"github.com/authlab/authlab/views"
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

// decodeLogin reads POST /api/auth's body: JSON, or a form as the login
// pages send. Usernames are normalised as the forms do.
func decodeLogin(r *http.Request) (apiLoginRequest, error) {
	var req apiLoginRequest
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&req); err != nil {
			return req, web.BadRequest("The body is not a JSON object with username and password.", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return req, web.BadRequest("The body must hold one JSON object and nothing after it.", err)
		}
		req.Username = normalUsername(req.Username)
	case "application/x-www-form-urlencoded", "multipart/form-data":
		// ParseForm leaves a multipart body unread, and PostFormValue
		// then finds the form already parsed, and empty.
		parse := r.ParseForm
		if mt == "multipart/form-data" {
			parse = func() error { return r.ParseMultipartForm(MaxBodyBytes) }
		}
		if err := parse(); err != nil {
			return req, web.BadRequest("The form body could not be read.", err)
		}
		req.Username, req.Password = credentials(r)
	default:
		return req, web.Status(http.StatusUnsupportedMediaType, "Send application/json or a form body.")
	}
	if req.Username == "" || req.Password == "" {
		return req, web.BadRequest("username and password are required.", nil)
	}
	return req, nil
}

// apiLogin is the tutorial's login route: it answers with a JWT in the body
// and starts a server session, whose cookie it sets.
func (s *server) apiLogin(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeLogin(r)
	if err != nil {
		return err
	}
	u, err := s.authenticate(r, req.Username, req.Password)
	var throttled *auth.ThrottledError
	if status, _ := loginRefused(w, err); status != 0 {
		message := "invalid username or password"
		if errors.As(err, &throttled) {
			message = "too many attempts: wait " + views.Wait(throttled.RetryAfter)
		}
		return s.Web.JSON(w, status, web.APIError{Error: message})
	}
	if err != nil {
		return err
	}
	if _, err := s.sessions.Login(r, u); err != nil {
		return err
	}
	token, err := s.tokens.Issue(r, u)
	if err != nil {
		return err
	}
	return s.Web.JSON(w, http.StatusOK, apiLoginResponse{Token: token.Raw, Message: "Login successful", UserID: u.ID})
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
	Instance      string `json:"instance"` // the authlab process that answered
	Authenticated bool   `json:"authenticated"`
	UserID        int64  `json:"userId,omitempty"`
	Username      string `json:"username,omitempty"`
	Strategies    struct {
		Session strategyStatus `json:"session"`
		JWT     strategyStatus `json:"jwt"`
	} `json:"strategies"`
}

// AppendJSON appends s as json.Marshal would (TestStatusJSON holds the
// two equal).
func (s strategyStatus) AppendJSON(b []byte) []byte {
	b = append(b, `{"authenticated":`...)
	b = strconv.AppendBool(b, s.Authenticated)
	if s.Reason != "" {
		b = web.AppendJSONString(append(b, `,"reason":`...), s.Reason)
	}
	if s.UserID != 0 {
		b = strconv.AppendInt(append(b, `,"userId":`...), s.UserID, 10)
	}
	if s.Username != "" {
		b = web.AppendJSONString(append(b, `,"username":`...), s.Username)
	}
	if s.Source != "" {
		b = web.AppendJSONString(append(b, `,"source":`...), s.Source)
	}
	if s.ExpiresAt != nil {
		b = s.ExpiresAt.AppendFormat(append(b, `,"expiresAt":"`...), time.RFC3339Nano)
		b = append(b, '"')
	}
	return append(b, '}')
}

// AppendJSON appends r as json.Marshal would: GET /api/auth answers every
// request of the API's hot path with one (TestStatusJSON holds the two
// equal).
func (r apiStatusResponse) AppendJSON(b []byte) []byte {
	b = web.AppendJSONString(append(b, `{"instance":`...), r.Instance)
	b = strconv.AppendBool(append(b, `,"authenticated":`...), r.Authenticated)
	if r.UserID != 0 {
		b = strconv.AppendInt(append(b, `,"userId":`...), r.UserID, 10)
	}
	if r.Username != "" {
		b = web.AppendJSONString(append(b, `,"username":`...), r.Username)
	}
	b = r.Strategies.Session.AppendJSON(append(b, `,"strategies":{"session":`...))
	b = r.Strategies.JWT.AppendJSON(append(b, `,"jwt":`...))
	return append(b, "}}"...)
}

func statusOf(u auth.User, err error, expires time.Time) strategyStatus {
	if err != nil {
		return strategyStatus{Reason: string(auth.ReasonFor(err))}
	}
	return strategyStatus{Authenticated: true, UserID: u.ID, Username: u.Username, ExpiresAt: &expires}
}

// jwtPresented is the JWT GET /api/auth and DELETE /api/auth act on: the
// Authorization header when the request has one, else the cookie.
func jwtPresented(r *http.Request, id auth.Identity) (st auth.TokenState, source string) {
	if r.Header.Get("Authorization") != "" {
		return id.Bearer, "header"
	}
	return id.JWT, "cookie"
}

// apiStatus answers who this request is, under each strategy.
func (s *server) apiStatus(w http.ResponseWriter, r *http.Request) error {
	id, _ := auth.IdentityFrom(r.Context())
	resp := apiStatusResponse{Instance: s.Web.Instance()}
	resp.Strategies.Session = statusOf(id.Session.User, id.Session.Err, id.Session.Record.IdleDeadline)

	tok, source := jwtPresented(r, id)
	var exp time.Time
	if tok.SignedIn() {
		exp = tok.Claims.ExpiresAt.UTC()
	}
	resp.Strategies.JWT = statusOf(tok.User, tok.Err, exp)
	if tok.SignedIn() {
		resp.Strategies.JWT.Source = source
	}

	for _, st := range []strategyStatus{resp.Strategies.JWT, resp.Strategies.Session} {
		if st.Authenticated {
			resp.Authenticated, resp.UserID, resp.Username = true, st.UserID, st.Username
			break
		}
	}
	return s.Web.JSON(w, http.StatusOK, resp)
}

// apiLogout ends both: it destroys the server session and revokes the
// JWTs presented, in the Authorization header and the cookie.
func (s *server) apiLogout(w http.ResponseWriter, r *http.Request) error {
	id, _ := auth.IdentityFrom(r.Context())
	if _, err := s.sessions.Logout(r.Context()); err != nil {
		return err
	}
	if id.Bearer.Claims != nil {
		if err := s.tokens.Revoke(r.Context(), id.Bearer.Claims); err != nil {
			return err
		}
	}
	if _, err := s.tokens.Logout(r.Context(), w, id.JWT); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
