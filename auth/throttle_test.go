package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// nameCountingUsers is a UserStore that counts look-ups by name: every
// password check, for an account that exists or not, starts with one and
// then hashes, so a throttled attempt must leave the count alone.
type nameCountingUsers struct {
	UserStore
	byName atomic.Int64
	// yield makes each look-up give way to other goroutines, as a
	// database round trip would, so that concurrent attempts interleave
	// between the throttle's check and its record of the outcome.
	yield bool
}

func (c *nameCountingUsers) UserByName(ctx context.Context, username string) (User, string, error) {
	c.byName.Add(1)
	if c.yield {
		for range 100 {
			runtime.Gosched()
		}
	}
	return c.UserStore.UserByName(ctx, username)
}

// newThrottleFixture is the standard fixture over a user store that
// counts password checks.
func newThrottleFixture(t *testing.T) (*fixture, *nameCountingUsers) {
	t.Helper()
	users := &nameCountingUsers{UserStore: newMemUsers()}
	f := newFixture(t, Options{Users: users})
	users.byName.Store(0) // alice's signup looked her name up
	return f, users
}

// fromAddress is a login request from the client address addr.
func requestFrom(addr string) *http.Request {
	r := testRequest()
	r.RemoteAddr = addr + ":1234"
	return r
}

// outcome sums an answer of Authenticate or SignUp up as a string the
// tests can compare: "ok", "invalid", "taken", "throttled <RetryAfter>",
// or the error.
func throttleOutcome(err error) string {
	var te *ThrottledError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &te):
		if !errors.Is(err, ErrThrottled) {
			return fmt.Sprintf("ThrottledError that does not match ErrThrottled: %v", err)
		}
		return fmt.Sprintf("throttled %v", te.RetryAfter)
	case errors.Is(err, ErrInvalidCredentials):
		return "invalid"
	case errors.Is(err, ErrUsernameTaken):
		return "taken"
	default:
		return "error: " + err.Error()
	}
}

func tryLogin(f *fixture, addr, username, password string) string {
	_, err := f.a.Authenticate(requestFrom(addr), username, password)
	return throttleOutcome(err)
}

const (
	throttleAddrA = "198.51.100.1"
	throttleAddrB = "203.0.113.2"
)

func TestDelayAfter(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{-1, 0},
		{0, 0},
		{FreeFailures - 1, 0},
		{FreeFailures, time.Second},
		{FreeFailures + 1, 2 * time.Second},
		{FreeFailures + 2, 4 * time.Second},
		{FreeFailures + 9, 512 * time.Second},
		{FreeFailures + 10, MaxDelay}, // 1024 s is past the cap
		{FreeFailures + 29, MaxDelay},
		{FreeFailures + 30, MaxDelay}, // a shift that would overflow
		{FreeFailures + 63, MaxDelay},
		{MaxFailures, MaxDelay},
		{1 << 40, MaxDelay},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.failures), func(t *testing.T) {
			if got := delayAfter(tc.failures); got != tc.want {
				t.Errorf("delayAfter(%v) = %v, want %v", tc.failures, got, tc.want)
			}
		})
	}
}

