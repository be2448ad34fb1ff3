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

// measureUser is who the measuring session and token are issued for. No
// lookup is made, so the account need not exist; the id's length shows in
// the token's sub claim.
var measureUser = auth.User{ID: 1}

// Measure issues a session and a token for user id 1 as the login handlers
// do, measures them, times how long each strategy takes to recognise a
// request that carries them, and destroys the session again.
//
// It makes its own contexts and never takes one from a request: scs reuses
// a session already loaded into a context, so measuring inside a visitor's
// request would log the visitor in as user 1.
func Measure(s *auth.Sessions, t *auth.Tokens) (Figures, error) {
	f := Figures{UserID: measureUser.ID}
	sessionCookie, err := issueSession(s, &f)
	if err != nil {
		return Figures{}, err
	}
	f.SessionCheck, err = timeSessionCheck(s, sessionCookie)
	if err = errors.Join(err, endSession(s, sessionCookie)); err != nil {
		return Figures{}, err
	}
	jwtCookie, err := issueToken(t, &f)
	if err != nil {
		return Figures{}, err
	}
	f.JWTCheck = timeTokenCheck(t, jwtCookie)
	return f, nil
}

// issueSession logs measureUser in through the session middleware and
// records the cookie and record sizes.
func issueSession(s *auth.Sessions, f *Figures) (*http.Cookie, error) {
	var loginErr error
	h := s.LoadAndSave(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if loginErr = s.Login(r.Context(), measureUser); loginErr == nil {
			f.SessionRecord = s.Record(r.Context()).Size
		}
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, newRequest(nil))
	if loginErr != nil {
		return nil, fmt.Errorf("walkthrough: measure session: %w", loginErr)
	}
	c, err := cookieNamed(w, s.CookieName())
	if err != nil {
		return nil, fmt.Errorf("walkthrough: measure session: %w", err)
	}
	f.SessionCookie = cookieBytes(c)
	f.SessionToken = len(c.Value)
	return c, nil
}

// timeSessionCheck times the session middleware loading the record that c
// names. With an idle timeout scs also writes the record back with a later
// expiry, so each run is one store read and one store write.
func timeSessionCheck(s *auth.Sessions, c *http.Cookie) (Timing, error) {
	var found bool
	check := s.LoadAndSave(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		found = s.Record(r.Context()).UserID == measureUser.ID
	}))
	w := &discardWriter{h: http.Header{}}
	check.ServeHTTP(w, newRequest(c))
	if !found || w.status >= http.StatusBadRequest {
		return Timing{}, errors.New("walkthrough: measure session: the issued session was not found")
	}
	noop := s.LoadAndSave(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := newRequest(c)
	timing := timeLoop(func() {
		clear(w.h)
		noop.ServeHTTP(w, r)
	})
	if w.status >= http.StatusBadRequest {
		return Timing{}, fmt.Errorf("walkthrough: measure session: the session store answered %d", w.status)
	}
	return timing, nil
}

// endSession deletes the measuring session from the store.
func endSession(s *auth.Sessions, c *http.Cookie) error {
	var err error
	h := s.LoadAndSave(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		err = s.Logout(r.Context())
	}))
	h.ServeHTTP(&discardWriter{h: http.Header{}}, newRequest(c))
	if err != nil {
		return fmt.Errorf("walkthrough: end measuring session: %w", err)
	}
	return nil
}

// issueToken logs measureUser in with a JWT cookie and records its sizes.
func issueToken(t *auth.Tokens, f *Figures) (*http.Cookie, error) {
	w := httptest.NewRecorder()
	if err := t.Login(w, measureUser); err != nil {
		return nil, fmt.Errorf("walkthrough: measure token: %w", err)
	}
	c, err := cookieNamed(w, t.CookieName())
	if err != nil {
		return nil, fmt.Errorf("walkthrough: measure token: %w", err)
	}
	claims, err := t.Verify(c.Value)
	if err != nil {
		return nil, fmt.Errorf("walkthrough: measure token: %w", err)
	}
	f.JWTCookie = cookieBytes(c)
	f.BearerHeader = len("Authorization: Bearer ") + len(c.Value)
	f.TokenID = len(claims.ID)
	return c, nil
}

// timeTokenCheck times reading the JWT cookie and verifying it: signature,
// claims and the revocation list.
func timeTokenCheck(t *auth.Tokens, c *http.Cookie) Timing {
	r := newRequest(c)
	name := t.CookieName()
	return timeLoop(func() {
		if c, err := r.Cookie(name); err == nil {
			t.Verify(c.Value)
		}
	})
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
