package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/authlab/authlab/auth"
)

// Times in the logins and throttling tables are Unix milliseconds.

const loginColumns = `id, key, user_id, strategy, started, seen, expires, agent, address, ended, ended_by`

type scanner interface{ Scan(...any) error }

func scanLogin(row scanner) (auth.Login, error) {
	var (
		l                             auth.Login
		strategy, endedBy             string
		started, seen, expires, ended int64
	)
	if err := row.Scan(&l.ID, &l.Key, &l.UserID, &strategy, &started, &seen, &expires,
		&l.Agent, &l.Address, &ended, &endedBy); err != nil {
		return auth.Login{}, err
	}
	l.Strategy, l.EndedBy = auth.Strategy(strategy), auth.EndReason(endedBy)
	l.Started, l.Seen, l.Expires = time.UnixMilli(started).UTC(), time.UnixMilli(seen).UTC(), time.UnixMilli(expires).UTC()
	if ended != 0 {
		l.Ended = time.UnixMilli(ended).UTC()
	}
	return l, nil
}

// AddLogin records l, or the Seen and Expires of the login with l's key.
func (d *DB) AddLogin(ctx context.Context, l auth.Login) error {
	_, err := d.write.ExecContext(ctx, `INSERT INTO logins
		(id, key, user_id, strategy, started, seen, expires, agent, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET seen = excluded.seen, expires = excluded.expires`,
		l.ID, l.Key, l.UserID, string(l.Strategy), l.Started.UnixMilli(), l.Seen.UnixMilli(), l.Expires.UnixMilli(),
		l.Agent, l.Address)
	return storeErr(err)
}

