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

// The values a session record holds: the user's id, when they logged in,
// and when the session was last seen (Unix milliseconds). Everything else
// about the user is looked up on each request, so a change to the account
// (or its deletion) takes effect at once.
const (
	sessionUserKey  = "userID"
	sessionLoginKey = "login"
	sessionSeenKey  = "seen"
)

// scsToken matches the tokens scs makes: 32 random bytes, base64url.
var scsToken = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// Sessions is the server-side strategy: the browser holds only a random
// token in a cookie, and the server keeps the record it names. Logging out
// deletes the record, so the token stops working everywhere at once.
//
// The idle timeout is enforced here rather than by scs, whose own idle
// handling writes the record back on every request. A record keeps when
// it was last seen, and a request writes it back only when that has moved
// by more than the step (a tenth of the idle timeout, a minute at most):
// a busy session costs one store write a step, and the idle timeout holds
// to within one step, never longer than set.
type Sessions struct {
	mgr      *scs.SessionManager
	store    scs.Store // the store itself, keyed by sessionKey
	logins   *loginIndex
	now      Clock
	idle     time.Duration
	lifetime time.Duration
	step     time.Duration
	fail     func(http.ResponseWriter, *http.Request, error)
}

// idleStep is how far the last-seen time may lag before a request writes
// it back.
func idleStep(idle time.Duration) time.Duration { return min(idle/10, time.Minute) }

func newSessions(opts Options, logins *loginIndex) *Sessions {
	s := &Sessions{store: opts.SessionStore, logins: logins, now: opts.Clock, idle: opts.IdleTimeout,
		lifetime: opts.Lifetime, step: idleStep(opts.IdleTimeout), fail: opts.ErrorFunc}
	mgr := scs.New()
	mgr.Store = &expiringStore{store: opts.SessionStore, s: s}
	mgr.Codec = recordCodec{}
	// scs keeps the absolute lifetime too, as the row's latest expiry; the
	// idle timeout is this type's (see Sessions).
	mgr.Lifetime = opts.Lifetime
	mgr.Cookie.Name = cookieName(opts.SessionCookie, opts.Secure)
	mgr.Cookie.HttpOnly = true
	mgr.Cookie.SameSite = http.SameSiteLaxMode
	mgr.Cookie.Secure = opts.Secure
	mgr.Cookie.Path = "/"
	// No Expires on the cookie: the browser keeps it until it closes and the
	// server alone decides when the session has ended, so it can say why.
	mgr.Cookie.Persist = false
	mgr.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		answerOnce(w, r, err, opts.ErrorFunc)
	}
	s.mgr = mgr
	return s
}

// expiringStore is the store as scs sees it. It keys every record by the
// SHA-256 of its token (sessionKey), so the store never holds a token a
// browser could present. It gives each record the expiry its own times
// call for, the idle deadline or the end of its lifetime, whichever comes
// first, so the store drops a session that sat idle without being told.
// And it never writes back the record of a login that was ended while a
// request using it was in flight, which would bring the session back.
//
// It is an scs.CtxStore, so scs hands it the request's context, which it
// passes on to a store that takes one (the PostgreSQL store stops waiting
// when the client goes away).
type expiringStore struct {
	store scs.Store
	s     *Sessions
}

var _ scs.CtxStore = (*expiringStore)(nil)

func (e *expiringStore) Find(token string) ([]byte, bool, error) {
	return e.FindCtx(context.Background(), token)
}

func (e *expiringStore) Delete(token string) error {
	return e.DeleteCtx(context.Background(), token)
}

func (e *expiringStore) Commit(token string, b []byte, expiry time.Time) error {
	return e.CommitCtx(context.Background(), token, b, expiry)
}

func (e *expiringStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if cs, ok := e.store.(scs.CtxStore); ok {
		return cs.FindCtx(ctx, sessionKey(token))
	}
	return e.store.Find(sessionKey(token))
}

func (e *expiringStore) DeleteCtx(ctx context.Context, token string) error {
	return e.delete(ctx, sessionKey(token))
}

func (e *expiringStore) delete(ctx context.Context, key string) error {
	if cs, ok := e.store.(scs.CtxStore); ok {
		return cs.DeleteCtx(ctx, key)
	}
	return e.store.Delete(key)
}

