package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authlab/authlab/auth/authtest"
)

// otherKey signs the forgeries no fuzz input may turn into an accepted
// token.
var otherKey = []byte("ffffffffffffffffffffffffffffffff")

// signSegments joins header and payload, each base64url-encoded as given
// (not re-marshalled, so duplicate names, odd spacing and invalid JSON
// survive), and signs them with HMAC-SHA256 under key.
func signSegments(header, payload string, key []byte) string {
	input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// signedWith reports whether raw's third part is the HMAC-SHA256, under
// key, of its first two: checked here without the jwt package.
func signedWith(raw string, key []byte) bool {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	return hmac.Equal(sig, mac.Sum(nil))
}

// jsonMembers decodes part, one base64url segment, as a JSON object and
// returns its members in order, duplicates included.
func jsonMembers(part string) ([]string, map[string]json.RawMessage, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(part)
	if err != nil {
		return nil, nil, err
	}
	if !json.Valid(b) {
		return nil, nil, errors.New("not JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errors.New("not an object")
	}
	var names []string
	vals := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		name := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		names = append(names, name)
		vals[name] = v
	}
	return names, vals, nil
}

// checkNames fails unless names are unique and none is a registered name
// in another case (as encoding/json would match it: Unicode simple folding).
func checkNames(t *testing.T, what string, names, registered []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("%s: %q appears twice", what, n)
		}
		seen[n] = true
		for _, r := range registered {
			if n != r && strings.EqualFold(n, r) {
				t.Errorf("%s: %q stands in for %q", what, n, r)
			}
		}
	}
}

// lastSecond is the end of the year 9999, UTC: the last time JSON, RFC
// 3339 and so GET /api/auth can report.
var lastSecond = time.Date(lastYear, 12, 31, 23, 59, 59, 0, time.UTC)

// numericDate reads a NumericDate as the jwt package does (whole seconds,
// fractions dropped), but only from a JSON number (RFC 7519 §2), and
// refuses values outside 1970 to the year 9999.
func numericDate(v json.RawMessage) (time.Time, error) {
	if len(v) > 0 && v[0] == '"' {
		return time.Time{}, errors.New("a string, not a JSON number")
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return time.Time{}, err
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, err
	}
	if math.IsNaN(f) || f < 0 || f > float64(lastSecond.Unix()) {
		return time.Time{}, fmt.Errorf("%v is outside 1970 to 9999", f)
	}
	whole, frac := math.Modf(f)
	return time.Unix(int64(whole), int64(frac*1e9)).Truncate(time.Second), nil
}

// tokenRules is what an accepted token must satisfy, written out from RFC
// 7515, RFC 7519 and the rules in tokens.go and strict.go, without the jwt
// package.
type tokenRules struct {
	key      []byte
	kid      string // the kid the server puts in its tokens; "" for none
	issuer   string
	lifetime time.Duration
	leeway   time.Duration
	revoked  map[string]bool // jtis and sids
}