// LiveLogins returns userID's logins that have not ended and expire after
// now, oldest first.
func (d *DB) LiveLogins(ctx context.Context, userID int64, now time.Time) ([]auth.Login, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT `+loginColumns+` FROM logins
		WHERE user_id = ? AND ended = 0 AND expires > ? ORDER BY started, id`, userID, now.UnixMilli())
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var ls []auth.Login
	for rows.Next() {
		l, err := scanLogin(rows)
		if err != nil {
			return nil, storeErr(err)
		}
		ls = append(ls, l)
	}
	return ls, storeErr(rows.Err())
}

// LoginByKey returns the login with key, ended or not.
func (d *DB) LoginByKey(ctx context.Context, key string) (auth.Login, error) {
	l, err := scanLogin(d.loginByKey.QueryRowContext(ctx, key))
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Login{}, auth.ErrNoLogin
	}
	return l, storeErr(err)
}

// EndLogin marks the login with key ended, unless it has ended already.
func (d *DB) EndLogin(ctx context.Context, key string, at time.Time, why auth.EndReason) error {
	_, err := d.write.ExecContext(ctx, `UPDATE logins SET ended = ?, ended_by = ? WHERE key = ? AND ended = 0`,
		at.UnixMilli(), string(why), key)
	return storeErr(err)
}

// PruneLogins deletes at most limit logins that expired or ended before
// the moment given. The indexes on expires and on ended find them, so a
// batch reads no more of the table than it deletes.
func (d *DB) PruneLogins(ctx context.Context, before time.Time, limit int) (int, error) {
	return d.deleteRows(ctx, `DELETE FROM logins WHERE rowid IN (SELECT rowid FROM logins
		WHERE expires < ?1 OR (ended != 0 AND ended < ?1) LIMIT ?2)`, before.UnixMilli(), limit)
}

// LoginFailures returns what is known of failed logins on account and
// from address.
func (d *DB) LoginFailures(ctx context.Context, account, address string, since, knownSince time.Time) (auth.Failures, error) {
	var (
		f                                          auth.Failures
		failures, accountLast, pairLast, addrFirst sql.NullInt64
	)
	err := d.read.QueryRowContext(ctx, `SELECT
		(SELECT failures FROM login_failures WHERE account = ?1),
		(SELECT last FROM login_failures WHERE account = ?1),
		(SELECT max(at) FROM failed_logins WHERE account = ?1 AND address = ?2),
		(SELECT count(*) FROM failed_logins WHERE address = ?2 AND at > ?3),
		(SELECT min(at) FROM failed_logins WHERE address = ?2 AND at > ?3),
		EXISTS (SELECT 1 FROM login_known WHERE account = ?1 AND address = ?2 AND at >= ?4)`,
		account, address, since.UnixMilli(), knownSince.UnixMilli()).Scan(&failures, &accountLast, &pairLast, &f.Address, &addrFirst, &f.PairKnown)
	if err != nil {
		return f, storeErr(err)
	}
	f.Account = int(failures.Int64)
	f.AccountLast, f.PairLast, f.AddressFirst = msTime(accountLast), msTime(pairLast), msTime(addrFirst)
	return f, nil
}

func msTime(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return time.UnixMilli(ms.Int64).UTC()
}

// AddLoginFailure records a failed login.
func (d *DB) AddLoginFailure(ctx context.Context, account, address string, at, forgetBefore time.Time) error {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return storeErr(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (account, failures, last) VALUES (?1, 1, ?2)
		ON CONFLICT (account) DO UPDATE SET
			failures = CASE WHEN last <= ?3 THEN 1 ELSE failures + 1 END, last = ?2`,
		account, at.UnixMilli(), forgetBefore.UnixMilli()); err != nil {
		return storeErr(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO failed_logins (address, account, at) VALUES (?, ?, ?)`,
		address, account, at.UnixMilli()); err != nil {
		return storeErr(err)
	}
	return storeErr(tx.Commit())
}

// LoginSucceeded resets account's count and remembers address as one the
// account logged in from.
func (d *DB) LoginSucceeded(ctx context.Context, account, address string, at time.Time) error {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return storeErr(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE account = ?`, account); err != nil {
		return storeErr(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO login_known (account, address, at) VALUES (?1, ?2, ?3)
		ON CONFLICT (account, address) DO UPDATE SET at = max(at, excluded.at)`,
		account, address, at.UnixMilli()); err != nil {
		return storeErr(err)
	}
	return storeErr(tx.Commit())
}

// Signups returns how many signups address made since the moment given,
// and when the first of them was.
func (d *DB) Signups(ctx context.Context, address string, since time.Time) (int, time.Time, error) {
	var (
		n     int
		first sql.NullInt64
	)
	err := d.read.QueryRowContext(ctx, `SELECT count(*), min(at) FROM signups WHERE address = ? AND at > ?`,
		address, since.UnixMilli()).Scan(&n, &first)
	return n, msTime(first), storeErr(err)
}

// AddSignup records a signup attempt from address.
func (d *DB) AddSignup(ctx context.Context, address string, at time.Time) error {
	_, err := d.write.ExecContext(ctx, `INSERT INTO signups (address, at) VALUES (?, ?)`, address, at.UnixMilli())
	return storeErr(err)
}

// PruneThrottle deletes at most limit entries older than before: from
// each table in turn, one short transaction a table.
func (d *DB) PruneThrottle(ctx context.Context, before, knownBefore time.Time, limit int) (int, error) {
	deleted := 0
	for _, q := range []struct {
		sql    string
		before time.Time
	}{
		{`DELETE FROM failed_logins WHERE rowid IN (SELECT rowid FROM failed_logins WHERE at < ? LIMIT ?)`, before},
		{`DELETE FROM signups WHERE rowid IN (SELECT rowid FROM signups WHERE at < ? LIMIT ?)`, before},
		{`DELETE FROM login_failures WHERE rowid IN (SELECT rowid FROM login_failures WHERE last < ? LIMIT ?)`, before},
		{`DELETE FROM login_known WHERE rowid IN (SELECT rowid FROM login_known WHERE at < ? LIMIT ?)`, knownBefore},
	} {
		if deleted == limit {
			break
		}
		n, err := d.deleteRows(ctx, q.sql, q.before.UnixMilli(), limit-deleted)
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}
