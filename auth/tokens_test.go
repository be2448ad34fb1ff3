package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authlab/authlab/auth/authtest"
)

const (
	testTTL      = 15 * time.Minute
	testLifetime = 24 * time.Hour
)

// newTokenFixture is newFixture with the token TTL and lifetime these
// tests are written for, unless opts sets its own.
func newTokenFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	if opts.TokenTTL == 0 {
		opts.TokenTTL = testTTL
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = testLifetime
	}
	return newFixture(t, opts)
}

// claimsAt are the claims of a valid token for user 1 issued at now.
func claimsAt(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"sub":       "1",
		"iat":       now.Unix(),
		"exp":       now.Add(testTTL).Unix(),
		"iss":       DefaultIssuer,
		"aud":       DefaultIssuer,
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

// with returns a copy of claimsAt(authtest.Start) changed by set; a nil value deletes.
func with(set map[string]any) jwt.MapClaims {
	c := claimsAt(authtest.Start)
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

func TestIssueVerifyRoundTrip(t *testing.T) {
	f := newTokenFixture(t, Options{})
	f.clock.Advance(time.Hour) // so that iat is not the clock's starting point
	now := f.clock.Now()
	u := User{ID: 42, Username: "bob"}
	st, err := f.a.Tokens.Issue(testRequest(), u)
	if err != nil {
		t.Fatal(err)
	}
	if !st.SignedIn() || st.User != u || st.Claims == nil {
		t.Fatalf("Issue = %+v, want a signed-in state for %+v with claims", st, u)
	}
	raw := st.Raw

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

	c, err := f.a.Tokens.Verify(raw)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"sub", c.Subject, "42"},
		{"userID", c.userID(), int64(42)},
		{"iss", c.Issuer, "authlab"},
		{"aud", []string(c.Audience), []string{"authlab"}},
		{"iat", c.IssuedAt.Time, now},
		{"exp", c.ExpiresAt.Time, now.Add(testTTL)},
		// Issue starts a login: the user typed their password now.
		{"auth_time", c.AuthTime.Time, now},
		{"jti", c.ID, st.Claims.ID},
		{"sid", c.SessionID, st.Claims.SessionID},
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
	if s := f.a.Settings(); s.TokenTTL != testTTL || s.Lifetime != testLifetime {
		t.Errorf("Settings TokenTTL, Lifetime = %v, %v; want %v, %v", s.TokenTTL, s.Lifetime, testTTL, testLifetime)
	}
	if len(c.ID) < 16 || len(c.SessionID) < 16 {
		t.Errorf("jti %q or sid %q is too short to be unguessable", c.ID, c.SessionID)
	}
}

// Every Issue starts a new login: a fresh jti and a fresh sid, so that
// logging out of one login never revokes another.
func TestIssueFreshJTIAndSID(t *testing.T) {
	f := newTokenFixture(t, Options{})
	seen := map[string]bool{}
	for range 100 {
		st, err := f.a.Tokens.Issue(testRequest(), f.alice)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{st.Claims.ID, st.Claims.SessionID} {
			if seen[id] {
				t.Fatalf("jti or sid %q issued twice", id)
			}
			seen[id] = true
		}
	}
}

func TestIssueCapsExpAtAuthTimePlusLifetime(t *testing.T) {
	f := newTokenFixture(t, Options{})
	tests := []struct {
		name     string
		authTime time.Time
		wantExp  time.Time
	}{
		{"fresh login", authtest.Start, authtest.Start.Add(testTTL)},
		{"lifetime ends after ttl", authtest.Start.Add(-testLifetime + testTTL + time.Second), authtest.Start.Add(testTTL)},
		{"lifetime ends within ttl", authtest.Start.Add(-testLifetime + 5*time.Minute), authtest.Start.Add(5 * time.Minute)},
		{"lifetime ends now", authtest.Start.Add(-testLifetime), authtest.Start},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := f.issue(t, tc.authTime).Claims
			if !c.ExpiresAt.Time.Equal(tc.wantExp) {
				t.Fatalf("exp = %v, want %v", c.ExpiresAt.Time, tc.wantExp)
			}
		})
	}
}

