package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/authlab/authlab/auth"
)

// The bulk methods below fill the database for load tests and for sizing
// a deployment (authlab seed). Each is one write transaction, in
// multi-row INSERTs of seedRows rows, so a million rows take seconds
// rather than the hour a million single-row commits would.

// seedRows is how many rows one INSERT of the bulk methods carries: the
// widest, a login, binds 9 values a row, well under SQLite's limit of
// 32766 bound values a statement.
const seedRows = 500

// seedCacheKiB is the page cache the write connection gets while seeding:
// rows keyed by random tokens land all over their indexes, and with
// SQLite's default 2 MiB cache each insert would read and write back
// pages evicted by the one before.
const seedCacheKiB = 256 << 10

// SeedUsers inserts n users with ids first to first+n-1, each named
// prefix and its id, all with the one password hash given: hashing a
// million passwords with argon2id would take hours. Ids continue after
// every id ever handed out, so none is reused.
func (d *DB) SeedUsers(ctx context.Context, prefix string, n int, hash string) (first int64, err error) {
	tx, err := d.seedTx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT max(
		coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'users'), 0),
		coalesce((SELECT max(id) FROM users), 0))`).Scan(&last); err != nil {
		return 0, fmt.Errorf("sqlite: seed users: %w", err)
	}
	first = last + 1
	_, err = tx.ExecContext(ctx, `WITH RECURSIVE ids(id) AS (SELECT ?1 UNION ALL SELECT id + 1 FROM ids WHERE id < ?2)
		INSERT INTO users (id, username, password_hash, created) SELECT id, ?3 || id, ?4, ?5 FROM ids`,
		first, last+int64(n), prefix, hash, time.Now().Unix())
	if err != nil {
		return 0, fmt.Errorf("sqlite: seed users: %w", err)
	}
	return first, tx.Commit()
}

// SeedSessions inserts each session's record and its login.
func (d *DB) SeedSessions(ctx context.Context, ss []auth.SeededSession) error {
	tx, err := d.seedTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = insertRows(ctx, tx, `INSERT INTO sessions (token, data, expiry) VALUES `, 3, len(ss), func(i int, args []any) []any {
		s := ss[i]
		return append(args, s.Key, s.Record, julianDay(s.Expiry))
	})
	if err != nil {
		return fmt.Errorf("sqlite: seed sessions: %w", err)
	}
	err = insertRows(ctx, tx, `INSERT INTO logins (id, key, user_id, strategy, started, seen, expires, agent, address) VALUES `,
		9, len(ss), func(i int, args []any) []any {
			l := ss[i].Login
			return append(args, l.ID, l.Key, l.UserID, string(l.Strategy), l.Started.UnixMilli(), l.Seen.UnixMilli(),
				l.Expires.UnixMilli(), l.Agent, l.Address)
		})
	if err != nil {
		return fmt.Errorf("sqlite: seed logins: %w", err)
	}
	return tx.Commit()
}

// SeedRevocations records each id as revoked until the moment given.
func (d *DB) SeedRevocations(ctx context.Context, ids []string, until time.Time) error {
	tx, err := d.seedTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = insertRows(ctx, tx, `INSERT INTO revoked_tokens (jti, until) VALUES `, 2, len(ids), func(i int, args []any) []any {
		return append(args, ids[i], until.Unix())
	})
	if err != nil {
		return fmt.Errorf("sqlite: seed revocations: %w", err)
	}
	return tx.Commit()
}

// CountUsers returns how many accounts there are.
func (d *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := d.read.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

func (d *DB) seedTx(ctx context.Context) (*sql.Tx, error) {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, seedCacheKiB)); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// insertRows inserts n rows of cols values each, seedRows to a statement;
// row appends row i's values to args.
func insertRows(ctx context.Context, tx *sql.Tx, insert string, cols, n int, row func(i int, args []any) []any) error {
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, seedRows*cols)
	for start := 0; start < n; start += seedRows {
		rows := min(seedRows, n-start)
		st := stmts[rows]
		if st == nil {
			one := "(" + strings.Repeat("?,", cols-1) + "?)"
			var err error
			if st, err = tx.PrepareContext(ctx, insert+strings.Repeat(one+",", rows-1)+one); err != nil {
				return err
			}
			stmts[rows] = st
		}
		args = args[:0]
		for i := start; i < start+rows; i++ {
			args = row(i, args)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}
