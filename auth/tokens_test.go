package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testTTL      = 15 * time.Minute
	testLifetime = 24 * time.Hour
)

var testKey = []byte("0123456789abcdef0123456789abcdef") // 32 bytes

type tokenFixture struct {
	clock     *fakeClock
	tokens    *Tokens
	revoked   *Revocations
	revStore  *memRevocations
	userStore *memUsers
	alice     User
}

func newTokenFixture(t *testing.T, cfg TokenConfig) *tokenFixture {
	t.Helper()
	f := &tokenFixture{clock: newFakeClock(), revStore: newMemRevocations()}
	var users *Users
	users, f.userStore, f.alice = newTestUsers(t)
	var err error
	f.revoked, err = LoadRevocations(context.Background(), f.revStore, f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Key == nil {
		cfg.Key = testKey
	}
	if cfg.TTL == 0 {
		cfg.TTL = testTTL
	}
	if cfg.Lifetime == 0 {
		cfg.Lifetime = testLifetime
	}
	cfg.Clock = f.clock.Now
	f.tokens, err = NewTokens(cfg, users, f.revoked)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// issue signs a token for alice, who logged in at authTime.
func (f *tokenFixture) issue(t *testing.T, authTime time.Time) (string, *Claims) {
	t.Helper()
	raw, c, err := f.tokens.Issue(f.alice, authTime)
	if err != nil {
		t.Fatal(err)
	}
	return raw, c
}

// claimsAt are the claims of a valid token for user 1 issued at now.
func claimsAt(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"sub":       "1",
		"iat":       now.Unix(),
		"exp":       now.Add(testTTL).Unix(),
		"iss":       Issuer,
		"aud":       Issuer,
		"jti":       "forged-jti",
		"sid":       "forged-sid",
		"auth_time": now.Unix(),
	}
}

func signWith(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	raw, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// forge builds a token from any header and payload, signed with
// HMAC-SHA256 under key whatever the header says.
func forge(t *testing.T, header, payload any, key []byte) string {
	t.Helper()
	seg := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := seg(header) + "." + seg(payload)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// with returns a copy of claimsAt(t0) changed by set; a nil value deletes.
func with(set map[string]any) jwt.MapClaims {
	c := claimsAt(t0)
	for k, v := range set {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNewTokensRefuses(t *testing.T) {
	users, _, _ := newTestUsers(t)
	rv, err := LoadRevocations(context.Background(), newMemRevocations(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     TokenConfig
		wantErr bool
	}{
		{"no key", TokenConfig{TTL: testTTL, Lifetime: testLifetime}, true},
		{"31-byte key", TokenConfig{Key: testKey[:31], TTL: testTTL, Lifetime: testLifetime}, true},
		{"32-byte key", TokenConfig{Key: testKey, TTL: testTTL, Lifetime: testLifetime}, false},
		{"64-byte key", TokenConfig{Key: append(slices.Clone(testKey), testKey...), TTL: testTTL, Lifetime: testLifetime}, false},
		{"zero TTL", TokenConfig{Key: testKey, Lifetime: testLifetime}, true},
		{"negative lifetime", TokenConfig{Key: testKey, TTL: testTTL, Lifetime: -time.Hour}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := NewTokens(tc.cfg, users, rv)
			if tc.wantErr {
				if err == nil || tok != nil {
					t.Fatalf("NewTokens = %v, %v; want nil and an error", tok, err)
				}
				return
			}
			if err != nil || tok == nil {
				t.Fatalf("NewTokens: %v", err)
			}
		})
	}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	f := newTokenFixture(t, TokenConfig{})
	authTime := t0.Add(-time.Hour)
	u := User{ID: 42, Username: "bob"}
	raw, issued, err := f.tokens.Issue(u, authTime)
	if err != nil {
		t.Fatal(err)
	}

	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts", raw, len(parts))
	}
	header := decodeSegment(t, parts[0])
	if header["alg"] != "HS256" {
		t.Errorf("alg = %v, want HS256", header["alg"])
	}
	payload := decodeSegment(t, parts[1])
	wantKeys := []string{"aud", "auth_time", "exp", "iat", "iss", "jti", "sid", "sub"}
	if got := slices.Sorted(maps.Keys(payload)); !slices.Equal(got, wantKeys) {
		t.Errorf("claims = %v, want exactly %v", got, wantKeys)
	}
	if payload["sub"] != "42" {
		t.Errorf("sub = %#v, want the decimal string \"42\"", payload["sub"])
	}

	c, err := f.tokens.Verify(raw)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"sub", c.Subject, "42"},
		{"UserID", c.UserID(), int64(42)},
		{"iss", c.Issuer, "authlab"},
		{"aud", []string(c.Audience), []string{"authlab"}},
		{"iat", c.IssuedAt.Time, t0},
		{"exp", c.ExpiresAt.Time, t0.Add(testTTL)},
		{"auth_time", c.AuthTime.Time, authTime},
		{"jti", c.ID, issued.ID},
	}
	for _, ck := range checks {
		t.Run(ck.name, func(t *testing.T) {
			switch want := ck.want.(type) {
			case time.Time:
				if !ck.got.(time.Time).Equal(want) {
					t.Errorf("%s = %v, want %v", ck.name, ck.got, want)
				}
			case []string:
				if !slices.Equal(ck.got.([]string), want) {
					t.Errorf("%s = %v, want %v", ck.name, ck.got, want)
				}
			default:
				if ck.got != want {
					t.Errorf("%s = %v, want %v", ck.name, ck.got, want)
				}
			}
		})
	}
	if f.tokens.TTL() != testTTL || f.tokens.Lifetime() != testLifetime {
		t.Errorf("TTL, Lifetime = %v, %v; want %v, %v", f.tokens.TTL(), f.tokens.Lifetime(), testTTL, testLifetime)
	}
	if len(c.ID) < 16 {
		t.Errorf("jti %q is too short to be unguessable", c.ID)
	}
}

func TestIssueFreshJTI(t *testing.T) {
	f := newTokenFixture(t, TokenConfig{})
	seen := map[string]bool{}
	for range 100 {
		_, c := f.issue(t, t0)
		if seen[c.ID] {
			t.Fatalf("jti %q issued twice", c.ID)
		}
		seen[c.ID] = true
	}
}

func TestIssueCapsExpAtAuthTimePlusLifetime(t *testing.T) {
	f := newTokenFixture(t, TokenConfig{})
	tests := []struct {
		name     string
		authTime time.Time
		wantExp  time.Time
	}{
		{"fresh login", t0, t0.Add(testTTL)},
		{"lifetime ends after ttl", t0.Add(-testLifetime + testTTL + time.Second), t0.Add(testTTL)},
		{"lifetime ends within ttl", t0.Add(-testLifetime + 5*time.Minute), t0.Add(5 * time.Minute)},
		{"lifetime ends now", t0.Add(-testLifetime), t0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, c := f.issue(t, tc.authTime)
			if !c.ExpiresAt.Time.Equal(tc.wantExp) {
				t.Fatalf("exp = %v, want %v", c.ExpiresAt.Time, tc.wantExp)
			}
		})
	}
}

// Each way a token can be wrong, and the Reason it must be refused with.
func TestVerifyRefusesForgedTokens(t *testing.T) {
	f := newTokenFixture(t, TokenConfig{})
	otherKey := []byte("ffffffffffffffffffffffffffffffff")
	valid, _ := f.issue(t, t0)
	parts := strings.Split(valid, ".")

	// Alice's token with its payload changed to name user 2.
	payload := decodeSegment(t, parts[1])
	payload["sub"] = "2"
	pb, _ := json.Marshal(payload)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(pb) + "." + parts[2]

	noneToken := signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsAt(t0))

	revokedRaw, revokedClaims := f.issue(t, t0)
	if err := f.tokens.RevokeClaims(context.Background(), revokedClaims); err != nil {
		t.Fatal(err)
	}

	hs256 := map[string]any{"alg": "HS256", "typ": "JWT"}
	tests := []struct {
		name string
		raw  string
		want Reason
	}{
		{"valid (control)", valid, ""},
		{"forged with the right key (control)", signWith(t, jwt.SigningMethodHS256, testKey, claimsAt(t0)), ""},

		{"alg none", noneToken, ReasonBadSignature},
		{"alg none, signature stripped from a real token", forgeHeader(t, map[string]any{"alg": "none"}, parts[1], ""), ReasonBadSignature},
		{"alg None", forge(t, map[string]any{"alg": "None"}, claimsAt(t0), testKey), ReasonBadSignature},
		{"HS384 with the right key", signWith(t, jwt.SigningMethodHS384, testKey, claimsAt(t0)), ReasonBadSignature},
		{"HS512 with the right key", signWith(t, jwt.SigningMethodHS512, testKey, claimsAt(t0)), ReasonBadSignature},
		{"RS256 header, HMAC signature", forge(t, map[string]any{"alg": "RS256"}, claimsAt(t0), testKey), ReasonBadSignature},
		{"wrong key", signWith(t, jwt.SigningMethodHS256, otherKey, claimsAt(t0)), ReasonBadSignature},
		{"tampered payload", tampered, ReasonBadSignature},
		{"signature removed", parts[0] + "." + parts[1] + ".", ReasonBadSignature},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(revokedRaw, ".")[2], ReasonBadSignature},

		{"missing exp", forge(t, hs256, with(map[string]any{"exp": nil}), testKey), ReasonMalformed},
		{"exp not a number", forge(t, hs256, with(map[string]any{"exp": "tomorrow"}), testKey), ReasonMalformed},
		{"exp 10s ago, within leeway", forge(t, hs256, with(map[string]any{"exp": t0.Add(-10 * time.Second).Unix()}), testKey), ""},
		{"exp 29s ago, within leeway", forge(t, hs256, with(map[string]any{"exp": t0.Add(-29 * time.Second).Unix()}), testKey), ""},
		{"exp 30s ago, leeway used up", forge(t, hs256, with(map[string]any{"exp": t0.Add(-30 * time.Second).Unix()}), testKey), ReasonExpired},
		{"exp an hour ago", forge(t, hs256, with(map[string]any{"exp": t0.Add(-time.Hour).Unix()}), testKey), ReasonExpired},
		{"nbf in 10s, within leeway", forge(t, hs256, with(map[string]any{"nbf": t0.Add(10 * time.Second).Unix()}), testKey), ""},
		{"nbf in 31s", forge(t, hs256, with(map[string]any{"nbf": t0.Add(31 * time.Second).Unix()}), testKey), ReasonNotYetValid},
		{"nbf in an hour", forge(t, hs256, with(map[string]any{"nbf": t0.Add(time.Hour).Unix()}), testKey), ReasonNotYetValid},
		{"iat in 10s, within leeway", forge(t, hs256, with(map[string]any{"iat": t0.Add(10 * time.Second).Unix()}), testKey), ""},
		{"iat in 31s", forge(t, hs256, with(map[string]any{"iat": t0.Add(31 * time.Second).Unix()}), testKey), ReasonNotYetValid},
		{"iat in an hour", forge(t, hs256, with(map[string]any{"iat": t0.Add(time.Hour).Unix()}), testKey), ReasonNotYetValid},
		{"missing iat", forge(t, hs256, with(map[string]any{"iat": nil}), testKey), ReasonMalformed},
		{"wrong iss", forge(t, hs256, with(map[string]any{"iss": "evil"}), testKey), ReasonMalformed},
		{"missing iss", forge(t, hs256, with(map[string]any{"iss": nil}), testKey), ReasonMalformed},
		{"wrong aud", forge(t, hs256, with(map[string]any{"aud": "evil"}), testKey), ReasonMalformed},
		{"missing aud", forge(t, hs256, with(map[string]any{"aud": nil}), testKey), ReasonMalformed},
		{"missing jti", forge(t, hs256, with(map[string]any{"jti": nil}), testKey), ReasonMalformed},
		{"empty jti", forge(t, hs256, with(map[string]any{"jti": ""}), testKey), ReasonMalformed},
		{"missing sub", forge(t, hs256, with(map[string]any{"sub": nil}), testKey), ReasonMalformed},
		{"sub not numeric", forge(t, hs256, with(map[string]any{"sub": "alice"}), testKey), ReasonMalformed},
		{"sub zero", forge(t, hs256, with(map[string]any{"sub": "0"}), testKey), ReasonMalformed},
		{"sub negative", forge(t, hs256, with(map[string]any{"sub": "-1"}), testKey), ReasonMalformed},
		{"sub beyond int64", forge(t, hs256, with(map[string]any{"sub": "9223372036854775808"}), testKey), ReasonMalformed},
		{"sub a JSON number", forge(t, hs256, with(map[string]any{"sub": 1}), testKey), ReasonMalformed},
		{"missing auth_time", forge(t, hs256, with(map[string]any{"auth_time": nil}), testKey), ReasonMalformed},
		{"missing sid", forge(t, hs256, with(map[string]any{"sid": nil}), testKey), ReasonMalformed},
		{"empty sid", forge(t, hs256, with(map[string]any{"sid": ""}), testKey), ReasonMalformed},

		{"empty string", "", ReasonMalformed},
		{"garbage", "not a token", ReasonMalformed},
		{"three dots of garbage", "a.b.c", ReasonMalformed},
		{"two parts", parts[0] + "." + parts[1], ReasonMalformed},
		{"four parts", valid + ".x", ReasonMalformed},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], ReasonMalformed},

		{"revoked jti", revokedRaw, ReasonRevoked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := f.tokens.Verify(tc.raw)
			if got := ReasonFor(err); got != tc.want {
				t.Fatalf("Verify: ReasonFor(%v) = %q, want %q", err, got, tc.want)
			}
			if tc.want == "" && c == nil {
				t.Fatal("Verify accepted the token but returned no claims")
			}
			if tc.want != "" && c != nil {
				t.Fatalf("Verify refused the token but returned claims %+v", c)
			}
		})
	}
}

