package routes

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/routes/web"
	"github.com/authlab/authlab/views"
)

// strategy is what the login, logout and dashboard handlers need to know
// of one way of staying logged in; both run through the same handlers.
type strategy struct {
	view views.Strategy
	// login starts a login by u and sets its cookie.
	login func(http.ResponseWriter, *http.Request, auth.User) error
	// logout ends the login id shows and clears its cookie.
	logout func(http.ResponseWriter, *http.Request, auth.Identity) error
	// user is the signed-in user under this strategy.
	user  func(auth.Identity) auth.User
	panel func(auth.Identity) views.Panel
}

func (s *server) sessionStrategy() strategy {
	return strategy{
		view: links.Session,
		login: func(_ http.ResponseWriter, r *http.Request, u auth.User) error {
			_, err := s.sessions.Login(r, u)
			return err
		},
		logout: func(_ http.ResponseWriter, r *http.Request, _ auth.Identity) error {
			_, err := s.sessions.Logout(r.Context())
			return err
		},
		user:  func(id auth.Identity) auth.User { return id.Session.User },
		panel: s.sessionPanel,
	}
}

func (s *server) jwtStrategy() strategy {
	return strategy{
		view: links.JWT,
		login: func(w http.ResponseWriter, r *http.Request, u auth.User) error {
			_, err := s.tokens.Login(w, r, u)
			return err
		},
		logout: func(w http.ResponseWriter, r *http.Request, id auth.Identity) error {
			_, err := s.tokens.Logout(r.Context(), w, id.JWT)
			return err
		},
		user:  func(id auth.Identity) auth.User { return id.JWT.User },
		panel: s.jwtPanel,
	}
}

// loginFailed is the one message for a wrong password and an unknown user.
const loginFailed = "Invalid username or password."

// authenticate checks a login's password through the throttle and logs
// the outcome: failures and refusals at warn, with the client address and
// the username typed (never the password), successes at info.
func (s *server) authenticate(r *http.Request, username, password string) (auth.User, error) {
	u, err := s.Auth.Authenticate(r, username, password)
	log := s.log.With("id", web.RequestID(r.Context()), "client", s.Auth.ClientAddress(r), "username", loggedName(username))
	var throttled *auth.ThrottledError
	switch {
	case err == nil:
		log.InfoContext(r.Context(), "login", "user_id", u.ID)
	case errors.Is(err, auth.ErrInvalidCredentials):
		log.WarnContext(r.Context(), "login failed")
	case errors.As(err, &throttled):
		log.WarnContext(r.Context(), "login throttled", "retry_after", throttled.RetryAfter)
	}
	return u, err
}

// loggedName is the username as a log line may hold it: as typed when it
// could be a username, else a placeholder, since people type passwords
// into the username field and a log is no place for them.
func loggedName(username string) string {
	if auth.IsUsername(username) {
		return username
	}
	return "(not a username)"
}

// loginRefused says how to answer a login that err refused: 401 for a
// wrong password, 429 with Retry-After for a throttled attempt, the same
// for an account that exists and one that does not; status 0 when err is
// no refusal.
func loginRefused(w http.ResponseWriter, err error) (status int, message string) {
	var throttled *auth.ThrottledError
	switch {
	case errors.Is(err, auth.ErrInvalidCredentials):
		return http.StatusUnauthorized, loginFailed
	case errors.As(err, &throttled):
		web.RetryAfter(w, throttled.RetryAfter)
		return http.StatusTooManyRequests, "Too many attempts. Wait " + views.Wait(throttled.RetryAfter) + " before trying again."
	}
	return 0, ""
}

// credentials reads the login form.
func credentials(r *http.Request) (username, password string) {
	return normalUsername(r.PostFormValue("username")), r.PostFormValue("password")
}

// normalUsername is a username as stored: trimmed and in lower case, so
// "User1" logs in as user1 from the forms and the API alike.
func normalUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (s *server) loginForm(st strategy) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		v := views.LoginView{Page: s.Web.Page(r, "Log in: "+st.view.Name), Strategy: st.view,
			Next: localPath(r.URL.Query().Get("next"), "")}
		return s.Web.Render(w, r, http.StatusOK, views.Login(v))
	}
}

