package auth

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
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
// The in-memory set is this process's own. With a store only this process
// writes (SQLite), that is the whole list. With a RevocationFeed, shared by
// several instances, the set also takes in what the feed reports (see
// follow); while the feed is down, a token the set does not list is looked
// up in the store, which is slower but never misses a revocation that
// another instance recorded.
type revocations struct {
	store     RevocationStore
	feed      RevocationFeed // nil when the store is this process's alone
	listening atomic.Bool    // the feed is up and the set is complete
	now       Clock

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
	rv := &revocations{store: store, now: clock, entries: entries}
	rv.feed, _ = store.(RevocationFeed)
	return rv, nil
}

// storeCheckTimeout bounds a revocation look-up made while the feed is
// down, so that a store that does not answer slows a request rather than
// hanging it.
const storeCheckTimeout = 2 * time.Second

// follow keeps the set in step with the feed until ctx ends: each
// revocation any instance makes is added, and on every (re)connection the
// whole active list is read again, for what was made while it was down.
func (rv *revocations) follow(ctx context.Context) {
	if rv.feed == nil {
		return
	}
	rv.feed.Follow(ctx, rv.add, func(up bool) {
		if !up {
			rv.listening.Store(false)
			return
		}
		now := rv.now().Add(-maxLeeway)
		active, err := rv.store.ActiveRevocations(ctx, now)
		if err != nil {
			// The store is checked on each verify until the next
			// reconnection reads it.
			return
		}
		rv.mu.Lock()
		maps.Copy(rv.entries, active)
		rv.mu.Unlock()
		rv.listening.Store(true)
	})
}

// add puts an entry another instance made into the set.
func (rv *revocations) add(id string, until time.Time) {
	if until.Add(maxLeeway).Before(rv.now()) {
		return
	}
	rv.mu.Lock()
	if old, ok := rv.entries[id]; !ok || until.After(old) {
		rv.entries[id] = until
	}
	rv.mu.Unlock()
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

// isRevoked reports whether jti is on the list. It reads memory, and the
// store only while a feed that should keep memory complete is down. A
// store that cannot be reached then either is taken to have nothing more:
// no instance can record a revocation in it while it is down.
func (rv *revocations) isRevoked(jti string) bool {
	rv.mu.RLock()
	_, ok := rv.entries[jti]
	rv.mu.RUnlock()
	if ok || rv.feed == nil || rv.listening.Load() {
		return ok
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeCheckTimeout)
	defer cancel()
	revoked, err := rv.feed.IsRevoked(ctx, jti, rv.now().Add(-maxLeeway))
	return err == nil && revoked
}