// forgeHeader joins a header, a payload segment taken from elsewhere and a
// signature segment as given.
func forgeHeader(t *testing.T, header any, payloadSeg, sig string) string {
	t.Helper()
	b, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b) + "." + payloadSeg + "." + sig
}

func TestVerifyFollowsTheClock(t *testing.T) {
	f := newTokenFixture(t, TokenConfig{})
	raw, _ := f.issue(t, t0)
	steps := []struct {
		name    string
		advance time.Duration
		want    Reason
	}{
		{"just issued", 0, ""},
		{"just before exp", testTTL - time.Second, ""},
		{"10s past exp", 11 * time.Second, ""},
		{"30s past exp", 20 * time.Second, ReasonExpired},
	}
	for _, s := range steps {
		f.clock.Advance(s.advance)
		if _, err := f.tokens.Verify(raw); ReasonFor(err) != s.want {
			t.Fatalf("%s: Verify err = %v, want reason %q", s.name, err, s.want)
		}
	}
}

// A short-lived token gets a tenth of its TTL as leeway, not the full 30 s.
func TestVerifyLeewayScalesWithShortTTL(t *testing.T) {
	const ttl = time.Minute // leeway 6 s
	f := newTokenFixture(t, TokenConfig{TTL: ttl})
	raw, _ := f.issue(t, t0)
	steps := []struct {
		at   time.Duration
		want Reason
	}{
		{ttl + 5*time.Second, ""},
		{ttl + 6*time.Second, ReasonExpired},
		{ttl + 20*time.Second, ReasonExpired},
	}
	for _, s := range steps {
		f.clock.Set(t0.Add(s.at))
		if _, err := f.tokens.Verify(raw); ReasonFor(err) != s.want {
			t.Fatalf("at issue + %v: Verify err = %v, want reason %q", s.at, err, s.want)
		}
	}
	f.clock.Set(t0)
	future := forge(t, map[string]any{"alg": "HS256", "typ": "JWT"},
		with(map[string]any{"iat": t0.Add(7 * time.Second).Unix(), "exp": t0.Add(ttl).Unix()}), testKey)
	if _, err := f.tokens.Verify(future); ReasonFor(err) != ReasonNotYetValid {
		t.Fatalf("iat 7 s ahead with a 6 s leeway: err = %v, want not_yet_valid", err)
	}
}