// Each way a token can be wrong, and the Reason it must be refused with.
func TestVerifyRefusesForgedTokens(t *testing.T) {
	f := newTokenFixture(t, Options{})
	otherKey := []byte("ffffffffffffffffffffffffffffffff")
	valid := f.issue(t, authtest.Start).Raw
	parts := strings.Split(valid, ".")

	// Alice's token with its payload changed to name user 2.
	payload := decodeSegment(t, parts[1])
	payload["sub"] = "2"
	pb, _ := json.Marshal(payload)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(pb) + "." + parts[2]

	noneToken := signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claimsAt(authtest.Start))

	revoked := f.issue(t, authtest.Start)
	revokedRaw := revoked.Raw
	if err := f.a.Tokens.Revoke(context.Background(), revoked.Claims); err != nil {
		t.Fatal(err)
	}

	hs256 := map[string]any{"alg": "HS256", "typ": "JWT"}
	tests := []struct {
		name string
		raw  string
		want Reason
	}{
		{"valid (control)", valid, ""},
		{"forged with the right key (control)", signWith(t, jwt.SigningMethodHS256, testKey, claimsAt(authtest.Start)), ""},

		{"alg none", noneToken, ReasonBadSignature},
		{"alg none, signature stripped from a real token", forgeHeader(t, map[string]any{"alg": "none"}, parts[1], ""), ReasonBadSignature},
		{"alg None", forge(t, map[string]any{"alg": "None"}, claimsAt(authtest.Start), testKey), ReasonBadSignature},
		{"HS384 with the right key", signWith(t, jwt.SigningMethodHS384, testKey, claimsAt(authtest.Start)), ReasonBadSignature},
		{"HS512 with the right key", signWith(t, jwt.SigningMethodHS512, testKey, claimsAt(authtest.Start)), ReasonBadSignature},
		{"RS256 header, HMAC signature", forge(t, map[string]any{"alg": "RS256"}, claimsAt(authtest.Start), testKey), ReasonBadSignature},
		{"wrong key", signWith(t, jwt.SigningMethodHS256, otherKey, claimsAt(authtest.Start)), ReasonBadSignature},
		{"tampered payload", tampered, ReasonBadSignature},
		{"signature removed", parts[0] + "." + parts[1] + ".", ReasonBadSignature},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(revokedRaw, ".")[2], ReasonBadSignature},

		{"missing exp", forge(t, hs256, with(map[string]any{"exp": nil}), testKey), ReasonMalformed},
		{"exp not a number", forge(t, hs256, with(map[string]any{"exp": "tomorrow"}), testKey), ReasonMalformed},
		{"exp 10s ago, within leeway", forge(t, hs256, with(map[string]any{"exp": authtest.Start.Add(-10 * time.Second).Unix()}), testKey), ""},
		{"exp 29s ago, within leeway", forge(t, hs256, with(map[string]any{"exp": authtest.Start.Add(-29 * time.Second).Unix()}), testKey), ""},
		{"exp 30s ago, leeway used up", forge(t, hs256, with(map[string]any{"exp": authtest.Start.Add(-30 * time.Second).Unix()}), testKey), ReasonExpired},
		{"exp an hour ago", forge(t, hs256, with(map[string]any{"exp": authtest.Start.Add(-time.Hour).Unix()}), testKey), ReasonExpired},
		{"nbf in 10s, within leeway", forge(t, hs256, with(map[string]any{"nbf": authtest.Start.Add(10 * time.Second).Unix()}), testKey), ""},
		{"nbf in 31s", forge(t, hs256, with(map[string]any{"nbf": authtest.Start.Add(31 * time.Second).Unix()}), testKey), ReasonNotYetValid},
		{"nbf in an hour", forge(t, hs256, with(map[string]any{"nbf": authtest.Start.Add(time.Hour).Unix()}), testKey), ReasonNotYetValid},
		{"iat in 10s, within leeway", forge(t, hs256, with(map[string]any{"iat": authtest.Start.Add(10 * time.Second).Unix()}), testKey), ""},
		{"iat in 31s", forge(t, hs256, with(map[string]any{"iat": authtest.Start.Add(31 * time.Second).Unix()}), testKey), ReasonNotYetValid},
		{"iat in an hour", forge(t, hs256, with(map[string]any{"iat": authtest.Start.Add(time.Hour).Unix()}), testKey), ReasonNotYetValid},
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
		{"new jti in a revoked login", forge(t, hs256, with(map[string]any{"jti": "fresh", "sid": revoked.Claims.SessionID}), testKey), ReasonRevoked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := f.a.Tokens.Verify(tc.raw)
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
	f := newTokenFixture(t, Options{})
	raw := f.issue(t, authtest.Start).Raw
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
		if _, err := f.a.Tokens.Verify(raw); ReasonFor(err) != s.want {
			t.Fatalf("%s: Verify err = %v, want reason %q", s.name, err, s.want)
		}
	}
}

