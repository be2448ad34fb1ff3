package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Names a token's header and claims may carry, spelt as RFC 7515 and RFC
// 7519 spell them. Go's encoding/json matches names without regard to
// case, so without this check "SUB" would stand in for "sub".
var (
	headerNames = []string{"alg", "typ", "kid", "crit", "cty"}
	claimNames  = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "auth_time", "sid"}
)

// checkStrict refuses what the jwt package lets through but RFC 7519 does
// not mean: a name given twice in the header or the claims (which JSON
// decoding would silently resolve to the last), a registered name in
// another case, a crit header (authlab understands no extensions, RFC 7515
// §4.1.11), and a typ other than JWT. It reads raw only as far as the
// names; the jwt package decodes the values.
func checkStrict(raw string) error {
	header, payload, ok := strings.Cut(raw, ".")
	if !ok {
		return nil // the parser says why it is malformed
	}
	payload, _, _ = strings.Cut(payload, ".")
	h, err := objectNames(header, headerNames)
	if err != nil {
		return fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	if _, ok := h["crit"]; ok {
		return fmt.Errorf("%w: header names critical extensions", ErrMalformed)
	}
	if typ, ok := h["typ"]; ok && !bytes.Equal(typ, []byte(`"JWT"`)) {
		return fmt.Errorf("%w: header typ is %s, not JWT", ErrMalformed, typ)
	}
	claims, err := objectNames(payload, claimNames)
	if err != nil {
		return fmt.Errorf("%w: claims: %w", ErrMalformed, err)
	}
	// A time is a JSON number (RFC 7519 §2, NumericDate); the jwt package
	// would also take one in quotes.
	for _, name := range []string{"exp", "iat", "nbf", "auth_time"} {
		if v, ok := claims[name]; ok && (len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9'))) {
			return fmt.Errorf("%w: claims: %s is not a number", ErrMalformed, name)
		}
	}
	return nil
}

// objectNames decodes one base64url part holding a JSON object and returns
// its members, refusing a repeated name and a known name in another case.
func objectNames(part string, known []string) (map[string]json.RawMessage, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(part)
	if err != nil {
		return nil, nil // the parser reports the encoding
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil // not an object: the parser reports it
	}
	members := make(map[string]json.RawMessage)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil
		}
		name := t.(string)
		if _, dup := members[name]; dup {
			return nil, fmt.Errorf("%q appears twice", name)
		}
		for _, k := range known {
			if name != k && strings.EqualFold(name, k) {
				return nil, fmt.Errorf("%q is not %q: names are case-sensitive", name, k)
			}
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil
		}
		members[name] = v
	}
	return members, nil
}

// lastYear is the last year a time claim may fall in: JSON and RFC 3339
// have no later one, so a later exp could not even be reported.
const lastYear = 9999

// checkTimes refuses claims no token of this server can carry: a time past
// year 9999, a login after the token was issued, or an expiry past the
// login's lifetime, which renewal never goes beyond.
func (t *Tokens) checkTimes(c *Claims) error {
	for _, d := range []struct {
		name string
		at   *jwt.NumericDate
	}{{"exp", c.ExpiresAt}, {"iat", c.IssuedAt}, {"nbf", c.NotBefore}, {"auth_time", c.AuthTime}} {
		if d.at != nil && (d.at.Year() > lastYear || d.at.Before(time.Unix(0, 0))) {
			return fmt.Errorf("%w: %s is outside 1970 to the year %d", ErrMalformed, d.name, lastYear)
		}
	}
	if c.AuthTime.After(c.IssuedAt.Time) {
		return fmt.Errorf("%w: auth_time is after iat", ErrMalformed)
	}
	if c.ExpiresAt.After(c.AuthTime.Add(t.lifetime)) {
		return fmt.Errorf("%w: exp is past auth_time plus the session lifetime", ErrMalformed)
	}
	return nil
}
