// Package auth keeps a user logged in two ways at once, side by side: a
// server-side session (sessions.go) and a signed JWT in a cookie
// (tokens.go). Both rest on the same users and passwords (users.go,
// password.go). The package knows nothing of routing or HTML, so it can be
// copied into any net/http application.
//
// Wiring it in takes three middlewares, in this order, and a store for
// each kind of state:
//
//	a, err := auth.New(ctx, auth.Options{
//		Users: db, SessionStore: db.SessionStore(), Revocations: db,
//		Key: key, // at least MinKeyLen random bytes
//	})
//	r := chi.NewRouter()
//	r.Use(a.Sessions.LoadAndSave) // loads and saves the session record
//	r.Use(a.Identify)             // checks every credential once, into an Identity
//	r.Use(a.Tokens.Renew)         // swaps an ageing JWT cookie for a fresh one
//	r.With(a.Sessions.Require(toLogin)).Get("/dashboard", dashboard)
//	// handlers read auth.IdentityFrom(r.Context())
//
// A middleware mounted without the one it depends on answers through
// Options.ErrorFunc with ErrNotIdentified or ErrSessionNotLoaded, naming
// what is missing, rather than panicking.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
)

// Reason says why a request is not signed in under a strategy. The values
// are part of authlab's JSON API and appear on the compare page.
type Reason string

// The reasons a strategy can give. An empty Reason means signed in.
const (
	ReasonMissing      Reason = "missing"
	ReasonMalformed    Reason = "malformed"
	ReasonBadSignature Reason = "bad_signature"
	ReasonExpired      Reason = "expired"
	ReasonNotYetValid  Reason = "not_yet_valid"
	ReasonRevoked      Reason = "revoked"
	ReasonUnknownUser  Reason = "unknown_user"
)

// Sentinel errors returned by the strategies. Each maps to one Reason, so
// handlers can branch with errors.Is and the API can report why.
var (
	ErrNoCredentials = errors.New("auth: no credentials presented")
	ErrMalformed     = errors.New("auth: credentials are malformed")
	ErrBadSignature  = errors.New("auth: token signature is invalid")
	ErrExpired       = errors.New("auth: credentials have expired")
	ErrNotYetValid   = errors.New("auth: token is not valid yet")
	ErrTokenRevoked  = errors.New("auth: token has been revoked")
	ErrUnknownUser   = errors.New("auth: credentials name an unknown user")
	ErrSessionEnded  = errors.New("auth: no live session for this cookie")
)

// ErrStoreUnavailable marks a store error that says nothing about the
// credentials: the store could not be reached. A store wraps it, so an
// application can answer 503 rather than 500.
var ErrStoreUnavailable = errors.New("auth: the store cannot be reached")

// Errors for a program that wired the package wrongly. They reach
// Options.ErrorFunc, or New's caller, never a client.
var (
	ErrKeyTooShort      = fmt.Errorf("auth: the JWT key must be at least %d bytes", MinKeyLen)
	ErrNotIdentified    = errors.New("auth: no Identity in the request: mount Auth.Identify before this middleware or handler")
	ErrSessionNotLoaded = errors.New("auth: no session loaded: mount Sessions.LoadAndSave before Auth.Identify")
)

// ReasonFor maps an error from Sessions or Tokens to the Reason reported to
// clients; it returns "" for nil. Any error it does not know counts as
// malformed credentials.
func ReasonFor(err error) Reason {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNoCredentials):
		return ReasonMissing
	case errors.Is(err, ErrBadSignature):
		return ReasonBadSignature
	case errors.Is(err, ErrExpired), errors.Is(err, ErrSessionEnded):
		return ReasonExpired
	case errors.Is(err, ErrNotYetValid):
		return ReasonNotYetValid
	case errors.Is(err, ErrTokenRevoked), errors.Is(err, ErrLoginEnded):
		return ReasonRevoked
	case errors.Is(err, ErrUnknownUser):
		return ReasonUnknownUser
	default:
		return ReasonMalformed
	}
}

// Clock returns the current time. Tests pass a fake one to move time
// without sleeping.
type Clock func() time.Time

// Defaults for the zero fields of Options.
const (
	DefaultIdleTimeout   = 30 * time.Minute
	DefaultLifetime      = 24 * time.Hour
	DefaultTokenTTL      = 15 * time.Minute
	DefaultIssuer        = "authlab"
	DefaultSessionCookie = "authlab_session"
	DefaultTokenCookie   = "authlab_token"
)