// A short-lived token gets a tenth of its TTL as leeway, not the full 30 s.
func TestVerifyLeewayScalesWithShortTTL(t *testing.T) {
	const ttl = time.Minute // leeway 6 s
	f := newTokenFixture(t, Options{TokenTTL: ttl})
	raw := f.issue(t, authtest.Start).Raw
	steps := []struct {
		at   time.Duration
		want Reason
	}{
		{ttl + 5*time.Second, ""},
		{ttl + 6*time.Second, ReasonExpired},
		{ttl + 20*time.Second, ReasonExpired},
	}
	for _, s := range steps {
		f.clock.Set(authtest.Start.Add(s.at))
		if _, err := f.a.Tokens.Verify(raw); ReasonFor(err) != s.want {
			t.Fatalf("at issue + %v: Verify err = %v, want reason %q", s.at, err, s.want)
		}
	}
	f.clock.Set(authtest.Start)
	future := forge(t, map[string]any{"alg": "HS256", "typ": "JWT"},
		with(map[string]any{"iat": authtest.Start.Add(7 * time.Second).Unix(), "exp": authtest.Start.Add(ttl).Unix()}), testKey)
	if _, err := f.a.Tokens.Verify(future); ReasonFor(err) != ReasonNotYetValid {
		t.Fatalf("iat 7 s ahead with a 6 s leeway: err = %v, want not_yet_valid", err)
	}
}

// TestTokenIdentity is what Identify makes of a JWT in the cookie and in
// the Authorization header.
func TestTokenIdentity(t *testing.T) {
	f := newTokenFixture(t, Options{})
	raw := f.issue(t, authtest.Start).Raw
	ghost, err := f.a.Tokens.Issue(testRequest(), User{ID: 999})
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
			{"unknown user", &http.Cookie{Name: "authlab_token", Value: ghost.Raw}, ReasonUnknownUser},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				if tc.cookie != nil {
					r.AddCookie(tc.cookie)
				}
				var id Identity
				f.serve(r, func(_ http.ResponseWriter, r *http.Request) { id, _ = IdentityFrom(r.Context()) })
				if got := ReasonFor(id.JWT.Err); got != tc.want {
					t.Fatalf("JWT: reason %q (%v), want %q", got, id.JWT.Err, tc.want)
				}
				if tc.want == "" && (id.JWT.User.ID != f.alice.ID || id.JWT.Claims == nil || id.JWT.Raw != raw) {
					t.Fatalf("JWT = %+v, want alice with claims and the raw token", id.JWT)
				}
				if id.Bearer.Err != ErrNoCredentials {
					t.Errorf("a cookie counted as a Bearer header: %v", id.Bearer.Err)
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
			{"unknown user", "Bearer " + ghost.Raw, ReasonUnknownUser},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				id := f.identify(t, creds{bearer: tc.header})
				if got := ReasonFor(id.Bearer.Err); got != tc.want {
					t.Fatalf("Bearer(%q): reason %q (%v), want %q", tc.header, got, id.Bearer.Err, tc.want)
				}
				if tc.want == "" && (id.Bearer.User.ID != f.alice.ID || id.Bearer.Claims == nil) {
					t.Fatalf("Bearer = %+v; want alice with claims", id.Bearer)
				}
				if id.JWT.Err != ErrNoCredentials {
					t.Errorf("a Bearer header counted as the JWT cookie: %v", id.JWT.Err)
				}
			})
		}
	})

	t.Run("never from the query string", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodGet, "/?token="+raw+"&access_token="+raw+"&jwt="+raw+"&authlab_token="+raw, nil)
		var id Identity
		f.serve(r, func(_ http.ResponseWriter, r *http.Request) { id, _ = IdentityFrom(r.Context()) })
		if !errors.Is(id.JWT.Err, ErrNoCredentials) {
			t.Errorf("the JWT cookie was read from the query: err = %v", id.JWT.Err)
		}
		if !errors.Is(id.Bearer.Err, ErrNoCredentials) {
			t.Errorf("a Bearer token was read from the query: err = %v", id.Bearer.Err)
		}
	})
}

