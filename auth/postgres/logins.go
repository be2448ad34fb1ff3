package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authlab/authlab/auth"
)

// The logins and throttling tables keep times to the millisecond, as
// package sqlite does, so that either store gives back the same times and
// compares them alike.
func ms(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

const loginColumns = `id, key, user_id, strategy, started, seen, expires, agent, address, ended, ended_by`

func scanLogin(row pgx.Row) (auth.Login, error) {
	var (
		l                 auth.Login
		strategy, endedBy string
		ended             *time.Time
	)
	if err := row.Scan(&l.ID, &l.Key, &l.UserID, &strategy, &l.Started, &l.Seen, &l.Expires,
		&l.Agent, &l.Address, &ended, &endedBy); err != nil {
		return auth.Login{}, err
	}
	l.Strategy, l.EndedBy = auth.Strategy(strategy), auth.EndReason(endedBy)
	l.Started, l.Seen, l.Expires = l.Started.UTC(), l.Seen.UTC(), l.Expires.UTC()
	if ended != nil {
		l.Ended = ended.UTC()
	}
	return l, nil
}

// AddLogin records l, or the Seen and Expires of the login with l's key.
func (d *DB) AddLogin(ctx context.Context, l auth.Login) error {
	err := d.exec(ctx, `INSERT INTO logins
		(id, key, user_id, strategy, started, seen, expires, agent, address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (key) DO UPDATE SET seen = excluded.seen, expires = excluded.expires`,
		l.ID, l.Key, l.UserID, string(l.Strategy), ms(l.Started), ms(l.Seen), ms(l.Expires), l.Agent, l.Address)
	return wrap("add login", err)
}

// LiveLogins returns userID's logins that have not ended and expire after
// now, oldest first.
func (d *DB) LiveLogins(ctx context.Context, userID int64, now time.Time) ([]auth.Login, error) {
	var ls []auth.Login
	err := d.retry(ctx, func() error {
		rows, err := d.pool.Query(ctx, `SELECT `+loginColumns+` FROM logins
			WHERE user_id = $1 AND ended IS NULL AND expires > $2 ORDER BY started, id`, userID, ms(now))
		if err != nil {
			return err
		}
		ls, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.Login, error) { return scanLogin(r) })
		return err
	})
	if err != nil {
		return nil, wrap("list logins", err)
	}
	return ls, nil
}

