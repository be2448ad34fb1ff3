package auth

import (
	"context"
	"slices"
	"sync"
	"time"
)

// memLogins is an in-memory LoginStore.
type memLogins struct {
	mu    sync.Mutex
	byKey map[string]Login
}

func newMemLogins() *memLogins { return &memLogins{byKey: map[string]Login{}} }

func (m *memLogins) AddLogin(_ context.Context, l Login) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.byKey[l.Key]; ok {
		old.Seen, old.Expires = l.Seen, l.Expires
		l = old
	}
	m.byKey[l.Key] = l
	return nil
}

func (m *memLogins) LiveLogins(_ context.Context, userID int64, now time.Time) ([]Login, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ls []Login
	for _, l := range m.byKey {
		if l.UserID == userID && l.Ended.IsZero() && l.Expires.After(now) {
			ls = append(ls, l)
		}
	}
	slices.SortFunc(ls, func(a, b Login) int { return a.Started.Compare(b.Started) })
	return ls, nil
}

func (m *memLogins) LoginByKey(_ context.Context, key string) (Login, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.byKey[key]
	if !ok {
		return Login{}, ErrNoLogin
	}
	return l, nil
}

func (m *memLogins) EndLogin(_ context.Context, key string, at time.Time, why EndReason) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.byKey[key]; ok && l.Ended.IsZero() {
		l.Ended, l.EndedBy = at, why
		m.byKey[key] = l
	}
	return nil
}

func (m *memLogins) PruneLogins(_ context.Context, before time.Time, limit int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, l := range m.byKey {
		if n == limit {
			break
		}
		if l.Expires.Before(before) || !l.Ended.IsZero() && l.Ended.Before(before) {
			delete(m.byKey, k)
			n++
		}
	}
	return n, nil
}

// memThrottle is an in-memory ThrottleStore.
type memThrottle struct {
	mu       sync.Mutex
	accounts map[string]Failures // Account and AccountLast only
	failed   []failedLogin
	signups  []signup
	known    map[[2]string]time.Time // account, address → last success
}

type failedLogin struct {
	account, address string
	at               time.Time
}

type signup struct {
	address string
	at      time.Time
}

func newMemThrottle() *memThrottle { return &memThrottle{accounts: map[string]Failures{}} }

func (m *memThrottle) LoginFailures(_ context.Context, account, address string, since, knownSince time.Time) (Failures, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.accounts[account]
	if at, ok := m.known[[2]string{account, address}]; ok && !at.Before(knownSince) {
		f.PairKnown = true
	}
	for _, fl := range m.failed {
		if fl.account == account && fl.address == address && fl.at.After(f.PairLast) {
			f.PairLast = fl.at
		}
		if fl.address == address && fl.at.After(since) {
			if f.Address == 0 || fl.at.Before(f.AddressFirst) {
				f.AddressFirst = fl.at
			}
			f.Address++
		}
	}
	return f, nil
}

func (m *memThrottle) AddLoginFailure(_ context.Context, account, address string, at, forgetBefore time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.accounts[account]
	if !f.AccountLast.After(forgetBefore) {
		f.Account = 0
	}
	f.Account++
	f.AccountLast = at
	m.accounts[account] = f
	m.failed = append(m.failed, failedLogin{account, address, at})
	return nil
}

func (m *memThrottle) LoginSucceeded(_ context.Context, account, address string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.accounts, account)
	if m.known == nil {
		m.known = map[[2]string]time.Time{}
	}
	if old := m.known[[2]string{account, address}]; at.After(old) {
		m.known[[2]string{account, address}] = at
	}
	return nil
}

func (m *memThrottle) Signups(_ context.Context, address string, since time.Time) (int, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var (
		n     int
		first time.Time
	)
	for _, s := range m.signups {
		if s.address == address && s.at.After(since) {
			if n == 0 || s.at.Before(first) {
				first = s.at
			}
			n++
		}
	}
	return n, first, nil
}

func (m *memThrottle) AddSignup(_ context.Context, address string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.signups = append(m.signups, signup{address, at})
	return nil
}

func (m *memThrottle) PruneThrottle(_ context.Context, before, knownBefore time.Time, limit int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	m.failed = slices.DeleteFunc(m.failed, func(f failedLogin) bool {
		if n < limit && f.at.Before(before) {
			n++
			return true
		}
		return false
	})
	m.signups = slices.DeleteFunc(m.signups, func(s signup) bool {
		if n < limit && s.at.Before(before) {
			n++
			return true
		}
		return false
	})
	for k, at := range m.known {
		if n < limit && at.Before(knownBefore) {
			delete(m.known, k)
			n++
		}
	}
	for k, f := range m.accounts {
		if n < limit && f.AccountLast.Before(before) {
			delete(m.accounts, k)
			n++
		}
	}
	return n, nil
}