// check fails t unless raw obeys every rule. With now nil, the rules that
// depend on the time of the check and the revocation list are skipped, as
// Genuine skips them.
func (rs tokenRules) check(t *testing.T, raw string, c *Claims, now *time.Time) {
	t.Helper()
	if !signedWith(raw, rs.key) {
		t.Fatalf("accepted %q, which is not signed with the server's key", raw)
	}
	if signedWith(raw, otherKey) {
		t.Fatalf("accepted %q, signed with another key", raw)
	}
	parts := strings.Split(raw, ".")
	hNames, header, err := jsonMembers(parts[0])
	if err != nil {
		t.Fatalf("accepted %q whose header is no JSON object: %v", raw, err)
	}
	checkNames(t, "header", hNames, []string{"alg", "typ", "kid", "crit", "cty"})
	var alg string
	if json.Unmarshal(header["alg"], &alg) != nil || alg != "HS256" {
		t.Errorf("accepted alg %s, want exactly HS256", header["alg"])
	}
	if _, ok := header["crit"]; ok {
		t.Errorf("accepted a crit header: %s", header["crit"])
	}
	if typ, ok := header["typ"]; ok {
		var s string
		if json.Unmarshal(typ, &s) != nil || s != "JWT" {
			t.Errorf("accepted typ %s, want JWT or none", typ)
		}
	}
	if kid, ok := header["kid"]; ok && rs.kid != "" {
		var s string
		if json.Unmarshal(kid, &s) != nil || s != rs.kid {
			t.Errorf("accepted kid %s; the only key is %q", kid, rs.kid)
		}
	}

	pNames, claims, err := jsonMembers(parts[1])
	if err != nil {
		t.Fatalf("accepted %q whose payload is no JSON object: %v", raw, err)
	}
	checkNames(t, "claims", pNames, []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "auth_time", "sid"})
	str := func(name string) string {
		t.Helper()
		var s string
		if err := json.Unmarshal(claims[name], &s); err != nil {
			t.Errorf("accepted %s %s, not a string", name, claims[name])
		}
		return s
	}
	if iss := str("iss"); iss != rs.issuer {
		t.Errorf("accepted iss %q, want %q", iss, rs.issuer)
	}
	var aud jwt.ClaimStrings
	if json.Unmarshal(claims["aud"], &aud) != nil || !containsString(aud, rs.issuer) {
		t.Errorf("accepted aud %s, want one naming %q", claims["aud"], rs.issuer)
	}
	sub := str("sub")
	if id, err := strconv.ParseInt(sub, 10, 64); err != nil || id < 1 {
		t.Errorf("accepted sub %q, which names no user id (ids start at 1)", sub)
	}
	if c.Subject != sub {
		t.Errorf("Claims.Subject = %q, but the token says %q", c.Subject, sub)
	}
	for _, name := range []string{"jti", "sid"} {
		s := str(name)
		if s == "" {
			t.Errorf("accepted an empty %s", name)
		}
		if now != nil && rs.revoked[s] {
			t.Errorf("accepted %s %q, which is revoked", name, s)
		}
	}
	times := map[string]time.Time{}
	for _, name := range []string{"exp", "iat", "auth_time", "nbf"} {
		v, ok := claims[name]
		if !ok || string(v) == "null" { // null is no value, as for a pointer field
			if name != "nbf" {
				t.Errorf("accepted a token without %s", name)
			}
			continue
		}
		at, err := numericDate(v)
		if err != nil {
			t.Errorf("accepted %s %s: %v", name, v, err)
			continue
		}
		times[name] = at
	}
	if t.Failed() {
		t.FailNow()
	}
	exp, iat, authTime := times["exp"], times["iat"], times["auth_time"]
	if authTime.After(iat) {
		t.Errorf("accepted auth_time %v after iat %v", authTime, iat)
	}
	if exp.After(authTime.Add(rs.lifetime)) {
		t.Errorf("accepted exp %v past auth_time %v plus the lifetime %v", exp, authTime, rs.lifetime)
	}
	if now != nil {
		if !now.Before(exp.Add(rs.leeway)) {
			t.Errorf("accepted at %v a token that expired at %v (leeway %v)", *now, exp, rs.leeway)
		}
		if iat.After(now.Add(rs.leeway)) {
			t.Errorf("accepted at %v a token issued at %v", *now, iat)
		}
		if nbf, ok := times["nbf"]; ok && nbf.After(now.Add(rs.leeway)) {
			t.Errorf("accepted at %v a token not valid before %v", *now, nbf)
		}
	}
	// What the server reports of the claims must serialise: GET /api/auth
	// writes exp as an RFC 3339 time.
	if _, err := json.Marshal(c); err != nil {
		t.Errorf("accepted claims do not serialise: %v", err)
	}
	for _, d := range []*jwt.NumericDate{c.ExpiresAt, c.IssuedAt, c.AuthTime, c.NotBefore} {
		if d == nil {
			continue
		}
		if _, err := d.UTC().MarshalJSON(); err != nil {
			t.Errorf("accepted time %v cannot be reported: %v", d.Time, err)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// tokenSentinels are the errors every refusal of a token wraps one of.
var tokenSentinels = []error{ErrMalformed, ErrBadSignature, ErrExpired, ErrNotYetValid, ErrTokenRevoked}

// verdicts runs raw through Verify and Genuine and checks what each says:
// a refusal carries a sentinel and no claims; an acceptance obeys every
// rule; and what Verify accepts, Genuine (the laxer check) accepts too,
// with the same claims.
func (rs tokenRules) verdicts(t *testing.T, tk *Tokens, now time.Time, raw string) {
	t.Helper()
	c, err := tk.Verify(raw)
	g, gerr := tk.Genuine(raw)
	for _, v := range []struct {
		name string
		c    *Claims
		err  error
	}{{"Verify", c, err}, {"Genuine", g, gerr}} {
		if (v.c == nil) == (v.err == nil) {
			t.Fatalf("%s(%q) = %v, %v: want claims or an error, not both or neither", v.name, raw, v.c, v.err)
		}
		if v.err != nil && !isAny(v.err, tokenSentinels) {
			t.Fatalf("%s(%q) = %v, which wraps none of the package's sentinels", v.name, raw, v.err)
		}
	}
	if g != nil {
		rs.check(t, raw, g, nil)
	}
	if c == nil {
		return
	}
	rs.check(t, raw, c, &now)
	// Genuine checks as of the second before exp, so a token that claims
	// to be issued or valid only after it expires (which no token of this
	// server does) may pass Verify within the leeway and fail Genuine.
	if c.IssuedAt.After(c.ExpiresAt.Time) || c.NotBefore != nil && c.NotBefore.After(c.ExpiresAt.Time) {
		return
	}
	if g == nil {
		t.Fatalf("Verify accepted %q but Genuine refused it: %v", raw, gerr)
	}
	if !reflect.DeepEqual(c, g) {
		t.Fatalf("Verify and Genuine read %q differently:\n%+v\n%+v", raw, c, g)
	}
}

func isAny(err error, targets []error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// newFuzzTokens is a fixture for the token fuzz targets: one revoked login,
// and the rules an accepted token must obey.
func newFuzzTokens(f *testing.F) (*fixture, tokenRules, TokenState, TokenState) {
	fx := newFixture(f, Options{TokenTTL: testTTL, Lifetime: testLifetime})
	valid := fx.issue(f, authtest.Start)
	revoked := fx.issue(f, authtest.Start)
	if err := fx.a.Tokens.Revoke(context.Background(), revoked.Claims); err != nil {
		f.Fatal(err)
	}
	var header struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(segmentBytes(f, strings.Split(valid.Raw, ".")[0]), &header); err != nil {
		f.Fatal(err)
	}
	rs := tokenRules{
		key:      testKey,
		kid:      header.Kid,
		issuer:   DefaultIssuer,
		lifetime: testLifetime,
		leeway:   leeway(testTTL),
		revoked:  map[string]bool{revoked.Claims.ID: true, revoked.Claims.SessionID: true},
	}
	return fx, rs, valid, revoked
}

func segmentBytes(t testing.TB, seg string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// payloadAt is the JSON payload of a valid token for user 1 in a login
// made at now, with extra members appended verbatim.
func payloadAt(now time.Time, extra string) string {
	return fmt.Sprintf(`{"sub":"1","iss":"authlab","aud":"authlab","iat":%d,"exp":%d,"jti":"j","sid":"s","auth_time":%d%s}`,
		now.Unix(), now.Add(testTTL).Unix(), now.Unix(), extra)
}

// FuzzVerify hands Verify and Genuine arbitrary strings. Nothing may
// panic, and a token either is refused with a sentinel or obeys every rule,
// above all that it was signed with the server's key.
func FuzzVerify(f *testing.F) {
	fx, rs, valid, revoked := newFuzzTokens(f)
	now := fx.clock.Now()
	parts := strings.Split(valid.Raw, ".")
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 0x01
		return string(b)
	}
	swapCase := func(s string) string {
		b := []byte(s)
		for i, c := range b {
			if 'a' <= c && c <= 'z' {
				b[i] = c - 'a' + 'A'
				break
			}
		}
		return string(b)
	}
	unsigned := func(header, payload string) string {
		s := signSegments(header, payload, testKey)
		return s[:strings.LastIndex(s, ".")+1]
	}
	hs := `{"alg":"HS256","typ":"JWT"}`
	p := payloadAt(now, "")
	seeds := []string{
		valid.Raw,
		revoked.Raw,
		flip(parts[0], 5) + "." + parts[1] + "." + parts[2],
		parts[0] + "." + flip(parts[1], 10) + "." + parts[2],
		parts[0] + "." + parts[1] + "." + flip(parts[2], 3),
		parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1],
		parts[0] + "." + parts[1] + "." + parts[2] + "=",
		parts[0] + "." + parts[1] + ".",
		parts[0] + "." + parts[1],
		valid.Raw + ".",
		valid.Raw + "." + parts[2],
		parts[1] + "." + parts[0] + "." + parts[2],
		swapCase(parts[0]) + "." + parts[1] + "." + parts[2],
		" " + valid.Raw,
		valid.Raw + "\n",
		signSegments(hs, p, testKey),
		signSegments(hs, p, otherKey),
		unsigned(`{"alg":"none"}`, p),
		unsigned(hs, p),
		signSegments(`{"alg":"none","typ":"JWT"}`, p, testKey),
		signSegments(`{"alg":"None"}`, p, testKey),
		signSegments(`{"alg":"HS384"}`, p, testKey),
		signSegments(`{"alg":"RS256"}`, p, testKey),
		signSegments(`{"alg":"hs256"}`, p, testKey),
		signSegments(`{"alg":"HS256","alg":"none"}`, p, testKey),
		signSegments(`{"alg":"HS256","ALG":"HS256"}`, p, testKey),
		signSegments(`{"alg":"HS256","crit":["exp"]}`, p, testKey),
		signSegments(`{"alg":"HS256","typ":"at+jwt"}`, p, testKey),
		signSegments(`{"alg":"HS256","kid":"nope"}`, p, testKey),
		signSegments(`{"alg":"HS256","kid":7}`, p, testKey),
		signSegments(hs, payloadAt(now, `,"sub":"2"`), testKey),
		signSegments(hs, strings.Replace(p, `"sub"`, `"SUB"`, 1), testKey),
		signSegments(hs, payloadAt(now, `,"Exp":99999999999`), testKey),
		signSegments(hs, payloadAt(now, `,"s\u0075b":"2"`), testKey),
		signSegments(hs, strings.Replace(p, `"sub":"1"`, `"sub":"0"`, 1), testKey),
		signSegments(hs, strings.Replace(p, `"sub":"1"`, `"sub":1`, 1), testKey),
		signSegments(hs, strings.Replace(p, `"jti":"j"`, `"jti":""`, 1), testKey),
		signSegments(hs, `{}`, testKey),
		signSegments(hs, `[]`, testKey),
		signSegments(hs, `null`, testKey),
		signSegments(`null`, p, testKey),
		"", ".", "..", "...", "a.b.c", "e30.e30.", "not a token",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		rs.verdicts(t, fx.a.Tokens, now, raw)
		if signedWith(raw, otherKey) {
			if c, err := fx.a.Tokens.Verify(raw); err == nil {
				t.Fatalf("Verify accepted %q, signed with another key: %+v", raw, c)
			}
		}
	})
}

// FuzzVerifyParts fuzzes a token's header and payload as JSON text and
// signs them with the server's key, so that only the checks of the header
// and the claims stand between the input and acceptance.
func FuzzVerifyParts(f *testing.F) {
	fx, rs, valid, revoked := newFuzzTokens(f)
	now := fx.clock.Now()
	header := func(st TokenState) string { return string(segmentBytes(f, strings.Split(st.Raw, ".")[0])) }
	payload := func(st TokenState) string { return string(segmentBytes(f, strings.Split(st.Raw, ".")[1])) }
	hs := `{"alg":"HS256","typ":"JWT"}`
	p := payloadAt(now, "")
	at := func(d time.Duration) int64 { return now.Add(d).Unix() }
	timed := func(iat, exp, authTime int64, extra string) string {
		return fmt.Sprintf(`{"sub":"1","iss":"authlab","aud":["authlab"],"iat":%d,"exp":%d,"jti":"j","sid":"s","auth_time":%d%s}`,
			iat, exp, authTime, extra)
	}
	seeds := [][2]string{
		{header(valid), payload(valid)},
		{header(revoked), payload(revoked)},
		{hs, p},
		{`{"alg":"HS256"}`, p},
		{`{"typ":"JWT","alg":"HS256","cty":"x","x5u":"https://evil.example/"}`, p},
		{`{"alg":"HS256","alg":"HS256"}`, p},
		{`{"alg":"HS256","Alg":"none"}`, p},
		{`{"alg":"HS256","crit":[]}`, p},
		{`{"alg":"HS256","typ":"jwt"}`, p},
		{`{"alg":"HS256","typ":null}`, p},
		{`{"alg":"HS256","kid":"nope"}`, p},
		{`{"alg":"HS256","kid":null}`, p},
		{`{"alg":"HS\u0032\u0035\u0036"}`, p},
		{`{"alg":"none"}`, p},
		{`{"alg":"HS512"}`, p},
		{`{"alg":["HS256"]}`, p},
		{`{"alg":"HS256"} `, p},
		{`{"alg":"HS256"}{}`, p},
		{hs, payloadAt(now, `,"sub":"2"`)},
		{hs, payloadAt(now, `,"SID":"t"`)},
		{hs, payloadAt(now, `,"ſub":"2"`)},
		{hs, payloadAt(now, `,"nbf":null`)},
		{hs, payloadAt(now, `,"nbf":`+strconv.FormatInt(at(10*time.Second), 10))},
		{hs, payloadAt(now, `,"nbf":`+strconv.FormatInt(at(time.Hour), 10))},
		{hs, strings.Replace(p, `"sub":"1"`, `"sub":"01"`, 1)},
		{hs, strings.Replace(p, `"sub":"1"`, `"sub":"+1"`, 1)},
		{hs, strings.Replace(p, `"sub":"1"`, `"sub":"9223372036854775807"`, 1)},
		{hs, strings.Replace(p, `"sub":"1"`, `"sub":"9223372036854775808"`, 1)},
		{hs, strings.Replace(p, `"sub":"1"`, `"sub":"-1"`, 1)},
		{hs, strings.Replace(p, `"sid":"s"`, `"sid":""`, 1)},
		{hs, strings.Replace(p, `"jti":"j"`, `"jti":null`, 1)},
		{hs, strings.Replace(p, `"aud":"authlab"`, `"aud":["other","authlab"]`, 1)},
		{hs, strings.Replace(p, `"aud":"authlab"`, `"aud":[]`, 1)},
		{hs, strings.Replace(p, `"iss":"authlab"`, `"iss":"Authlab"`, 1)},
		{hs, timed(at(0), at(testTTL), at(0), "")},
		{hs, timed(at(0), at(-29*time.Second), at(-testTTL), "")},
		{hs, timed(at(0), at(-30*time.Second), at(-testTTL), "")},
		{hs, timed(at(29*time.Second), at(testTTL), at(0), "")},
		{hs, timed(at(31*time.Second), at(testTTL), at(0), "")},
		{hs, timed(at(-time.Minute), at(testTTL), at(0), "")},
		{hs, timed(at(0), at(testLifetime), at(0), "")},
		{hs, timed(at(0), at(testLifetime+time.Second), at(0), "")},
		{hs, timed(at(0), 253402300800, at(0), "")},
		{hs, timed(at(0), at(testTTL), -1, "")},
		{hs, fmt.Sprintf(`{"sub":"1","iss":"authlab","aud":"authlab","iat":%d.9,"exp":%d.5,"jti":"j","sid":"s","auth_time":%de0}`,
			at(0), at(testTTL), at(0))},
		{hs, fmt.Sprintf(`{"sub":"1","iss":"authlab","aud":"authlab","iat":%d,"exp":1e300,"jti":"j","sid":"s","auth_time":%d}`,
			at(0), at(0))},
		{hs, `{}`},
		{hs, `null`},
		{"", ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, header, payload string) {
		rs.verdicts(t, fx.a.Tokens, now, signSegments(header, payload, testKey))
	})
}
