package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// RevocationChannel is the NOTIFY channel that carries each revocation to
// every instance, as "<id> <until in Unix seconds>".
const RevocationChannel = "authlab_revocations"

// How long Follow waits before connecting again after losing its
// connection: doubling from the first to the last.
const (
	followRetryFirst = 100 * time.Millisecond
	followRetryMax   = 2 * time.Second
)

// followPingEvery is how long Follow's connection may stay silent before
// it is pinged: a database host that vanished without closing the
// connection would otherwise leave Follow waiting for ever, and every
// instance trusting a feed that no longer comes. A variable for tests.
var followPingEvery = 30 * time.Second

// Revoke records id as revoked until the given moment, keeping the later
// moment when id is already there, and tells every instance following the
// feed. The notification is sent when the statement commits, so no
// instance hears of a revocation the table does not hold.
func (d *DB) Revoke(ctx context.Context, id string, until time.Time) error {
	// The payload rounds up: an entry that outlives its token by under a
	// second costs nothing; one that ends early lets the token through.
	err := d.exec(ctx, `
		WITH r AS (
			INSERT INTO revoked_tokens (jti, until) VALUES ($1, $2)
			ON CONFLICT (jti) DO UPDATE SET until = greatest(revoked_tokens.until, excluded.until)
			RETURNING jti, until
		)
		SELECT pg_notify('`+RevocationChannel+`', jti || ' ' || ceil(extract(epoch FROM until))::bigint) FROM r`,
		id, until)
	return wrap("revoke", err)
}

// CountRevocations returns about how many entries the table holds: the
// planner's estimate when it has one, which costs nothing, else a count.
func (d *DB) CountRevocations(ctx context.Context) (int, error) {
	var n int64
	err := d.retry(ctx, func() error {
		return d.pool.QueryRow(ctx, `SELECT CASE WHEN c.reltuples > 0 THEN c.reltuples::bigint
			ELSE (SELECT count(*) FROM revoked_tokens) END
			FROM pg_class c WHERE c.oid = 'revoked_tokens'::regclass`).Scan(&n)
	})
	if err != nil {
		return 0, wrap("count revocations", err)
	}
	return int(n), nil
}

// Revocations calls add for each entry in force at now.
func (d *DB) Revocations(ctx context.Context, now time.Time, add func(string, time.Time)) error {
	err := d.retry(ctx, func() error {
		rows, err := d.pool.Query(ctx, `SELECT jti, until FROM revoked_tokens WHERE until >= $1`, now)
		if err != nil {
			return err
		}
		var (
			id    string
			until time.Time
		)
		_, err = pgx.ForEachRow(rows, []any{&id, &until}, func() error {
			add(id, until)
			return nil
		})
		return err
	})
	return wrap("load revocations", err)
}

// PruneRevocations deletes at most limit entries that ended before now.
func (d *DB) PruneRevocations(ctx context.Context, now time.Time, limit int) (int, error) {
	n, err := d.deleteRows(ctx, `DELETE FROM revoked_tokens WHERE ctid IN
		(SELECT ctid FROM revoked_tokens WHERE until < $1 LIMIT $2)`, now, limit)
	return n, wrap("prune revocations", err)
}

// IsRevoked reports whether id is revoked at now, asking the database.
func (d *DB) IsRevoked(ctx context.Context, id string, now time.Time) (bool, error) {
	var revoked bool
	err := d.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1 AND until >= $2)`,
		[]any{id, now}, &revoked)
	if err != nil {
		return false, wrap("check revocation", err)
	}
	return revoked, nil
}

// Follow calls add for each revocation any instance makes, until ctx ends
// or d is closed. It listens on a connection of its own, outside the pool,
// since a LISTEN belongs to one session.
//
// Each time it is listening (again), it calls connected(true); the caller
// then reloads the table for what it missed while not listening. Each
// connected(true) is followed by exactly one connected(false), when that
// connection is lost or Follow returns. Before the first connected(true)
// the caller must assume it is not connected. After a loss Follow tries
// again, 100 ms later and then doubling to every 2 s.
func (d *DB) Follow(ctx context.Context, add func(id string, until time.Time), connected func(bool)) {
	if !d.start() {
		return
	}
	defer d.running.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(d.closing, cancel)
	defer stop()

	wait := followRetryFirst
	for {
		if d.follow(ctx, add, connected) {
			wait = followRetryFirst
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, followRetryMax)
	}
}

// follow listens on one connection until it fails or ctx ends, and
// reports whether it got as far as listening.
func (d *DB) follow(ctx context.Context, add func(string, time.Time), connected func(bool)) bool {
	conn, err := pgx.ConnectConfig(ctx, d.listen)
	if err != nil {
		return false
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+RevocationChannel); err != nil {
		return false
	}
	connected(true)
	defer connected(false)
	for {
		waitCtx, cancel := context.WithTimeout(ctx, followPingEvery)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			if id, until, ok := parseRevocation(n.Payload); ok {
				add(id, until)
			}
		case ctx.Err() != nil:
			return true
		case pgconn.Timeout(err) && !conn.IsClosed():
			pingCtx, cancel := context.WithTimeout(ctx, ConnectTimeout)
			err := conn.Ping(pingCtx)
			cancel()
			if err != nil {
				return true
			}
		default:
			return true
		}
	}
}

// parseRevocation reads a notification's payload, "<id> <unix seconds>".
func parseRevocation(payload string) (string, time.Time, bool) {
	i := strings.LastIndexByte(payload, ' ')
	if i <= 0 {
		return "", time.Time{}, false
	}
	sec, err := strconv.ParseInt(payload[i+1:], 10, 64)
	if err != nil {
		return "", time.Time{}, false
	}
	return payload[:i], time.Unix(sec, 0), true
}
