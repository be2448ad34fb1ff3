package sqlite

import (
	"database/sql"
	"errors"
	"sync"
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
	stop  chan struct{}
	done  sync.WaitGroup
}

type session struct {
	data   []byte
	expiry time.Time
}

func newSessionStore(db *DB, cleanupEvery time.Duration) *sessionStore {
	s := &sessionStore{db: db, cache: cache.New[string, session](cacheSize), stop: make(chan struct{})}
	s.done.Add(1)
	go s.cleanup(cleanupEvery)
	return s
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
		return nil, false, err
	}
	e := session{data: data, expiry: fromJulianDay(jd)}
	s.cache.Put(token, e)
	return e.data, now.Before(e.expiry), nil
}

// Commit writes the record through to SQLite, then to memory.
func (s *sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	if _, err := s.db.write.Exec(`REPLACE INTO sessions (token, data, expiry) VALUES (?, ?, ?)`,
		token, b, julianDay(expiry)); err != nil {
		return err
	}
	s.cache.Put(token, session{data: b, expiry: expiry})
	return nil
}

// Delete removes the record from SQLite and from memory.
func (s *sessionStore) Delete(token string) error {
	if _, err := s.db.write.Exec(`DELETE FROM sessions WHERE token = ?`, token); err != nil {
		return err
	}
	s.cache.Delete(token)
	return nil
}

// cleanup deletes expired records every interval until stopCleanup.
func (s *sessionStore) cleanup(every time.Duration) {
	defer s.done.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			now := time.Now()
			// A failed delete is retried on the next tick; the rows it
			// leaves are expired, and Find never returns them.
			s.db.write.Exec(`DELETE FROM sessions WHERE expiry < ?`, julianDay(now))
			s.cache.DeleteIf(func(_ string, e session) bool { return !now.Before(e.expiry) })
		}
	}
}

func (s *sessionStore) stopCleanup() {
	close(s.stop)
	s.done.Wait()
}
