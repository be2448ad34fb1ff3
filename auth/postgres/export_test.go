package postgres

import (
	"context"
	"errors"
	"testing"
	"time"
)

// SetFollowPingEvery makes Follow ping its connection after every, rather
// than 30 s, of silence, until t ends.
func SetFollowPingEvery(t *testing.T, every time.Duration) {
	old := followPingEvery
	followPingEvery = every
	t.Cleanup(func() { followPingEvery = old })
}

// DeleteExpiredSessions runs one pass of the session cleanup, which
// otherwise waits five minutes.
func DeleteExpiredSessions(d *DB, now time.Time) error {
	_, err := d.SessionStore().(*sessionStore).deleteExpired(context.Background(), now, cleanupBatch)
	return err
}

// DeleteExpiredSessionsBy runs one pass of the session cleanup deleting
// limit rows a statement, and returns how many it deleted.
func DeleteExpiredSessionsBy(d *DB, now time.Time, limit int) (int, error) {
	return d.SessionStore().(*sessionStore).deleteExpired(context.Background(), now, limit)
}

// CreateUserAgain runs CreateUser's second attempt alone, as after a first
// attempt whose connection died, and returns the id it answers with.
func CreateUserAgain(d *DB, username, passwordHash string) (int64, error) {
	var (
		id      int64
		created time.Time
	)
	err := d.pool.QueryRow(context.Background(), insertUserAgain, username, passwordHash).Scan(&id, &created)
	return id, err
}

// AddLoginFailureAttempt is AddLoginFailure naming its attempt, as its
// second sending after a lost connection does.
func AddLoginFailureAttempt(d *DB, attempt, account, address string, at, forgetBefore time.Time) error {
	return d.addLoginFailure(context.Background(), attempt, account, address, at, forgetBefore)
}

// AddSignupAttempt is AddSignup naming its attempt.
func AddSignupAttempt(d *DB, attempt, address string, at time.Time) error {
	return d.addSignup(context.Background(), attempt, address, at)
}

// FindBatch answers the look-ups of tokens as one batch, as a finder
// does with the look-ups it finds waiting, and returns what each got.
func FindBatch(d *DB, tokens []string) (data []string, found []bool, err error) {
	s := d.SessionStore().(*sessionStore)
	batch := make([]*find, len(tokens))
	for i, t := range tokens {
		batch[i] = &find{token: t, done: make(chan struct{})}
	}
	s.findBatch(context.Background(), batch)
	for _, f := range batch {
		<-f.done
		data, found = append(data, string(f.data)), append(found, f.found)
		err = errors.Join(err, f.err)
	}
	return data, found, err
}
