package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authlab/authlab/auth/authtest"
)

// cheapParams keep argon2id fast in tests whose subject is not its cost.
var cheapParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

var testKey = []byte("0123456789abcdef0123456789abcdef") // 32 bytes

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
	u := User{ID: m.nextID, Username: username, Created: authtest.Start}
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

func (m *memUsers) SetPassword(_ context.Context, id int64, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, mu := range m.byName {
		if mu.u.ID == id {
			mu.hash = hash
			m.byName[name] = mu
			return nil
		}
	}
	return ErrNoUser
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

// countingUsers is a UserStore that counts the look-ups by id, the one
// query each strategy makes per request.
type countingUsers struct {
	UserStore
	byID atomic.Int64
}

func (c *countingUsers) UserByID(ctx context.Context, id int64) (User, error) {
	c.byID.Add(1)
	return c.UserStore.UserByID(ctx, id)
}

// memRevocations is an in-memory RevocationStore that keeps whole seconds,
// as the SQLite store does.
type memRevocations struct {
	mu         sync.Mutex
	entries    map[string]time.Time
	failRevoke bool
	failLoad   bool
}

func newMemRevocations() *memRevocations {
	return &memRevocations{entries: map[string]time.Time{}}
}

func (m *memRevocations) Revoke(_ context.Context, jti string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failRevoke {
		return errors.New("disk full")
	}
	m.entries[jti] = time.Unix(until.Unix(), 0)
	return nil
}

func (m *memRevocations) CountRevocations(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries), nil
}

func (m *memRevocations) Revocations(_ context.Context, now time.Time, add func(string, time.Time)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failLoad {
		return errors.New("disk gone")
	}
	for jti, until := range m.entries {
		if until.Unix() >= now.Unix() {
			add(jti, until)
		}
	}
	return nil
}

func (m *memRevocations) PruneRevocations(_ context.Context, now time.Time, limit int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for jti, until := range m.entries {
		if n < limit && until.Unix() < now.Unix() {
			delete(m.entries, jti)
			n++
		}
	}
	return n, nil
}

func (m *memRevocations) has(jti string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.entries[jti]
	return ok
}

func (m *memRevocations) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// inMemory is the number of entries rv holds in memory.
func inMemory(rv *revocations) int {
	n := 0
	for i := range rv.shards {
		sh := &rv.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

// clockStore is an scs.Store whose records expire by a fake clock. Sessions
// gives each record the expiry its own times call for (login and last
// seen, on the injected clock), so this store compares that expiry with
// the same clock, where memstore would use the wall clock.
type clockStore struct {
	*memstore.MemStore
	clock *authtest.Clock

	mu      sync.Mutex
	expiry  map[string]time.Time // by token, on the fake clock
	commits int
}

func newClockStore(clock *authtest.Clock) *clockStore {
	return &clockStore{
		MemStore: memstore.NewWithCleanupInterval(0),
		clock:    clock,
		expiry:   map[string]time.Time{},
	}
}

func (s *clockStore) Commit(token string, b []byte, expiry time.Time) error {
	s.mu.Lock()
	s.expiry[token] = expiry
	s.commits++
	s.mu.Unlock()
	// memstore keeps it for as long as the wall clock allows; Find decides.
	return s.MemStore.Commit(token, b, time.Now().Add(time.Hour))
}

func (s *clockStore) Find(token string) ([]byte, bool, error) {
	s.mu.Lock()
	exp, ok := s.expiry[token]
	s.mu.Unlock()
	if ok && !s.clock.Now().Before(exp) {
		return nil, false, nil
	}
	return s.MemStore.Find(token)
}

func (s *clockStore) Delete(token string) error {
	s.mu.Lock()
	delete(s.expiry, token)
	s.mu.Unlock()
	return s.MemStore.Delete(token)
}

// fixture is both strategies built through New, as a user of the package
// builds them, over in-memory stores and a fake clock, with one account,
// alice.
type fixture struct {
	a        *Auth
	clock    *authtest.Clock
	users    *memUsers
	counted  *countingUsers // the store New was given: users, counted
	revStore *memRevocations
	sessions *clockStore
	logins   *memLogins
	throttle *memThrottle
	alice    User

	mu     sync.Mutex
	failed []error // what reached Options.ErrorFunc
}

// newFixture calls New with opts, first filling the stores, key, hasher,
// clock and ErrorFunc it leaves unset. The fixture's ErrorFunc records
// the error and answers 500.
func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	f := &fixture{clock: authtest.NewClock(), users: newMemUsers(), revStore: newMemRevocations()}
	f.counted = &countingUsers{UserStore: f.users}
	f.sessions = newClockStore(f.clock)
	if opts.Users == nil {
		opts.Users = f.counted
	}
	if opts.SessionStore == nil {
		opts.SessionStore = f.sessions
	}
	if opts.Revocations == nil {
		opts.Revocations = f.revStore
	}
	if opts.Logins == nil {
		f.logins = newMemLogins()
		opts.Logins = f.logins
	}
	if opts.Throttle == nil {
		f.throttle = newMemThrottle()
		opts.Throttle = f.throttle
	}
	if opts.Key == nil && opts.Keys == nil {
		opts.Key = testKey
	}
	if opts.Hasher == nil {
		opts.Hasher = NewHasher(cheapParams, 0)
	}
	opts.Clock = f.clock.Now
	if opts.ErrorFunc == nil {
		opts.ErrorFunc = func(w http.ResponseWriter, _ *http.Request, err error) {
			f.mu.Lock()
			f.failed = append(f.failed, err)
			f.mu.Unlock()
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}
	}
	var err error
	if f.a, err = New(context.Background(), opts); err != nil {
		t.Fatalf("New: %v", err)
	}
	if f.alice, err = f.a.Users.SignUp(context.Background(), "alice", "correct horse"); err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	return f
}

func (f *fixture) errors() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.failed...)
}

