package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/authlab/authlab/auth/postgres"
	"github.com/authlab/authlab/auth/postgres/pgtest"
)

// TestSessionCleanupInBatches: the session cleanup deletes limit rows a
// statement until none is left, and leaves live rows alone.
func TestSessionCleanupInBatches(t *testing.T) {
	url := pgtest.Database(t)
	db := open(t, url)
	store := db.SessionStore()
	exec(t, url, `INSERT INTO sessions (token, data, expiry)
		SELECT 'expired-' || i, '\x00', now() - interval '1 hour' FROM generate_series(1, 250) AS i`)
	if err := store.Commit("live", []byte("x"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := postgres.DeleteExpiredSessionsBy(db, time.Now(), 100); err != nil || n != 250 {
		t.Fatalf("DeleteExpiredSessionsBy(limit 100) = %d, %v; want 250", n, err)
	}
	if n := count(t, url, `SELECT count(*) FROM sessions`); n != 1 {
		t.Errorf("%d rows left, want the live one", n)
	}
	if _, found, err := store.Find("live"); err != nil || !found {
		t.Errorf("Find(live) = %v, %v", found, err)
	}
	// Open takes the interval; a negative one is refused.
	if _, err := postgres.Open(context.Background(), url, postgres.Options{CleanupEvery: -time.Second}); err == nil {
		t.Error("Open accepted a negative CleanupEvery")
	}
}
