package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authlab/authlab/auth"
)

// The bulk methods below fill the database for load tests and for sizing
// a deployment (authlab seed). Each is one transaction, and the rows go in
// with COPY, so a million take seconds. Instances already running learn
// of seeded revocations only when they start: COPY sends no NOTIFY.

// SeedUsers inserts n users with ids first to first+n-1, each named
// prefix and its id, all with the one password hash given: hashing a
// million passwords with argon2id would take hours. The ids are taken
// from the identity's sequence, with the table locked against other
// inserts meanwhile, so they are consecutive and never handed out again.
func (d *DB) SeedUsers(ctx context.Context, prefix string, n int, hash string) (first int64, err error) {
	err = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('users', 'id'))`).Scan(&first); err != nil {
			return err
		}
		last := first + int64(n) - 1
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('users', 'id'), $1)`, last); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO users (id, username, password_hash) OVERRIDING SYSTEM VALUE
			SELECT id, $3 || id, $4 FROM generate_series($1::bigint, $2::bigint) AS id`, first, last, prefix, hash)
		return err
	})
	if err != nil {
		return 0, wrap("seed users", err)
	}
	return first, nil
}

// SeedSessions inserts each session's record and its login.
func (d *DB) SeedSessions(ctx context.Context, ss []auth.SeededSession) error {
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"sessions"}, []string{"token", "data", "expiry"},
			pgx.CopyFromSlice(len(ss), func(i int) ([]any, error) {
				return []any{ss[i].Key, ss[i].Record, ss[i].Expiry}, nil
			}))
		if err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"logins"},
			[]string{"id", "key", "user_id", "strategy", "started", "seen", "expires", "agent", "address"},
			pgx.CopyFromSlice(len(ss), func(i int) ([]any, error) {
				l := ss[i].Login
				return []any{l.ID, l.Key, l.UserID, string(l.Strategy), l.Started, l.Seen, l.Expires, l.Agent, l.Address}, nil
			}))
		return err
	})
	return wrap("seed sessions", err)
}

// SeedRevocations records each id as revoked until the moment given.
func (d *DB) SeedRevocations(ctx context.Context, ids []string, until time.Time) error {
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"revoked_tokens"}, []string{"jti", "until"},
			pgx.CopyFromSlice(len(ids), func(i int) ([]any, error) {
				return []any{ids[i], until}, nil
			}))
		return err
	})
	return wrap("seed revocations", err)
}

// CountUsers returns how many accounts there are.
func (d *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := d.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, wrap("count users", err)
}