func TestLoginWait(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	tests := []struct {
		name string
		f    Failures
		want time.Duration
	}{
		{"nothing known", Failures{}, 0},
		{"free failures", Failures{Account: FreeFailures - 1, AccountLast: now, PairLast: now}, 0},
		{"first delay", Failures{Account: FreeFailures, AccountLast: now, PairLast: now}, time.Second},
		{"first delay partly served", Failures{Account: FreeFailures, AccountLast: ago(400 * time.Millisecond), PairLast: ago(400 * time.Millisecond)}, 600 * time.Millisecond},
		{"first delay served", Failures{Account: FreeFailures, AccountLast: ago(time.Second), PairLast: ago(time.Second)}, 0},
		{"doubled", Failures{Account: FreeFailures + 2, AccountLast: now, PairLast: now}, 4 * time.Second},
		{"capped", Failures{Account: MaxFailures - 1, AccountLast: now, PairLast: now}, MaxDelay},
		{"address never failed on the account", Failures{Account: MaxFailures - 1, AccountLast: now}, 0},
		{"pair delay from its own last failure", Failures{Account: FreeFailures + 1, AccountLast: now, PairLast: ago(time.Second)}, time.Second},
		{"paused", Failures{Account: MaxFailures, AccountLast: ago(time.Hour)}, Pause - time.Hour},
		{"paused, address that failed", Failures{Account: MaxFailures, AccountLast: ago(time.Hour), PairLast: ago(time.Hour)}, Pause - time.Hour},
		{"pause over", Failures{Account: MaxFailures, AccountLast: ago(Pause), PairLast: ago(Pause)}, 0},
		{"count forgotten", Failures{Account: FreeFailures + 3, AccountLast: ago(Pause), PairLast: ago(Pause)}, 0},
		{"address window full", Failures{Address: AddressFailures, AddressFirst: ago(9 * time.Minute)}, time.Minute},
		{"address window not full", Failures{Address: AddressFailures - 1, AddressFirst: ago(9 * time.Minute)}, 0},
		{"longer of address and pair", Failures{Account: FreeFailures, AccountLast: now, PairLast: now, Address: AddressFailures, AddressFirst: ago(9 * time.Minute)}, time.Minute},
		{"longer of pair and address", Failures{Account: MaxFailures - 1, AccountLast: now, PairLast: now, Address: AddressFailures, AddressFirst: ago(9 * time.Minute)}, MaxDelay},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := loginWait(tc.f, now); got != tc.want {
				t.Errorf("loginWait(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		})
	}
}

func TestThrottledRoundsUp(t *testing.T) {
	tests := []struct {
		wait time.Duration
		want string
	}{
		{-time.Second, "ok"},
		{0, "ok"},
		{time.Nanosecond, "throttled 1s"},
		{time.Second, "throttled 1s"},
		{time.Second + time.Nanosecond, "throttled 2s"},
		{Pause - time.Millisecond, "throttled 24h0m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.wait.String(), func(t *testing.T) {
			if got := throttleOutcome(throttled(tc.wait)); got != tc.want {
				t.Errorf("throttled(%v) = %v, want %v", tc.wait, got, tc.want)
			}
		})
	}
}

// TestThrottleDoublesDelay runs one attacker's script against an account
// that exists and one that does not: the answers must be the same.
func TestThrottleDoublesDelay(t *testing.T) {
	type step struct {
		advance time.Duration // before the attempt
		want    string
	}
	script := []step{
		{0, "invalid"}, {0, "invalid"}, {0, "invalid"}, {0, "invalid"}, {0, "invalid"},
		{0, "throttled 1s"},
		{0, "throttled 1s"}, // asking again does not lengthen the wait
		{time.Second, "invalid"},
		{0, "throttled 2s"},
		{time.Second, "throttled 1s"}, // what is left of it
		{time.Second, "invalid"},
		{0, "throttled 4s"},
		{4 * time.Second, "invalid"},
		{0, "throttled 8s"},
	}
	for _, username := range []string{"alice", "nobody"} {
		t.Run(username, func(t *testing.T) {
			f, _ := newThrottleFixture(t)
			for i, s := range script {
				f.clock.Advance(s.advance)
				if got := tryLogin(f, throttleAddrA, username, "wrong password"); got != s.want {
					t.Fatalf("attempt %d (after %v more): %s, want %s", i+1, s.advance, got, s.want)
				}
			}
		})
	}
}

// TestThrottleDelayByFailures builds an account's count of consecutive
// failures from addresses that fail once each, then fails once more from
// throttleAddrA: throttleAddrA waits the delay for the count, and an address that has
// never failed on the account does not wait, until the count reaches
// MaxFailures and the account pauses for everyone.
func TestThrottleDelayByFailures(t *testing.T) {
	tests := []struct {
		failures  int
		wantA     string
		wantFresh string
	}{
		{1, "invalid", "invalid"},
		{FreeFailures - 1, "invalid", "invalid"},
		{FreeFailures, "throttled 1s", "invalid"},
		{FreeFailures + 1, "throttled 2s", "invalid"},
		{FreeFailures + 2, "throttled 4s", "invalid"},
		{FreeFailures + 9, "throttled 8m32s", "invalid"},
		{FreeFailures + 10, "throttled 15m0s", "invalid"},
		{FreeFailures + 11, "throttled 15m0s", "invalid"},
		{MaxFailures - 1, "throttled 15m0s", "invalid"},
		{MaxFailures, "throttled 24h0m0s", "throttled 24h0m0s"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.failures), func(t *testing.T) {
			f, _ := newThrottleFixture(t)
			for i := range tc.failures - 1 {
				if got := tryLogin(f, fmt.Sprintf("10.0.%d.%d", i/256, i%256), "alice", "wrong password"); got != "invalid" {
					t.Fatalf("failure %d from a new address: %s, want invalid", i+1, got)
				}
			}
			if got := tryLogin(f, throttleAddrA, "alice", "wrong password"); got != "invalid" {
				t.Fatalf("failure %d, the first from %s: %s, want invalid", tc.failures, throttleAddrA, got)
			}
			if got := tryLogin(f, throttleAddrA, "alice", "wrong password"); got != tc.wantA {
				t.Errorf("after %d failures, %s again: %s, want %s", tc.failures, throttleAddrA, got, tc.wantA)
			}
			if got := tryLogin(f, throttleAddrB, "alice", "wrong password"); got != tc.wantFresh {
				t.Errorf("after %d failures, a new address: %s, want %s", tc.failures, got, tc.wantFresh)
			}
		})
	}
}

