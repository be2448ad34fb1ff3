package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// cheapParams keep argon2id fast in tests whose subject is not its cost.
var cheapParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// t0 is a whole second, so NumericDate's truncation to seconds loses nothing.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a Clock that moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// memUsers is an in-memory UserStore.
type memUsers struct {
	mu     sync.Mutex
	nextID int64
	byName map[string]memUser
}

type memUser struct {
	u    User
	hash string
}

func newMemUsers() *memUsers { return &memUsers{byName: map[string]memUser{}} }

func (m *memUsers) CreateUser(_ context.Context, username, hash string) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byName[username]; ok {
		return User{}, ErrUsernameTaken
	}
	m.nextID++
	u := User{ID: m.nextID, Username: username, Created: t0}
	m.byName[username] = memUser{u: u, hash: hash}
	return u, nil
}

func (m *memUsers) UserByName(_ context.Context, username string) (User, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mu, ok := m.byName[username]
	if !ok {
		return User{}, "", ErrNoUser
	}
	return mu.u, mu.hash, nil
}

func (m *memUsers) UserByID(_ context.Context, id int64) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mu := range m.byName {
		if mu.u.ID == id {
			return mu.u, nil
		}
	}
	return User{}, ErrNoUser
}

func (m *memUsers) hashOf(username string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byName[username].hash
}

func (m *memUsers) delete(username string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.byName, username)
}

// memRevocations is an in-memory RevocationStore that keeps whole seconds,
// as the SQLite store does.
type memRevocations struct {
	mu      sync.Mutex
	entries map[string]time.Time
	// nilWhenEmpty makes ActiveRevocations return a nil map for no entries,
	// as a store is free to.
	nilWhenEmpty bool
	failRevoke   bool
}

func newMemRevocations() *memRevocations {
	return &memRevocations{entries: map[string]time.Time{}}
}

func (m *memRevocations) Revoke(_ context.Context, jti string, until time.Time) error {
	if m.failRevoke {
		return errors.New("disk full")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[jti] = time.Unix(until.Unix(), 0)
	return nil
}

func (m *memRevocations) ActiveRevocations(_ context.Context, now time.Time) (map[string]time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out map[string]time.Time
	if !m.nilWhenEmpty {
		out = map[string]time.Time{}
	}
	for jti, until := range m.entries {
		if until.Unix() >= now.Unix() {
			if out == nil {
				out = map[string]time.Time{}
			}
			out[jti] = until
		}
	}
	return out, nil
}

func (m *memRevocations) PruneRevocations(_ context.Context, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for jti, until := range m.entries {
		if until.Unix() < now.Unix() {
			delete(m.entries, jti)
		}
	}
	return nil
}

func (m *memRevocations) has(jti string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.entries[jti]
	return ok
}

// newTestUsers returns Users over a fresh in-memory store, hashing cheaply,
// with one account "alice" / "correct horse".
func newTestUsers(t testing.TB) (*Users, *memUsers, User) {
	t.Helper()
	store := newMemUsers()
	users := NewUsers(store, NewHasher(cheapParams, 0))
	u, err := users.SignUp(context.Background(), "alice", "correct horse")
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	return users, store, u
}

// holdSlots takes every hashing slot of h, as that many hashes in flight
// would, and gives them back when the test ends.
func holdSlots(t *testing.T, h *Hasher) {
	t.Helper()
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
	t.Cleanup(func() {
		for range cap(h.slots) {
			<-h.slots
		}
	})
}

func cancelledContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
