package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/alexedwards/scs/v2"
)

// sessionUserKey is the one value an authlab session holds: the user's id.
// Everything else about the user is looked up on each request, so a change
// to the account (or its deletion) takes effect at once.
const sessionUserKey = "userID"

// scsToken matches the tokens scs makes: 32 random bytes, base64url.
var scsToken = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// SessionConfig sets up Sessions.
type SessionConfig struct {
	Store       scs.Store     // where session records live
	IdleTimeout time.Duration // a session unused this long ends
	Lifetime    time.Duration // a session ends this long after login, however busy
	Secure      bool          // https deployment: Secure cookie with the __Host- prefix
	Clock       Clock         // for the deadlines shown to people; nil means time.Now
	// ErrorFunc answers a request whose session could not be loaded or
	// saved (the store failed). nil leaves scs's plain 500.
	ErrorFunc func(http.ResponseWriter, *http.Request, error)
}

// Sessions is the server-side strategy: the browser holds only a random
// token in a cookie, and the server keeps the record it names. Logging out
// deletes the record, so the token stops working everywhere at once.
type Sessions struct {
	mgr   *scs.SessionManager
	users *Users
	now   Clock
}

// NewSessions returns the session strategy over cfg.Store.
func NewSessions(cfg SessionConfig, users *Users) *Sessions {
	mgr := scs.New()
	mgr.Store = cfg.Store
	mgr.IdleTimeout = cfg.IdleTimeout
	mgr.Lifetime = cfg.Lifetime
	mgr.Cookie.Name = CookieName("authlab_session", cfg.Secure)
	mgr.Cookie.HttpOnly = true
	mgr.Cookie.SameSite = http.SameSiteLaxMode
	mgr.Cookie.Secure = cfg.Secure
	mgr.Cookie.Path = "/"
	// No Expires on the cookie: the browser keeps it until it closes and the
	// server alone decides when the session has ended, so it can say why.
	mgr.Cookie.Persist = false
	if cfg.ErrorFunc != nil {
		mgr.ErrorFunc = cfg.ErrorFunc
	}
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	return &Sessions{mgr: mgr, users: users, now: now}
}

// CookieName is the session cookie's name.
func (s *Sessions) CookieName() string { return s.mgr.Cookie.Name }

// IdleTimeout is how long an unused session lasts. The /learn pages quote
// it; reading it from the manager that enforces it means what they show
// cannot drift from what happens.
func (s *Sessions) IdleTimeout() time.Duration { return s.mgr.IdleTimeout }

// Lifetime is how long after login a session ends however busy it is;
// quoted by the /learn pages for the same reason as IdleTimeout.
func (s *Sessions) Lifetime() time.Duration { return s.mgr.Lifetime }

// LoadAndSave is the middleware that loads the session named by the cookie
// before the handler runs and saves it, with its cookie, after.
func (s *Sessions) LoadAndSave(next http.Handler) http.Handler { return s.mgr.LoadAndSave(next) }

// Login makes u the session's user. It issues a new token first, so a token
// planted in the browser before login (session fixation) never becomes a
// signed-in one.
func (s *Sessions) Login(ctx context.Context, u User) error {
	if err := s.mgr.RenewToken(ctx); err != nil {
		return fmt.Errorf("auth: renew session token: %w", err)
	}
	s.mgr.Put(ctx, sessionUserKey, u.ID)
	return nil
}

// Logout deletes the server-side record and expires the cookie. The old
// token is then worthless: a copy replayed later finds no record.
func (s *Sessions) Logout(ctx context.Context) error {
	if err := s.mgr.Destroy(ctx); err != nil {
		return fmt.Errorf("auth: destroy session: %w", err)
	}
	return nil
}

// Current returns the user signed in by r's session, or an error that
// ReasonFor explains: no cookie, a cookie scs never made, a token with no
// live record (idle, past its lifetime, or logged out), or a user who no
// longer exists.
func (s *Sessions) Current(r *http.Request) (User, error) {
	c, err := r.Cookie(s.mgr.Cookie.Name)
	if err != nil || c.Value == "" {
		return User{}, ErrNoCredentials
	}
	id := s.mgr.GetInt64(r.Context(), sessionUserKey)
	if id == 0 {
		if !scsToken.MatchString(c.Value) {
			return User{}, ErrMalformed
		}
		return User{}, ErrSessionEnded
	}
	u, err := s.users.ByID(r.Context(), id)
	if errors.Is(err, ErrNoUser) {
		return User{}, ErrUnknownUser
	}
	return u, err
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
	// Size is the number of bytes the store keeps for this session.
	Size int
}

// Record describes the session loaded for ctx; call it only after Current
// succeeded.
func (s *Sessions) Record(ctx context.Context) SessionRecord {
	deadline := s.mgr.Deadline(ctx)
	idle := s.now().Add(s.mgr.IdleTimeout).UTC()
	if idle.After(deadline) {
		idle = deadline
	}
	id := s.mgr.GetInt64(ctx, sessionUserKey)
	b, err := s.mgr.Codec.Encode(deadline, map[string]any{sessionUserKey: id})
	if err != nil {
		b = nil
	}
	return SessionRecord{UserID: id, IdleDeadline: idle, Deadline: deadline, Size: len(b)}
}

// Require lets a request through only with a signed-in session, putting the
// user in its context (see UserFrom); otherwise it calls deny.
func (s *Sessions) Require(deny func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, err := s.Current(r)
			if err != nil {
				deny(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithUser(r.Context(), u)))
		})
	}
}
