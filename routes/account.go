package routes

import (
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/routes/web"
	"github.com/authlab/authlab/views"
)

// ClientAddresses returns the function that names a request's client:
// the address chi's ClientIPFrom* middleware finds (from X-Forwarded-For
// only when the connection comes from one of trusted), else the
// connection's. It runs that middleware when asked, not on every request:
// only logins, signups and the account pages want the client, and the
// middleware costs every request a copy of it. main hands it to
// auth.Options.ClientAddress, and handlers ask Auth.ClientAddress, so
// throttling, the list of logins and the log all name one address.
func ClientAddresses(trusted []netip.Prefix) func(*http.Request) string {
	find := clientIP(trusted)
	return func(r *http.Request) string {
		var ip string
		find(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			ip = middleware.GetClientIP(r.Context())
		})).ServeHTTP(nil, r)
		if ip == "" {
			return auth.ClientAddress(r)
		}
		return ip
	}
}

// signedIn is the user the account pages act for, under either strategy.
func signedIn(r *http.Request) (auth.Identity, auth.User, bool) {
	id, _ := auth.IdentityFrom(r.Context())
	u, ok := id.User()
	return id, u, ok
}

// requireAccount lets through a request signed in under either strategy;
// the others go to the session login and come back.
func (s *server) requireAccount(next http.Handler) http.Handler {
	toLogin := s.toLogin(links.Session.Login)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := signedIn(r); !ok {
			if web.IsAPI(r) {
				s.Web.JSON(w, http.StatusUnauthorized, web.APIError{Error: "not signed in"})
				return
			}
			toLogin(w, r, auth.ErrNoCredentials)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// devices lists the signed-in user's logins.
func (s *server) devices(w http.ResponseWriter, r *http.Request) error {
	id, u, _ := signedIn(r)
	logins, err := s.Auth.Logins(r.Context(), id)
	if err != nil {
		return err
	}
	// This browser's logins first, then the newest.
	slices.SortStableFunc(logins, func(a, b auth.Login) int {
		if ca, cb := id.IsCurrent(a), id.IsCurrent(b); ca != cb && ca {
			return -1
		} else if ca != cb {
			return 1
		}
		return 0
	})
	v := views.DevicesView{Page: s.Web.Page(r, "Your logins"), Username: u.Username,
		Logins: loginRows(logins, id.At, id.IsCurrent), IdleStep: views.Wait(s.Auth.Settings().IdleStep)}
	if n := r.URL.Query().Get("ended"); n != "" {
		v.Notice = endedNotice(n)
	}
	return s.Web.Render(w, r, http.StatusOK, views.Devices(v))
}

// endedNotice words the result a POST to the devices page redirected with.
func endedNotice(n string) string {
	switch n {
	case "0":
		return "There were no other logins to end."
	case "1":
		return "1 login ended."
	}
	for _, c := range n {
		if c < '0' || c > '9' || len(n) > 6 {
			return ""
		}
	}
	return n + " logins ended."
}

// loginRows are logins as the account pages show them, with the ones
// current marks as this browser's.
func loginRows(logins []auth.Login, now time.Time, current func(auth.Login) bool) []views.LoginRow {
	rows := make([]views.LoginRow, len(logins))
	for i, l := range logins {
		rows[i] = views.LoginRow{ID: l.ID, Strategy: links.Session, Started: when(l.Started, now),
			Seen: when(l.Seen, now), Expires: when(l.Expires, now), Client: clientSummary(l.Agent),
			Address: l.Address, Current: current != nil && current(l)}
		if l.Strategy == auth.StrategyJWT {
			rows[i].Strategy = links.JWT
		}
	}
	return rows
}

// endFromDevices ends what the devices page's buttons ask: one login
// (end=<id>), every other one (end=others), or all of them, this browser
// included (end=everywhere).
func (s *server) endFromDevices(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read.", err)
	}
	id, u, _ := signedIn(r)
	switch which := r.PostFormValue("end"); which {
	case "":
		return web.BadRequest("Choose a login to end.", nil)
	case "others":
		ended, err := s.Auth.EndLogins(r.Context(), u.ID, id.IsCurrent, auth.EndedByUser)
		if err != nil {
			return err
		}
		s.logEnded(r, u, len(ended), "others")
		http.Redirect(w, r, pathAccountSessions+"?ended="+strconv.Itoa(len(ended)), http.StatusSeeOther)
		return nil
	case "everywhere":
		ended, err := s.logOutEverywhere(w, r, u)
		if err != nil {
			return err
		}
		s.logEnded(r, u, len(ended), "everywhere")
		v := views.EverywhereView{Page: s.Web.Page(r, "Logged out everywhere"), Ended: loginRows(ended, id.At, nil)}
		// The cookies were cleared on this response, so the nav must
		// not show the request's old state.
		v.Page.Nav = &views.Nav{}
		return s.Web.Render(w, r, http.StatusOK, views.Everywhere(v))
	default:
		l, err := s.Auth.EndLogin(r.Context(), u.ID, which, auth.EndedByUser)
		if errors.Is(err, auth.ErrNoLogin) {
			return web.Status(http.StatusNotFound, "That login is not one of yours, or it has ended already.")
		}
		if err != nil {
			return err
		}
		if id.IsCurrent(l) {
			if err := s.clearLogin(w, r, id, l); err != nil {
				return err
			}
		}
		s.logEnded(r, u, 1, "one")
		http.Redirect(w, r, pathAccountSessions+"?ended=1", http.StatusSeeOther)
		return nil
	}
}

// logOutEverywhere ends every login of u and clears this browser's
// cookies.
func (s *server) logOutEverywhere(w http.ResponseWriter, r *http.Request, u auth.User) ([]auth.Login, error) {
	ended, err := s.Auth.EndLogins(r.Context(), u.ID, nil, auth.EndedEverywhere)
	if err != nil {
		return ended, err
	}
	id, _ := auth.IdentityFrom(r.Context())
	// This browser's cookies go too, but not one of another user, which a
	// browser can hold beside this user's (Identity.User picks one).
	if id.Session.SignedIn() && id.Session.User.ID == u.ID {
		if _, err := s.sessions.Logout(r.Context()); err != nil {
			return ended, err
		}
	}
	if id.JWT.SignedIn() && id.JWT.User.ID == u.ID {
		_, err = s.tokens.Logout(r.Context(), w, id.JWT)
	}
	return ended, err
}

// clearLogin clears the cookie of l, a login of this browser that was
// just ended, so the browser does not keep presenting it.
func (s *server) clearLogin(w http.ResponseWriter, r *http.Request, id auth.Identity, l auth.Login) error {
	if l.Strategy == auth.StrategySession {
		_, err := s.sessions.Logout(r.Context())
		return err
	}
	_, err := s.tokens.Logout(r.Context(), w, id.JWT)
	return err
}

func (s *server) logEnded(r *http.Request, u auth.User, n int, which string) {
	s.log.InfoContext(r.Context(), "logins ended", "id", web.RequestID(r.Context()), "client", s.Auth.ClientAddress(r),
		"user_id", u.ID, "which", which, "count", n)
}

func (s *server) passwordForm(w http.ResponseWriter, r *http.Request) error {
	_, u, _ := signedIn(r)
	return s.Web.Render(w, r, http.StatusOK, views.Password(s.passwordView(r, u)))
}

func (s *server) passwordView(r *http.Request, u auth.User) views.PasswordView {
	return views.PasswordView{Page: s.Web.Page(r, "Change password"), Username: u.Username,
		MinPassword: auth.MinPassword, MaxPassword: auth.MaxPassword}
}

// changePassword sets a new password once the current one is proved, ends
// every other login of the user (OWASP ASVS 5.0 7.4.3), and carries this
// browser on with a new session token and a new JWT, for the strategies
// it was signed in with.
func (s *server) changePassword(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read.", err)
	}
	id, u, _ := signedIn(r)
	v := s.passwordView(r, u)
	err := s.Auth.ChangePassword(r, u, r.PostFormValue("current"), r.PostFormValue("password"))
	var invalid *auth.ValidationError
	switch status, message := loginRefused(w, err); {
	case status == http.StatusUnauthorized:
		s.log.WarnContext(r.Context(), "password change refused", "id", web.RequestID(r.Context()),
			"client", s.Auth.ClientAddress(r), "username", u.Username)
		v.CurrentError = "That is not your current password."
		return s.Web.Render(w, r, status, views.Password(v))
	case status != 0:
		s.log.WarnContext(r.Context(), "password change throttled", "id", web.RequestID(r.Context()),
			"client", s.Auth.ClientAddress(r), "username", u.Username, "retry_after", w.Header().Get("Retry-After")+"s")
		v.Error = message
		return s.Web.Render(w, r, status, views.Password(v))
	case errors.As(err, &invalid):
		v.PasswordError = invalid.Message
		return s.Web.Render(w, r, http.StatusUnprocessableEntity, views.Password(v))
	case err != nil:
		return err
	}
	ended, err := s.Auth.EndLogins(r.Context(), u.ID, nil, auth.EndedByPassword)
	if err != nil {
		return err
	}
	// This browser's own logins were among them: it logs in again.
	var others []auth.Login
	for _, l := range ended {
		if !id.IsCurrent(l) {
			others = append(others, l)
		}
	}
	// A cookie of another user, which a browser can hold beside this
	// one, is left as it is.
	var renewed []string
	if id.Session.SignedIn() && id.Session.User.ID == u.ID {
		if _, err := s.sessions.Login(r, u); err != nil {
			return err
		}
		renewed = append(renewed, "a new session token")
	}
	if id.JWT.SignedIn() && id.JWT.User.ID == u.ID {
		if _, err := s.tokens.Login(w, r, u); err != nil {
			return err
		}
		renewed = append(renewed, "a new JWT")
	}
	v.Renewed = strings.Join(renewed, " and ")
	s.log.InfoContext(r.Context(), "password changed", "id", web.RequestID(r.Context()),
		"client", s.Auth.ClientAddress(r), "user_id", u.ID, "ended", len(others))
	v.Changed = true
	v.Ended = loginRows(others, id.At, nil)
	return s.Web.Render(w, r, http.StatusOK, views.Password(v))
}

