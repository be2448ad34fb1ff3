package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"
)

// Strategy names one way of staying logged in.
type Strategy string

// The two strategies.
const (
	StrategySession Strategy = "session"
	StrategyJWT     Strategy = "jwt"
)

// EndReason says why a login ended before its time.
type EndReason string

// The reasons a login ends early.
const (
	EndedByLogout   EndReason = "logout"   // its own logout
	EndedByUser     EndReason = "ended"    // ended from the user's list of logins
	EndedByPassword EndReason = "password" // the user changed their password elsewhere
	EndedEverywhere EndReason = "everywhere"
)

// Login is one sign-in of a user: a server session, or a JWT login, which
// is every token renewed from one password entry (they share its sid). The
// LoginStore is their index: it lets a user see every device they are
// signed in on and end any of them (OWASP ASVS 5.0 7.5.2).
//
// For the session strategy the index only lists what the session store
// holds anyway. For the JWT strategy it is new state: a table of logins
// the server can list and revoke, which is a session by another name.
type Login struct {
	ID       string // opaque and random; names the login in lists and requests, and proves nothing
	UserID   int64
	Strategy Strategy
	// Key is what the strategy knows the login by: the SHA-256 of a
	// session's token (hex), or a JWT login's sid. It is never shown.
	Key     string
	Started time.Time
	// Seen is the last use the server knows of: a session's last-seen
	// time, or a JWT login's last renewal. A request that only presents
	// a JWT leaves no trace on the server.
	Seen time.Time
	// Expires is when the login ends unless used: a session's deadline,
	// or the exp of a JWT login's newest token.
	Expires time.Time
	Agent   string // the User-Agent it logged in with, at most MaxAgent bytes
	Address string // the client address it logged in from
	Ended   time.Time
	EndedBy EndReason
}

// MaxAgent bounds the User-Agent kept with a login.
const MaxAgent = 256

// ErrNoLogin is a LoginStore's answer for a key it does not hold, and the
// answer to ending a login that is not the user's.
var ErrNoLogin = errors.New("auth: no such login")

// ErrLoginEnded says a session cookie names a login the server ended:
// logged out, ended from the list of logins, or by a password change.
var ErrLoginEnded = errors.New("auth: the login was ended")

// LoginStore is the index of logins.
type LoginStore interface {
	// AddLogin records l; for a key it holds already, it records l's Seen
	// and Expires (a renewal).
	AddLogin(ctx context.Context, l Login) error
	// LiveLogins returns userID's logins that have not ended and whose
	// Expires is after now, oldest first.
	LiveLogins(ctx context.Context, userID int64, now time.Time) ([]Login, error)
	// LoginByKey returns the login with key, ended or not, or ErrNoLogin.
	LoginByKey(ctx context.Context, key string) (Login, error)
	// EndLogin marks the login with key ended at the moment given. A login
	// that has ended keeps its first end; a key the store does not hold is
	// no error.
	EndLogin(ctx context.Context, key string, at time.Time, why EndReason) error
	// PruneLogins deletes at most limit logins that expired or ended
	// before the moment given, and returns how many it deleted: fewer
	// than limit means none is left. Each call is one short transaction.
	PruneLogins(ctx context.Context, before time.Time, limit int) (int, error)
}

// sessionKey is what a session token is stored under: its SHA-256. A copy
// of the store then holds nothing a browser could present, and the token
// in the cookie is random enough (256 bits) that no salt or slow hash is
// needed.
func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// loginIndex records logins as both strategies start them.
type loginIndex struct {
	store   LoginStore
	now     Clock
	address func(*http.Request) string
}

// ClientAddress is the default Options.ClientAddress: the host of the
// connection's remote address.
func ClientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// login describes a login of u under strategy, known by key, made by r.
func (li *loginIndex) login(r *http.Request, u User, strategy Strategy, key string, started, expires time.Time) Login {
	agent := r.UserAgent()
	if len(agent) > MaxAgent {
		agent = agent[:MaxAgent]
	}
	return Login{ID: rand.Text(), UserID: u.ID, Strategy: strategy, Key: key,
		Started: started, Seen: started, Expires: expires, Agent: agent, Address: li.address(r)}
}

// start records a new login of u under strategy, known by key, made by r.
func (li *loginIndex) start(r *http.Request, u User, strategy Strategy, key string, started, expires time.Time) error {
	if err := li.store.AddLogin(r.Context(), li.login(r, u, strategy, key, started, expires)); err != nil {
		return fmt.Errorf("auth: record login: %w", err)
	}
	return nil
}

