package routes_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestJWTExpiry moves the clock past a token's exp (and the leeway).
func TestJWTExpiry(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, withTokenTimes(10*time.Minute, time.Hour))
	c := ts.browser(t)
	ts.login(t, c, "jwt", "user1", "pass123")
	ts.clock.Advance(10*time.Minute + 31*time.Second)

	r := ts.get(t, c, "/jwt/dashboard")
	if r.status != http.StatusSeeOther || r.location() != "/jwt/login?next=%2Fjwt%2Fdashboard" {
		t.Errorf("dashboard: %d to %q, want 303 to the login", r.status, r.location())
	}
	if r.cookie("authlab_token") != nil {
		t.Errorf("an expired token was renewed")
	}
	if s := ts.status(t, c); s.Authenticated || s.Strategies.JWT.Reason != "expired" {
		t.Errorf("API: %+v, want reason expired", s.Strategies.JWT)
	}
	r = ts.get(t, c, "/compare")
	if got := testID(r.body, "reason-jwt"); got != "expired" {
		t.Errorf("compare reason %q, want expired", got)
	}
}

// TestJWTRenewal steps a fake clock through a token's life: a GET with less
// than half the TTL left swaps the cookie for a token with a new jti, and
// no renewal reaches past auth_time + the session lifetime.
func TestJWTRenewal(t *testing.T) {
	t.Parallel()
	const ttl, lifetime = 10 * time.Minute, 25 * time.Minute
	ts := newTestServer(t, withTokenTimes(ttl, lifetime))
	c := ts.browser(t)
	t0 := ts.clock.Now()
	token := ts.login(t, c, "jwt", "user1", "pass123")
	jti := ts.parseToken(t, token)["jti"].(string)

	steps := []struct {
		at    time.Duration // since login
		renew bool
		exp   time.Duration // of the renewed token, since login
	}{
		{at: 4 * time.Minute}, // 6 min left of 10
		{at: 6 * time.Minute, renew: true, exp: 16 * time.Minute}, // 4 min left
		{at: 9 * time.Minute}, // 7 min left of the new one
		{at: 12 * time.Minute, renew: true, exp: 22 * time.Minute},
		{at: 18 * time.Minute, renew: true, exp: lifetime}, // capped at auth_time + lifetime
		{at: 22 * time.Minute},                             // 3 min left, but no further to go
	}
	for _, s := range steps {
		ts.clock.Advance(t0.Add(s.at).Sub(ts.clock.Now()))
		r := ts.get(t, c, "/jwt/dashboard")
		if r.status != http.StatusOK {
			t.Fatalf("at %v: dashboard %d, want 200", s.at, r.status)
		}
		ck := r.cookie("authlab_token")
		if !s.renew {
			if ck != nil {
				t.Errorf("at %v: renewed, want the same token", s.at)
			}
			continue
		}
		if ck == nil {
			t.Fatalf("at %v: no new authlab_token cookie", s.at)
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
			t.Errorf("at %v: renewed cookie %s lacks HttpOnly, SameSite=Lax or Path=/", s.at, ck.Raw)
		}
		claims := ts.parseToken(t, ck.Value)
		newJTI, _ := claims["jti"].(string)
		if newJTI == "" || newJTI == jti {
			t.Errorf("at %v: jti %q, want a new one (old %q)", s.at, newJTI, jti)
		}
		iat, _ := claims.GetIssuedAt()
		exp, _ := claims.GetExpirationTime()
		if iat == nil || !iat.Equal(t0.Add(s.at)) {
			t.Errorf("at %v: iat %v, want now", s.at, iat)
		}
		if exp == nil || !exp.Equal(t0.Add(s.exp)) {
			t.Errorf("at %v: exp %v, want login + %v", s.at, exp, s.exp)
		}
		if at, _ := claims["auth_time"].(float64); int64(at) != t0.Unix() {
			t.Errorf("at %v: auth_time %v, want the login time %d", s.at, claims["auth_time"], t0.Unix())
		}
		if got := ts.jarCookie(t, c, "authlab_token"); got != ck.Value {
			t.Errorf("at %v: the jar did not take the new token", s.at)
		}
		// The page was drawn from the token the browser now holds.
		if !strings.Contains(r.body, newJTI) {
			t.Errorf("at %v: the dashboard shows another token than the one it set", s.at)
		}
		jti = newJTI
	}

	// Past the horizon the user logs in again.
	ts.clock.Advance(t0.Add(lifetime + 31*time.Second).Sub(ts.clock.Now()))
	r := ts.get(t, c, "/jwt/dashboard")
	if r.status != http.StatusSeeOther {
		t.Errorf("past auth_time + lifetime: %d, want 303", r.status)
	}
	if s := ts.status(t, c); s.Strategies.JWT.Reason != "expired" {
		t.Errorf("past auth_time + lifetime: %+v, want reason expired", s.Strategies.JWT)
	}
}