func TestCurrentAndBearer(t *testing.T) {
	f := newTokenFixture(t, TokenConfig{})
	raw, _ := f.issue(t, t0)
	ghostRaw, _, err := f.tokens.Issue(User{ID: 999}, t0)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("cookie", func(t *testing.T) {
		tests := []struct {
			name   string
			cookie *http.Cookie
			want   Reason
		}{
			{"valid", &http.Cookie{Name: "authlab_token", Value: raw}, ""},
			{"no cookie", nil, ReasonMissing},
			{"empty cookie", &http.Cookie{Name: "authlab_token", Value: ""}, ReasonMissing},
			{"other cookie name", &http.Cookie{Name: "__Host-authlab_token", Value: raw}, ReasonMissing},
			{"garbage", &http.Cookie{Name: "authlab_token", Value: "garbage"}, ReasonMalformed},
			{"unknown user", &http.Cookie{Name: "authlab_token", Value: ghostRaw}, ReasonUnknownUser},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				if tc.cookie != nil {
					r.AddCookie(tc.cookie)
				}
				u, _, err := f.tokens.Current(r)
				if got := ReasonFor(err); got != tc.want {
					t.Fatalf("Current: reason %q (%v), want %q", got, err, tc.want)
				}
				if tc.want == "" && u.ID != f.alice.ID {
					t.Fatalf("Current user = %+v, want alice", u)
				}
			})
		}
	})

	t.Run("bearer", func(t *testing.T) {
		tests := []struct {
			name   string
			header string // "" means no Authorization header
			want   Reason
		}{
			{"valid", "Bearer " + raw, ""},
			{"scheme in lower case", "bearer " + raw, ""},
			{"no header", "", ReasonMissing},
			{"basic scheme", "Basic dXNlcjE6cGFzczEyMw==", ReasonMalformed},
			{"other scheme, valid token", "Token " + raw, ReasonMalformed},
			{"Basic scheme, valid token", "Basic " + raw, ReasonMalformed},
			{"token without scheme", raw, ReasonMalformed},
			{"scheme only", "Bearer", ReasonMalformed},
			{"scheme and space only", "Bearer ", ReasonMalformed},
			{"scheme and spaces only", "Bearer    ", ReasonMalformed},
			{"garbage token", "Bearer garbage", ReasonMalformed},
			{"unknown user", "Bearer " + ghostRaw, ReasonUnknownUser},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := httptest.NewRequest(http.MethodGet, "/api/auth", nil)
				if tc.header != "" {
					r.Header.Set("Authorization", tc.header)
				}
				u, c, err := f.tokens.Bearer(r)
				if got := ReasonFor(err); got != tc.want {
					t.Fatalf("Bearer(%q): reason %q (%v), want %q", tc.header, got, err, tc.want)
				}
				if tc.want == "" && (u.ID != f.alice.ID || c == nil) {
					t.Fatalf("Bearer user = %+v, claims %v; want alice", u, c)
				}
			})
		}
	})

	t.Run("never from the query string", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/?token="+raw+"&access_token="+raw+"&jwt="+raw+"&authlab_token="+raw, nil)
		if _, _, err := f.tokens.Current(r); !errors.Is(err, ErrNoCredentials) {
			t.Errorf("Current read a token from the query: err = %v", err)
		}
		if _, _, err := f.tokens.Bearer(r); !errors.Is(err, ErrNoCredentials) {
			t.Errorf("Bearer read a token from the query: err = %v", err)
		}
	})
}