// Options configure New. The stores and the key are required; every other
// zero field takes the default named beside it.
type Options struct {
	Users        UserStore       // accounts
	SessionStore scs.Store       // session records
	Revocations  RevocationStore // revoked JWT ids
	Logins       LoginStore      // the index of both strategies' logins
	Throttle     ThrottleStore   // failed logins and signups, for throttling
	// Key is the HMAC-SHA256 key, at least MinKeyLen bytes (ErrKeyTooShort);
	// or Keys gives several, for rotation (StaticKeys, OpenKeyFile).
	Key  []byte
	Keys KeySet

	Hasher *Hasher // password hashing; default NewHasher(DefaultParams, 0)

	IdleTimeout time.Duration // an unused session ends; default DefaultIdleTimeout
	Lifetime    time.Duration // a login ends however busy, under both strategies; default DefaultLifetime
	TokenTTL    time.Duration // lifetime of one JWT; default DefaultTokenTTL

	Issuer        string // the JWTs' iss and aud; default DefaultIssuer
	SessionCookie string // base name of the session cookie; default DefaultSessionCookie
	TokenCookie   string // base name of the JWT cookie; default DefaultTokenCookie
	// Secure marks an https deployment: cookies are Secure and their names
	// carry the __Host- prefix.
	Secure bool

	Clock Clock // the one time source of both strategies; default time.Now
	// ClientAddress names the client of a request, for throttling and the
	// list of logins; default ClientAddress, the connection's address.
	// Behind a proxy, pass a function that believes only the proxy's
	// X-Forwarded-For.
	ClientAddress func(*http.Request) string
	// ErrorFunc answers a request that failed for a reason of the server's:
	// a session store that could not load or save, or a middleware mounted
	// without the one it needs. Default: a plain 500.
	ErrorFunc func(http.ResponseWriter, *http.Request, error)
}

// Auth is both strategies over one set of users and one clock.
type Auth struct {
	Users    *Users
	Sessions *Sessions
	Tokens   *Tokens
	now      Clock
	logins   *loginIndex
	throttle *throttle
	address  func(*http.Request) string
}

// New checks opts, loads the revocation list and returns both strategies.
func New(ctx context.Context, opts Options) (*Auth, error) {
	if opts.Users == nil || opts.SessionStore == nil || opts.Revocations == nil || opts.Logins == nil || opts.Throttle == nil {
		return nil, errors.New("auth: Options.Users, SessionStore, Revocations, Logins and Throttle are required")
	}
	if opts.Keys != nil && opts.Key != nil {
		return nil, errors.New("auth: set Options.Key or Options.Keys, not both")
	}
	if opts.Keys == nil {
		keys, err := StaticKeys(opts.Key)
		if err != nil {
			return nil, err
		}
		opts.Keys = keys
	}
	if opts.IdleTimeout < 0 || opts.Lifetime < 0 || opts.TokenTTL < 0 {
		return nil, errors.New("auth: timeouts must not be negative")
	}
	if opts.Hasher == nil {
		opts.Hasher = NewHasher(DefaultParams, 0)
	}
	opts.IdleTimeout = orDefault(opts.IdleTimeout, DefaultIdleTimeout)
	opts.Lifetime = orDefault(opts.Lifetime, DefaultLifetime)
	opts.TokenTTL = orDefault(opts.TokenTTL, DefaultTokenTTL)
	opts.Issuer = orDefault(opts.Issuer, DefaultIssuer)
	opts.SessionCookie = orDefault(opts.SessionCookie, DefaultSessionCookie)
	opts.TokenCookie = orDefault(opts.TokenCookie, DefaultTokenCookie)
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.ClientAddress == nil {
		opts.ClientAddress = ClientAddress
	}
	if opts.ErrorFunc == nil {
		opts.ErrorFunc = func(w http.ResponseWriter, _ *http.Request, _ error) {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}
	}

	users := newUsers(opts.Users, opts.Hasher)
	revoked, err := loadRevocations(ctx, opts.Revocations, opts.Clock)
	if err != nil {
		return nil, err
	}
	logins := &loginIndex{store: opts.Logins, now: opts.Clock, address: opts.ClientAddress}
	return &Auth{
		Users:    users,
		Sessions: newSessions(opts, logins),
		Tokens:   newTokens(opts, revoked, logins),
		now:      opts.Clock,
		logins:   logins,
		throttle: newThrottle(opts.Throttle, opts.Clock),
		address:  opts.ClientAddress,
	}, nil
}

// Authenticate checks username and password as Users.Authenticate does,
// throttled (see FreeFailures): an attempt made too soon is a
// *ThrottledError, refused before any hashing, whether the account
// exists or not. r names the client.
func (a *Auth) Authenticate(r *http.Request, username, password string) (User, error) {
	ctx := r.Context()
	return a.throttle.login(ctx, throttleAccount(username), a.address(r), func() (User, error) {
		return a.Users.Authenticate(ctx, username, password)
	})
}

