package auth

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/authlab/authlab/auth/authtest"
)

// batchLogins records the limit and the answer of every PruneLogins.
type batchLogins struct {
	*memLogins
	calls [][2]int // limit, deleted
}

func (b *batchLogins) PruneLogins(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := b.memLogins.PruneLogins(ctx, before, limit)
	b.calls = append(b.calls, [2]int{limit, n})
	return n, err
}

// batchThrottle records the limit and the answer of every PruneThrottle.
type batchThrottle struct {
	*memThrottle
	calls [][2]int
}

func (b *batchThrottle) PruneThrottle(ctx context.Context, before, knownBefore time.Time, limit int) (int, error) {
	n, err := b.memThrottle.PruneThrottle(ctx, before, knownBefore, limit)
	b.calls = append(b.calls, [2]int{limit, n})
	return n, err
}

// TestCleanupPrunesInBatches: Cleanup asks the stores for cleanupBatch
// rows at a time until one answers with fewer, so however much there is
// to delete, no one delete is larger than a batch, and all of it goes.
func TestCleanupPrunesInBatches(t *testing.T) {
	ctx := context.Background()
	logins := &batchLogins{memLogins: newMemLogins()}
	throttle := &batchThrottle{memThrottle: newMemThrottle()}
	f := newFixture(t, Options{Logins: logins, Throttle: throttle})
	old := authtest.Start.Add(-48 * time.Hour)
	const stale = 2*cleanupBatch + cleanupBatch/2
	for i := range stale {
		logins.byKey[fmt.Sprint("old-", i)] = Login{Key: fmt.Sprint("old-", i), Started: old, Expires: old.Add(time.Hour)}
		throttle.signups = append(throttle.signups, signup{"192.0.2.1", old})
	}
	logins.byKey["live"] = Login{Key: "live", Started: authtest.Start, Expires: authtest.Start.Add(time.Hour)}
	throttle.signups = append(throttle.signups, signup{"192.0.2.1", authtest.Start})

	if err := f.a.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{cleanupBatch, cleanupBatch}, {cleanupBatch, cleanupBatch}, {cleanupBatch, cleanupBatch / 2}}
	if !slices.Equal(logins.calls, want) {
		t.Errorf("PruneLogins calls (limit, deleted) %v, want %v", logins.calls, want)
	}
	if !slices.Equal(throttle.calls, want) {
		t.Errorf("PruneThrottle calls (limit, deleted) %v, want %v", throttle.calls, want)
	}
	if len(logins.byKey) != 1 || len(throttle.signups) != 1 {
		t.Errorf("%d logins and %d signups left, want the live one of each", len(logins.byKey), len(throttle.signups))
	}
}