// logoutHandler logs the JWT out as an app does: with the state Identify
// found for the cookie.
func logoutHandler(t *testing.T, f *fixture) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, _ := IdentityFrom(r.Context())
		st, err := f.a.Tokens.Logout(r.Context(), w, id.JWT)
		if err != nil {
			t.Errorf("Logout: %v", err)
			return
		}
		if st.SignedIn() || ReasonFor(st.Err) != ReasonMissing {
			t.Errorf("Logout returned %+v, want a state with no token", st)
		}
	}
}

func TestTokenCookieAttributes(t *testing.T) {
	for _, secure := range []bool{false, true} {
		name := "authlab_token"
		if secure {
			name = "__Host-authlab_token"
		}
		t.Run(name, func(t *testing.T) {
			f := newTokenFixture(t, Options{Secure: secure})
			if got := f.a.Settings().TokenCookie; got != name {
				t.Fatalf("Settings().TokenCookie = %q, want %q", got, name)
			}
			rec := httptest.NewRecorder()
			if _, err := f.a.Tokens.Login(rec, testRequest(), f.alice); err != nil {
				t.Fatal(err)
			}
			set := onlyCookie(t, rec.Result())
			assertCookieAttrs(t, set, name, secure)
			if set.MaxAge != 0 || !set.Expires.IsZero() {
				t.Errorf("login cookie has MaxAge %d, Expires %v; want a browser-session cookie", set.MaxAge, set.Expires)
			}
			c, err := f.a.Tokens.Verify(set.Value)
			if err != nil {
				t.Fatalf("the cookie's token does not verify: %v", err)
			}
			if !c.AuthTime.Time.Equal(authtest.Start) {
				t.Errorf("auth_time = %v, want login time %v", c.AuthTime.Time, authtest.Start)
			}

			// Logging out must clear the cookie with the same attributes, or
			// the browser keeps the __Host- cookie.
			rec = f.serve(f.request(http.MethodPost, "/jwt/logout", creds{jwt: set.Value}), logoutHandler(t, f))
			cleared := onlyCookie(t, rec.Result())
			assertCookieAttrs(t, cleared, name, secure)
			if cleared.Value != "" || cleared.MaxAge >= 0 {
				t.Errorf("logout cookie = %q, MaxAge %d; want it deleted", cleared.Value, cleared.MaxAge)
			}
			if _, err := f.a.Tokens.Verify(set.Value); !errors.Is(err, ErrTokenRevoked) {
				t.Errorf("the logged-out cookie still verifies: %v", err)
			}
		})
	}
}

