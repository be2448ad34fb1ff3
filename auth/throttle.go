package auth

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// Login throttling (OWASP ASVS 5.0 6.1.1; NIST SP 800-63B §5.2.2).
//
//   - Per account: the first FreeFailures wrong passwords in a row cost
//     nothing more; after them, each further attempt from an address that
//     has failed on the account waits a delay that doubles (1 s, 2 s, 4 s,
//     …) up to MaxDelay. A success resets the count. An address that has
//     not failed on the account is not held back by the others' failures,
//     so a flood of wrong passwords from elsewhere cannot starve the real
//     user; only the count, and so the length of the delay, is shared.
//   - At most MaxFailures in a row an account (NIST's ceiling of 100): the
//     one that reaches it closes the account to passwords for Pause, for
//     every address but those the account logged in from in the last
//     KnownFor. The count is forgotten a Pause after the last failure. So
//     an attacker spread over many addresses can close an account to new
//     places, again and again, but never to the places its owner uses:
//     nothing locks the owner out for good.
//   - Per address: at most AddressFailures failed logins in AddressWindow
//     (whatever the accounts), and at most AddressSignups signups, which
//     can probe which usernames exist.
//
// A throttled attempt is refused before any password hashing, with the
// same answer for an account that exists and one that does not.
const (
	FreeFailures    = 5
	FirstDelay      = time.Second
	MaxDelay        = 15 * time.Minute
	MaxFailures     = 100
	Pause           = 24 * time.Hour
	AddressFailures = 10
	AddressWindow   = 10 * time.Minute
	AddressSignups  = 10
	KnownFor        = 30 * 24 * time.Hour
)

// ThrottleStore keeps the counts throttling decides on. It is shared by
// every instance of the application, so a flood spread over several
// instances is counted as one.
type ThrottleStore interface {
	// LoginFailures returns what is known of failed logins on account and
	// from address: failures from address since the moment given count
	// towards its window, and a success of address on account at or
	// after knownSince makes it a known address (Failures.PairKnown).
	LoginFailures(ctx context.Context, account, address string, since, knownSince time.Time) (Failures, error)
	// AddLoginFailure records a failed login at the moment given. The
	// account's count starts again from one when its last failure was at
	// or before forgetBefore.
	AddLoginFailure(ctx context.Context, account, address string, at, forgetBefore time.Time) error
	// LoginSucceeded resets account's count after a success and
	// remembers address as one the account logged in from, at the moment
	// given; the address windows keep their entries.
	LoginSucceeded(ctx context.Context, account, address string, at time.Time) error
	// Signups returns how many signups address made since the moment
	// given, and when the earliest of them was.
	Signups(ctx context.Context, address string, since time.Time) (n int, first time.Time, err error)
	AddSignup(ctx context.Context, address string, at time.Time) error
	// PruneThrottle deletes at most limit entries that no longer count:
	// failures, signups and counts older than before, and known addresses
	// whose last success is older than knownBefore. It returns how many it
	// deleted: fewer than limit means none is left. No one statement
	// deletes more than limit rows.
	PruneThrottle(ctx context.Context, before, knownBefore time.Time, limit int) (int, error)
}

// Failures is what a ThrottleStore knows of one login attempt's account
// and address.
type Failures struct {
	Account      int       // failed logins on the account since its last success
	AccountLast  time.Time // the last of them
	PairLast     time.Time // the last failure from this address on this account; zero if none
	PairKnown    bool      // this address logged in on this account within KnownFor
	Address      int       // failed logins from the address in the window
	AddressFirst time.Time // the earliest of those
}

// ErrThrottled is what a *ThrottledError matches with errors.Is.
var ErrThrottled = errors.New("auth: too many attempts")

// ThrottledError refuses an attempt made too soon; RetryAfter says how
// long to wait, in whole seconds.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("auth: too many attempts: retry after %s", e.RetryAfter)
}

func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// invalidAccount is the one throttling key of every name that cannot be a
// username. Such a name has no account to protect, and keyed by itself it
// would let anyone write a key of any length to the database with each
// attempt, and have every new name start with no count.
const invalidAccount = "(not a username)"

// throttleAccount is the key username's failures are counted under.
func throttleAccount(username string) string {
	if !IsUsername(username) {
		return invalidAccount
	}
	return username
}

// delayAfter is how long an address that failed on an account with
// failures consecutive failures waits before its next attempt.
func delayAfter(failures int) time.Duration {
	if failures < FreeFailures {
		return 0
	}
	shift := failures - FreeFailures
	if shift >= 30 || FirstDelay<<shift > MaxDelay {
		return MaxDelay
	}
	return FirstDelay << shift
}