func TestThrottledAttemptHashesNothing(t *testing.T) {
	for _, username := range []string{"alice", "nobody"} {
		t.Run(username, func(t *testing.T) {
			f, users := newThrottleFixture(t)
			for range FreeFailures {
				if got := tryLogin(f, throttleAddrA, username, "wrong password"); got != "invalid" {
					t.Fatalf("free failure: %s, want invalid", got)
				}
			}
			if n := users.byName.Load(); n != FreeFailures {
				t.Fatalf("%d password checks for %d attempts; the count proves nothing", n, FreeFailures)
			}
			// Every hashing slot taken and a cancelled context: a hash
			// attempted now could not run, and would fail with the
			// context's error rather than be throttled.
			holdSlots(t, f.a.Users.hasher)
			r := requestFrom(throttleAddrA).WithContext(cancelledContext())
			for _, password := range []string{"wrong password", "correct horse"} {
				if _, err := f.a.Authenticate(r, username, password); !errors.Is(err, ErrThrottled) {
					t.Errorf("throttled attempt with %q: %v, want ErrThrottled", password, err)
				}
			}
			if n := users.byName.Load(); n != FreeFailures {
				t.Errorf("throttled attempts looked the account up: %d checks, want %d", n, FreeFailures)
			}
		})
	}
}

func TestThrottleCorrectPasswordResets(t *testing.T) {
	f, _ := newThrottleFixture(t)
	for range FreeFailures {
		tryLogin(f, throttleAddrA, "alice", "wrong password")
	}
	if got := tryLogin(f, throttleAddrA, "alice", "correct horse"); got != "throttled 1s" {
		t.Fatalf("correct password during the delay: %s, want throttled 1s", got)
	}
	f.clock.Advance(time.Second)
	u, err := f.a.Authenticate(requestFrom(throttleAddrA), "alice", "correct horse")
	if err != nil || u.ID != f.alice.ID {
		t.Fatalf("correct password after the delay: %v, %v; want alice", u, err)
	}
	// Without the reset these would be failures 7 and 8, delayed.
	for i := range FreeFailures - 1 {
		if got := tryLogin(f, throttleAddrA, "alice", "wrong password"); got != "invalid" {
			t.Fatalf("wrong password %d after the success: %s, want invalid", i+1, got)
		}
	}
}

