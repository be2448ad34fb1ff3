// Package auth holds the two ways authlab keeps a user logged in, side by
// side: a server-side session (sessions.go) and a signed JWT in a cookie
// (tokens.go). Both rest on the same users and passwords (users.go,
// password.go). The package knows nothing of routing or HTML, so it can be
// copied into another net/http application as it is.
package auth

import (
	"context"
	"errors"
	"time"
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
	case errors.Is(err, ErrTokenRevoked):
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

type ctxKey int

const userKey ctxKey = iota

// WithUser returns a copy of ctx that carries the signed-in user.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// UserFrom returns the user put in ctx by a Require middleware.
func UserFrom(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(userKey).(User)
	return u, ok
}

// CookieName returns the name of an authlab cookie for a deployment: behind
// https the name carries the __Host- prefix, which browsers accept only on a
// Secure cookie with Path=/ and no Domain, so no subdomain can plant or
// overwrite it.
func CookieName(base string, secure bool) string {
	if secure {
		return "__Host-" + base
	}
	return base
}
