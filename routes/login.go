package routes

import (
	"errors"
	"net/http"
	"strings"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/views"
)

// loginFailed is the one message for a wrong password and an unknown user.
const loginFailed = "Invalid username or password."

// credentials reads the login form. Usernames are stored in lower case, so
// "User1" logs in as user1.
func credentials(r *http.Request) (username, password string) {
	return strings.ToLower(strings.TrimSpace(r.PostFormValue("username"))), r.PostFormValue("password")
}

func (s *server) loginForm(w http.ResponseWriter, r *http.Request, st views.Strategy) {
	v := views.LoginView{Page: s.page(r, "Log in: "+st.Name), Strategy: st, Next: r.URL.Query().Get("next")}
	v.Next = localPath(v.Next, "")
	s.render(w, r, http.StatusOK, views.Login(v))
}

// authenticate checks the login form. On failure it has answered the
// request (401 with the form again, 400, 413 or 500) and returns false.
func (s *server) authenticate(w http.ResponseWriter, r *http.Request, st views.Strategy) (auth.User, string, bool) {
	if err := r.ParseForm(); err != nil {
		s.clientError(w, r, http.StatusBadRequest, "The login form could not be read.", err)
		return auth.User{}, "", false
	}
	username, password := credentials(r)
	next := localPath(r.PostFormValue("next"), "")
	u, err := s.Users.Authenticate(r.Context(), username, password)
	if errors.Is(err, auth.ErrInvalidCredentials) {
		v := views.LoginView{Page: s.page(r, "Log in: "+st.Name), Strategy: st, Next: next, Username: username, Error: loginFailed}
		s.render(w, r, http.StatusUnauthorized, views.Login(v))
		return auth.User{}, "", false
	}
	if err != nil {
		s.serverError(w, r, err)
		return auth.User{}, "", false
	}
	return u, localPath(next, st.Dashboard), true
}

func (s *server) sessionLoginForm(w http.ResponseWriter, r *http.Request) {
	s.loginForm(w, r, views.SessionStrategy)
}

func (s *server) sessionLogin(w http.ResponseWriter, r *http.Request) {
	u, next, ok := s.authenticate(w, r, views.SessionStrategy)
	if !ok {
		return
	}
	if err := s.Sessions.Login(r.Context(), u); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *server) sessionLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.Sessions.Logout(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, views.SessionStrategy.Login, http.StatusSeeOther)
}

func (s *server) jwtLoginForm(w http.ResponseWriter, r *http.Request) {
	s.loginForm(w, r, views.JWTStrategy)
}

func (s *server) jwtLogin(w http.ResponseWriter, r *http.Request) {
	u, next, ok := s.authenticate(w, r, views.JWTStrategy)
	if !ok {
		return
	}
	if err := s.Tokens.Login(w, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *server) jwtLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.Tokens.Logout(r.Context(), w, r); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, views.JWTStrategy.Login, http.StatusSeeOther)
}

func (s *server) sessionDashboard(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	v := views.DashboardView{Page: s.page(r, views.SessionStrategy.Name+" dashboard"), Strategy: views.SessionStrategy,
		Username: u.Username, UserID: u.ID, Panel: s.sessionPanel(r)}
	s.render(w, r, http.StatusOK, views.Dashboard(v))
}

func (s *server) jwtDashboard(w http.ResponseWriter, r *http.Request) {
	u, _ := auth.UserFrom(r.Context())
	v := views.DashboardView{Page: s.page(r, views.JWTStrategy.Name+" dashboard"), Strategy: views.JWTStrategy,
		Username: u.Username, UserID: u.ID, Panel: s.jwtPanel(r)}
	s.render(w, r, http.StatusOK, views.Dashboard(v))
}

func (s *server) signupForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, views.Signup(s.signupView(r)))
}

func (s *server) signupView(r *http.Request) views.SignupView {
	return views.SignupView{Page: s.page(r, "Sign up"), MinPassword: auth.MinPassword, MaxPassword: auth.MaxPassword}
}

func (s *server) signup(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.clientError(w, r, http.StatusBadRequest, "The signup form could not be read.", err)
		return
	}
	username, password := credentials(r)
	v := s.signupView(r)
	v.Username = username
	_, err := s.Users.SignUp(r.Context(), username, password)
	var invalid *auth.ValidationError
	switch {
	case err == nil:
		v.Created, v.Username = username, ""
		s.render(w, r, http.StatusCreated, views.Signup(v))
	case errors.As(err, &invalid):
		if invalid.Field == "username" {
			v.UsernameError = invalid.Message
		} else {
			v.PasswordError = invalid.Message
		}
		v.Error = "The account was not created: fix the field marked below."
		s.render(w, r, http.StatusUnprocessableEntity, views.Signup(v))
	case errors.Is(err, auth.ErrUsernameTaken):
		v.UsernameError = "That username is taken; choose another."
		v.Error = "The account was not created: fix the field marked below."
		s.render(w, r, http.StatusConflict, views.Signup(v))
	default:
		s.serverError(w, r, err)
	}
}
