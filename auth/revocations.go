package auth

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// RevocationStore keeps revoked token ids until the tokens would have
// expired anyway.
type RevocationStore interface {
	Revoke(ctx context.Context, id string, until time.Time) error
	// CountRevocations returns about how many entries the store holds,
	// expired ones included: it sizes the set loaded at start.
	CountRevocations(ctx context.Context) (int, error)
	// Revocations calls add for every entry whose until is at or after
	// now, in no particular order.
	Revocations(ctx context.Context, now time.Time, add func(id string, until time.Time)) error
	// PruneRevocations deletes at most limit entries whose until is
	// before now, and returns how many it deleted.
	PruneRevocations(ctx context.Context, now time.Time, limit int) (int, error)
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
// The set is built to hold millions of entries and never make a request
// wait on it:
//   - An id is kept as 64 of the bits it was made from (see keyOf), not as
//     a string, with its end as 32-bit Unix seconds: about 20 bytes an
//     entry with the map's own overhead, against about 100 for a string and
//     a time.Time.
//   - The set is split into 1024 shards, each with its own lock, so a
//     logout locks one shard for one map write, and checks of the other
//     shards never notice.
//   - prune walks the shards one at a time: a million entries make about
//     a thousand a shard, whose scan holds that shard's lock for some
//     microseconds, and never the whole set's.
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
	seed      maphash.Seed // for ids that are not 128 random bits in base32

	shards [revocationShards]revocationShard
}

// revocationShards splits the set; a power of two, so a key picks its
// shard with a mask.
const revocationShards = 1024

type revocationShard struct {
	mu sync.RWMutex
	// m holds each entry's end: the Unix second after which the token it
	// revokes is refused anyway, leeway included.
	m map[revocationKey]uint32
}

// revocationKey is a revoked id in 64 bits.
type revocationKey uint64

// loadRevocations reads the active entries of store into memory.
func loadRevocations(ctx context.Context, store RevocationStore, clock Clock) (*revocations, error) {
	n, err := store.CountRevocations(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: count revocations: %w", err)
	}
	rv := &revocations{store: store, now: clock, seed: maphash.MakeSeed()}
	rv.feed, _ = store.(RevocationFeed)
	// A quarter more than an even share, so that few shards grow, and
	// none doubles, while the list loads.
	for i := range rv.shards {
		rv.shards[i].m = make(map[revocationKey]uint32, n/revocationShards*5/4+8)
	}
	// A token expired less than maxLeeway ago still verifies, so its entry
	// must outlive it by as much.
	if err := store.Revocations(ctx, clock().Add(-maxLeeway), rv.add); err != nil {
		return nil, fmt.Errorf("auth: load revocations: %w", err)
	}
	return rv, nil
}

// keyOf is the 64-bit key of id. An id made by crypto/rand.Text (26
// base32 characters, 130 random bits) gives its first 64 bits; any other
// id is hashed with a per-process seed. Ids are made by this server, never
// chosen by a client, so two share a key only by chance: with a million
// entries, a token that was never revoked matches one with a chance of
// one in 2^44 (about 10^13), and is then refused, never let through.
func (rv *revocations) keyOf(id string) revocationKey {
	if len(id) == 26 {
		var k uint64
		ok := true
		for i := 0; i < 13; i++ {
			v := base32Value(id[i])
			if v < 0 {
				ok = false
				break
			}
			k = k<<5 | uint64(v)
		}
		if ok {
			return revocationKey(k)
		}
	}
	return revocationKey(maphash.String(rv.seed, id))
}

// base32Value is the value of c in the standard base32 alphabet, or -1.
func base32Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= '2' && c <= '7':
		return int(c-'2') + 26
	}
	return -1
}

func (rv *revocations) shard(k revocationKey) *revocationShard {
	return &rv.shards[k&(revocationShards-1)]
}

// endOf is the Unix second after which an entry until the given moment
// may go: its token is refused then by exp alone.
func endOf(until time.Time) uint32 {
	s := until.Add(maxLeeway).Unix()
	if until.Add(maxLeeway).Nanosecond() > 0 {
		s++
	}
	return uint32(max(0, min(s, int64(^uint32(0)))))
}

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
		if err := rv.store.Revocations(ctx, rv.now().Add(-maxLeeway), rv.add); err != nil {
			// The store is checked on each verify until the next
			// reconnection reads it.
			return
		}
		rv.listening.Store(true)
	})
}

// add puts an entry into the set, unless its token has ended already or
// the set holds a later end for it.
func (rv *revocations) add(id string, until time.Time) {
	end := endOf(until)
	if int64(end) < rv.now().Unix() {
		return
	}
	k := rv.keyOf(id)
	sh := rv.shard(k)
	sh.mu.Lock()
	if old, ok := sh.m[k]; !ok || end > old {
		sh.m[k] = end
	}
	sh.mu.Unlock()
}

// revoke writes id to the store until the moment until, then to the set.
func (rv *revocations) revoke(ctx context.Context, id string, until time.Time) error {
	if err := rv.store.Revoke(ctx, id, until); err != nil {
		return fmt.Errorf("auth: revoke token: %w", err)
	}
	rv.add(id, until)
	return nil
}

// isRevoked reports whether id is on the list. It reads memory, and the
// store only while a feed that should keep memory complete is down. A
// store that cannot be reached then either is taken to have nothing more:
// no instance can record a revocation in it while it is down.
func (rv *revocations) isRevoked(id string) bool {
	k := rv.keyOf(id)
	sh := rv.shard(k)
	sh.mu.RLock()
	end, ok := sh.m[k]
	sh.mu.RUnlock()
	if ok && int64(end) >= rv.now().Unix() {
		return true
	}
	if rv.feed == nil || rv.listening.Load() {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeCheckTimeout)
	defer cancel()
	revoked, err := rv.feed.IsRevoked(ctx, id, rv.now().Add(-maxLeeway))
	return err == nil && revoked
}

// storeCheckTimeout bounds a revocation look-up made while the feed is
// down, so that a store that does not answer slows a request rather than
// hanging it.
const storeCheckTimeout = 2 * time.Second

// prune drops the entries that have ended from memory, and returns how
// many, one shard at a time.
func (rv *revocations) prune() int {
	now := rv.now().Unix()
	dropped := 0
	for i := range rv.shards {
		sh := &rv.shards[i]
		sh.mu.Lock()
		for k, end := range sh.m {
			if int64(end) < now {
				delete(sh.m, k)
				dropped++
			}
		}
		sh.mu.Unlock()
	}
	return dropped
}