func TestTokenCookieAttributes(t *testing.T) {
	for _, secure := range []bool{false, true} {
		name := "authlab_token"
		if secure {
			name = "__Host-authlab_token"
		}
		t.Run(name, func(t *testing.T) {
			f := newTokenFixture(t, TokenConfig{Secure: secure})
			if got := f.tokens.CookieName(); got != name {
				t.Fatalf("CookieName = %q, want %q", got, name)
			}
			rec := httptest.NewRecorder()
			if err := f.tokens.Login(rec, f.alice); err != nil {
				t.Fatal(err)
			}
			set := onlyCookie(t, rec.Result())
			assertCookieAttrs(t, set, name, secure)
			if set.MaxAge != 0 || !set.Expires.IsZero() {
				t.Errorf("login cookie has MaxAge %d, Expires %v; want a browser-session cookie", set.MaxAge, set.Expires)
			}
			c, err := f.tokens.Verify(set.Value)
			if err != nil {
				t.Fatalf("the cookie's token does not verify: %v", err)
			}
			if !c.AuthTime.Time.Equal(t0) {
				t.Errorf("auth_time = %v, want login time %v", c.AuthTime.Time, t0)
			}

			// Logging out must clear the cookie with the same attributes, or
			// the browser keeps the __Host- cookie.
			r := httptest.NewRequest(http.MethodPost, "/jwt/logout", nil)
			r.AddCookie(&http.Cookie{Name: name, Value: set.Value})
			rec = httptest.NewRecorder()
			if err := f.tokens.Logout(context.Background(), rec, r); err != nil {
				t.Fatal(err)
			}
			cleared := onlyCookie(t, rec.Result())
			assertCookieAttrs(t, cleared, name, secure)
			if cleared.Value != "" || cleared.MaxAge >= 0 {
				t.Errorf("logout cookie = %q, MaxAge %d; want it deleted", cleared.Value, cleared.MaxAge)
			}
		})
	}
}