// TestLogoutInRenewalWindow logs out with a token that a GET would renew:
// the token the browser sent must be the one revoked.
func TestLogoutInRenewalWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
	}{
		{name: "form logout", method: http.MethodPost, path: "/jwt/logout"},
		{name: "API logout", method: http.MethodDelete, path: "/api/auth"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, withTokenTimes(10*time.Minute, time.Hour))
			c := ts.browser(t)
			token := ts.login(t, c, "jwt", "user1", "pass123")
			ts.clock.Advance(7 * time.Minute)
			r := ts.do(t, c, tc.method, tc.path, "", nil)
			if r.status != http.StatusSeeOther && r.status != http.StatusNoContent {
				t.Fatalf("logout: %d", r.status)
			}
			if v := ts.jarCookie(t, c, "authlab_token"); v != "" {
				t.Errorf("the browser still holds a token after logout")
			}
			s := ts.status(t, ts.curl(), "Authorization", "Bearer "+token)
			if s.Strategies.JWT.Authenticated || s.Strategies.JWT.Reason != "revoked" {
				t.Errorf("the logged-out token: %+v, want reason revoked", s.Strategies.JWT)
			}
		})
	}
}

// TestSessionIdleTimeout ends a session by its idle timeout, on the fake
// clock, in either store: a request a second before the timeout keeps the
// session, and a whole timeout without one ends it.
func TestSessionIdleTimeout(t *testing.T) {
	t.Parallel()
	for _, store := range []option{withIdle(30 * time.Minute), withMemoryStore()} {
		ts := newTestServer(t, store)
		c := ts.browser(t)
		ts.login(t, c, "session", "user1", "pass123")
		ts.clock.Advance(30*time.Minute - time.Second)
		if s := ts.status(t, c); !s.Strategies.Session.Authenticated {
			t.Fatalf("a second before the idle timeout: %+v", s.Strategies.Session)
		}
		ts.clock.Advance(30 * time.Minute)
		assertSessionEnded(t, ts, c)
	}
}

func assertSessionEnded(t *testing.T, ts *testServer, c *http.Client) {
	t.Helper()
	r := ts.get(t, c, "/session/dashboard")
	if r.status != http.StatusSeeOther || r.location() != "/session/login?next=%2Fsession%2Fdashboard" {
		t.Errorf("dashboard: %d to %q, want 303 to the login", r.status, r.location())
	}
	if s := ts.status(t, c); s.Authenticated || s.Strategies.Session.Reason != "expired" {
		t.Errorf("API: %+v, want reason expired", s.Strategies.Session)
	}
	r = ts.get(t, c, "/compare")
	if got := testID(r.body, "reason-session"); got != "expired" {
		t.Errorf("compare reason %q, want expired", got)
	}
}

// TestLogoutEndsAnExpiredLogin: the victim's token expired while they were
// away, and a thief kept a copy alive by renewing it. The victim's compare
// page offers to end the login, and logging out with the expired token
// refuses the thief's renewed one on its next request.
func TestLogoutEndsAnExpiredLogin(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	victim := ts.browser(t)
	stolen := ts.login(t, victim, "jwt", "user1", "pass123")

	// The thief renews the copy as its expiry nears; the victim is idle.
	ts.clock.Advance(8 * time.Minute)
	r := ts.get(t, ts.curl(), "/jwt/dashboard", "Cookie", "authlab_token="+stolen)
	renewed := r.cookie("authlab_token")
	if r.status != http.StatusOK || renewed == nil {
		t.Fatalf("the thief's renewal: %d, cookie %v", r.status, renewed)
	}
	ts.clock.Advance(8 * time.Minute)
	if s := ts.status(t, victim); s.Strategies.JWT.Reason != "expired" {
		t.Fatalf("the victim's own token: %+v, want expired", s.Strategies.JWT)
	}
	if s := ts.status(t, ts.curl(), "Cookie", "authlab_token="+renewed.Value); !s.Strategies.JWT.Authenticated {
		t.Fatalf("the thief's renewed token before the logout: %+v", s.Strategies.JWT)
	}

	page := ts.get(t, victim, "/compare")
	if !strings.Contains(page.body, `data-testid="end-login"`) {
		t.Fatal("the compare page does not offer to end the expired token's login")
	}
	if r := ts.postForm(t, victim, "/jwt/logout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("logout with the expired token: %d", r.status)
	}
	if s := ts.status(t, ts.curl(), "Cookie", "authlab_token="+renewed.Value); s.Strategies.JWT.Reason != "revoked" {
		t.Errorf("the thief's renewed token after the victim's logout: %+v, want revoked", s.Strategies.JWT)
	}
}

// TestNoEndForATokenThatIsNotGenuine: an expired token signed with
// another key names no login here; the page offers nothing to end.
func TestNoEndForATokenThatIsNotGenuine(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := ts.claims("1")
	c["exp"] = ts.clock.Now().Add(-time.Hour).Unix()
	c["iat"] = ts.clock.Now().Add(-2 * time.Hour).Unix()
	c["auth_time"] = c["iat"]
	forged := sign(t, jwt.SigningMethodHS256, []byte("another-key-another-key-another-key!"), c)
	page := ts.get(t, ts.curl(), "/compare", "Cookie", "authlab_token="+forged)
	if strings.Contains(page.body, `data-testid="end-login"`) {
		t.Error("the compare page offers to end the login of a forged token")
	}
	genuine := c
	genuineRaw := sign(t, jwt.SigningMethodHS256, testKey, genuine)
	if page := ts.get(t, ts.curl(), "/compare", "Cookie", "authlab_token="+genuineRaw); !strings.Contains(page.body, `data-testid="end-login"`) {
		t.Error("the compare page does not offer to end the login of a genuine expired token")
	}
}
