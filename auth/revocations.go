package auth

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"
)

// RevocationStore keeps revoked token ids until the tokens would have
// expired anyway.
type RevocationStore interface {
	Revoke(ctx context.Context, jti string, until time.Time) error
	// ActiveRevocations returns every entry whose until is after now.
	ActiveRevocations(ctx context.Context, now time.Time) (map[string]time.Time, error)
	// PruneRevocations deletes the entries whose until is before now.
	PruneRevocations(ctx context.Context, now time.Time) error
}

// RevocationFeed is a RevocationStore that several instances share: each
// instance keeps its own set in memory, and the feed tells it of every
// revocation made anywhere, so a logout on one instance is refused by all.
type RevocationFeed interface {
	RevocationStore
	// IsRevoked asks the store itself, for the times the feed is down.
	IsRevoked(ctx context.Context, id string, now time.Time) (bool, error)
	// Follow calls add for each revocation any instance makes, until ctx
	// ends. It calls connected(true) each time it starts listening (again),
	// after which the caller reloads what it may have missed, and
	// connected(false) when it stops.
	Follow(ctx context.Context, add func(id string, until time.Time), connected func(bool))
}

// revocations is the JWT revocation list. Entries are written through to a
// store, so they survive a restart, and kept in memory, so that checking a
// token on every request never queries the database. An entry is dropped
// once its token has expired: an expired token is refused without it.
//
// The in-memory set is this process's own. Instances that share a store
// see each other's revocations only after a restart; a deployment with
// several instances needs a shared store consulted on each check (a Redis
// set, say) behind the same RevocationStore interface.
type revocations struct {
	store RevocationStore
	now   Clock

	mu      sync.RWMutex
	entries map[string]time.Time
}

// loadRevocations reads the active entries of store into memory.
func loadRevocations(ctx context.Context, store RevocationStore, clock Clock) (*revocations, error) {
	// A token expired less than maxLeeway ago still verifies, so its entry
	// must outlive it by as much.
	now := clock().Add(-maxLeeway)
	if err := store.PruneRevocations(ctx, now); err != nil {
		return nil, fmt.Errorf("auth: prune revocations: %w", err)
	}
	active, err := store.ActiveRevocations(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("auth: load revocations: %w", err)
	}
	// A copy: the store may answer with a nil map, or with one it keeps.
	entries := make(map[string]time.Time, len(active))
	maps.Copy(entries, active)
	return &revocations{store: store, now: clock, entries: entries}, nil
}

// revoke adds jti to the list until the moment until, and prunes expired
// entries from memory and from the store.
func (rv *revocations) revoke(ctx context.Context, jti string, until time.Time) error {
	if err := rv.store.Revoke(ctx, jti, until); err != nil {
		return fmt.Errorf("auth: revoke token: %w", err)
	}
	now := rv.now()
	rv.mu.Lock()
	rv.entries[jti] = until
	for id, u := range rv.entries {
		if u.Add(maxLeeway).Before(now) {
			delete(rv.entries, id)
		}
	}
	rv.mu.Unlock()
	if err := rv.store.PruneRevocations(ctx, now.Add(-maxLeeway)); err != nil {
		return fmt.Errorf("auth: prune revocations: %w", err)
	}
	return nil
}

// isRevoked reports whether jti is on the list. It reads memory only.
func (rv *revocations) isRevoked(jti string) bool {
	rv.mu.RLock()
	_, ok := rv.entries[jti]
	rv.mu.RUnlock()
	return ok
}