func onlyCookie(t *testing.T, res *http.Response) *http.Cookie {
	t.Helper()
	cs := res.Cookies()
	if len(cs) != 1 {
		t.Fatalf("response sets %d cookies (%v), want 1", len(cs), res.Header.Values("Set-Cookie"))
	}
	return cs[0]
}

func assertCookieAttrs(t *testing.T, c *http.Cookie, name string, secure bool) {
	t.Helper()
	if c.Name != name {
		t.Errorf("cookie name = %q, want %q", c.Name, name)
	}
	if !c.HttpOnly {
		t.Error("cookie is not HttpOnly")
	}
	if c.SameSite != http.SameSiteLaxMode {
		t.Errorf("SameSite = %v, want Lax", c.SameSite)
	}
	if c.Path != "/" {
		t.Errorf("Path = %q, want /", c.Path)
	}
	if c.Secure != secure {
		t.Errorf("Secure = %v, want %v", c.Secure, secure)
	}
	if c.Domain != "" {
		t.Errorf("Domain = %q, want none (a __Host- cookie may not have one)", c.Domain)
	}
}

func TestLogoutRevokes(t *testing.T) {
	f := newTokenFixture(t, TokenConfig{})
	raw, c := f.issue(t, t0)
	other, _ := f.issue(t, t0)

	tests := []struct {
		name   string
		cookie string // "" means none
	}{
		{"valid token", raw},
		{"no cookie", ""},
		{"garbage cookie", "garbage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/jwt/logout", nil)
			if tc.cookie != "" {
				r.AddCookie(&http.Cookie{Name: f.tokens.CookieName(), Value: tc.cookie})
			}
			rec := httptest.NewRecorder()
			if err := f.tokens.Logout(context.Background(), rec, r); err != nil {
				t.Fatalf("Logout: %v", err)
			}
			if cl := onlyCookie(t, rec.Result()); cl.MaxAge >= 0 {
				t.Fatalf("Logout did not clear the cookie: %+v", cl)
			}
		})
	}
	if _, err := f.tokens.Verify(raw); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("Verify(logged-out token) err = %v, want ErrTokenRevoked", err)
	}
	if !f.tokens.IsRevoked(c.ID) || !f.revStore.has(c.ID) {
		t.Fatal("the jti is not on the revocation list in memory and in the store")
	}
	if _, err := f.tokens.Verify(other); err != nil {
		t.Fatalf("logging out one token revoked another: %v", err)
	}
	if !f.tokens.IsRevoked(c.SessionID) || !f.revStore.has(c.SessionID) {
		t.Fatal("the login's sid is not on the revocation list in memory and in the store")
	}
	if n := f.revoked.Len(); n != 2 {
		t.Fatalf("revocation list holds %d entries, want 2: the jti and the sid (garbage needs none)", n)
	}
}