func TestLogoutRevokes(t *testing.T) {
	f := newTokenFixture(t, Options{})
	st := f.issue(t, authtest.Start)
	raw, c := st.Raw, st.Claims
	other := f.issue(t, authtest.Start).Raw

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
			rec := f.serve(f.request(http.MethodPost, "/jwt/logout", creds{jwt: tc.cookie}), logoutHandler(t, f))
			if cl := onlyCookie(t, rec.Result()); cl.MaxAge >= 0 {
				t.Fatalf("Logout did not clear the cookie: %+v", cl)
			}
		})
	}
	if _, err := f.a.Tokens.Verify(raw); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("Verify(logged-out token) err = %v, want ErrTokenRevoked", err)
	}
	if !f.a.Tokens.IsRevoked(c.ID) || !f.revStore.has(c.ID) {
		t.Fatal("the jti is not on the revocation list in memory and in the store")
	}
	if _, err := f.a.Tokens.Verify(other); err != nil {
		t.Fatalf("logging out one token revoked another: %v", err)
	}
	if !f.a.Tokens.IsRevoked(c.SessionID) || !f.revStore.has(c.SessionID) {
		t.Fatal("the login's sid is not on the revocation list in memory and in the store")
	}
	if n, m := inMemory(f.a.Tokens.revoked), f.revStore.len(); n != 2 || m != 2 {
		t.Fatalf("revocation list holds %d entries in memory, %d in the store; want 2: the jti and the sid (garbage needs none)", n, m)
	}
}

func TestTokensRequire(t *testing.T) {
	f := newTokenFixture(t, Options{})
	valid := f.issue(t, authtest.Start).Raw
	revoked := f.issue(t, authtest.Start)
	if err := f.a.Tokens.Revoke(context.Background(), revoked.Claims); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(authtest.Start.Add(-2 * time.Hour))
	expired := f.issue(t, authtest.Start.Add(-2*time.Hour)).Raw
	f.clock.Set(authtest.Start)

	tests := []struct {
		name  string
		creds creds
		want  Reason
	}{
		{"valid", creds{jwt: valid}, ""},
		{"none", creds{}, ReasonMissing},
		{"expired", creds{jwt: expired}, ReasonExpired},
		{"revoked", creds{jwt: revoked.Raw}, ReasonRevoked},
		// Require guards the browser's cookie; an API client's header is
		// for the handlers that read Identity.Bearer.
		{"Bearer header only", creds{bearer: "Bearer " + valid}, ReasonMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var denied error
			var reached bool
			deny := func(w http.ResponseWriter, r *http.Request, err error) {
				denied = err
				w.WriteHeader(http.StatusUnauthorized)
			}
			rec := f.serve(f.request(http.MethodGet, "/jwt/dashboard", tc.creds), func(w http.ResponseWriter, r *http.Request) {
				reached = true
				if id, ok := IdentityFrom(r.Context()); !ok || id.JWT.User.ID != f.alice.ID {
					t.Errorf("IdentityFrom = %+v, %v; want alice's token", id.JWT, ok)
				}
			}, f.a.Tokens.Require(deny))
			if tc.want == "" {
				if !reached || denied != nil || rec.Code != http.StatusOK {
					t.Fatalf("valid token: reached %v, denied %v, status %d", reached, denied, rec.Code)
				}
				return
			}
			if reached {
				t.Fatal("the protected handler ran")
			}
			if got := ReasonFor(denied); got != tc.want || rec.Code != http.StatusUnauthorized {
				t.Fatalf("deny got %v (%q), status %d; want %q, 401", denied, got, rec.Code, tc.want)
			}
		})
	}
}

// renewed is what one request through Renew did.
type renewed struct {
	set    *http.Cookie // the JWT cookie Renew set, if any
	seen   TokenState   // the JWT in the Identity the handler read
	header string       // the JWT cookie in the request the handler got
	theme  string       // another cookie of that request
}

// renewRequest runs one request with JWT cookie raw ("" for none) through
// LoadAndSave, Identify and Renew.
func renewRequest(t *testing.T, f *fixture, method, raw string) renewed {
	t.Helper()
	var got renewed
	r := f.request(method, "/jwt/dashboard", creds{jwt: raw})
	r.AddCookie(&http.Cookie{Name: "theme", Value: "dark"})
	rec := f.serve(r, func(w http.ResponseWriter, r *http.Request) {
		id, _ := IdentityFrom(r.Context())
		got.seen = id.JWT
		if c, err := r.Cookie(f.a.Settings().TokenCookie); err == nil {
			got.header = c.Value
		}
		if c, err := r.Cookie("theme"); err == nil {
			got.theme = c.Value
		}
	}, f.a.Tokens.Renew)
	switch cs := rec.Result().Cookies(); len(cs) {
	case 0:
	case 1:
		got.set = cs[0]
	default:
		t.Fatalf("Renew set %d cookies", len(cs))
	}
	return got
}