// Logins returns the live logins of the user id is signed in as, newest
// first, with Seen brought up to date from the session records. The
// user is the session's when the session is signed in, else the JWT
// cookie's (see Identity.User); signed in under neither, Logins returns
// ErrNoCredentials.
func (a *Auth) Logins(ctx context.Context, id Identity) ([]Login, error) {
	u, ok := id.User()
	if !ok {
		return nil, ErrNoCredentials
	}
	return a.liveLogins(ctx, u.ID)
}

func (a *Auth) liveLogins(ctx context.Context, userID int64) ([]Login, error) {
	all, err := a.logins.store.LiveLogins(ctx, userID, a.now())
	if err != nil {
		return nil, fmt.Errorf("auth: list logins: %w", err)
	}
	live := all[:0]
	for _, l := range all {
		if l.Strategy == StrategySession {
			rec, ok, err := a.Sessions.recordByKey(l.Key)
			if err != nil {
				return nil, fmt.Errorf("auth: read session: %w", err)
			}
			if !ok {
				continue // timed out: its record is gone
			}
			l.Seen = rec.Seen
			l.Expires = rec.IdleDeadline
		}
		live = append(live, l)
	}
	slices.Reverse(live)
	return live, nil
}

// EndLogin ends userID's login with the given id, whichever strategy it
// is: a session's record is deleted, a JWT login's sid revoked. Another
// user's login, or one that has ended, is ErrNoLogin.
func (a *Auth) EndLogin(ctx context.Context, userID int64, loginID string, why EndReason) (Login, error) {
	all, err := a.liveLogins(ctx, userID)
	if err != nil {
		return Login{}, err
	}
	i := slices.IndexFunc(all, func(l Login) bool { return l.ID == loginID })
	if i < 0 {
		return Login{}, ErrNoLogin
	}
	return all[i], a.end(ctx, all[i], why)
}

// EndLogins ends every live login of userID that keep does not keep, and
// returns the ones it ended.
func (a *Auth) EndLogins(ctx context.Context, userID int64, keep func(Login) bool, why EndReason) ([]Login, error) {
	all, err := a.liveLogins(ctx, userID)
	if err != nil {
		return nil, err
	}
	var ended []Login
	for _, l := range all {
		if keep != nil && keep(l) {
			continue
		}
		if err := a.end(ctx, l, why); err != nil {
			return ended, err
		}
		ended = append(ended, l)
	}
	return ended, nil
}

// end ends l, in the order that leaves nothing live if a step fails: a
// JWT login's sid is revoked before the login is marked ended, so a
// failed revocation leaves it listed for its user to end again; a
// session's login is marked ended before its record is deleted, so a
// write-back in flight finds it ended (expiringStore.Commit).
func (a *Auth) end(ctx context.Context, l Login, why EndReason) error {
	if l.Strategy == StrategyJWT {
		// Every token of the login carries its sid, and none outlives
		// its start plus the lifetime.
		if err := a.Tokens.revoked.revoke(ctx, l.Key, l.Started.Add(a.Tokens.lifetime)); err != nil {
			return err
		}
	}
	if err := a.logins.store.EndLogin(ctx, l.Key, a.now(), why); err != nil {
		return fmt.Errorf("auth: end login: %w", err)
	}
	if l.Strategy == StrategySession {
		return a.Sessions.destroyKey(l.Key)
	}
	return nil
}

// IsCurrent reports whether l is the login one of id's cookies is
// signed in with.
func (id Identity) IsCurrent(l Login) bool {
	switch l.Strategy {
	case StrategySession:
		return id.Session.SignedIn() && id.Session.Key == l.Key
	case StrategyJWT:
		return id.JWT.SignedIn() && id.JWT.Claims.SessionID == l.Key ||
			id.Bearer.SignedIn() && id.Bearer.Claims.SessionID == l.Key
	}
	return false
}

// User returns the user id is signed in as: the session's, else the JWT
// cookie's, else the Bearer token's.
func (id Identity) User() (User, bool) {
	switch {
	case id.Session.SignedIn():
		return id.Session.User, true
	case id.JWT.SignedIn():
		return id.JWT.User, true
	case id.Bearer.SignedIn():
		return id.Bearer.User, true
	}
	return User{}, false
}