// CommitCtx writes the record first and then looks its login up: ending
// a login marks it ended and then deletes the record, so whichever way
// the two interleave, a record written back for an ended login is deleted
// again here or by the end.
func (e *expiringStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	key := sessionKey(token)
	if _, values, err := (recordCodec{}).Decode(b); err == nil {
		if end, ok := e.s.end(values); ok && end.Before(expiry) {
			expiry = end
		}
	}
	var err error
	if cs, ok := e.store.(scs.CtxStore); ok {
		err = cs.CommitCtx(ctx, key, b, expiry)
	} else {
		err = e.store.Commit(key, b, expiry)
	}
	if err != nil {
		return err
	}
	l, err := e.s.logins.store.LoginByKey(ctx, key)
	switch {
	case err == nil && !l.Ended.IsZero():
		return e.delete(ctx, key)
	case err != nil && !errors.Is(err, ErrNoLogin):
		// Unable to tell whether the login was ended, the record does
		// not stay.
		return errors.Join(fmt.Errorf("auth: look up login: %w", err), e.delete(ctx, key))
	}
	return nil
}

// end is when the session whose record holds values ends, unless a
// request comes first.
func (s *Sessions) end(values map[string]any) (time.Time, bool) {
	seen, ok1 := values[sessionSeenKey].(int64)
	login, ok2 := values[sessionLoginKey].(int64)
	if !ok1 || !ok2 {
		return time.Time{}, false
	}
	return earliest(time.UnixMilli(seen).Add(s.idle), time.UnixMilli(login).Add(s.lifetime)), true
}

func (s *Sessions) cookieName() string { return s.mgr.Cookie.Name }

// LoadAndSave is the middleware that loads the session named by the cookie
// before the handler runs and saves it, with its cookie, after.
//
// scs saves the session when the handler first writes its status, and
// answers a failed save through Options.ErrorFunc right there; the
// handler, which cannot know, then goes on to write its own answer after
// the error's. LoadAndSave makes the error the whole response: once
// ErrorFunc has answered, whatever the handler writes is dropped.
func (s *Sessions) LoadAndSave(next http.Handler) http.Handler {
	save := s.mgr.LoadAndSave(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		save.ServeHTTP(&answerWriter{ResponseWriter: w}, r)
	})
}

// answerWriter passes a response on until an error has answered the
// request, and drops everything after that.
type answerWriter struct {
	http.ResponseWriter
	answered bool
}

func (aw *answerWriter) WriteHeader(status int) {
	if !aw.answered {
		aw.ResponseWriter.WriteHeader(status)
	}
}

func (aw *answerWriter) Write(b []byte) (int, error) {
	if aw.answered {
		return len(b), nil
	}
	return aw.ResponseWriter.Write(b)
}

func (aw *answerWriter) Unwrap() http.ResponseWriter { return aw.ResponseWriter }

// answerOnce answers err with fail, as the whole response when w is
// LoadAndSave's writer: a second failure of the same request (the
// handler's error answer, whose status triggers the save that fails
// too) is not answered again, and headers the handler set for its own
// answer (a cookie, a redirect) are not sent with the error.
func answerOnce(w http.ResponseWriter, r *http.Request, err error, fail func(http.ResponseWriter, *http.Request, error)) {
	aw, ok := w.(*answerWriter)
	if !ok {
		fail(w, r, err)
		return
	}
	if aw.answered {
		return
	}
	h := aw.Header()
	h.Del("Set-Cookie")
	h.Del("Location")
	fail(aw, r, err)
	aw.answered = true
}

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

// Login makes u the session's user, records the login, and returns the
// new state. It issues a new token first, so a token planted in the
// browser before login (session fixation) never becomes a signed-in one.
func (s *Sessions) Login(r *http.Request, u User) (SessionState, error) {
	ctx := r.Context()
	if err := s.mgr.RenewToken(ctx); err != nil {
		return SessionState{Err: ErrNoCredentials}, fmt.Errorf("auth: renew session token: %w", err)
	}
	// The login is listed before the session holds its user: a session
	// whose listing failed must not be saved signed in, where its user
	// could never see or end it.
	now := s.now()
	key := sessionKey(s.mgr.Token(ctx))
	rec := s.record(u.ID, now, now)
	if err := s.logins.start(r, u, StrategySession, key, now, rec.Deadline); err != nil {
		return SessionState{Err: ErrNoCredentials}, err
	}
	s.mgr.Put(ctx, sessionUserKey, u.ID)
	s.mgr.Put(ctx, sessionLoginKey, now.UnixMilli())
	s.mgr.Put(ctx, sessionSeenKey, now.UnixMilli())
	return SessionState{User: u, Record: rec, Key: key}, nil
}