func TestRenew(t *testing.T) {
	t.Run("more than half the TTL left", func(t *testing.T) {
		f := newTokenFixture(t, Options{})
		raw := f.issue(t, authtest.Start).Raw
		f.clock.Advance(testTTL/2 - time.Second)
		got := renewRequest(t, f, http.MethodGet, raw)
		if got.set != nil {
			t.Fatalf("renewed a token with more than half its life left: %v", got.set)
		}
		if got.seen.Raw != raw || !got.seen.SignedIn() {
			t.Fatal("the handler did not see the request's token")
		}
	})

	t.Run("less than half the TTL left", func(t *testing.T) {
		f := newTokenFixture(t, Options{})
		st := f.issue(t, authtest.Start)
		raw, old := st.Raw, st.Claims
		f.clock.Advance(testTTL/2 + time.Second)
		got := renewRequest(t, f, http.MethodGet, raw)
		if got.set == nil {
			t.Fatal("no new cookie for a token past half its life")
		}
		assertCookieAttrs(t, got.set, "authlab_token", false)
		c, err := f.a.Tokens.Verify(got.set.Value)
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
		if got.seen.Raw != got.set.Value || got.seen.Claims.ID != c.ID || got.seen.User != f.alice {
			t.Errorf("the handler's Identity holds %+v, not the renewed token", got.seen)
		}
		// The request itself is left as the browser sent it.
		if got.header != raw || got.theme != "dark" {
			t.Errorf("the request's cookies changed: token %q, theme %q", got.header, got.theme)
		}
	})

	t.Run("HEAD renews too", func(t *testing.T) {
		f := newTokenFixture(t, Options{})
		raw := f.issue(t, authtest.Start).Raw
		f.clock.Advance(testTTL/2 + time.Second)
		if got := renewRequest(t, f, http.MethodHead, raw); got.set == nil || got.seen.Raw != got.set.Value {
			t.Fatalf("HEAD did not renew: %+v", got)
		}
	})

	for _, method := range []string{http.MethodPost, http.MethodDelete, http.MethodPut, http.MethodPatch} {
		t.Run("not on "+method, func(t *testing.T) {
			f := newTokenFixture(t, Options{})
			raw := f.issue(t, authtest.Start).Raw
			f.clock.Advance(testTTL/2 + time.Second)
			got := renewRequest(t, f, method, raw)
			if got.set != nil {
				t.Fatalf("%s renewed the token", method)
			}
			if got.seen.Raw != raw {
				t.Fatalf("%s handler did not see the presented token", method)
			}
		})
	}

	refused := []struct {
		name string
		make func(t *testing.T, f *fixture) string
	}{
		{"no cookie", func(*testing.T, *fixture) string { return "" }},
		{"garbage", func(*testing.T, *fixture) string { return "garbage" }},
		{"expired", func(t *testing.T, f *fixture) string {
			raw := f.issue(t, authtest.Start).Raw
			f.clock.Advance(testTTL + maxLeeway)
			return raw
		}},
		{"revoked", func(t *testing.T, f *fixture) string {
			st := f.issue(t, authtest.Start)
			if err := f.a.Tokens.Revoke(context.Background(), st.Claims); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(testTTL/2 + time.Second)
			return st.Raw
		}},
		{"wrong key", func(t *testing.T, f *fixture) string {
			f.clock.Advance(testTTL/2 + time.Second)
			return signWith(t, jwt.SigningMethodHS256, []byte("ffffffffffffffffffffffffffffffff"), claimsAt(authtest.Start))
		}},
		{"unknown user", func(t *testing.T, f *fixture) string {
			st, err := f.a.Tokens.Issue(testRequest(), User{ID: 999})
			if err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(testTTL/2 + time.Second)
			return st.Raw
		}},
	}
	for _, tc := range refused {
		t.Run("never renews "+tc.name, func(t *testing.T) {
			f := newTokenFixture(t, Options{})
			raw := tc.make(t, f)
			if got := renewRequest(t, f, http.MethodGet, raw); got.set != nil {
				t.Fatalf("renewed a %s token", tc.name)
			}
		})
	}
}