func TestTokensRequire(t *testing.T) {
	f := newTokenFixture(t, TokenConfig{})
	valid, _ := f.issue(t, t0)
	revoked, rc := f.issue(t, t0)
	if err := f.tokens.RevokeClaims(context.Background(), rc); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(-2 * time.Hour))
	expired, _ := f.issue(t, t0.Add(-2*time.Hour))
	f.clock.Set(t0)

	tests := []struct {
		name   string
		cookie string
		want   Reason
	}{
		{"valid", valid, ""},
		{"none", "", ReasonMissing},
		{"expired", expired, ReasonExpired},
		{"revoked", revoked, ReasonRevoked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var denied error
			var reached bool
			h := f.tokens.Require(func(w http.ResponseWriter, r *http.Request, err error) {
				denied = err
				w.WriteHeader(http.StatusUnauthorized)
			})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached = true
				if u, ok := UserFrom(r.Context()); !ok || u.ID != f.alice.ID {
					t.Errorf("UserFrom = %+v, %v; want alice", u, ok)
				}
			}))
			r := httptest.NewRequest(http.MethodGet, "/jwt/dashboard", nil)
			if tc.cookie != "" {
				r.AddCookie(&http.Cookie{Name: f.tokens.CookieName(), Value: tc.cookie})
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if tc.want == "" {
				if !reached || denied != nil {
					t.Fatalf("valid token: reached %v, denied %v", reached, denied)
				}
				return
			}
			if reached {
				t.Fatal("the protected handler ran")
			}
			if got := ReasonFor(denied); got != tc.want {
				t.Fatalf("deny got %v (%q), want %q", denied, got, tc.want)
			}
		})
	}
}