// Logout deletes the server-side record, marks its login ended and
// expires the cookie. The old token is then worthless: a copy replayed
// later finds no record, and is told the session was ended.
func (s *Sessions) Logout(ctx context.Context) (SessionState, error) {
	if token := s.mgr.Token(ctx); token != "" {
		if err := s.logins.store.EndLogin(ctx, sessionKey(token), s.now(), EndedByLogout); err != nil {
			return SessionState{Err: ErrNoCredentials}, fmt.Errorf("auth: end login: %w", err)
		}
	}
	if err := s.mgr.Destroy(ctx); err != nil {
		return SessionState{Err: ErrNoCredentials}, fmt.Errorf("auth: destroy session: %w", err)
	}
	return SessionState{Err: ErrNoCredentials}, nil
}

// recordByKey reads the record stored under key, if it is live.
func (s *Sessions) recordByKey(key string) (SessionRecord, bool, error) {
	b, ok, err := s.store.Find(key)
	if err != nil || !ok {
		return SessionRecord{}, false, err
	}
	_, values, err := s.mgr.Codec.Decode(b)
	if err != nil {
		return SessionRecord{}, false, err
	}
	id, _ := values[sessionUserKey].(int64)
	login, _ := values[sessionLoginKey].(int64)
	seen, _ := values[sessionSeenKey].(int64)
	rec := s.record(id, time.UnixMilli(login), time.UnixMilli(seen))
	return rec, s.now().Before(rec.IdleDeadline), nil
}

// destroyKey deletes the record stored under key: the session ends
// wherever its cookie is.
func (s *Sessions) destroyKey(key string) error {
	if err := s.store.Delete(key); err != nil {
		return fmt.Errorf("auth: delete session: %w", err)
	}
	return nil
}

// current works out what r's session cookie proves: no cookie, a cookie
// scs never made, a token with no live record (idle, past its lifetime, or
// logged out), a user who no longer exists, or a signed-in user. A live
// session last seen more than a step ago is marked seen now, which scs
// saves as the response goes out.
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
		// The index says whether the server ended the login or the
		// record simply timed out.
		l, err := s.logins.store.LoginByKey(ctx, sessionKey(c.Value))
		if err == nil && !l.Ended.IsZero() {
			return SessionState{Err: ErrLoginEnded}
		}
		return SessionState{Err: ErrSessionEnded}
	}
	now := s.now()
	login := time.UnixMilli(s.mgr.GetInt64(ctx, sessionLoginKey))
	seen := time.UnixMilli(s.mgr.GetInt64(ctx, sessionSeenKey))
	rec := s.record(id, login, seen)
	if !now.Before(rec.IdleDeadline) {
		return SessionState{Err: ErrSessionEnded}
	}
	u, err := byID(ctx, id)
	if err != nil {
		return SessionState{Err: unknownUser(err)}
	}
	if now.Sub(seen) >= s.step {
		s.mgr.Put(ctx, sessionSeenKey, now.UnixMilli())
		rec = s.record(id, login, now)
	}
	return SessionState{User: u, Record: rec, Key: sessionKey(c.Value)}
}

// SessionRecord is what the server keeps for a signed-in session, with the
// two moments at which it ends unless something happens first.
type SessionRecord struct {
	UserID int64
	Login  time.Time // when the user logged in
	Seen   time.Time // the last request the record remembers
	// IdleDeadline is when the session ends if no request uses it: Seen
	// plus the idle timeout, or Deadline if that comes first.
	IdleDeadline time.Time
	// Deadline is when the session ends however active it is.
	Deadline time.Time
}

func (s *Sessions) record(userID int64, login, seen time.Time) SessionRecord {
	deadline := login.Add(s.lifetime).UTC()
	return SessionRecord{UserID: userID, Login: login.UTC(), Seen: seen.UTC(),
		IdleDeadline: earliest(seen.Add(s.idle).UTC(), deadline), Deadline: deadline}
}

// RecordSize is the number of bytes the store keeps for rec: the pages
// that compare the strategies show it. Every value of a record is an int64
// of fixed width, so every record is the same size.
func (s *Sessions) RecordSize(SessionRecord) int { return recordSize }

// recordSize is the length of recordCodec's encoding of a session record.
var recordSize = encodedSize(sessionUserKey, sessionLoginKey, sessionSeenKey)

// Require lets a request through only with a signed-in session;
// otherwise it calls deny with the reason. It reads the Identity, so
// Auth.Identify must run first.
func (s *Sessions) Require(deny func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return require(s.fail, deny, func(id Identity) error { return id.Session.Err })
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