// login checks the form's password and starts a login under st; a wrong
// one gets the form again with 401.
func (s *server) login(st strategy) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := r.ParseForm(); err != nil {
			return web.BadRequest("The login form could not be read.", err)
		}
		username, password := credentials(r)
		next := localPath(r.PostFormValue("next"), "")
		u, err := s.authenticate(r, username, password)
		if status, message := loginRefused(w, err); status != 0 {
			v := views.LoginView{Page: s.Web.Page(r, "Log in: "+st.view.Name), Strategy: st.view,
				Next: next, Username: username, Error: message}
			return s.Web.Render(w, r, status, views.Login(v))
		}
		if err != nil {
			return err
		}
		if err := st.login(w, r, u); err != nil {
			return err
		}
		http.Redirect(w, r, localPath(next, st.view.Dashboard), http.StatusSeeOther)
		return nil
	}
}

func (s *server) logout(st strategy) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, _ := auth.IdentityFrom(r.Context())
		if err := st.logout(w, r, id); err != nil {
			return err
		}
		// The compare page then shows what the logout did, beside the
		// other strategy's state.
		http.Redirect(w, r, pathCompare+"?"+loggedOutParam+"="+st.view.Key, http.StatusSeeOther)
		return nil
	}
}

// dashboard is st's protected page; the route's Require has let only a
// signed-in request through.
func (s *server) dashboard(st strategy) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, _ := auth.IdentityFrom(r.Context())
		u := st.user(id)
		v := views.DashboardView{Page: s.Web.Page(r, st.view.Name+" dashboard"), Strategy: st.view,
			Username: u.Username, UserID: u.ID, Panel: st.panel(id)}
		return s.Web.Render(w, r, http.StatusOK, views.Dashboard(v))
	}
}

// toLogin is what a dashboard does for a signed-out visitor: send them to
// login with the page they wanted as next.
func (s *server) toLogin(login string) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, _ error) {
		http.Redirect(w, r, login+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}
}

// maxNext is the longest next kept; a longer one is no page of this site
// and would only make every later redirect heavy.
const maxNext = 2 << 10

// localPath returns next when it is a path on this site, else fallback. A
// redirect to anything else would let a link to authlab's login send
// people on to a site of an attacker's choosing.
func localPath(next, fallback string) string {
	if next == "" || len(next) > maxNext || next[0] != '/' || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
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

func (s *server) signupForm(w http.ResponseWriter, r *http.Request) error {
	return s.Web.Render(w, r, http.StatusOK, views.Signup(s.signupView(r)))
}

func (s *server) signupView(r *http.Request) views.SignupView {
	return views.SignupView{Page: s.Web.Page(r, "Sign up"), MinPassword: auth.MinPassword, MaxPassword: auth.MaxPassword}
}

// signup creates an account and shows the two ways to log in with it.
func (s *server) signup(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The signup form could not be read.", err)
	}
	username, password := credentials(r)
	v := s.signupView(r)
	v.Username = username
	_, err := s.Auth.SignUp(r, username, password)
	var (
		invalid   *auth.ValidationError
		throttled *auth.ThrottledError
	)
	status := http.StatusCreated
	switch {
	case errors.As(err, &throttled):
		s.log.WarnContext(r.Context(), "signup throttled", "id", web.RequestID(r.Context()),
			"client", s.Auth.ClientAddress(r), "retry_after", throttled.RetryAfter)
		web.RetryAfter(w, throttled.RetryAfter)
		status = http.StatusTooManyRequests
		v.Error = "Too many signups from your address. Wait " + views.Wait(throttled.RetryAfter) + " before trying again."
		return s.Web.Render(w, r, status, views.Signup(v))
	case err == nil:
		v.Created, v.Username = username, ""
	case errors.As(err, &invalid):
		status = http.StatusUnprocessableEntity
		if invalid.Field == "username" {
			v.UsernameError = invalid.Message
		} else {
			v.PasswordError = invalid.Message
		}
	case errors.Is(err, auth.ErrUsernameTaken):
		status = http.StatusConflict
		v.UsernameError = "That username is taken; choose another."
	default:
		return err
	}
	if status != http.StatusCreated {
		v.Error = "The account was not created: fix the field marked below."
	}
	return s.Web.Render(w, r, status, views.Signup(v))
}