// renewRequest runs one request with cookie raw through Renew and reports
// the cookie set, if any, and the token the handler saw.
func renewRequest(t *testing.T, f *tokenFixture, method, raw string) (set *http.Cookie, seen string, extra string) {
	t.Helper()
	h := f.tokens.Renew(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(f.tokens.CookieName()); err == nil {
			seen = c.Value
		}
		if c, err := r.Cookie("theme"); err == nil {
			extra = c.Value
		}
	}))
	r := httptest.NewRequest(method, "/jwt/dashboard", nil)
	r.AddCookie(&http.Cookie{Name: "theme", Value: "dark"})
	if raw != "" {
		r.AddCookie(&http.Cookie{Name: f.tokens.CookieName(), Value: raw})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	switch cs := rec.Result().Cookies(); len(cs) {
	case 0:
	case 1:
		set = cs[0]
	default:
		t.Fatalf("Renew set %d cookies", len(cs))
	}
	return set, seen, extra
}

func TestRenew(t *testing.T) {
	t.Run("more than half the TTL left", func(t *testing.T) {
		f := newTokenFixture(t, TokenConfig{})
		raw, _ := f.issue(t, t0)
		f.clock.Advance(testTTL/2 - time.Second)
		set, seen, _ := renewRequest(t, f, http.MethodGet, raw)
		if set != nil {
			t.Fatalf("renewed a token with more than half its life left: %v", set)
		}
		if seen != raw {
			t.Fatal("the handler did not see the request's token")
		}
	})

	t.Run("less than half the TTL left", func(t *testing.T) {
		f := newTokenFixture(t, TokenConfig{})
		raw, old := f.issue(t, t0)
		f.clock.Advance(testTTL/2 + time.Second)
		set, seen, extra := renewRequest(t, f, http.MethodGet, raw)
		if set == nil {
			t.Fatal("no new cookie for a token past half its life")
		}
		assertCookieAttrs(t, set, "authlab_token", false)
		c, err := f.tokens.Verify(set.Value)
		if err != nil {
			t.Fatalf("renewed token does not verify: %v", err)
		}
		if c.ID == old.ID {
			t.Error("renewed token kept the old jti")
		}
		if c.SessionID != old.SessionID {
			t.Errorf("renewal changed the login's sid from %q to %q", old.SessionID, c.SessionID)
		}
		if want := f.clock.Now().Add(testTTL); !c.ExpiresAt.Time.Equal(want) {
			t.Errorf("renewed exp = %v, want %v", c.ExpiresAt.Time, want)
		}
		if !c.AuthTime.Time.Equal(old.AuthTime.Time) {
			t.Errorf("renewal moved auth_time from %v to %v", old.AuthTime.Time, c.AuthTime.Time)
		}
		if c.Subject != old.Subject {
			t.Errorf("renewal changed sub from %q to %q", old.Subject, c.Subject)
		}
		if seen != set.Value {
			t.Error("the handler saw the old token, not the renewed one")
		}
		if extra != "dark" {
			t.Errorf("the handler lost the request's other cookies: theme = %q", extra)
		}
	})

	t.Run("HEAD renews too", func(t *testing.T) {
		f := newTokenFixture(t, TokenConfig{})
		raw, _ := f.issue(t, t0)
		f.clock.Advance(testTTL/2 + time.Second)
		if set, _, _ := renewRequest(t, f, http.MethodHead, raw); set == nil {
			t.Fatal("HEAD did not renew")
		}
	})

	for _, method := range []string{http.MethodPost, http.MethodDelete, http.MethodPut, http.MethodPatch} {
		t.Run("not on "+method, func(t *testing.T) {
			f := newTokenFixture(t, TokenConfig{})
			raw, _ := f.issue(t, t0)
			f.clock.Advance(testTTL/2 + time.Second)
			set, seen, _ := renewRequest(t, f, method, raw)
			if set != nil {
				t.Fatalf("%s renewed the token", method)
			}
			if seen != raw {
				t.Fatalf("%s handler did not see the presented token", method)
			}
		})
	}

	refused := []struct {
		name string
		make func(t *testing.T, f *tokenFixture) string
	}{
		{"no cookie", func(*testing.T, *tokenFixture) string { return "" }},
		{"garbage", func(*testing.T, *tokenFixture) string { return "garbage" }},
		{"expired", func(t *testing.T, f *tokenFixture) string {
			raw, _ := f.issue(t, t0)
			f.clock.Advance(testTTL + MaxLeeway)
			return raw
		}},
		{"revoked", func(t *testing.T, f *tokenFixture) string {
			raw, c := f.issue(t, t0)
			if err := f.tokens.RevokeClaims(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(testTTL/2 + time.Second)
			return raw
		}},
		{"wrong key", func(t *testing.T, f *tokenFixture) string {
			f.clock.Advance(testTTL/2 + time.Second)
			return signWith(t, jwt.SigningMethodHS256, []byte("ffffffffffffffffffffffffffffffff"), claimsAt(t0))
		}},
	}
	for _, tc := range refused {
		t.Run("never renews "+tc.name, func(t *testing.T) {
			f := newTokenFixture(t, TokenConfig{})
			raw := tc.make(t, f)
			if set, _, _ := renewRequest(t, f, http.MethodGet, raw); set != nil {
				t.Fatalf("renewed a %s token", tc.name)
			}
		})
	}
}

// A busy user is renewed up to auth_time + lifetime and no further.
func TestRenewStopsAtLifetime(t *testing.T) {
	const lifetime = time.Hour
	f := newTokenFixture(t, TokenConfig{Lifetime: lifetime})
	end := t0.Add(lifetime)
	f.clock.Set(t0.Add(40 * time.Minute))
	raw, _ := f.issue(t, t0) // exp t0+55m

	f.clock.Set(t0.Add(50 * time.Minute)) // 5m left: renew, but only to end
	set, _, _ := renewRequest(t, f, http.MethodGet, raw)
	if set == nil {
		t.Fatal("no renewal with 5 of 15 minutes left and 10 minutes of lifetime")
	}
	c, err := f.tokens.Verify(set.Value)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ExpiresAt.Time.Equal(end) {
		t.Fatalf("renewed exp = %v, want auth_time + lifetime = %v", c.ExpiresAt.Time, end)
	}

	for _, at := range []time.Duration{56 * time.Minute, 59 * time.Minute} {
		f.clock.Set(t0.Add(at))
		if again, _, _ := renewRequest(t, f, http.MethodGet, set.Value); again != nil {
			c2, _ := f.tokens.Verify(again.Value)
			t.Fatalf("at +%v renewed a token already ending at auth_time + lifetime; new exp %v", at, c2.ExpiresAt)
		}
	}

	f.clock.Set(end.Add(MaxLeeway))
	if _, err := f.tokens.Verify(set.Value); !errors.Is(err, ErrExpired) {
		t.Fatalf("after auth_time + lifetime + leeway: err = %v, want ErrExpired", err)
	}
	if again, _, _ := renewRequest(t, f, http.MethodGet, set.Value); again != nil {
		t.Fatal("renewed a token past the lifetime")
	}
}

// Renew runs before the handlers of every route, the logout routes
// included. Logout must revoke the token the browser presented; if Renew
// swapped in a fresh one first, the presented token would stay valid.
func TestLogoutThroughRenewRevokesPresentedToken(t *testing.T) {
	f := newTokenFixture(t, TokenConfig{})
	raw, _ := f.issue(t, t0)
	f.clock.Advance(testTTL/2 + time.Second)
	h := f.tokens.Renew(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f.tokens.Logout(r.Context(), w, r); err != nil {
			t.Error(err)
		}
	}))
	r := httptest.NewRequest(http.MethodPost, "/jwt/logout", nil)
	r.AddCookie(&http.Cookie{Name: f.tokens.CookieName(), Value: raw})
	h.ServeHTTP(httptest.NewRecorder(), r)
	if _, err := f.tokens.Verify(raw); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("the token presented at logout still verifies: err = %v", err)
	}
}