// apiLogin is one login in GET /api/auth/sessions. Its id names it in
// DELETE /api/auth/sessions/{id} and proves nothing.
type apiLogin struct {
	ID       string    `json:"id"`
	Strategy string    `json:"strategy"` // "session" or "jwt"
	Started  time.Time `json:"started"`
	LastSeen time.Time `json:"lastSeen"`
	Expires  time.Time `json:"expires"`
	Client   string    `json:"client"`
	Address  string    `json:"address"`
	Current  bool      `json:"current"`
}

type apiLogins struct {
	Sessions []apiLogin `json:"sessions"`
}

func (s *server) apiSessions(w http.ResponseWriter, r *http.Request) error {
	id, _, _ := signedIn(r)
	logins, err := s.Auth.Logins(r.Context(), id)
	if err != nil {
		return err
	}
	resp := apiLogins{Sessions: make([]apiLogin, len(logins))}
	for i, l := range logins {
		resp.Sessions[i] = apiLogin{ID: l.ID, Strategy: string(l.Strategy), Started: l.Started, LastSeen: l.Seen,
			Expires: l.Expires, Client: clientSummary(l.Agent), Address: l.Address, Current: id.IsCurrent(l)}
	}
	return s.Web.JSON(w, http.StatusOK, resp)
}

// apiEndSession ends one login of the user; another user's is a 404, as
// one that does not exist.
func (s *server) apiEndSession(w http.ResponseWriter, r *http.Request) error {
	_, u, _ := signedIn(r)
	_, err := s.Auth.EndLogin(r.Context(), u.ID, chi.URLParam(r, "id"), auth.EndedByUser)
	if errors.Is(err, auth.ErrNoLogin) {
		return web.Status(http.StatusNotFound, "no such session")
	}
	if err != nil {
		return err
	}
	s.logEnded(r, u, 1, "one")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiEndOtherSessions ends every login of the user but the ones this
// request presents.
func (s *server) apiEndOtherSessions(w http.ResponseWriter, r *http.Request) error {
	id, u, _ := signedIn(r)
	ended, err := s.Auth.EndLogins(r.Context(), u.ID, id.IsCurrent, auth.EndedByUser)
	if err != nil {
		return err
	}
	s.logEnded(r, u, len(ended), "others")
	return s.Web.JSON(w, http.StatusOK, struct {
		Ended int `json:"ended"`
	}{len(ended)})
}