// loginWait is how long an attempt described by f, made at now, must
// wait; zero lets it through.
func loginWait(f Failures, now time.Time) time.Duration {
	if !f.AccountLast.IsZero() && now.Sub(f.AccountLast) >= Pause {
		f.Account = 0 // forgotten
	}
	var wait time.Duration
	if f.Account >= MaxFailures && !f.PairKnown {
		wait = f.AccountLast.Add(Pause).Sub(now)
	}
	if !f.PairLast.IsZero() {
		wait = max(wait, f.PairLast.Add(delayAfter(f.Account)).Sub(now))
	}
	if f.Address >= AddressFailures {
		wait = max(wait, f.AddressFirst.Add(AddressWindow).Sub(now))
	}
	return wait
}

// throttled turns a positive wait into the error that reports it,
// rounded up to whole seconds as Retry-After counts them.
func throttled(wait time.Duration) error {
	if wait <= 0 {
		return nil
	}
	return &ThrottledError{RetryAfter: (wait + time.Second - 1).Truncate(time.Second)}
}

// throttle is the policy over a ThrottleStore. Checking, hashing and
// recording one attempt hold a lock on its account and its address, so
// concurrent guesses in one process cannot all pass the check before any
// is counted.
type throttle struct {
	store ThrottleStore
	now   Clock
	seed  maphash.Seed
	locks [64]sync.Mutex
}

func newThrottle(store ThrottleStore, now Clock) *throttle {
	return &throttle{store: store, now: now, seed: maphash.MakeSeed()}
}

// lock locks the stripes of every key, lowest first, and returns the
// unlock.
func (t *throttle) lock(keys ...string) func() {
	var held [2]int
	n := 0
	for _, k := range keys[:min(len(keys), len(held))] {
		i := int(maphash.String(t.seed, k) % uint64(len(t.locks)))
		if n == 1 && held[0] == i {
			continue
		}
		held[n] = i
		n++
	}
	if n == 2 && held[1] < held[0] {
		held[0], held[1] = held[1], held[0]
	}
	for _, i := range held[:n] {
		t.locks[i].Lock()
	}
	return func() {
		for _, i := range held[:n] {
			t.locks[i].Unlock()
		}
	}
}

// login runs check, the password check, when the account and address are
// not throttled, and records its outcome.
func (t *throttle) login(ctx context.Context, account, address string, check func() (User, error)) (User, error) {
	defer t.lock("a:"+account, "@"+address)()
	now := t.now()
	f, err := t.store.LoginFailures(ctx, account, address, now.Add(-AddressWindow), now.Add(-KnownFor))
	if err != nil {
		return User{}, fmt.Errorf("auth: read login failures: %w", err)
	}
	if err := throttled(loginWait(f, now)); err != nil {
		return User{}, err
	}
	u, err := check()
	switch {
	case errors.Is(err, ErrInvalidCredentials):
		// The delay runs from the answer, not from the start of the
		// check: a slow hash must not eat into it.
		at := t.now()
		if err := t.store.AddLoginFailure(ctx, account, address, at, at.Add(-Pause)); err != nil {
			return User{}, fmt.Errorf("auth: record login failure: %w", err)
		}
	case err == nil:
		if err := t.store.LoginSucceeded(ctx, account, address, t.now()); err != nil {
			return User{}, fmt.Errorf("auth: record login success: %w", err)
		}
	}
	return u, err
}

// signup runs create when address has signups left in its window, and
// counts the attempt whatever its outcome: a refused name says as much
// about which accounts exist as a created one.
func (t *throttle) signup(ctx context.Context, address string, create func() (User, error)) (User, error) {
	defer t.lock("@" + address)()
	now := t.now()
	n, first, err := t.store.Signups(ctx, address, now.Add(-AddressWindow))
	if err != nil {
		return User{}, fmt.Errorf("auth: read signups: %w", err)
	}
	if n >= AddressSignups {
		return User{}, throttled(max(first.Add(AddressWindow).Sub(now), time.Second))
	}
	if err := t.store.AddSignup(ctx, address, now); err != nil {
		return User{}, fmt.Errorf("auth: record signup: %w", err)
	}
	return create()
}

// pruneBefore is the moment before which no entry counts towards a
// limit any more.
func (t *throttle) pruneBefore() time.Time { return t.now().Add(-Pause) }
