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

	"github.com/authlab/authlab/auth/internal/cache"
)

// RetireAfter is how long a signing key must go on verifying once it is
// replaced: until every token it signed has expired, leeway included.
func RetireAfter(tokenTTL time.Duration) time.Duration { return tokenTTL + leeway(tokenTTL) }

// maxLeeway is the most clock skew tolerated on exp, nbf and iat. Tokens
// with a short TTL get less: a tenth of the TTL, so a 4 s token used in a
// test or a demo really ends near its exp.
const maxLeeway = 30 * time.Second

func leeway(ttl time.Duration) time.Duration { return min(maxLeeway, ttl/10) }

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

// userIDSubject reports whether sub is a user id as this server writes
// one: a positive decimal number with no sign and no leading zero, so
// that one user has one subject.
func userIDSubject(sub string) bool {
	id, err := strconv.ParseUint(sub, 10, 63)
	return err == nil && id > 0 && strconv.FormatUint(id, 10) == sub
}

func (c *Claims) userID() int64 {
	id, _ := strconv.ParseInt(c.Subject, 10, 64)
	return id
}

// Tokens is the JWT strategy: the browser holds a signed token that says
// who the user is and until when, and the server checks the signature
// instead of looking a session up. Logging out can only add the token's
// id to a revocation list that every later check consults.
type Tokens struct {
	keys     KeySet
	ttl      time.Duration
	lifetime time.Duration
	issuer   string
	secure   bool
	now      Clock
	cookie   string
	parser   *jwt.Parser
	untimed  *jwt.Parser        // signature and algorithm only, for Genuine
	rules    []jwt.ParserOption // the claim rules, for checking a token as of another moment
	claims   *jwt.Validator
	verified *cache.Map[string, verified]
	revoked  *revocations
	logins   *loginIndex
	fail     func(http.ResponseWriter, *http.Request, error)
}

// verified is a token that passed every check, with the key it passed
// with: a remembered token counts only while that key still verifies.
type verified struct {
	claims *Claims
	kid    string // "" for a token with no kid, which only the signing key verifies
	key    string // the id of the key that verified it
}

// verifiedTokens bounds how many verified tokens are remembered.
const verifiedTokens = 100_000

func newTokens(opts Options, revoked *revocations, logins *loginIndex) *Tokens {
	rules := []jwt.ParserOption{
		jwt.WithIssuer(opts.Issuer),
		jwt.WithAudience(opts.Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway(opts.TokenTTL)),
		jwt.WithTimeFunc(opts.Clock),
	}
	return &Tokens{
		keys:     opts.Keys,
		ttl:      opts.TokenTTL,
		lifetime: opts.Lifetime,
		issuer:   opts.Issuer,
		secure:   opts.Secure,
		now:      opts.Clock,
		cookie:   cookieName(opts.TokenCookie, opts.Secure),
		revoked:  revoked,
		logins:   logins,
		fail:     opts.ErrorFunc,
		parser: jwt.NewParser(append(rules,
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithStrictDecoding(),
		)...),
		untimed: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithStrictDecoding(),
			jwt.WithoutClaimsValidation(),
		),
		rules:    rules,
		claims:   jwt.NewValidator(rules...),
		verified: cache.New[string, verified](verifiedTokens),
	}
}

// Issue signs the first token of a new login by u, made by r, and
// records the login.
func (t *Tokens) Issue(r *http.Request, u User) (TokenState, error) {
	now := t.now()
	st, err := t.issue(u, now, rand.Text())
	if err != nil {
		return st, err
	}
	if err := t.logins.start(r, u, StrategyJWT, st.Claims.SessionID, now, st.Claims.ExpiresAt.Time); err != nil {
		return TokenState{Err: ErrNoCredentials}, err
	}
	return st, nil
}

