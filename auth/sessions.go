package auth

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/alexedwards/scs/v2"
)

// sessionUserKey is the one value a session holds: the user's id.
// Everything else about the user is looked up on each request, so a change
// to the account (or its deletion) takes effect at once.
const sessionUserKey = "userID"

// scsToken matches the tokens scs makes: 32 random bytes, base64url.
var scsToken = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// Sessions is the server-side strategy: the browser holds only a random
// token in a cookie, and the server keeps the record it names. Logging out
// deletes the record, so the token stops working everywhere at once.
type Sessions struct {
	mgr  *scs.SessionManager
	now  Clock
	fail func(http.ResponseWriter, *http.Request, error)
}

func newSessions(opts Options) *Sessions {
	mgr := scs.New()
	mgr.Store = opts.SessionStore
	mgr.IdleTimeout = opts.IdleTimeout
	mgr.Lifetime = opts.Lifetime
	mgr.Cookie.Name = cookieName(opts.SessionCookie, opts.Secure)
	mgr.Cookie.HttpOnly = true
	mgr.Cookie.SameSite = http.SameSiteLaxMode
	mgr.Cookie.Secure = opts.Secure
	mgr.Cookie.Path = "/"
	// No Expires on the cookie: the browser keeps it until it closes and the
	// server alone decides when the session has ended, so it can say why.
	mgr.Cookie.Persist = false
	mgr.ErrorFunc = opts.ErrorFunc
	return &Sessions{mgr: mgr, now: opts.Clock, fail: opts.ErrorFunc}
}

func (s *Sessions) cookieName() string { return s.mgr.Cookie.Name }

// LoadAndSave is the middleware that loads the session named by the cookie
// before the handler runs and saves it, with its cookie, after.
func (s *Sessions) LoadAndSave(next http.Handler) http.Handler { return s.mgr.LoadAndSave(next) }

// loaded reports whether LoadAndSave has run for ctx. scs has no way to
// ask and panics on a context it has not loaded, so the probe recovers
// that one panic into a clear error for Identify to report.
func (s *Sessions) loaded(ctx context.Context) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	s.mgr.Token(ctx)
	return true
}

// Login makes u the session's user and returns the new state. It issues a
// new token first, so a token planted in the browser before login
// (session fixation) never becomes a signed-in one.
func (s *Sessions) Login(ctx context.Context, u User) (SessionState, error) {
	if err := s.mgr.RenewToken(ctx); err != nil {
		return SessionState{Err: ErrNoCredentials}, fmt.Errorf("auth: renew session token: %w", err)
	}
	s.mgr.Put(ctx, sessionUserKey, u.ID)
	return SessionState{User: u, Record: s.record(ctx, u.ID)}, nil
}

// Logout deletes the server-side record and expires the cookie. The old
// token is then worthless: a copy replayed later finds no record.
func (s *Sessions) Logout(ctx context.Context) (SessionState, error) {
	if err := s.mgr.Destroy(ctx); err != nil {
		return SessionState{Err: ErrNoCredentials}, fmt.Errorf("auth: destroy session: %w", err)
	}
	return SessionState{Err: ErrNoCredentials}, nil
}

// current works out what r's session cookie proves: no cookie, a cookie
// scs never made, a token with no live record (idle, past its lifetime, or
// logged out), a user who no longer exists, or a signed-in user.
func (s *Sessions) current(r *http.Request, byID func(context.Context, int64) (User, error)) SessionState {
	c, err := r.Cookie(s.mgr.Cookie.Name)
	if err != nil || c.Value == "" {
		return SessionState{Err: ErrNoCredentials}
	}
	ctx := r.Context()
	id := s.mgr.GetInt64(ctx, sessionUserKey)
	if id == 0 {
		if !scsToken.MatchString(c.Value) {
			return SessionState{Err: ErrMalformed}
		}
		return SessionState{Err: ErrSessionEnded}
	}
	u, err := byID(ctx, id)
	if err != nil {
		return SessionState{Err: unknownUser(err)}
	}
	return SessionState{User: u, Record: s.record(ctx, id)}
}

// SessionRecord is what the server keeps for a signed-in session, with the
// two moments at which it ends unless something happens first.
type SessionRecord struct {
	UserID int64
	// IdleDeadline is when the session ends if no request uses it. Every
	// request that loads the session moves it forward, this one included.
	IdleDeadline time.Time
	// Deadline is when the session ends however active it is.
	Deadline time.Time
}

func (s *Sessions) record(ctx context.Context, userID int64) SessionRecord {
	deadline := s.mgr.Deadline(ctx)
	idle := s.now().Add(s.mgr.IdleTimeout).UTC()
	if idle.After(deadline) {
		idle = deadline
	}
	return SessionRecord{UserID: userID, IdleDeadline: idle, Deadline: deadline}
}

// RecordSize is the number of bytes the store keeps for rec: the pages
// that compare the strategies show it.
func (s *Sessions) RecordSize(rec SessionRecord) int {
	b, err := s.mgr.Codec.Encode(rec.Deadline, map[string]any{sessionUserKey: rec.UserID})
	if err != nil {
		return 0
	}
	return len(b)
}

// Require lets a request through only with a signed-in session;
// otherwise it calls deny with the reason. It reads the Identity, so
// Auth.Identify must run first.
func (s *Sessions) Require(deny func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return require(s.fail, deny, func(id Identity) error { return id.Session.Err })
}