// creds are the credentials a request carries; "" means none. bearer is
// the whole Authorization header.
type creds struct {
	session, jwt, bearer string
}

func (f *fixture) request(method, path string, c creds) *http.Request {
	r := httptest.NewRequest(method, path, nil)
	s := f.a.Settings()
	if c.session != "" {
		r.AddCookie(&http.Cookie{Name: s.SessionCookie, Value: c.session})
	}
	if c.jwt != "" {
		r.AddCookie(&http.Cookie{Name: s.TokenCookie, Value: c.jwt})
	}
	if c.bearer != "" {
		r.Header.Set("Authorization", c.bearer)
	}
	return r
}

// serve runs r through the stack the package documents (LoadAndSave,
// Identify), then mw in order, to h.
func (f *fixture) serve(r *http.Request, h http.HandlerFunc, mw ...func(http.Handler) http.Handler) *httptest.ResponseRecorder {
	var next http.Handler = h
	for i := len(mw) - 1; i >= 0; i-- {
		next = mw[i](next)
	}
	rec := httptest.NewRecorder()
	f.a.Sessions.LoadAndSave(f.a.Identify(next)).ServeHTTP(rec, r)
	return rec
}

// identify returns the Identity a handler behind Identify sees for c.
func (f *fixture) identify(t *testing.T, c creds) Identity {
	t.Helper()
	var id Identity
	var ok bool
	f.serve(f.request(http.MethodGet, "/", c), func(_ http.ResponseWriter, r *http.Request) {
		id, ok = IdentityFrom(r.Context())
	})
	if !ok {
		t.Fatal("the handler behind Identify found no Identity")
	}
	return id
}

// sessionLogin signs u in to a session, from the session token planted
// ("" for none), and returns the new token.
func (f *fixture) sessionLogin(t *testing.T, u User, planted string) string {
	t.Helper()
	rec := f.serve(f.request(http.MethodPost, "/login", creds{session: planted}), func(_ http.ResponseWriter, r *http.Request) {
		if _, err := f.a.Sessions.Login(r, u); err != nil {
			t.Error(err)
		}
	})
	c := onlyCookie(t, rec.Result())
	if c.Value == "" {
		t.Fatal("login set an empty session cookie")
	}
	return c.Value
}

// issue signs a token for alice, who logged in at authTime, in a new login.
func (f *fixture) issue(t testing.TB, authTime time.Time) TokenState {
	t.Helper()
	st, err := f.a.Tokens.issue(f.alice, authTime, rand.Text())
	if err != nil {
		t.Fatal(err)
	}
	return st
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

// testRequest is a request for the calls that record who logged in.
func testRequest() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/login", nil)
	r.Header.Set("User-Agent", "authtest")
	return r
}
