package auth

import (
	"context"
	"crypto/rand"
	"fmt"
)

// KeyStore keeps the generated JWT key so that tokens stay valid across
// restarts. LoadOrCreateKey returns the stored key, storing fresh first if
// there is none yet.
type KeyStore interface {
	LoadOrCreateKey(ctx context.Context, fresh []byte) ([]byte, error)
}

// SigningKey returns the HMAC key for tokens: secret when it is set (at
// least MinKeyLen bytes, else ErrKeyTooShort), else the key kept in store,
// made on first use from crypto/rand.
func SigningKey(ctx context.Context, store KeyStore, secret string) ([]byte, error) {
	if secret != "" {
		if len(secret) < MinKeyLen {
			return nil, fmt.Errorf("%w; got %d", ErrKeyTooShort, len(secret))
		}
		return []byte(secret), nil
	}
	fresh := make([]byte, MinKeyLen)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("auth: make JWT key: %w", err)
	}
	key, err := store.LoadOrCreateKey(ctx, fresh)
	if err != nil {
		return nil, fmt.Errorf("auth: load JWT key: %w", err)
	}
	return key, nil
}