// A busy user is renewed up to auth_time + lifetime and no further.
func TestRenewStopsAtLifetime(t *testing.T) {
	const lifetime = time.Hour
	f := newTokenFixture(t, Options{Lifetime: lifetime})
	end := authtest.Start.Add(lifetime)
	f.clock.Set(authtest.Start.Add(40 * time.Minute))
	raw := f.issue(t, authtest.Start).Raw // exp start+55m

	f.clock.Set(authtest.Start.Add(50 * time.Minute)) // 5m left: renew, but only to end
	got := renewRequest(t, f, http.MethodGet, raw)
	if got.set == nil {
		t.Fatal("no renewal with 5 of 15 minutes left and 10 minutes of lifetime")
	}
	c, err := f.a.Tokens.Verify(got.set.Value)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ExpiresAt.Time.Equal(end) {
		t.Fatalf("renewed exp = %v, want auth_time + lifetime = %v", c.ExpiresAt.Time, end)
	}

	for _, at := range []time.Duration{56 * time.Minute, 59 * time.Minute} {
		f.clock.Set(authtest.Start.Add(at))
		if again := renewRequest(t, f, http.MethodGet, got.set.Value); again.set != nil {
			c2, _ := f.a.Tokens.Verify(again.set.Value)
			t.Fatalf("at +%v renewed a token already ending at auth_time + lifetime; new exp %v", at, c2.ExpiresAt)
		}
	}

	f.clock.Set(end.Add(maxLeeway))
	if _, err := f.a.Tokens.Verify(got.set.Value); !errors.Is(err, ErrExpired) {
		t.Fatalf("after auth_time + lifetime + leeway: err = %v, want ErrExpired", err)
	}
	if again := renewRequest(t, f, http.MethodGet, got.set.Value); again.set != nil {
		t.Fatal("renewed a token past the lifetime")
	}
}

// Renew runs before the handlers of every route, the logout routes
// included. Logout must revoke the token the browser presented; if Renew
// swapped in a fresh one first, the presented token would stay valid.
func TestLogoutThroughRenewRevokesPresentedToken(t *testing.T) {
	f := newTokenFixture(t, Options{})
	raw := f.issue(t, authtest.Start).Raw
	f.clock.Advance(testTTL/2 + time.Second)
	rec := f.serve(f.request(http.MethodPost, "/jwt/logout", creds{jwt: raw}), logoutHandler(t, f), f.a.Tokens.Renew)
	if cl := onlyCookie(t, rec.Result()); cl.Value != "" || cl.MaxAge >= 0 {
		t.Fatalf("logout through Renew set cookie %+v, want only the cleared one", cl)
	}
	if _, err := f.a.Tokens.Verify(raw); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("the token presented at logout still verifies: err = %v", err)
	}
}

// A copy of a token taken before a renewal must die with the login: once
// the renewed token is logged out, the older copy is refused and cannot
// renew itself, although its own exp has not come.
func TestLogoutRevokesTokensRenewedFromTheSameLogin(t *testing.T) {
	f := newTokenFixture(t, Options{})
	stolen := f.issue(t, authtest.Start).Raw
	f.clock.Advance(testTTL/2 + time.Second)
	got := renewRequest(t, f, http.MethodGet, stolen)
	if got.set == nil {
		t.Fatal("no renewal past half the TTL")
	}
	f.serve(f.request(http.MethodPost, "/jwt/logout", creds{jwt: got.set.Value}), logoutHandler(t, f))
	if _, err := f.a.Tokens.Verify(stolen); !errors.Is(err, ErrTokenRevoked) {
		t.Fatalf("Verify(pre-renewal copy after logout) err = %v, want ErrTokenRevoked", err)
	}
	if again := renewRequest(t, f, http.MethodGet, stolen); again.set != nil {
		t.Fatal("a pre-renewal copy renewed itself after logout")
	}
	other := f.issue(t, f.clock.Now()).Raw
	if _, err := f.a.Tokens.Verify(other); err != nil {
		t.Fatalf("logging out one login revoked another login's token: %v", err)
	}
}

