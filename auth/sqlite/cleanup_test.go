package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/auth/sqlite"
)

// openRaw opens the database file in dir beside the store's own
// connections, as another process would.
func openRaw(t *testing.T, dir string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// addExpiredSessions inserts n sessions that expired an hour ago, in one
// transaction, named expired-1 to expired-n.
func addExpiredSessions(t *testing.T, raw *sql.DB, n int) {
	t.Helper()
	_, err := raw.Exec(`WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < ?)
		INSERT INTO sessions (token, data, expiry) SELECT 'expired-' || n, x'00', julianday('now') - 1.0/24 FROM i`, n)
	if err != nil {
		t.Fatal(err)
	}
}

func countExpired(raw *sql.DB) (int, error) {
	var n int
	err := raw.QueryRow(`SELECT count(*) FROM sessions WHERE expiry < julianday('now')`).Scan(&n)
	return n, err
}

// TestSessionCleanupInBatches: a cleanup of many expired sessions deletes
// them a batch a transaction, and session saves made meanwhile go through
// between two batches, never waiting for the whole cleanup.
func TestSessionCleanupInBatches(t *testing.T) {
	const (
		expired = 2_000
		batch   = 50
	)
	dir := t.TempDir()
	db := open(t, dir)
	raw := openRaw(t, dir)
	addExpiredSessions(t, raw, expired)
	store := db.SessionStore()

	var (
		batches atomic.Int64 // deleted so far
		sizes   []int        // the rows of each batch, in order
	)
	sqlite.WatchBatches(t, func(n int) {
		sizes = append(sizes, n)
		batches.Add(1)
	})
	var (
		wg      sync.WaitGroup
		started = make(chan struct{})
		once    sync.Once
		done    = make(chan struct{})
		after   []int64 // the batches deleted when each save completed
		slowest time.Duration
		saveErr error
	)
	wg.Go(func() {
		defer once.Do(func() { close(started) })
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			start := time.Now()
			if err := store.Commit(fmt.Sprintf("live-%d", i), []byte("x"), time.Now().Add(time.Hour)); err != nil {
				saveErr = err
				return
			}
			slowest = max(slowest, time.Since(start))
			after = append(after, batches.Load())
			once.Do(func() { close(started) })
		}
	})
	<-started
	n, err := sqlite.DeleteExpiredSessions(db, time.Now(), batch)
	close(done)
	wg.Wait()
	if err != nil || n != expired {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want %d", n, err, expired)
	}
	if saveErr != nil {
		t.Fatalf("a save during the cleanup: %v", saveErr)
	}
	// expired/batch full batches, and one that finds nothing left.
	if want := expired/batch + 1; len(sizes) != want || slices.Max(sizes) != batch || sizes[len(sizes)-1] != 0 {
		t.Errorf("batches of %v; want %d of at most %d, the last empty", sizes, want, batch)
	}
	between := map[int64]bool{}
	for _, b := range after {
		if b > 0 && b < int64(len(sizes)) {
			between[b] = true
		}
	}
	// Had the cleanup held the database throughout, every save would
	// have completed before its first batch or after its last.
	if len(between) < 2 {
		t.Errorf("saves completed between %d distinct pairs of batches, want several; batches done at each save: %v", len(between), after)
	}
	t.Logf("%d batches; %d saves meanwhile, between %d distinct pairs of batches; the slowest save took %s",
		len(sizes), len(after), len(between), slowest)
	if left, err := countExpired(raw); err != nil || left != 0 {
		t.Errorf("%d expired rows left, %v", left, err)
	}
}

