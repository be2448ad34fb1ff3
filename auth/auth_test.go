package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
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
		if got := CookieName(tc.base, tc.secure); got != tc.want {
			t.Errorf("CookieName(%q, %v) = %q, want %q", tc.base, tc.secure, got, tc.want)
		}
	}
}

func TestWithUserUserFrom(t *testing.T) {
	if u, ok := UserFrom(context.Background()); ok {
		t.Fatalf("UserFrom(empty ctx) = %+v, true", u)
	}
	// A User stored under another package's key is not the signed-in user.
	type otherKey int
	ctx := context.WithValue(context.Background(), otherKey(0), User{ID: 9})
	if _, ok := UserFrom(ctx); ok {
		t.Fatal("UserFrom read a value stored under a string key")
	}
	want := User{ID: 7, Username: "alice"}
	got, ok := UserFrom(WithUser(ctx, want))
	if !ok || got != want {
		t.Fatalf("UserFrom(WithUser(u)) = %+v, %v", got, ok)
	}
}

type memKeys struct{ key []byte }

func (m *memKeys) LoadOrCreateKey(_ context.Context, fresh []byte) ([]byte, error) {
	if m.key == nil {
		m.key = fresh
	}
	return m.key, nil
}

type brokenKeys struct{}

func (brokenKeys) LoadOrCreateKey(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("disk gone")
}

func TestSigningKey(t *testing.T) {
	ctx := context.Background()

	t.Run("secret of 32 bytes", func(t *testing.T) {
		secret := strings.Repeat("s", 32)
		store := &memKeys{}
		key, err := SigningKey(ctx, store, secret)
		if err != nil || string(key) != secret {
			t.Fatalf("SigningKey = %q, %v; want the secret", key, err)
		}
		if store.key != nil {
			t.Error("a set secret was written to the store")
		}
	})

	t.Run("short secret", func(t *testing.T) {
		key, err := SigningKey(ctx, &memKeys{}, strings.Repeat("s", 31))
		if err == nil || key != nil {
			t.Fatalf("SigningKey(31-byte secret) = %q, %v; want an error", key, err)
		}
		if !strings.Contains(err.Error(), "AUTHLAB_JWT_SECRET") || !strings.Contains(err.Error(), "32") {
			t.Errorf("error %q does not say which setting and how long", err)
		}
	})

	t.Run("generated once, then kept", func(t *testing.T) {
		store := &memKeys{}
		first, err := SigningKey(ctx, store, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(first) < MinKeyLen {
			t.Fatalf("generated key is %d bytes", len(first))
		}
		second, err := SigningKey(ctx, store, "")
		if err != nil || string(second) != string(first) {
			t.Fatalf("second SigningKey = %x, %v; want the stored %x", second, err, first)
		}
		if other, _ := SigningKey(ctx, &memKeys{}, ""); string(other) == string(first) {
			t.Fatal("two stores got the same generated key")
		}
	})

	t.Run("store fails", func(t *testing.T) {
		if _, err := SigningKey(ctx, brokenKeys{}, ""); err == nil {
			t.Fatal("SigningKey hid the store's error")
		}
	})
}