// SignUp creates an account as Users.SignUp does, at most AddressSignups
// an address in AddressWindow; past that it is a *ThrottledError.
func (a *Auth) SignUp(r *http.Request, username, password string) (User, error) {
	ctx := r.Context()
	return a.throttle.signup(ctx, a.address(r), func() (User, error) {
		return a.Users.SignUp(ctx, username, password)
	})
}

// ChangePassword sets u's password to next once current is proved,
// throttled as a login is (a stolen session must not become a way to
// guess the password). next follows the signup rules. It changes the
// password only: ending the user's other logins (ASVS 5.0 7.4.3) is
// EndLogins' job, so the caller decides which to keep.
func (a *Auth) ChangePassword(r *http.Request, u User, current, next string) error {
	if _, err := a.Authenticate(r, u.Username, current); err != nil {
		return err
	}
	return a.Users.setPassword(r.Context(), u, next)
}

// Cleanup deletes what no check needs any more: ended revocations, from
// memory and from the store, ended and expired logins, and throttling
// entries that no longer count. Run it now and then; the session store's
// own cleanup handles sessions. Each store deletes in batches of
// cleanupBatch, each a short transaction, with a pause between them, so
// a cleanup with a million rows to delete never holds the database for
// long: a request that needs to write waits for one batch at most.
// ClientAddress names r's client as Options.ClientAddress does: the
// address throttling counts and the list of logins shows.
func (a *Auth) ClientAddress(r *http.Request) string { return a.address(r) }

func (a *Auth) Cleanup(ctx context.Context) error {
	a.Tokens.revoked.prune()
	now := a.now()
	if err := inBatches(ctx, func(limit int) (int, error) {
		return a.Tokens.revoked.store.PruneRevocations(ctx, now.Add(-maxLeeway), limit)
	}); err != nil {
		return fmt.Errorf("auth: prune revocations: %w", err)
	}
	if err := inBatches(ctx, func(limit int) (int, error) {
		return a.logins.store.PruneLogins(ctx, now.Add(-a.Sessions.lifetime), limit)
	}); err != nil {
		return fmt.Errorf("auth: prune logins: %w", err)
	}
	before := a.throttle.pruneBefore()
	if err := inBatches(ctx, func(limit int) (int, error) {
		return a.throttle.store.PruneThrottle(ctx, before, now.Add(-KnownFor), limit)
	}); err != nil {
		return fmt.Errorf("auth: prune throttling: %w", err)
	}
	return nil
}

// inBatches calls prune with cleanupBatch until it deletes fewer rows
// than that, pausing between calls so that writers waiting for the
// database get it, or until ctx ends.
func inBatches(ctx context.Context, prune func(limit int) (int, error)) error {
	for {
		n, err := prune(cleanupBatch)
		if err != nil || n < cleanupBatch {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(batchPause):
		}
	}
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// cleanupBatch is how many rows one delete of a cleanup removes, and
// batchPause the rest between two deletes.
const (
	cleanupBatch = 1000
	batchPause   = time.Millisecond
)

// FollowRevocations keeps this instance's revocation list in step with the
// others' until ctx ends, when the revocation store is a RevocationFeed
// (shared by several instances); with any other store it returns at once.
// Run it in its own goroutine.
func (a *Auth) FollowRevocations(ctx context.Context) { a.Tokens.revoked.follow(ctx) }

// Settings are the values the strategies run with, for pages that explain
// them; reading them here means what they show cannot drift from what
// happens.
type Settings struct {
	SessionCookie string
	TokenCookie   string
	IdleTimeout   time.Duration
	// IdleStep is how far a session's last-seen time, and so its idle
	// deadline, may lag behind its last request (see Sessions).
	IdleStep time.Duration
	Lifetime time.Duration
	TokenTTL time.Duration
	Issuer   string
}

// Settings returns the values a is running with.
func (a *Auth) Settings() Settings {
	return Settings{
		SessionCookie: a.Sessions.cookieName(),
		TokenCookie:   a.Tokens.cookie,
		IdleTimeout:   a.Sessions.idle,
		IdleStep:      a.Sessions.step,
		Lifetime:      a.Sessions.lifetime,
		TokenTTL:      a.Tokens.ttl,
		Issuer:        a.Tokens.issuer,
	}
}

// cookieName returns the name of a cookie for a deployment: behind https
// it carries the __Host- prefix, which browsers accept only on a Secure
// cookie with Path=/ and no Domain, so no subdomain can plant or
// overwrite it.
func cookieName(base string, secure bool) string {
	if secure {
		return "__Host-" + base
	}
	return base
}
