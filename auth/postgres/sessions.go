package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"

	"github.com/authlab/authlab/auth"
)

// sessionStore is the scs store over the sessions table. It implements
// scs.CtxStore too, so that a session manager that passes the request's
// context stops waiting when the client goes away.
//
// Look-ups are batched: the ones that arrive while others are in flight
// go to the server together, as one query, when a finder is free. Every
// request still reads its record from the database, so a session ended on
// another instance ends here at once; but under load one round trip
// answers many requests, where each cost its own write to the server, a
// wake-up of its backend and a read back. A look-up that finds the
// finders idle goes at once, alone, as before.
type sessionStore struct {
	db    *DB
	finds chan *find
}

var _ scs.CtxStore = (*sessionStore)(nil)

// find is one look-up waiting for its batch.
type find struct {
	token string
	data  []byte
	found bool
	err   error
	done  chan struct{} // closed once the fields above are set
}

// maxFindBatch bounds the tokens one query asks for.
const maxFindBatch = 128

// findQueue is how many look-ups may wait for a finder; past it, a request
// waits to join the queue.
const findQueue = 1024

func newSessionStore(db *DB) *sessionStore {
	return &sessionStore{db: db, finds: make(chan *find, findQueue)}
}

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
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	f := &find{token: token, done: make(chan struct{})}
	select {
	case s.finds <- f:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case <-s.db.closing.Done():
		return nil, false, errClosed
	}
	select {
	case <-f.done:
		return f.data, f.found, f.err
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case <-s.db.closing.Done():
		return nil, false, errClosed
	}
}

// errClosed answers a look-up made after Close.
var errClosed = fmt.Errorf("postgres: find session: %w: the database is closed", auth.ErrStoreUnavailable)

// finder answers look-ups until ctx ends: it takes one, and every other
// already waiting (up to maxFindBatch), and answers them all with one
// query. SessionStore starts one for each connection the pool may open.
func (s *sessionStore) finder(ctx context.Context) {
	batch := make([]*find, 0, maxFindBatch)
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-s.finds:
			batch = append(batch[:0], f)
		}
	fill:
		for len(batch) < maxFindBatch {
			select {
			case f := <-s.finds:
				batch = append(batch, f)
			default:
				break fill
			}
		}
		s.findBatch(ctx, batch)
		clear(batch) // let the answered look-ups go
	}
}

// findBatch answers batch with one query. Several look-ups of one token
// (a browser's requests in parallel) share its row.
func (s *sessionStore) findBatch(ctx context.Context, batch []*find) {
	tokens := make([]string, len(batch))
	for i, f := range batch {
		tokens[i] = f.token
	}
	var rows map[string][]byte
	err := s.db.retry(ctx, func() error {
		rows = make(map[string][]byte, len(batch))
		r, err := s.db.pool.Query(ctx, `SELECT token, data FROM sessions WHERE token = ANY($1) AND expiry > $2`,
			tokens, time.Now())
		if err != nil {
			return err
		}
		var (
			token string
			data  []byte
		)
		_, err = pgx.ForEachRow(r, []any{&token, &data}, func() error {
			rows[token] = data
			return nil
		})
		return err
	})
	err = wrap("find session", err)
	for _, f := range batch {
		if err != nil {
			f.err = err
		} else {
			f.data, f.found = rows[f.token]
		}
		close(f.done)
	}
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
