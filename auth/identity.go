package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Identity is who one request is under each strategy, worked out once by
// Auth.Identify before any handler runs. It is a value: a handler that logs
// in or out gets the new state from the strategy's Login or Logout rather
// than asking the request again.
type Identity struct {
	At      time.Time    // when the credentials were checked, by the Auth's clock
	Session SessionState // the session cookie
	JWT     TokenState   // the JWT cookie
	Bearer  TokenState   // the Authorization: Bearer header
}

// SessionState is what a request's session cookie proved.
type SessionState struct {
	User   User
	Err    error         // nil when signed in; ReasonFor says why not
	Record SessionRecord // the record the cookie names, when signed in
	Key    string        // the SHA-256 the record is stored under, when signed in
}

// SignedIn reports whether the session names a live record of a known user.
func (s SessionState) SignedIn() bool { return s.Err == nil }

// TokenState is what a JWT, from the cookie or the Authorization header,
// proved.
type TokenState struct {
	User User
	Err  error // nil when signed in; ReasonFor says why not
	// Claims are the verified claims: set when Err is nil, and also when
	// the token is genuine but names a user who no longer exists.
	Claims *Claims
	Raw    string // the token as presented; "" when there was none
}

// SignedIn reports whether the token verified and names a known user.
func (t TokenState) SignedIn() bool { return t.Err == nil }

type ctxKey int

const identityKey ctxKey = iota

// IdentityFrom returns the Identity that Auth.Identify put in ctx. Without
// one, ok is false and every state holds ErrNotIdentified: a zero state has
// a nil Err, which reads as signed in, so code that ignores ok must still
// find nobody signed in.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey).(*Identity)
	if !ok {
		return Identity{
			Session: SessionState{Err: ErrNotIdentified},
			JWT:     TokenState{Err: ErrNotIdentified},
			Bearer:  TokenState{Err: ErrNotIdentified},
		}, false
	}
	return *id, true
}

func withIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey, &id)
}

// Identify is the middleware that checks every credential a request
// carries, once: the session cookie, the JWT cookie and a Bearer header.
// Everything after it (Tokens.Renew, the Require middlewares, handlers)
// reads the result with IdentityFrom instead of checking again. It must
// run inside Sessions.LoadAndSave.
func (a *Auth) Identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.Sessions.loaded(r.Context()) {
			a.Sessions.fail(w, r, ErrSessionNotLoaded)
			return
		}
		users := &userMemo{users: a.Users}
		id := Identity{At: a.now()}
		id.Session = a.Sessions.current(r, users.byID)
		id.JWT = a.Tokens.fromCookie(r, users.byID)
		id.Bearer = a.Tokens.fromHeader(r, users.byID)
		// A user store that failed says nothing about the credentials:
		// answering as if signed out would send a signed-in user to login.
		if users.err != nil && !errors.Is(users.err, ErrNoUser) {
			a.Sessions.fail(w, r, fmt.Errorf("auth: look up user: %w", users.err))
			return
		}
		next.ServeHTTP(w, r.WithContext(withIdentity(r.Context(), id)))
	})
}

// userMemo looks a user up once per request: a browser signed in under
// both strategies names the same user twice.
type userMemo struct {
	users *Users
	id    int64
	user  User
	err   error
}

func (m *userMemo) byID(ctx context.Context, id int64) (User, error) {
	if m.id != id || m.id == 0 {
		m.id = id
		m.user, m.err = m.users.byID(ctx, id)
	}
	return m.user, m.err
}

// require is the shape of both strategies' Require: pass a request whose
// Identity satisfies pick, deny the rest, and fail one that was never
// identified.
func require(fail, deny func(http.ResponseWriter, *http.Request, error), pick func(Identity) error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, ok := IdentityFrom(r.Context())
			if !ok {
				fail(w, r, ErrNotIdentified)
				return
			}
			if err := pick(id); err != nil {
				deny(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// unknownUser turns a store's "no such user" into the reason a client sees.
func unknownUser(err error) error {
	if errors.Is(err, ErrNoUser) {
		return ErrUnknownUser
	}
	return err
}
