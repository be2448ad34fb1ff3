package walkthrough

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/authlab/authlab/auth"
)

// Figures are the trade-off numbers measured on the running server by
// issuing one real session and one real token.
type Figures struct {
	UserID int64 // the user they were issued for

	SessionCookie int // bytes of "name=value" in a request's Cookie header
	JWTCookie     int
	BearerHeader  int // bytes of the "Authorization: Bearer …" header line

	SessionToken  int // length of the session token, the store's key
	SessionRecord int // bytes scs encodes for the record (SessionRecord.Size)
	TokenID       int // length of a jti, the revocation list's key

	SessionCheck Timing
	JWTCheck     Timing
	// JWTFirst is Tokens.Verify on tokens never presented before: the
	// decoding and the HMAC that JWTCheck's remembered token skips.
	JWTFirst Timing
}

// Timing is a timed loop of N runs of one operation.
type Timing struct {
	N     int
	Total time.Duration
}

// Each is the mean time of one run.
func (t Timing) Each() time.Duration {
	if t.N == 0 {
		return 0
	}
	return t.Total / time.Duration(t.N)
}

// Bounds of each timed loop: it stops at MaxRuns, or at TimeBudget once
// MinRuns are done, so measuring costs a fraction of a second even on a
// slow machine.
const (
	MinRuns    = 20
	MaxRuns    = 1000
	TimeBudget = 100 * time.Millisecond
)

// measureUser is who the measuring session and tokens are issued for. The
// account need not exist: a check that finds the record or the token
// good and then looks the user up has done all its work either way. Its
// id has the digits of a real one, so the JWT measured is as long as the
// demo user's.
var measureUser = auth.User{ID: 1}

// measureAgent is the User-Agent the measuring logins are made with, so
// that Measure can end them, and only them, when it is done.
const measureAgent = "authlab trade-offs measurement"

// Measure issues a session and a token for measureUser as the login handlers
// do, measures them, times how long the middleware that identifies every
// request takes over each, and destroys the session again.
//
// It makes its own contexts and never takes one from a request: scs reuses
// a session already loaded into a context, so measuring inside a visitor's
// request would log the visitor in as measureUser.
func Measure(a *auth.Auth) (Figures, error) {
	f := Figures{UserID: measureUser.ID}
	settings := a.Settings()
	sessionCookie, err := issueSession(a.Sessions, settings.SessionCookie, &f)
	if err != nil {
		return Figures{}, err
	}
	f.SessionCheck, err = timeCheck(a, sessionCookie, func(id auth.Identity) error { return id.Session.Err })
	if err = errors.Join(err, endSession(a.Sessions, sessionCookie)); err != nil {
		return Figures{}, fmt.Errorf("walkthrough: measure session: %w", err)
	}
	jwtCookie, err := issueToken(a.Tokens, settings.TokenCookie, &f)
	if err != nil {
		return Figures{}, err
	}
	f.JWTCheck, err = timeCheck(a, jwtCookie, func(id auth.Identity) error { return id.JWT.Err })
	if err != nil {
		return Figures{}, fmt.Errorf("walkthrough: measure token: %w", err)
	}
	if f.JWTFirst, err = timeFirstVerify(a.Tokens); err != nil {
		return Figures{}, fmt.Errorf("walkthrough: measure token: %w", err)
	}
	// The measuring logins would otherwise be listed among the user's own
	// until their tokens expired.
	if _, err := a.EndLogins(context.Background(), measureUser.ID,
		func(l auth.Login) bool { return l.Agent != measureAgent }, auth.EndedByLogout); err != nil {
		return Figures{}, fmt.Errorf("walkthrough: end the measuring logins: %w", err)
	}
	return f, nil
}

// timeFirstVerify times Tokens.Verify on fresh tokens, each verified once,
// signed beforehand so that only the checking is timed.
func timeFirstVerify(t *auth.Tokens) (Timing, error) {
	fresh := make([]string, MinRuns)
	for i := range fresh {
		st, err := t.Issue(newRequest(nil), measureUser)
		if err != nil {
			return Timing{}, err
		}
		fresh[i] = st.Raw
	}
	var err error
	start := time.Now()
	for _, raw := range fresh {
		if _, e := t.Verify(raw); e != nil {
			err = e
		}
	}
	return Timing{N: len(fresh), Total: time.Since(start)}, err
}

