package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
)

// sessionStore is the scs store over the sessions table. It implements
// scs.CtxStore too, so that a session manager that passes the request's
// context stops a query when the client goes away.
type sessionStore struct {
	db *DB
}

var _ scs.CtxStore = (*sessionStore)(nil)

// Find returns the record of a live session.
func (s *sessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit writes the record, replacing any under the same token.
func (s *sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete removes the record.
func (s *sessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// FindCtx returns the record of a live session. An expired row, which
// cleanup has not deleted yet, is not found.
func (s *sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.db.queryRow(ctx, `SELECT data FROM sessions WHERE token = $1 AND expiry > $2`,
		[]any{token, time.Now()}, &b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrap("find session", err)
	}
	return b, true, nil
}

// CommitCtx writes the record, replacing any under the same token.
func (s *sessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	err := s.db.exec(ctx, `
		INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
		token, b, expiry)
	return wrap("commit session", err)
}

// DeleteCtx removes the record.
func (s *sessionStore) DeleteCtx(ctx context.Context, token string) error {
	return wrap("delete session", s.db.exec(ctx, `DELETE FROM sessions WHERE token = $1`, token))
}

// cleanup deletes expired rows every interval until ctx ends. Every
// instance runs one; the deletes overlap harmlessly. A failed delete is
// retried on the next tick, and Find never returns the rows it leaves.
func (s *sessionStore) cleanup(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.deleteExpired(ctx, time.Now(), cleanupBatch)
		}
	}
}

// deleteExpired deletes the rows that expired by now, limit rows a
// statement, each statement a transaction of its own, until a statement
// deletes fewer, pausing between them: no delete holds locks or bloats
// the WAL for long, however many sessions expire at once.
func (s *sessionStore) deleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	deleted := 0
	for {
		n, err := s.db.deleteRows(ctx, `DELETE FROM sessions WHERE ctid IN
			(SELECT ctid FROM sessions WHERE expiry <= $1 LIMIT $2)`, now, limit)
		deleted += n
		if err != nil {
			return deleted, wrap("delete expired sessions", err)
		}
		if n < limit {
			return deleted, nil
		}
		select {
		case <-ctx.Done():
			return deleted, ctx.Err()
		case <-time.After(batchPause):
		}
	}
}