func TestThrottleUserUnderAttackLogsIn(t *testing.T) {
	f, _ := newThrottleFixture(t)
	// The attacker at throttleAddrA guesses as fast as it is allowed, waiting out
	// each delay and its address window, until it has 12 failures.
	failures, windows := 0, 0
	for failures < AddressFailures+2 {
		_, err := f.a.Authenticate(requestFrom(throttleAddrA), "alice", "wrong password")
		var te *ThrottledError
		switch {
		case errors.As(err, &te):
			if te.RetryAfter > time.Minute {
				windows++ // the address window, not the account's delay
			}
			f.clock.Advance(te.RetryAfter)
		case errors.Is(err, ErrInvalidCredentials):
			failures++
		default:
			t.Fatalf("attacker's attempt: %v", err)
		}
	}
	if windows == 0 {
		t.Fatal("the attacker never waited for its address window; the test proves less than it says")
	}
	if got := tryLogin(f, throttleAddrA, "alice", "wrong password"); got == "invalid" {
		t.Fatalf("the attacker's next guess is not throttled (%s); the attack is not live", got)
	}
	u, err := f.a.Authenticate(requestFrom(throttleAddrB), "alice", "correct horse")
	if err != nil || u.ID != f.alice.ID {
		t.Errorf("alice from another address during the attack: %v, %v; want signed in at once", u, err)
	}
}