// A copy of a token taken before a renewal must die with the login: once
// the renewed token is logged out, the older copy is refused and cannot
// renew itself, although its own exp has not come.
func TestLogoutRevokesTokensRenewedFromTheSameLogin(t *testing.T) {
	f := newTokenFixture(t, TokenConfig{})
	stolen, _ := f.issue(t, t0)
	f.clock.Advance(testTTL/2 + time.Second)
	set, _, _ := renewRequest(t, f, http.MethodGet, stolen)
	if set == nil {
		t.Fatal("no renewal past half the TTL")
	}
	r := httptest.NewRequest(http.MethodPost, "/jwt/logout", nil)
	r.AddCookie(&http.Cookie{Name: f.tokens.CookieName(), Value: set.Value})
	if err := f.tokens.Logout(context.Background(), httptest.NewRecorder(), r); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if _, err := f.tokens.Verify(stolen); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("Verify(pre-renewal copy after logout) err = %v, want ErrTokenRevoked", err)
	}
	if again, _, _ := renewRequest(t, f, http.MethodGet, stolen); again != nil {
		t.Fatal("a pre-renewal copy renewed itself after logout")
	}
	other, _ := f.issue(t, f.clock.Now())
	if _, err := f.tokens.Verify(other); err != nil {
		t.Fatalf("logging out one login revoked another login's token: %v", err)
	}
}