// LoginByKey returns the login with key, ended or not.
func (d *DB) LoginByKey(ctx context.Context, key string) (auth.Login, error) {
	var l auth.Login
	err := d.retry(ctx, func() error {
		var err error
		l, err = scanLogin(d.pool.QueryRow(ctx, `SELECT `+loginColumns+` FROM logins WHERE key = $1`, key))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.Login{}, auth.ErrNoLogin
	}
	if err != nil {
		return auth.Login{}, wrap("find login", err)
	}
	return l, nil
}

// EndLogin marks the login with key ended, unless it has ended already.
func (d *DB) EndLogin(ctx context.Context, key string, at time.Time, why auth.EndReason) error {
	err := d.exec(ctx, `UPDATE logins SET ended = $2, ended_by = $3 WHERE key = $1 AND ended IS NULL`,
		key, ms(at), string(why))
	return wrap("end login", err)
}

// PruneLogins deletes at most limit logins that expired or ended before
// the moment given.
func (d *DB) PruneLogins(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := d.deleteRows(ctx, `DELETE FROM logins WHERE ctid IN
		(SELECT ctid FROM logins WHERE expires < $1 OR ended < $1 LIMIT $2)`, ms(before), limit)
	return n, wrap("prune logins", err)
}

// LoginFailures returns what is known of failed logins on account and
// from address.
func (d *DB) LoginFailures(ctx context.Context, account, address string, since, knownSince time.Time) (auth.Failures, error) {
	var (
		f                                auth.Failures
		failures                         *int
		accountLast, pairLast, addrFirst *time.Time
	)
	err := d.queryRow(ctx, `SELECT
		(SELECT failures FROM login_failures WHERE account = $1),
		(SELECT last FROM login_failures WHERE account = $1),
		(SELECT max(at) FROM failed_logins WHERE account = $1 AND address = $2),
		(SELECT count(*) FROM failed_logins WHERE address = $2 AND at > $3),
		(SELECT min(at) FROM failed_logins WHERE address = $2 AND at > $3),
		EXISTS (SELECT 1 FROM login_known WHERE account = $1 AND address = $2 AND at >= $4)`,
		[]any{account, address, ms(since), ms(knownSince)}, &failures, &accountLast, &pairLast, &f.Address, &addrFirst, &f.PairKnown)
	if err != nil {
		return auth.Failures{}, wrap("read login failures", err)
	}
	if failures != nil {
		f.Account = *failures
	}
	f.AccountLast, f.PairLast, f.AddressFirst = utc(accountLast), utc(pairLast), utc(addrFirst)
	return f, nil
}

// utc returns *t in UTC, or the zero time for a NULL.
func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// AddLoginFailure records a failed login. It is one statement, so the
// count and the address's entry cannot part, and it names the attempt, so
// that sending it again after a lost connection (see retry) counts the
// failure once: the account's count moves only when the entry is new.
func (d *DB) AddLoginFailure(ctx context.Context, account, address string, at, forgetBefore time.Time) error {
	return d.addLoginFailure(ctx, rand.Text(), account, address, at, forgetBefore)
}

func (d *DB) addLoginFailure(ctx context.Context, attempt, account, address string, at, forgetBefore time.Time) error {
	err := d.exec(ctx, `
		WITH attempt AS (
			INSERT INTO failed_logins (attempt, address, account, at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (attempt) DO NOTHING
			RETURNING account
		)
		INSERT INTO login_failures (account, failures, last) SELECT account, 1, $4 FROM attempt
		ON CONFLICT (account) DO UPDATE SET
			failures = CASE WHEN login_failures.last <= $5 THEN 1 ELSE login_failures.failures + 1 END,
			last = excluded.last`,
		attempt, address, account, ms(at), ms(forgetBefore))
	return wrap("record login failure", err)
}

// LoginSucceeded resets account's count and remembers address as one the
// account logged in from, in one statement.
func (d *DB) LoginSucceeded(ctx context.Context, account, address string, at time.Time) error {
	err := d.exec(ctx, `
		WITH cleared AS (DELETE FROM login_failures WHERE account = $1)
		INSERT INTO login_known (account, address, at) VALUES ($1, $2, $3)
		ON CONFLICT (account, address) DO UPDATE SET at = greatest(login_known.at, excluded.at)`,
		account, address, ms(at))
	return wrap("record login success", err)
}

// Signups returns how many signups address made since the moment given,
// and when the first of them was.
func (d *DB) Signups(ctx context.Context, address string, since time.Time) (int, time.Time, error) {
	var (
		n     int
		first *time.Time
	)
	err := d.queryRow(ctx, `SELECT count(*), min(at) FROM signups WHERE address = $1 AND at > $2`,
		[]any{address, ms(since)}, &n, &first)
	if err != nil {
		return 0, time.Time{}, wrap("read signups", err)
	}
	return n, utc(first), nil
}

// AddSignup records a signup attempt from address, once however often
// retry sends it (see AddLoginFailure).
func (d *DB) AddSignup(ctx context.Context, address string, at time.Time) error {
	return d.addSignup(ctx, rand.Text(), address, at)
}

func (d *DB) addSignup(ctx context.Context, attempt, address string, at time.Time) error {
	err := d.exec(ctx, `INSERT INTO signups (attempt, address, at) VALUES ($1, $2, $3)
		ON CONFLICT (attempt) DO NOTHING`, attempt, address, ms(at))
	return wrap("record signup", err)
}

// PruneThrottle deletes at most limit entries older than before: from
// each table in turn, one short transaction a table.
func (d *DB) PruneThrottle(ctx context.Context, before, knownBefore time.Time, limit int) (int, error) {
	deleted := 0
	for _, q := range []struct {
		sql    string
		before time.Time
	}{
		{`DELETE FROM failed_logins WHERE ctid IN (SELECT ctid FROM failed_logins WHERE at < $1 LIMIT $2)`, before},
		{`DELETE FROM signups WHERE ctid IN (SELECT ctid FROM signups WHERE at < $1 LIMIT $2)`, before},
		{`DELETE FROM login_failures WHERE ctid IN (SELECT ctid FROM login_failures WHERE last < $1 LIMIT $2)`, before},
		{`DELETE FROM login_known WHERE ctid IN (SELECT ctid FROM login_known WHERE at < $1 LIMIT $2)`, knownBefore},
	} {
		if deleted == limit {
			break
		}
		n, err := d.deleteRows(ctx, q.sql, ms(q.before), limit-deleted)
		deleted += n
		if err != nil {
			return deleted, wrap("prune throttling", err)
		}
	}
	return deleted, nil
}