// issue signs a token for u in the login sid, made at authTime. It expires
// after the TTL, or at authTime plus the session lifetime if that comes
// first.
func (t *Tokens) issue(u User, authTime time.Time, sid string) (TokenState, error) {
	now := t.now()
	exp := now.Add(t.ttl)
	if end := authTime.Add(t.lifetime); end.Before(exp) {
		exp = end
	}
	c := &Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   strconv.FormatInt(u.ID, 10),
			Audience:  jwt.ClaimStrings{t.issuer},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        rand.Text(),
		},
		AuthTime:  jwt.NewNumericDate(authTime),
		SessionID: sid,
	}
	key, err := t.keys.Signing()
	if err != nil {
		return TokenState{Err: ErrNoCredentials}, fmt.Errorf("auth: signing key: %w", err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["kid"] = key.ID
	raw, err := tok.SignedString(key.Secret)
	if err != nil {
		return TokenState{Err: ErrNoCredentials}, fmt.Errorf("auth: sign token: %w", err)
	}
	return TokenState{User: u, Claims: c, Raw: raw}, nil
}

// Verify checks raw's algorithm (HS256 only), signature and every claim,
// then the revocation list. The error wraps one of the package's sentinels.
// The returned Claims are shared with other requests presenting the same
// token and must not be changed.
//
// A token that verified is remembered by its exact bytes, so the next
// request presenting it skips decoding and the HMAC: those bytes were
// signed by this server's key, and a single changed byte is another key in
// the map. Every claim that depends on the time (exp, iat, nbf) is checked
// again on each request, and so is the revocation list.
func (t *Tokens) Verify(raw string) (*Claims, error) {
	v, ok := t.verified.Get(raw)
	if ok && !t.stillVerifies(v) {
		ok = false
	}
	c := v.claims
	if ok {
		if err := t.claims.Validate(c); err != nil {
			return nil, classify(err)
		}
	} else {
		var err error
		if v, err = t.decode(raw, t.parser); err != nil {
			return nil, err
		}
		c = v.claims
		t.verified.Put(raw, v)
	}
	if t.revoked.isRevoked(c.ID) || t.revoked.isRevoked(c.SessionID) {
		return nil, ErrTokenRevoked
	}
	return c, nil
}

// keyFor returns the jwt key function, which picks the key a token names
// and records it in used. A token with no kid is checked with the signing
// key alone; one whose kid names no key that still verifies is refused as
// a bad signature, before any HMAC.
func (t *Tokens) keyFor(used *Key) jwt.Keyfunc {
	return func(tok *jwt.Token) (any, error) {
		raw, named := tok.Header["kid"]
		if !named {
			k, err := t.keys.Signing()
			if err != nil {
				return nil, err
			}
			*used = k
			return k.Secret, nil
		}
		kid, ok := raw.(string)
		if !ok {
			return nil, fmt.Errorf("%w: kid is not a string", ErrMalformed)
		}
		k, ok := t.keys.Verifying(kid)
		if !ok {
			return nil, fmt.Errorf("%w: no key named %q verifies", jwt.ErrTokenUnverifiable, kid)
		}
		*used = k
		return k.Secret, nil
	}
}

// stillVerifies reports whether the key a remembered token passed with
// would pass it now: keys retire, and the signing key changes.
func (t *Tokens) stillVerifies(v verified) bool {
	if v.kid == "" {
		k, err := t.keys.Signing()
		return err == nil && k.ID == v.key
	}
	_, ok := t.keys.Verifying(v.kid)
	return ok
}

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

// Login issues a token for u, sets it as the JWT cookie and returns the
// new state.
func (t *Tokens) Login(w http.ResponseWriter, r *http.Request, u User) (TokenState, error) {
	st, err := t.Issue(r, u)
	if err != nil {
		return st, err
	}
	t.setCookie(w, st.Raw)
	return st, nil
}

// Logout clears the JWT cookie and revokes the token st holds and its
// whole login (see Revoke), whatever state the token is in, so long as it
// is genuine: a token that expired while its owner was away still names a
// login that a copy, renewed by whoever holds it, may keep alive. A token
// that is not genuine names no login of this server and needs no entry.
func (t *Tokens) Logout(ctx context.Context, w http.ResponseWriter, st TokenState) (TokenState, error) {
	t.clearCookie(w)
	c := st.Claims
	if c == nil && st.Raw != "" {
		c, _ = t.Genuine(st.Raw)
	}
	if c != nil {
		if err := t.Revoke(ctx, c); err != nil {
			return TokenState{Err: ErrNoCredentials}, err
		}
	}
	return TokenState{Err: ErrNoCredentials}, nil
}

// Genuine checks raw as Verify does, signature and every claim, but as of
// the second before it expired, and ignores the revocation list: it says
// whether raw is a token this server issued, whatever has happened to it
// since. Logout uses it to end the login of an expired token; it grants
// nothing.
func (t *Tokens) Genuine(raw string) (*Claims, error) {
	v, err := t.decode(raw, t.untimed)
	if err != nil {
		return nil, err
	}
	c := v.claims
	asOf := c.ExpiresAt.Add(-time.Second)
	if now := t.now(); now.Before(asOf) {
		asOf = now
	}
	rules := append(append([]jwt.ParserOption(nil), t.rules...), jwt.WithTimeFunc(func() time.Time { return asOf }))
	if err := jwt.NewValidator(rules...).Validate(c); err != nil {
		return nil, classify(err)
	}
	return c, nil
}

// decode is what Verify and Genuine share: the strict reading of the raw
// JSON, the signature with the key the token names (parser checks the
// claims too, or not), and the claims the jwt package does not require.
func (t *Tokens) decode(raw string, parser *jwt.Parser) (verified, error) {
	if err := checkStrict(raw); err != nil {
		return verified{}, err
	}
	c := new(Claims)
	var used Key
	tok, err := parser.ParseWithClaims(raw, c, t.keyFor(&used))
	if err != nil {
		return verified{}, classify(err)
	}
	if !userIDSubject(c.Subject) {
		return verified{}, fmt.Errorf("%w: subject %q is not a user id", ErrMalformed, c.Subject)
	}
	if c.ExpiresAt == nil || c.IssuedAt == nil || c.AuthTime == nil || c.ID == "" || c.SessionID == "" {
		return verified{}, fmt.Errorf("%w: exp, iat, auth_time, jti and sid are required", ErrMalformed)
	}
	if err := t.checkTimes(c); err != nil {
		return verified{}, err
	}
	kid, _ := tok.Header["kid"].(string)
	return verified{claims: c, kid: kid, key: used.ID}, nil
}

// Revoke logs out the login of verified claims c: it puts c's jti on the
// revocation list until c's exp, and its login's sid until the last
// moment any renewal of that login could reach, and marks the login
// ended. A copy of an older token of the same login, still within its
// exp, is then refused too and cannot renew itself (ASVS 5.0 7.4.1).
func (t *Tokens) Revoke(ctx context.Context, c *Claims) error {
	if err := t.revoked.revoke(ctx, c.ID, c.ExpiresAt.Time); err != nil {
		return err
	}
	if err := t.revoked.revoke(ctx, c.SessionID, c.AuthTime.Add(t.lifetime)); err != nil {
		return err
	}
	if err := t.logins.store.EndLogin(ctx, c.SessionID, t.now(), EndedByLogout); err != nil {
		return fmt.Errorf("auth: end login: %w", err)
	}
	return nil
}

// fromCookie works out what r's JWT cookie proves.
func (t *Tokens) fromCookie(r *http.Request, byID func(context.Context, int64) (User, error)) TokenState {
	c, err := r.Cookie(t.cookie)
	if err != nil || c.Value == "" {
		return TokenState{Err: ErrNoCredentials}
	}
	return t.check(r.Context(), c.Value, byID)
}

// fromHeader works out what r's Authorization: Bearer header proves.
// Tokens are never read from the query string: URLs end up in logs and in
// Referer headers.
func (t *Tokens) fromHeader(r *http.Request, byID func(context.Context, int64) (User, error)) TokenState {
	h := r.Header.Get("Authorization")
	if h == "" {
		return TokenState{Err: ErrNoCredentials}
	}
	scheme, raw, ok := strings.Cut(h, " ")
	raw = strings.TrimSpace(raw)
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return TokenState{Err: fmt.Errorf("%w: Authorization is not a Bearer token", ErrMalformed)}
	}
	return t.check(r.Context(), raw, byID)
}

