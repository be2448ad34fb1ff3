package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is the iss and aud of every authlab token.
const Issuer = "authlab"

// MaxLeeway is the most clock skew tolerated on exp, nbf and iat. Tokens
// with a short TTL get less: a tenth of the TTL, so a 4 s token used in a
// test or a demo really ends near its exp.
const MaxLeeway = 30 * time.Second

func leeway(ttl time.Duration) time.Duration { return min(MaxLeeway, ttl/10) }

// MinKeyLen is the shortest HMAC key accepted: HS256 wants at least as many
// key bytes as the hash has output.
const MinKeyLen = 32

// Claims are the claims of an authlab token. AuthTime is when the user
// typed their password; renewal never extends a token past AuthTime plus
// the session lifetime. SessionID names the login: every token renewed
// from it carries the same one, so logout can revoke them all at once,
// including copies made before a renewal.
type Claims struct {
	jwt.RegisteredClaims
	AuthTime  *jwt.NumericDate `json:"auth_time"`
	SessionID string           `json:"sid"`
}

// UserID returns the subject as a user id.
func (c *Claims) UserID() int64 {
	id, _ := strconv.ParseInt(c.Subject, 10, 64)
	return id
}

// TokenConfig sets up Tokens.
type TokenConfig struct {
	Key      []byte        // HMAC-SHA256 key, at least MinKeyLen bytes
	TTL      time.Duration // lifetime of one token
	Lifetime time.Duration // no renewal reaches past login + Lifetime
	Secure   bool          // https deployment: Secure cookie with the __Host- prefix
	Clock    Clock         // nil means time.Now
}

// Tokens is the JWT strategy: the browser holds a signed token that says
// who the user is and until when, and the server checks the signature
// instead of looking anything up. Logging out can only add the token's id
// to a revocation list that every later check consults.
type Tokens struct {
	key      []byte
	ttl      time.Duration
	lifetime time.Duration
	secure   bool
	now      Clock
	cookie   string
	parser   *jwt.Parser
	users    *Users
	revoked  *Revocations
}

// NewTokens returns the JWT strategy.
func NewTokens(cfg TokenConfig, users *Users, revoked *Revocations) (*Tokens, error) {
	if len(cfg.Key) < MinKeyLen {
		return nil, fmt.Errorf("auth: JWT key is %d bytes; at least %d are needed", len(cfg.Key), MinKeyLen)
	}
	if cfg.TTL <= 0 || cfg.Lifetime <= 0 {
		return nil, errors.New("auth: token TTL and lifetime must be positive")
	}
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	return &Tokens{
		key:      cfg.Key,
		ttl:      cfg.TTL,
		lifetime: cfg.Lifetime,
		secure:   cfg.Secure,
		now:      now,
		cookie:   CookieName("authlab_token", cfg.Secure),
		users:    users,
		revoked:  revoked,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithIssuer(Issuer),
			jwt.WithAudience(Issuer),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(leeway(cfg.TTL)),
			jwt.WithTimeFunc(now),
			jwt.WithStrictDecoding(),
		),
	}, nil
}

// CookieName is the JWT cookie's name.
func (t *Tokens) CookieName() string { return t.cookie }

// TTL is the lifetime of one issued token.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Lifetime is how long after login renewal can keep a user signed in.
func (t *Tokens) Lifetime() time.Duration { return t.lifetime }

// Issue signs the first token of a new login by u at authTime.
func (t *Tokens) Issue(u User, authTime time.Time) (string, *Claims, error) {
	return t.issue(u, authTime, rand.Text())
}

// issue signs a token for u in the login sid, made at authTime. It expires
// after the TTL, or at authTime plus the session lifetime if that comes
// first.
func (t *Tokens) issue(u User, authTime time.Time, sid string) (string, *Claims, error) {
	now := t.now()
	exp := now.Add(t.ttl)
	if end := authTime.Add(t.lifetime); end.Before(exp) {
		exp = end
	}
	c := &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   strconv.FormatInt(u.ID, 10),
			Audience:  jwt.ClaimStrings{Issuer},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        rand.Text(),
		},
		AuthTime:  jwt.NewNumericDate(authTime),
		SessionID: sid,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
	if err != nil {
		return "", nil, fmt.Errorf("auth: sign token: %w", err)
	}
	return s, c, nil
}

// Verify checks raw's algorithm (HS256 only), signature and every claim,
// then the revocation list. The error wraps one of the package's sentinels.
func (t *Tokens) Verify(raw string) (*Claims, error) {
	c := new(Claims)
	if _, err := t.parser.ParseWithClaims(raw, c, t.keyFunc); err != nil {
		return nil, classify(err)
	}
	if _, err := strconv.ParseUint(c.Subject, 10, 63); err != nil || c.Subject == "0" {
		return nil, fmt.Errorf("%w: subject %q is not a user id", ErrMalformed, c.Subject)
	}
	if c.ID == "" || c.SessionID == "" || c.IssuedAt == nil || c.AuthTime == nil {
		return nil, fmt.Errorf("%w: jti, sid, iat and auth_time are required", ErrMalformed)
	}
	if t.revoked.IsRevoked(c.ID) || t.revoked.IsRevoked(c.SessionID) {
		return nil, ErrTokenRevoked
	}
	return c, nil
}

func (t *Tokens) keyFunc(*jwt.Token) (any, error) { return t.key, nil }