func TestThrottleAddressCap(t *testing.T) {
	f, _ := newThrottleFixture(t)
	if _, err := f.a.Users.SignUp(context.Background(), "bob", "battery staple"); err != nil {
		t.Fatal(err)
	}
	// Ten failures a minute apart, each on another account, bob's among
	// them: no account's own delay is involved.
	for i := range AddressFailures {
		if i > 0 {
			f.clock.Advance(time.Minute)
		}
		username := fmt.Sprintf("victim%d", i)
		if i == 3 {
			username = "bob"
		}
		if got := tryLogin(f, throttleAddrA, username, "wrong password"); got != "invalid" {
			t.Fatalf("failure %d: %s, want invalid", i+1, got)
		}
	}
	// The first failure leaves the window a minute from now.
	tests := []struct {
		name    string
		advance time.Duration
		addr    string
		want    string
	}{
		{"11th attempt, correct password of another account", 0, throttleAddrA, "throttled 1m0s"},
		{"another address", 0, throttleAddrB, "ok"},
		{"a second before the first failure leaves", 59 * time.Second, throttleAddrA, "throttled 1s"},
		{"once it has left", time.Second, throttleAddrA, "ok"},
	}
	for _, tc := range tests {
		f.clock.Advance(tc.advance)
		if got := tryLogin(f, tc.addr, "alice", "correct horse"); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestThrottleMaxFailuresPause(t *testing.T) {
	f, _ := newThrottleFixture(t)
	// A patient attacker with a dozen addresses, waiting out every delay
	// and window, until the account has MaxFailures failures in a row.
	failures := 0
	for i := 0; failures < MaxFailures; i++ {
		addr := fmt.Sprintf("10.9.9.%d", i%12)
		_, err := f.a.Authenticate(requestFrom(addr), "alice", "wrong password")
		var te *ThrottledError
		switch {
		case errors.As(err, &te):
			if te.RetryAfter > MaxDelay {
				t.Fatalf("after %d failures, a wait of %v: past MaxDelay before MaxFailures", failures, te.RetryAfter)
			}
			f.clock.Advance(te.RetryAfter)
		case errors.Is(err, ErrInvalidCredentials):
			failures++
		default:
			t.Fatalf("attempt: %v", err)
		}
	}
	tests := []struct {
		name    string
		advance time.Duration
		addr    string
		want    string
	}{
		{"an address that failed", 0, "10.9.9.0", "throttled 24h0m0s"},
		{"an address that never failed", 0, throttleAddrB, "throttled 24h0m0s"},
		{"a second before the pause ends", Pause - time.Second, throttleAddrB, "throttled 1s"},
		{"the pause over", time.Second, "10.9.9.0", "ok"},
	}
	for _, tc := range tests {
		f.clock.Advance(tc.advance)
		if got := tryLogin(f, tc.addr, "alice", "correct horse"); got != tc.want {
			t.Errorf("%s, correct password: %s, want %s", tc.name, got, tc.want)
		}
	}
	// The success reset the count: the next wrong passwords are free,
	// not the 101st and 102nd in a row.
	for i := range 2 {
		if got := tryLogin(f, "10.9.9.0", "alice", "wrong password"); got != "invalid" {
			t.Errorf("wrong password %d after the pause and a success: %s, want invalid", i+1, got)
		}
	}
}

// TestThrottleForgetsCountAtPause checks the moment the count is
// forgotten: the attempt that the pause lets through must start the count
// again, not extend it past MaxFailures into another pause.
func TestThrottleForgetsCountAtPause(t *testing.T) {
	for _, after := range []time.Duration{Pause, Pause + time.Millisecond, Pause + time.Second} {
		t.Run(after.String(), func(t *testing.T) {
			f, _ := newThrottleFixture(t)
			for i := range MaxFailures {
				if got := tryLogin(f, fmt.Sprintf("10.1.%d.%d", i/256, i%256), "alice", "wrong password"); got != "invalid" {
					t.Fatalf("failure %d: %s, want invalid", i+1, got)
				}
			}
			if got := tryLogin(f, throttleAddrB, "alice", "wrong password"); got != "throttled 24h0m0s" {
				t.Fatalf("after %d failures: %s, want throttled 24h0m0s", MaxFailures, got)
			}
			f.clock.Advance(after)
			if got := tryLogin(f, throttleAddrA, "alice", "wrong password"); got != "invalid" {
				t.Fatalf("%v after the last failure: %s, want invalid", after, got)
			}
			// One failure since the count was forgotten: no pause, and
			// an address that has not failed is not delayed.
			if got := tryLogin(f, throttleAddrB, "alice", "correct horse"); got != "ok" {
				t.Errorf("correct password after the first failure of a new count: %s, want ok", got)
			}
		})
	}
}

func TestThrottleSignup(t *testing.T) {
	f, _ := newThrottleFixture(t)
	signup := func(addr, username string) string {
		_, err := f.a.SignUp(requestFrom(addr), username, "long enough password")
		return throttleOutcome(err)
	}
	for i := range AddressSignups {
		if i > 0 {
			f.clock.Advance(30 * time.Second)
		}
		username, want := fmt.Sprintf("user%d", i), "ok"
		if i == 4 {
			username, want = "alice", "taken" // a refused name counts too
		}
		if got := signup(throttleAddrA, username); got != want {
			t.Fatalf("signup %d (%s): %s, want %s", i+1, username, got, want)
		}
	}
	// The first signup leaves the window 10m - 4m30s from now.
	tests := []struct {
		name     string
		advance  time.Duration
		addr     string
		username string
		want     string
	}{
		{"11th, a new name", 0, throttleAddrA, "carol", "throttled 5m30s"},
		{"11th, a taken name", 0, throttleAddrA, "alice", "throttled 5m30s"},
		{"another address", 0, throttleAddrB, "dave", "ok"},
		{"a second before the first leaves the window", 5*time.Minute + 29*time.Second, throttleAddrA, "carol", "throttled 1s"},
		{"once it has left", time.Second, throttleAddrA, "erin", "ok"},
	}
	for _, tc := range tests {
		f.clock.Advance(tc.advance)
		if got := signup(tc.addr, tc.username); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if _, _, err := f.a.Users.store.UserByName(context.Background(), "carol"); !errors.Is(err, ErrNoUser) {
		t.Errorf("a throttled signup created carol: %v", err)
	}
}

// TestThrottleConcurrentGuesses checks the lock: guesses made at once must
// not all pass the check before any is counted.
func TestThrottleConcurrentGuesses(t *testing.T) {
	const guesses = 20
	f, users := newThrottleFixture(t)
	users.yield = true
	start := make(chan struct{})
	outcomes := make(chan string, guesses)
	var wg sync.WaitGroup
	for range guesses {
		wg.Go(func() {
			<-start
			outcomes <- tryLogin(f, throttleAddrA, "alice", "wrong password")
		})
	}
	close(start)
	wg.Wait()
	close(outcomes)
	counts := map[string]int{}
	for o := range outcomes {
		counts[o]++
	}
	want := map[string]int{"invalid": FreeFailures, "throttled 1s": guesses - FreeFailures}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("answers to %d guesses at once: %v, want %v", guesses, counts, want)
	}
	if n := users.byName.Load(); n != FreeFailures {
		t.Errorf("%d passwords checked, want %d", n, FreeFailures)
	}
	fs, err := f.throttle.LoginFailures(context.Background(), "alice", throttleAddrA, f.clock.Now().Add(-AddressWindow), f.clock.Now().Add(-KnownFor))
	if err != nil {
		t.Fatal(err)
	}
	if fs.Account != FreeFailures || fs.Address != FreeFailures {
		t.Errorf("failures recorded: account %d, address %d; want %d each", fs.Account, fs.Address, FreeFailures)
	}
}

// TestNamesThatCannotBeUsernames share one count: a name of any length is
// never written to the store as a key of its own, and changing the name
// does not start the count afresh.
func TestNamesThatCannotBeUsernames(t *testing.T) {
	f, _ := newThrottleFixture(t)
	names := []string{strings.Repeat("x", 4000), "Not Valid", "a", "ALICE", "é-name", strings.Repeat("y", 33)}
	for i := range FreeFailures {
		if got := tryLogin(f, throttleAddrA, names[i], "wrong password"); got != "invalid" {
			t.Fatalf("attempt %d (%.20q…) = %s, want invalid", i+1, names[i], got)
		}
	}
	if got := tryLogin(f, throttleAddrA, names[FreeFailures], "wrong password"); got != "throttled 1s" {
		t.Errorf("a sixth name that cannot be a username = %s, want throttled 1s: they share one count", got)
	}
	f.throttle.mu.Lock()
	defer f.throttle.mu.Unlock()
	for key := range f.throttle.accounts {
		if key != invalidAccount {
			t.Errorf("the store holds the key %.30q, want only %q", key, invalidAccount)
		}
	}
	for _, fl := range f.throttle.failed {
		if len(fl.account) > 32 {
			t.Errorf("a failure is recorded under a %d-byte key", len(fl.account))
		}
	}
}

// TestKnownAddressOutlastsThePause: an attacker spread over many addresses
// closes alice's account to passwords after MaxFailures failures, but not
// at the address she logged in from last week; once that success is
// older than KnownFor, it is an address like any other.
func TestKnownAddressOutlastsThePause(t *testing.T) {
	f, _ := newThrottleFixture(t)
	const home = "192.0.2.50"
	if got := tryLogin(f, home, "alice", "correct horse"); got != "ok" {
		t.Fatalf("alice at home: %s", got)
	}
	f.clock.Advance(7 * 24 * time.Hour)
	// A botnet: each address fails once, so none of them waits, and the
	// hundredth failure closes the account.
	for i := range MaxFailures {
		if got := tryLogin(f, fmt.Sprintf("10.7.%d.%d", i/250, i%250), "alice", "wrong password"); got != "invalid" {
			t.Fatalf("failure %d from a fresh address = %s, want invalid", i+1, got)
		}
	}
	if got := tryLogin(f, "10.8.0.1", "alice", "correct horse"); got != "throttled 24h0m0s" {
		t.Errorf("a new address after %d failures = %s, want throttled 24h0m0s", MaxFailures, got)
	}
	if got := tryLogin(f, home, "alice", "correct horse"); got != "ok" {
		t.Errorf("alice at the address she logged in from a week ago = %s, want ok", got)
	}

	// The same attack once her last success there is older than KnownFor.
	f.clock.Advance(KnownFor + time.Minute)
	for i := range MaxFailures {
		if got := tryLogin(f, fmt.Sprintf("10.6.%d.%d", i/250, i%250), "alice", "wrong password"); got != "invalid" {
			t.Fatalf("second attack, failure %d = %s, want invalid", i+1, got)
		}
	}
	if got := tryLogin(f, home, "alice", "correct horse"); got != "throttled 24h0m0s" {
		t.Errorf("an address last used more than KnownFor ago = %s, want throttled 24h0m0s", got)
	}
}