// TestVerifyRefusesWhatRFC7519DoesNotMean defends the checks the jwt
// package leaves to its caller. Every token here is signed with the
// server's own key, so only the check named can refuse it.
func TestVerifyRefusesWhatRFC7519DoesNotMean(t *testing.T) {
	f := newFixture(t, Options{TokenTTL: testTTL, Lifetime: testLifetime})
	now := f.clock.Now()
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	valid := fmt.Sprintf(`"iss":"authlab","aud":"authlab","iat":%d,"exp":%d,"jti":"j","sid":"s","auth_time":%d`,
		now.Unix(), now.Add(testTTL).Unix(), now.Unix())
	hs256 := raw(`{"alg":"HS256","typ":"JWT"}`)
	tests := []struct {
		name    string
		header  json.RawMessage
		payload json.RawMessage
		want    error
	}{
		{"the control: all well", hs256, raw(`{"sub":"1",` + valid + `}`), nil},
		{"SUB for sub", hs256, raw(`{"SUB":"1",` + valid + `}`), ErrMalformed},
		{"Exp beside exp", hs256, raw(`{"sub":"1",` + valid + `,"Exp":99999999999}`), ErrMalformed},
		{"sub twice, the second another user", hs256, raw(`{"sub":"1",` + valid + `,"sub":"2"}`), ErrMalformed},
		{"alg twice", raw(`{"alg":"HS256","typ":"JWT","alg":"HS256"}`), raw(`{"sub":"1",` + valid + `}`), ErrMalformed},
		{"ALG for alg", raw(`{"ALG":"HS256","alg":"HS256"}`), raw(`{"sub":"1",` + valid + `}`), ErrMalformed},
		{"crit header", raw(`{"alg":"HS256","crit":["exp"]}`), raw(`{"sub":"1",` + valid + `}`), ErrMalformed},
		{"typ not JWT", raw(`{"alg":"HS256","typ":"at+jwt"}`), raw(`{"sub":"1",` + valid + `}`), ErrMalformed},
		{"no typ", raw(`{"alg":"HS256"}`), raw(`{"sub":"1",` + valid + `}`), nil},
		{"sub 00, user 0 in disguise", hs256, raw(`{"sub":"00",` + valid + `}`), ErrMalformed},
		{"sub with a leading zero", hs256, raw(`{"sub":"01",` + valid + `}`), ErrMalformed},
		{"exp as a string", hs256, raw(fmt.Sprintf(
			`{"sub":"1","iss":"authlab","aud":"authlab","iat":%d,"exp":"%d","jti":"j","sid":"s","auth_time":%d}`,
			now.Unix(), now.Add(testTTL).Unix(), now.Unix())), ErrMalformed},
		{"exp past the year 9999", hs256, raw(fmt.Sprintf(
			`{"sub":"1","iss":"authlab","aud":"authlab","iat":%d,"exp":253402300800,"jti":"j","sid":"s","auth_time":%d}`,
			now.Unix(), now.Unix())), ErrMalformed},
		{"exp past auth_time plus the lifetime", hs256, raw(fmt.Sprintf(
			`{"sub":"1","iss":"authlab","aud":"authlab","iat":%d,"exp":%d,"jti":"j","sid":"s","auth_time":%d}`,
			now.Unix(), now.Add(testLifetime+time.Second).Unix(), now.Add(-time.Second).Unix())), ErrMalformed},
		{"auth_time after iat", hs256, raw(fmt.Sprintf(
			`{"sub":"1","iss":"authlab","aud":"authlab","iat":%d,"exp":%d,"jti":"j","sid":"s","auth_time":%d}`,
			now.Add(-time.Minute).Unix(), now.Add(testTTL).Unix(), now.Unix())), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.a.Tokens.Verify(forge(t, tc.header, tc.payload, testKey))
			if tc.want == nil && err != nil {
				t.Fatalf("Verify = %v, want the token accepted", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}
