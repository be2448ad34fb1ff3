package sqlite

import (
	"context"
	"testing"
	"time"
)

// DeleteExpiredSessions runs one round of the session cleanup, limit rows
// a statement, and returns how many rows it deleted.
func DeleteExpiredSessions(d *DB, now time.Time, limit int) (int, error) {
	return d.SessionStore().(*sessionStore).deleteExpired(context.Background(), now, limit)
}

// WatchBatches calls f with the rows each batch of a session cleanup
// deleted, until t ends.
func WatchBatches(t *testing.T, f func(n int)) {
	batchDeleted = f
	t.Cleanup(func() { batchDeleted = nil })
}

// Checkpoint runs one periodic checkpoint now.
func Checkpoint(d *DB) error { return d.checkpoint(context.Background()) }

// SetWALSizes makes the WAL limits small until t ends; a database opened
// meanwhile gets limit as its journal_size_limit.
func SetWALSizes(t *testing.T, limit, truncateAbove int64) {
	oldLimit, oldAbove := walSizeLimit, walTruncateAbove
	walSizeLimit, walTruncateAbove = limit, truncateAbove
	t.Cleanup(func() { walSizeLimit, walTruncateAbove = oldLimit, oldAbove })
}