// classify maps the jwt package's errors to this package's sentinels.
func classify(err error) error {
	var sentinel error
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		sentinel = ErrMalformed
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		sentinel = ErrBadSignature
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing),
		errors.Is(err, jwt.ErrTokenInvalidIssuer),
		errors.Is(err, jwt.ErrTokenInvalidAudience),
		errors.Is(err, jwt.ErrTokenInvalidClaims) && !errors.Is(err, jwt.ErrTokenExpired) &&
			!errors.Is(err, jwt.ErrTokenNotValidYet) && !errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		sentinel = ErrMalformed
	case errors.Is(err, jwt.ErrTokenExpired):
		sentinel = ErrExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		sentinel = ErrNotYetValid
	default:
		sentinel = ErrMalformed
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}

// Login issues a token for u and sets it as the JWT cookie.
func (t *Tokens) Login(w http.ResponseWriter, u User) error {
	raw, _, err := t.Issue(u, t.now())
	if err != nil {
		return err
	}
	t.setCookie(w, raw)
	return nil
}

// Logout revokes the token in r's JWT cookie until it would have expired,
// and clears the cookie. A cookie that does not verify is cleared too.
func (t *Tokens) Logout(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	defer t.clearCookie(w)
	c, err := r.Cookie(t.cookie)
	if err != nil {
		return nil
	}
	return t.Revoke(ctx, c.Value)
}

// Revoke puts raw's jti on the revocation list until its exp. A token that
// does not verify is already refused everywhere and needs no entry.
func (t *Tokens) Revoke(ctx context.Context, raw string) error {
	c, err := t.Verify(raw)
	if err != nil {
		return nil
	}
	return t.RevokeClaims(ctx, c)
}

// RevokeClaims puts the jti of verified claims c on the revocation list
// until c's exp, and its login's sid until the last moment any renewal of
// that login could reach. A copy of an older token of the same login,
// still within its exp, is then refused too and cannot renew itself.
func (t *Tokens) RevokeClaims(ctx context.Context, c *Claims) error {
	if err := t.revoked.Revoke(ctx, c.ID, c.ExpiresAt.Time); err != nil {
		return err
	}
	return t.revoked.Revoke(ctx, c.SessionID, c.AuthTime.Add(t.lifetime))
}

// Current returns the user and claims of r's JWT cookie.
func (t *Tokens) Current(r *http.Request) (User, *Claims, error) {
	c, err := r.Cookie(t.cookie)
	if err != nil || c.Value == "" {
		return User{}, nil, ErrNoCredentials
	}
	return t.user(r.Context(), c.Value)
}

// Bearer returns the user and claims of r's Authorization: Bearer header.
// Tokens are never read from the query string: URLs end up in logs and in
// Referer headers.
func (t *Tokens) Bearer(r *http.Request) (User, *Claims, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return User{}, nil, ErrNoCredentials
	}
	scheme, raw, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return User{}, nil, fmt.Errorf("%w: Authorization is not a Bearer token", ErrMalformed)
	}
	return t.user(r.Context(), strings.TrimSpace(raw))
}

func (t *Tokens) user(ctx context.Context, raw string) (User, *Claims, error) {
	c, err := t.Verify(raw)
	if err != nil {
		return User{}, nil, err
	}
	u, err := t.users.ByID(ctx, c.UserID())
	if errors.Is(err, ErrNoUser) {
		return User{}, c, ErrUnknownUser
	}
	if err != nil {
		return User{}, c, err
	}
	return u, c, nil
}

// IsRevoked reports whether id, a token's jti or its login's sid, is on
// the revocation list.
func (t *Tokens) IsRevoked(id string) bool { return t.revoked.IsRevoked(id) }

// Renew is middleware for rolling renewal, the JWT twin of a session's idle
// timeout: when a request carries a valid JWT cookie with less than half
// its life left, a token with a new jti replaces it. Renewal never reaches
// past auth_time plus the session lifetime, so a busy user still logs in
// again once per lifetime. The old token is left to expire on its own
// rather than revoked, so requests already in flight with it still succeed;
// logout revokes the whole login (its sid), old tokens included.
// Only GET and HEAD renew: an unsafe request such as logout must act on the
// token the browser sent.
func (t *Tokens) Renew(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		if u, c, err := t.Current(r); err == nil {
			now := t.now()
			left := c.ExpiresAt.Sub(now)
			end := c.AuthTime.Add(t.lifetime)
			if left < t.ttl/2 && c.ExpiresAt.Before(end) {
				raw, _, err := t.issue(u, c.AuthTime.Time, c.SessionID)
				if err == nil {
					t.setCookie(w, raw)
					r = replaceCookie(r, t.cookie, raw)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// replaceCookie returns a copy of r whose cookie name has value, so the
// handler after Renew sees the token the browser will hold.
func replaceCookie(r *http.Request, name, value string) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Header.Del("Cookie")
	for _, c := range r.Cookies() {
		if c.Name == name {
			continue
		}
		r2.AddCookie(c)
	}
	r2.AddCookie(&http.Cookie{Name: name, Value: value})
	return r2
}

// Require lets a request through only with a valid JWT cookie, putting the
// user in its context (see UserFrom); otherwise it calls deny.
func (t *Tokens) Require(deny func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, _, err := t.Current(r)
			if err != nil {
				deny(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithUser(r.Context(), u)))
		})
	}
}

// setCookie sets the JWT cookie. Like the session cookie it carries no
// Expires: the browser keeps it until it closes, and the server alone
// decides when the token inside has expired, so it can say so.
func (t *Tokens) setCookie(w http.ResponseWriter, raw string) {
	http.SetCookie(w, &http.Cookie{
		Name:     t.cookie,
		Value:    raw,
		Path:     "/",
		HttpOnly: true,
		Secure:   t.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (t *Tokens) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     t.cookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   t.secure,
		SameSite: http.SameSiteLaxMode,
	})
}