// issueSession logs measureUser in through the session middleware and
// records the cookie and record sizes.
func issueSession(s *auth.Sessions, cookie string, f *Figures) (*http.Cookie, error) {
	var loginErr error
	h := s.LoadAndSave(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		var st auth.SessionState
		if st, loginErr = s.Login(r, measureUser); loginErr == nil {
			f.SessionRecord = s.RecordSize(st.Record)
		}
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, newRequest(nil))
	if loginErr != nil {
		return nil, fmt.Errorf("walkthrough: measure session: %w", loginErr)
	}
	c, err := cookieNamed(w, cookie)
	if err != nil {
		return nil, fmt.Errorf("walkthrough: measure session: %w", err)
	}
	f.SessionCookie = cookieBytes(c)
	f.SessionToken = len(c.Value)
	return c, nil
}

// timeCheck times the middleware every page runs, loading the session and
// identifying the request, over a request that carries c. The credential
// counts as recognised when pick finds no error, or finds only that user
// 1 does not exist (the lookup was made all the same). With an idle
// timeout scs also writes a session back with a later expiry, so a
// session check is one store read, one user lookup and one store write; a
// token check is one HMAC and one user lookup.
func timeCheck(a *auth.Auth, c *http.Cookie, pick func(auth.Identity) error) (Timing, error) {
	var checkErr error
	h := a.Sessions.LoadAndSave(a.Identify(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		id, _ := auth.IdentityFrom(r.Context())
		if checkErr = pick(id); errors.Is(checkErr, auth.ErrUnknownUser) {
			checkErr = nil
		}
	})))
	w := &discardWriter{h: http.Header{}}
	r := newRequest(c)
	h.ServeHTTP(w, r)
	if checkErr != nil {
		return Timing{}, fmt.Errorf("the issued credential was refused: %w", checkErr)
	}
	timing := timeLoop(func() {
		clear(w.h)
		h.ServeHTTP(w, r)
	})
	if w.status >= http.StatusBadRequest || checkErr != nil {
		return Timing{}, fmt.Errorf("the check answered %d: %v", w.status, checkErr)
	}
	return timing, nil
}

// endSession deletes the measuring session from the store.
func endSession(s *auth.Sessions, c *http.Cookie) error {
	var err error
	h := s.LoadAndSave(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, err = s.Logout(r.Context())
	}))
	h.ServeHTTP(&discardWriter{h: http.Header{}}, newRequest(c))
	return err
}

// issueToken logs measureUser in with a JWT cookie and records its sizes.
func issueToken(t *auth.Tokens, cookie string, f *Figures) (*http.Cookie, error) {
	w := httptest.NewRecorder()
	st, err := t.Login(w, newRequest(nil), measureUser)
	if err != nil {
		return nil, fmt.Errorf("walkthrough: measure token: %w", err)
	}
	c, err := cookieNamed(w, cookie)
	if err != nil {
		return nil, fmt.Errorf("walkthrough: measure token: %w", err)
	}
	f.JWTCookie = cookieBytes(c)
	f.BearerHeader = len("Authorization: Bearer ") + len(c.Value)
	f.TokenID = len(st.Claims.ID)
	return c, nil
}

func timeLoop(run func()) Timing {
	start := time.Now()
	n := 0
	for n < MaxRuns && (n < MinRuns || time.Since(start) < TimeBudget) {
		run()
		n++
	}
	return Timing{N: n, Total: time.Since(start)}
}

func newRequest(c *http.Cookie) *http.Request {
	r := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/", nil)
	r.Header.Set("User-Agent", measureAgent)
	if c != nil {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return r
}

func cookieNamed(w *httptest.ResponseRecorder, name string) (*http.Cookie, error) {
	for _, c := range w.Result().Cookies() {
		if c.Name == name && c.Value != "" {
			return c, nil
		}
	}
	return nil, fmt.Errorf("no %s cookie was set (status %d)", name, w.Code)
}

// cookieBytes is what c adds to a Cookie header: name, "=" and value. A
// second cookie in the same header adds a two-byte "; " separator too.
func cookieBytes(c *http.Cookie) int { return len(c.Name) + 1 + len(c.Value) }

// discardWriter is a ResponseWriter that keeps only the status, so the
// timed loop measures the middleware, not a recorder's buffering.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
