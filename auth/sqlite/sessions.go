package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/authlab/authlab/auth/internal/cache"
)

// sessionStore is the scs store over the sessions table, with every record
// this process has read or written held in memory: a session request then
// reads nothing from SQLite. Expiry is kept as a Julian day, as SQLite's
// own date functions count it, so a row can be read (or aged) with plain
// SQL.
type sessionStore struct {
	db    *DB
	cache *cache.Map[string, session]
}

type session struct {
	data   []byte
	expiry time.Time
}

func newSessionStore(db *DB) *sessionStore {
	return &sessionStore{db: db, cache: cache.New[string, session](cacheSize)}
}

// julianDay converts t to SQLite's Julian day number.
func julianDay(t time.Time) float64 {
	return float64(t.UnixNano())/float64(24*time.Hour) + 2440587.5
}

func fromJulianDay(jd float64) time.Time {
	return time.Unix(0, int64((jd-2440587.5)*float64(24*time.Hour))).UTC()
}

// Find returns the record of a live session.
func (s *sessionStore) Find(token string) ([]byte, bool, error) {
	now := time.Now()
	if e, ok := s.cache.Get(token); ok {
		return e.data, now.Before(e.expiry), nil
	}
	var (
		data []byte
		jd   float64
	)
	err := s.db.sessionFind.QueryRow(token).Scan(&data, &jd)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, storeErr(err)
	}
	e := session{data: data, expiry: fromJulianDay(jd)}
	s.cache.Put(token, e)
	return e.data, now.Before(e.expiry), nil
}

// Commit writes the record through to SQLite, then to memory.
func (s *sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	if _, err := s.db.write.Exec(`REPLACE INTO sessions (token, data, expiry) VALUES (?, ?, ?)`,
		token, b, julianDay(expiry)); err != nil {
		return storeErr(err)
	}
	s.cache.Put(token, session{data: b, expiry: expiry})
	return nil
}

// Delete removes the record from SQLite and from memory.
func (s *sessionStore) Delete(token string) error {
	if _, err := s.db.write.Exec(`DELETE FROM sessions WHERE token = ?`, token); err != nil {
		return storeErr(err)
	}
	s.cache.Delete(token)
	return nil
}

// deleteExpired deletes the sessions that expired before now, limit rows
// a statement, each statement a transaction of its own, until a statement
// deletes fewer: a write that waits for the database waits for one batch
// at most, never for the whole cleanup. The rows deleted leave memory
// too, by the tokens the statement returns; entries expired but not yet
// deleted stay until the cache drops them, and Find never returns them.
func (s *sessionStore) deleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	deleted := 0
	for {
		tokens, err := s.deleteBatch(ctx, now, limit)
		deleted += len(tokens)
		if batchDeleted != nil {
			batchDeleted(len(tokens))
		}
		if err != nil || len(tokens) < limit {
			return deleted, err
		}
		select {
		case <-ctx.Done():
			return deleted, ctx.Err()
		case <-time.After(batchPause):
		}
	}
}

// batchDeleted, when set, is told of each batch deleteExpired deletes:
// tests watch the batches go by.
var batchDeleted func(n int)

// deleteBatch deletes at most limit expired sessions and returns their
// tokens, gone from memory too.
func (s *sessionStore) deleteBatch(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := s.db.write.QueryContext(ctx, `DELETE FROM sessions WHERE rowid IN
		(SELECT rowid FROM sessions WHERE expiry < ? LIMIT ?) RETURNING token`, julianDay(now), limit)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	tokens := make([]string, 0, limit)
	for rows.Next() {
		var token string
		if err := rows.Scan(&token); err != nil {
			return tokens, storeErr(err)
		}
		tokens = append(tokens, token)
	}
	// The statement's transaction ends with its last row: only then are
	// the rows gone for everyone, and may leave memory.
	err = storeErr(rows.Err())
	if err == nil {
		for _, token := range tokens {
			s.cache.Delete(token)
		}
	}
	return tokens, err
}
