package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authlab/authlab/auth/authtest"
)

func TestReasonFor(t *testing.T) {
	tests := []struct {
		err  error
		want Reason
	}{
		{nil, ""},
		{ErrNoCredentials, ReasonMissing},
		{ErrMalformed, ReasonMalformed},
		{ErrBadSignature, ReasonBadSignature},
		{ErrExpired, ReasonExpired},
		{ErrSessionEnded, ReasonExpired},
		{ErrNotYetValid, ReasonNotYetValid},
		{ErrTokenRevoked, ReasonRevoked},
		{ErrUnknownUser, ReasonUnknownUser},
		{fmt.Errorf("auth: verify token: %w", ErrBadSignature), ReasonBadSignature},
		{errors.New("something else"), ReasonMalformed},
	}
	for _, tc := range tests {
		name := "nil"
		if tc.err != nil {
			name = tc.err.Error()
		}
		t.Run(name, func(t *testing.T) {
			if got := ReasonFor(tc.err); got != tc.want {
				t.Fatalf("ReasonFor(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestCookieName(t *testing.T) {
	tests := []struct {
		base   string
		secure bool
		want   string
	}{
		{"authlab_session", false, "authlab_session"},
		{"authlab_session", true, "__Host-authlab_session"},
		{"authlab_token", false, "authlab_token"},
		{"authlab_token", true, "__Host-authlab_token"},
	}
	for _, tc := range tests {
		if got := cookieName(tc.base, tc.secure); got != tc.want {
			t.Errorf("cookieName(%q, %v) = %q, want %q", tc.base, tc.secure, got, tc.want)
		}
	}
}

// requiredOptions are the Options New cannot do without, over fresh
// in-memory stores, with a cheap hasher and the clock given.
func requiredOptions(clock Clock) Options {
	return Options{
		Users:        newMemUsers(),
		SessionStore: memstore.NewWithCleanupInterval(0),
		Revocations:  newMemRevocations(),
		Logins:       newMemLogins(),
		Throttle:     newMemThrottle(),
		Key:          testKey,
		Hasher:       NewHasher(cheapParams, 1),
		Clock:        clock,
	}
}

// TestNewFillsDefaults checks each zero Option against the default its
// comment names, where it takes effect: the cookies set at login, the
// claims of the tokens issued and the deadlines of the session; and that
// Settings reports the same values.
func TestNewFillsDefaults(t *testing.T) {
	tests := []struct {
		name   string
		set    func(*Options)
		want   Settings
		secure bool
	}{
		{"zero options take the defaults", func(*Options) {}, Settings{
			SessionCookie: DefaultSessionCookie, TokenCookie: DefaultTokenCookie,
			IdleTimeout: DefaultIdleTimeout, IdleStep: time.Minute, Lifetime: DefaultLifetime, TokenTTL: DefaultTokenTTL,
			Issuer: DefaultIssuer,
		}, false},
		{"own names and timeouts", func(o *Options) {
			o.Issuer, o.SessionCookie, o.TokenCookie = "shop", "shop_sid", "shop_jwt"
			o.IdleTimeout, o.Lifetime, o.TokenTTL = 5*time.Minute, 2*time.Hour, time.Minute
		}, Settings{
			SessionCookie: "shop_sid", TokenCookie: "shop_jwt",
			IdleTimeout: 5 * time.Minute, IdleStep: 30 * time.Second, Lifetime: 2 * time.Hour, TokenTTL: time.Minute,
			Issuer: "shop",
		}, false},
		{"secure prefixes __Host-", func(o *Options) { o.Secure = true }, Settings{
			SessionCookie: "__Host-" + DefaultSessionCookie, TokenCookie: "__Host-" + DefaultTokenCookie,
			IdleTimeout: DefaultIdleTimeout, IdleStep: time.Minute, Lifetime: DefaultLifetime, TokenTTL: DefaultTokenTTL,
			Issuer: DefaultIssuer,
		}, true},
		{"secure prefixes own names", func(o *Options) {
			o.Secure, o.SessionCookie, o.TokenCookie = true, "shop_sid", "shop_jwt"
		}, Settings{
			SessionCookie: "__Host-shop_sid", TokenCookie: "__Host-shop_jwt",
			IdleTimeout: DefaultIdleTimeout, IdleStep: time.Minute, Lifetime: DefaultLifetime, TokenTTL: DefaultTokenTTL,
			Issuer: DefaultIssuer,
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := authtest.NewClock()
			opts := requiredOptions(clock.Now)
			tc.set(&opts)
			a, err := New(context.Background(), opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := a.Settings(); got != tc.want {
				t.Errorf("Settings = %+v, want %+v", got, tc.want)
			}
			alice, err := a.Users.SignUp(context.Background(), "alice", "correct horse")
			if err != nil {
				t.Fatal(err)
			}

			// The session cookie and record of a login.
			var st SessionState
			rec := httptest.NewRecorder()
			a.Sessions.LoadAndSave(a.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var err error
				if st, err = a.Sessions.Login(r, alice); err != nil {
					t.Error(err)
				}
			}))).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/login", nil))
			assertCookieAttrs(t, onlyCookie(t, rec.Result()), tc.want.SessionCookie, tc.secure)
			if want := authtest.Start.Add(tc.want.IdleTimeout); !st.Record.IdleDeadline.Equal(want) {
				t.Errorf("session IdleDeadline = %v, want clock + %v", st.Record.IdleDeadline, tc.want.IdleTimeout)
			}
			if want := authtest.Start.Add(tc.want.Lifetime); !st.Record.Deadline.Equal(want) {
				t.Errorf("session Deadline = %v, want clock + %v", st.Record.Deadline, tc.want.Lifetime)
			}

			// The JWT cookie and claims of a login.
			rec = httptest.NewRecorder()
			tok, err := a.Tokens.Login(rec, testRequest(), alice)
			if err != nil {
				t.Fatal(err)
			}
			assertCookieAttrs(t, onlyCookie(t, rec.Result()), tc.want.TokenCookie, tc.secure)
			payload := decodeSegment(t, strings.Split(tok.Raw, ".")[1])
			if payload["iss"] != tc.want.Issuer || !slices.Equal(stringsOf(payload["aud"]), []string{tc.want.Issuer}) {
				t.Errorf("iss, aud = %v, %v; want %q for both", payload["iss"], payload["aud"], tc.want.Issuer)
			}
			if got := tok.Claims.ExpiresAt.Sub(tok.Claims.IssuedAt.Time); got != tc.want.TokenTTL {
				t.Errorf("exp - iat = %v, want %v", got, tc.want.TokenTTL)
			}
			if _, err := a.Tokens.Verify(tok.Raw); err != nil {
				t.Errorf("Verify(own token): %v", err)
			}
			// The issuer is checked as well as stamped.
			const other = "someone-else"
			foreign := forge(t, map[string]any{"alg": "HS256", "typ": "JWT"},
				with(map[string]any{"iss": other, "aud": other}), testKey)
			if _, err := a.Tokens.Verify(foreign); ReasonFor(err) != ReasonMalformed {
				t.Errorf("Verify(token of issuer %q) err = %v, want malformed", other, err)
			}
		})
	}

	t.Run("zero Clock, Hasher and ErrorFunc", func(t *testing.T) {
		opts := requiredOptions(nil)
		opts.Hasher = nil
		a, err := New(context.Background(), opts)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		if h := a.Users.hasher; h.params != DefaultParams || cap(h.slots) != runtime.NumCPU() {
			t.Errorf("default hasher has params %+v and %d slots; want DefaultParams and NumCPU = %d", h.params, cap(h.slots), runtime.NumCPU())
		}
		before := time.Now()
		var id Identity
		a.Sessions.LoadAndSave(a.Identify(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			id, _ = IdentityFrom(r.Context())
		}))).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		if after := time.Now(); id.At.Before(before) || id.At.After(after) {
			t.Errorf("Identity.At = %v, want the wall clock, between %v and %v", id.At, before, after)
		}
		// The default ErrorFunc is a plain 500 that tells the client nothing.
		rec := httptest.NewRecorder()
		a.Identify(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if body := rec.Body.String(); rec.Code != http.StatusInternalServerError || body != "Internal Server Error\n" {
			t.Errorf("default ErrorFunc answered %d %q, want 500 and the status text alone", rec.Code, body)
		}
	})
}

// stringsOf reads a JSON string or array of strings, as aud may be either.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			s, _ := e.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name     string
		set      func(*Options)
		tooShort bool // the error is ErrKeyTooShort
		ok       bool
	}{
		{"no key", func(o *Options) { o.Key = nil }, true, false},
		{"31-byte key", func(o *Options) { o.Key = testKey[:31] }, true, false},
		{"32-byte key", func(*Options) {}, false, true},
		{"64-byte key", func(o *Options) { o.Key = append(slices.Clone(testKey), testKey...) }, false, true},
		{"no user store", func(o *Options) { o.Users = nil }, false, false},
		{"no session store", func(o *Options) { o.SessionStore = nil }, false, false},
		{"no revocation store", func(o *Options) { o.Revocations = nil }, false, false},
		{"negative idle timeout", func(o *Options) { o.IdleTimeout = -time.Minute }, false, false},
		{"negative lifetime", func(o *Options) { o.Lifetime = -time.Hour }, false, false},
		{"negative token TTL", func(o *Options) { o.TokenTTL = -time.Minute }, false, false},
		{"revocations fail to load", func(o *Options) {
			rs := newMemRevocations()
			rs.failLoad = true
			o.Revocations = rs
		}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := requiredOptions(authtest.NewClock().Now)
			tc.set(&opts)
			a, err := New(context.Background(), opts)
			if tc.ok {
				if err != nil || a == nil {
					t.Fatalf("New = %v, %v; want an Auth", a, err)
				}
				return
			}
			if err == nil || a != nil {
				t.Fatalf("New = %v, %v; want nil and an error", a, err)
			}
			if got := errors.Is(err, ErrKeyTooShort); got != tc.tooShort {
				t.Fatalf("errors.Is(%v, ErrKeyTooShort) = %v, want %v", err, got, tc.tooShort)
			}
		})
	}
}