// check verifies raw and looks up the user it names.
func (t *Tokens) check(ctx context.Context, raw string, byID func(context.Context, int64) (User, error)) TokenState {
	c, err := t.Verify(raw)
	if err != nil {
		return TokenState{Err: err, Raw: raw}
	}
	u, err := byID(ctx, c.userID())
	if err != nil {
		return TokenState{Err: unknownUser(err), Claims: c, Raw: raw}
	}
	return TokenState{User: u, Claims: c, Raw: raw}
}

// IsRevoked reports whether id, a token's jti or its login's sid, is on
// the revocation list; the compare page shows it for tokens that failed
// for another reason too.
func (t *Tokens) IsRevoked(id string) bool { return t.revoked.isRevoked(id) }

// Renew is middleware for rolling renewal, the JWT twin of a session's idle
// timeout: when the request's JWT cookie is valid with less than half its
// life left, a token with a new jti replaces it, and the handlers after
// see the new one in the Identity. Renewal never reaches past auth_time
// plus the session lifetime, so a busy user still logs in again once per
// lifetime. The old token is left to expire on its own rather than
// revoked, so requests already in flight with it still succeed; logout
// revokes the whole login (its sid), old tokens included.
// Only GET and HEAD renew: an unsafe request such as logout must act on the
// token the browser sent. Auth.Identify must run first.
func (t *Tokens) Renew(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := IdentityFrom(r.Context())
		if !ok {
			t.fail(w, r, ErrNotIdentified)
			return
		}
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && t.due(id.JWT, id.At) {
			// A failed signing, or a login that could not be updated in
			// the index, leaves the current token in place; it is still
			// valid, and the next request tries again.
			if st, err := t.renew(r, id.JWT); err == nil {
				t.setCookie(w, st.Raw)
				id.JWT = st
				r = r.WithContext(withIdentity(r.Context(), id))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// renew signs the next token of st's login and records it in the index,
// whose entry must not expire before the token does: a login missing from
// the list could not be ended by its user. A token from before the index
// was kept gets its login entry now.
func (t *Tokens) renew(r *http.Request, st TokenState) (TokenState, error) {
	c := st.Claims
	next, err := t.issue(st.User, c.AuthTime.Time, c.SessionID)
	if err != nil {
		return st, err
	}
	l := t.logins.login(r, st.User, StrategyJWT, c.SessionID, c.AuthTime.Time, next.Claims.ExpiresAt.Time)
	l.Seen = t.now()
	if err := t.logins.store.AddLogin(r.Context(), l); err != nil {
		return st, err
	}
	return next, nil
}

// due reports whether st is a signed-in token with less than half its
// life left that renewal may still extend.
func (t *Tokens) due(st TokenState, now time.Time) bool {
	if !st.SignedIn() {
		return false
	}
	c := st.Claims
	return c.ExpiresAt.Sub(now) < t.ttl/2 && c.ExpiresAt.Before(c.AuthTime.Add(t.lifetime))
}

// Require lets a request through only with a valid JWT cookie; otherwise
// it calls deny with the reason. It reads the Identity, so Auth.Identify
// must run first.
func (t *Tokens) Require(deny func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return require(t.fail, deny, func(id Identity) error { return id.JWT.Err })
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