// TestExpiredSessionsLeaveMemory: a session the cleanup deletes is gone
// from the store's memory too, so a row written under its token later,
// by anyone, is what Find returns.
func TestExpiredSessionsLeaveMemory(t *testing.T) {
	dir := t.TempDir()
	db := open(t, dir)
	store := db.SessionStore()
	if err := store.Commit("token", []byte("old"), time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := store.Commit("live", []byte("kept"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := sqlite.DeleteExpiredSessions(db, time.Now(), 10); err != nil || n != 1 {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want 1", n, err)
	}
	raw := openRaw(t, dir)
	if _, err := raw.Exec(`INSERT INTO sessions (token, data, expiry) VALUES ('token', 'new', julianday('now') + 1)`); err != nil {
		t.Fatal(err)
	}
	if b, found, err := store.Find("token"); err != nil || !found || string(b) != "new" {
		t.Errorf("Find after the cleanup = %q, %v, %v; want the new row: the deleted one stayed in memory", b, found, err)
	}
	if b, found, err := store.Find("live"); err != nil || !found || string(b) != "kept" {
		t.Errorf("Find(live) = %q, %v, %v; want kept", b, found, err)
	}
}

// TestLockedIsUnavailable: a write that finds the database locked past
// the busy timeout is auth.ErrStoreUnavailable, for every kind of write.
func TestLockedIsUnavailable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.OpenWith(ctx, dir, sqlite.Options{BusyTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store := db.SessionStore()
	conn, err := openRaw(t, dir).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, `ROLLBACK`)
	for name, write := range map[string]func() error{
		"Commit":          func() error { return store.Commit("t", []byte("x"), time.Now().Add(time.Hour)) },
		"Delete":          func() error { return store.Delete("t") },
		"CreateUser":      func() error { _, err := db.CreateUser(ctx, "alice", "hash"); return err },
		"Revoke":          func() error { return db.Revoke(ctx, "jti", time.Now()) },
		"AddLogin":        func() error { return db.AddLogin(ctx, auth.Login{ID: "i", Key: "k", Expires: time.Now()}) },
		"AddLoginFailure": func() error { return db.AddLoginFailure(ctx, "alice", "a", time.Now(), time.Now()) },
		"AddSignup":       func() error { return db.AddSignup(ctx, "a", time.Now()) },
		"PruneLogins":     func() error { _, err := db.PruneLogins(ctx, time.Now(), 10); return err },
		"PruneThrottle":   func() error { _, err := db.PruneThrottle(ctx, time.Now(), time.Now(), 10); return err },
		"cleanup": func() error {
			_, err := sqlite.DeleteExpiredSessions(db, time.Now(), 10)
			return err
		},
	} {
		if err := write(); !errors.Is(err, auth.ErrStoreUnavailable) {
			t.Errorf("%s with the database locked: %v; want auth.ErrStoreUnavailable", name, err)
		}
	}
}

// TestWALStaysBounded: writes made while a reader holds an old snapshot
// grow the WAL past its limit, since SQLite cannot start it over; once
// the reader has moved on, the periodic checkpoint truncates it. Other
// readers keep reading throughout.
func TestWALStaysBounded(t *testing.T) {
	const limit = 256 << 10
	sqlite.SetWALSizes(t, limit, 64<<10)
	ctx := context.Background()
	dir := t.TempDir()
	db := open(t, dir)
	store := db.SessionStore()
	wal := filepath.Join(dir, sqlite.FileName+"-wal")
	size := func() int64 {
		fi, err := os.Stat(wal)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}

	// A long reader: its snapshot keeps the WAL from being started over.
	long, err := openRaw(t, dir).BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := long.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	// Short readers, all along.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					store.Find("never-saved") // read from SQLite each time
				}
			}
		})
	}
	defer func() { close(stop); readers.Wait() }()

	data := bytes.Repeat([]byte("x"), 1024)
	for i := range 300 { // each commit adds a few pages to the WAL: several MiB
		if err := store.Commit(fmt.Sprintf("session-%d", i), data, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	grown := size()
	if grown <= limit {
		t.Fatalf("the WAL is %d bytes with a reader holding it back; want past %d for this test to mean anything", grown, limit)
	}
	long.Rollback()
	// A checkpoint that finds readers in its way waits a moment for them
	// and leaves the rest for the next round: give it a few rounds.
	for round := 0; round < 5 && size() > limit; round++ {
		if err := sqlite.Checkpoint(db); err != nil {
			t.Fatalf("checkpoint: %v", err)
		}
	}
	after := size()
	t.Logf("WAL: %d bytes with a long reader, %d after the checkpoint (limit %d)", grown, after, limit)
	if after > limit {
		t.Errorf("the WAL is %d bytes after the checkpoint, want at most %d", after, limit)
	}
	// Writing on starts the WAL over, within the limit.
	for i := range 200 {
		if err := store.Commit(fmt.Sprintf("more-%d", i), data, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for round := 0; round < 5 && size() > limit; round++ {
		if err := sqlite.Checkpoint(db); err != nil {
			t.Fatal(err)
		}
	}
	if s := size(); s > limit {
		t.Errorf("the WAL is %d bytes after more writes, want at most %d", s, limit)
	}
}
