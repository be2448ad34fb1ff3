// Package sqlite keeps authlab's state in one SQLite file: users, scs
// sessions, the JWT revocation list and the generated JWT key. It uses
// modernc.org/sqlite, a pure-Go driver, so the binary needs no C compiler.
package sqlite

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	driver "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/auth/internal/cache"
)

// FileName is the database's name inside the data folder.
const FileName = "authlab.db"

const schema = `
CREATE TABLE IF NOT EXISTS users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	username      TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	created       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
	token  TEXT PRIMARY KEY,
	data   BLOB NOT NULL,
	expiry REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expiry_idx ON sessions(expiry);
CREATE TABLE IF NOT EXISTS revoked_tokens (
	jti   TEXT PRIMARY KEY,
	until INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS revoked_tokens_until_idx ON revoked_tokens(until);
CREATE TABLE IF NOT EXISTS secrets (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);`

// migrations are the schema's versions, in order: migration i+1 takes a
// database from version i to i+1. The first is written so that a database
// made before versions were kept takes it without harm.
var migrations = []string{schema, usersNeverReuseIDs, loginsAndThrottling, loginsEndedIndex, knownAddresses}

// usersNeverReuseIDs rebuilds the users table of a database made before
// its ids were AUTOINCREMENT: without it, SQLite hands the id of the
// newest user, once deleted, to the next one, and that user would inherit
// any session or token still naming it.
const usersNeverReuseIDs = `
CREATE TABLE users_rebuilt (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	username      TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	created       INTEGER NOT NULL
);
INSERT INTO users_rebuilt (id, username, password_hash, created)
	SELECT id, username, password_hash, created FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;`

// loginsAndThrottling adds the index of logins and the throttling
// counts, and keys sessions by the SHA-256 of their token. Rows made
// before were keyed by the token itself: they are deleted, so a copy of
// the database holds no token, and their users log in again.
const loginsAndThrottling = `
DELETE FROM sessions;
CREATE TABLE logins (
	id       TEXT PRIMARY KEY,
	key      TEXT NOT NULL UNIQUE,
	user_id  INTEGER NOT NULL,
	strategy TEXT NOT NULL,
	started  INTEGER NOT NULL,
	seen     INTEGER NOT NULL,
	expires  INTEGER NOT NULL,
	agent    TEXT NOT NULL,
	address  TEXT NOT NULL,
	ended    INTEGER NOT NULL DEFAULT 0,
	ended_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX logins_user_idx ON logins(user_id, started);
CREATE INDEX logins_expires_idx ON logins(expires);
CREATE TABLE login_failures (
	account  TEXT PRIMARY KEY,
	failures INTEGER NOT NULL,
	last     INTEGER NOT NULL
);
CREATE INDEX login_failures_last_idx ON login_failures(last);
CREATE TABLE failed_logins (
	address TEXT NOT NULL,
	account TEXT NOT NULL,
	at      INTEGER NOT NULL
);
CREATE INDEX failed_logins_address_idx ON failed_logins(address, at);
CREATE INDEX failed_logins_account_idx ON failed_logins(account, address, at);
CREATE INDEX failed_logins_at_idx ON failed_logins(at);
CREATE TABLE signups (
	address TEXT NOT NULL,
	at      INTEGER NOT NULL
);
CREATE INDEX signups_address_idx ON signups(address, at);
CREATE INDEX signups_at_idx ON signups(at);`

// knownAddresses remembers where each account last logged in from, so
// that an account closed to passwords after a hundred failures stays open
// to the places its owner uses (auth.KnownFor).
const knownAddresses = `
CREATE TABLE login_known (
	account TEXT NOT NULL,
	address TEXT NOT NULL,
	at      INTEGER NOT NULL,
	PRIMARY KEY (account, address)
);
CREATE INDEX login_known_at_idx ON login_known(at);`

// loginsEndedIndex lets a cleanup find ended logins without reading the
// whole table for every batch it deletes.
const loginsEndedIndex = `CREATE INDEX logins_ended_idx ON logins(ended) WHERE ended != 0;`

// migrate brings db's schema to the last version, in one transaction: the
// write connection begins it IMMEDIATE, so two processes could not both
// apply a migration (Open's folder lock already keeps a second one out).
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied INTEGER NOT NULL
	)`); err != nil {
		return err
	}
	var version int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return err
	}
	for v := version + 1; v <= len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`,
			v, time.Now().Unix()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// DB is the open database. Its methods implement auth.UserStore,
// auth.RevocationStore, and SessionStore returns an scs
// store over the same file.
//
// One process owns the data folder (Open takes a lock on it), so what this
// process wrote is all there is: users and session records are served from
// memory once read, and written through to SQLite, and the answer is never
// stale. Reads go through a pool whose idle size is its open size, so a
// burst of requests never opens connections; writes go through one
// connection, SQLite's one writer, with BEGIN IMMEDIATE.
//
// A write that still finds the database locked after Options.BusyTimeout
// (another process holding it, or a long checkpoint) fails with an error
// wrapping auth.ErrStoreUnavailable, so the application can answer 503.
type DB struct {
	read  *sql.DB
	write *sql.DB
	lock  *os.File
	path  string
	opts  Options

	// closing ends the goroutines Close waits for: the checkpoints and
	// the session cleanup.
	closing context.Context
	close   context.CancelFunc
	running sync.WaitGroup

	userByID, userByName, sessionFind, loginByKey *sql.Stmt

	users    *cache.Map[int64, auth.User]
	sessions *sessionStore
}

var (
	_ auth.UserStore       = (*DB)(nil)
	_ auth.RevocationStore = (*DB)(nil)
	_ auth.LoginStore      = (*DB)(nil)
	_ auth.ThrottleStore   = (*DB)(nil)
)

// readConns is the size of the read pool: enough for both cores and the
// odd slow query, all kept open.
const readConns = 4

// cacheSize bounds each in-memory cache; past it, entries are dropped at
// random and read again from SQLite when next needed.
const cacheSize = 100_000

// Defaults for the zero fields of Options.
const (
	DefaultCleanupEvery    = 5 * time.Minute
	DefaultBusyTimeout     = 5 * time.Second
	DefaultCheckpointEvery = 10 * time.Second
)

// Options tune OpenWith. Every zero field takes the default named beside
// it.
type Options struct {
	// CleanupEvery is how often the session store deletes expired
	// sessions, in batches; default DefaultCleanupEvery.
	CleanupEvery time.Duration
	// BusyTimeout is how long a write waits for another connection's lock
	// before it fails with auth.ErrStoreUnavailable; default
	// DefaultBusyTimeout.
	BusyTimeout time.Duration
	// CheckpointEvery is how often the WAL is copied into the database and,
	// when it has grown, truncated; default DefaultCheckpointEvery.
	CheckpointEvery time.Duration
}

// WAL sizes. SQLite copies the WAL into the database after every commit
// that takes it past about 4 MiB (its wal_autocheckpoint) and then starts
// it over, but a long transaction, or readers that never let it start
// over, grow the file, and SQLite never shrinks it by itself. So the file
// is cut to walSizeLimit whenever SQLite starts it over
// (journal_size_limit), and a periodic checkpoint truncates it when it is
// over walTruncateAbove, waiting at most checkpointWait for readers.
// Variables, so tests can make them small.
var (
	walSizeLimit     int64 = 32 << 20
	walTruncateAbove int64 = 8 << 20
	checkpointWait         = 100 * time.Millisecond
)

// Open is OpenWith with the default Options.
func Open(ctx context.Context, dir string) (*DB, error) {
	return OpenWith(ctx, dir, Options{})
}

// OpenWith opens (creating if need be) the database in dir, in WAL mode,
// and sets up its schema. It is safe to call on an existing database. A
// second process opening the same folder gets ErrInUse. Until Close, the
// WAL is checkpointed every opts.CheckpointEvery.
func OpenWith(ctx context.Context, dir string, opts Options) (*DB, error) {
	if opts.CleanupEvery < 0 || opts.BusyTimeout < 0 || opts.CheckpointEvery < 0 {
		return nil, errors.New("sqlite: Options must not be negative")
	}
	if opts.CleanupEvery == 0 {
		opts.CleanupEvery = DefaultCleanupEvery
	}
	if opts.BusyTimeout == 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}
	if opts.CheckpointEvery == 0 {
		opts.CheckpointEvery = DefaultCheckpointEvery
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, unwrapPath(err))
	}
	lock, err := lockFolder(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	if err := private(dir, path); err != nil {
		lock.Close()
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()))
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + uriPath.Replace(path) + "?" + q.Encode()
	d := &DB{lock: lock, path: path, opts: opts, users: cache.New[int64, auth.User](cacheSize)}
	d.closing, d.close = context.WithCancel(context.Background())
	if d.write, err = sql.Open("sqlite", dsn); err != nil {
		d.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	d.write.SetMaxOpenConns(1)
	if err := migrate(ctx, d.write); err != nil {
		d.Close()
		return nil, fmt.Errorf("set up database %s: %w", path, err)
	}
	if d.read, err = sql.Open("sqlite", dsn); err != nil {
		d.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	d.read.SetMaxOpenConns(readConns)
	d.read.SetMaxIdleConns(readConns)
	for _, st := range []struct {
		dst *(*sql.Stmt)
		sql string
	}{
		{&d.userByID, `SELECT id, username, created FROM users WHERE id = ?`},
		{&d.userByName, `SELECT id, username, password_hash, created FROM users WHERE username = ?`},
		{&d.sessionFind, `SELECT data, expiry FROM sessions WHERE token = ?`},
		{&d.loginByKey, `SELECT ` + loginColumns + ` FROM logins WHERE key = ?`},
	} {
		if *st.dst, err = d.read.PrepareContext(ctx, st.sql); err != nil {
			d.Close()
			return nil, fmt.Errorf("prepare %q: %w", st.sql, err)
		}
	}
	d.every(opts.CheckpointEvery, d.checkpoint)
	return d, nil
}

// every runs f every interval, in a goroutine, until Close. A failed run
// is tried again at the next; what it leaves behind does no harm
// meanwhile.
func (d *DB) every(interval time.Duration, f func(context.Context) error) {
	if d.closing.Err() != nil {
		return
	}
	d.running.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-d.closing.Done():
				return
			case <-t.C:
				f(d.closing)
			}
		}
	})
}

// checkpoint copies the WAL into the database. When the WAL file has grown
// past walTruncateAbove it also truncates it to nothing, on the write
// connection, so no write of this process runs meanwhile: to keep that
// short it waits at most checkpointWait for readers to move on, and
// leaves the file for next time if they have not.
func (d *DB) checkpoint(ctx context.Context) error {
	fi, err := os.Stat(d.path + "-wal")
	if err != nil || fi.Size() <= walTruncateAbove {
		// A passive checkpoint waits for no one and takes no write lock,
		// so it runs on a read connection, beside the writes.
		_, err := d.read.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		return storeErr(err)
	}
	conn, err := d.write.Conn(ctx)
	if err != nil {
		return storeErr(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, checkpointWait.Milliseconds())); err != nil {
		return storeErr(err)
	}
	var busy, frames, copied int
	err = conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied)
	if _, resetErr := conn.ExecContext(context.Background(),
		fmt.Sprintf(`PRAGMA busy_timeout = %d`, d.opts.BusyTimeout.Milliseconds())); resetErr != nil {
		// A connection left with the short timeout would fail writes
		// early: drop it, and the pool opens one with the DSN's.
		conn.Raw(func(any) error { return sqldriver.ErrBadConn })
		return errors.Join(err, resetErr)
	}
	return storeErr(err)
}

// storeErr marks err auth.ErrStoreUnavailable when it says the database
// was locked past the busy timeout: the query was sound, and the same
// request a moment later may well succeed.
func storeErr(err error) error {
	if err == nil || errors.Is(err, auth.ErrStoreUnavailable) || !locked(err) {
		return err
	}
	return fmt.Errorf("sqlite: %w: %w", auth.ErrStoreUnavailable, err)
}

// locked reports whether err is SQLITE_BUSY or SQLITE_LOCKED, with any of
// their extended codes.
func locked(err error) bool {
	if e, ok := errors.AsType[*driver.Error](err); ok {
		code := e.Code() & 0xff
		return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
	}
	return strings.Contains(err.Error(), "database is locked")
}

// private makes the data folder 0700 and the database 0600, whatever
// modes they had: the database holds password hashes and live session
// tokens. The database file is made before SQLite opens it, because
// SQLite gives its -wal and -shm files the database file's mode.
func private(dir, path string) error {
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data folder %s: %w", dir, unwrapPath(err))
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("database %s: %w", path, unwrapPath(err))
	}
	f.Close()
	for _, name := range []string{path, path + "-wal", path + "-shm", filepath.Join(dir, LockName)} {
		if err := os.Chmod(name, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", name, unwrapPath(err))
		}
	}
	return nil
}

// uriPath escapes the characters that mean something in an SQLite URI
// file name, so that a data folder named "a#b" or "a?b" is that folder and
// not a file "a" beside it.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Close stops the checkpoints and the session cleanup, closes the
// database and releases the data folder.
func (d *DB) Close() error {
	d.close()
	d.running.Wait()
	var errs []error
	for _, st := range []*sql.Stmt{d.userByID, d.userByName, d.sessionFind, d.loginByKey} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	for _, db := range []*sql.DB{d.read, d.write} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	if d.lock != nil {
		errs = append(errs, d.lock.Close())
	}
	return errors.Join(errs...)
}

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.read.PingContext(ctx) }

// SessionStore returns the scs store over the sessions table. Expired rows
// are deleted every Options.CleanupEvery until Close, in batches (see
// deleteExpired), and the WAL is checkpointed after each round.
func (d *DB) SessionStore() scs.Store {
	if d.sessions == nil {
		d.sessions = newSessionStore(d)
		d.every(d.opts.CleanupEvery, func(ctx context.Context) error {
			if _, err := d.sessions.deleteExpired(ctx, time.Now(), cleanupBatch); err != nil {
				return err
			}
			return d.checkpoint(ctx)
		})
	}
	return d.sessions
}

// cleanupBatch is how many expired sessions one delete removes, and
// batchPause the rest between two deletes, in which writes waiting for
// the database get it.
var (
	cleanupBatch = 1000
	batchPause   = time.Millisecond
)

// CreateUser inserts an account.
func (d *DB) CreateUser(ctx context.Context, username, hash string) (auth.User, error) {
	now := time.Now().UTC().Truncate(time.Second)
	res, err := d.write.ExecContext(ctx,
		`INSERT INTO users (username, password_hash, created) VALUES (?, ?, ?)`,
		username, hash, now.Unix())
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return auth.User{}, auth.ErrUsernameTaken
		}
		return auth.User{}, storeErr(err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return auth.User{}, err
	}
	u := auth.User{ID: id, Username: username, Created: now}
	d.users.Put(id, u)
	return u, nil
}

// UserByName returns the account named username and its password hash.
func (d *DB) UserByName(ctx context.Context, username string) (auth.User, string, error) {
	var (
		u       auth.User
		hash    string
		created int64
	)
	err := d.userByName.QueryRowContext(ctx, username).Scan(&u.ID, &u.Username, &hash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, "", auth.ErrNoUser
	}
	if err != nil {
		return auth.User{}, "", storeErr(err)
	}
	u.Created = time.Unix(created, 0).UTC()
	return u, hash, nil
}

// UserByID returns the account with id, from memory once it has been read.
func (d *DB) UserByID(ctx context.Context, id int64) (auth.User, error) {
	if u, ok := d.users.Get(id); ok {
		return u, nil
	}
	var (
		u       auth.User
		created int64
	)
	err := d.userByID.QueryRowContext(ctx, id).Scan(&u.ID, &u.Username, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, auth.ErrNoUser
	}
	if err != nil {
		return auth.User{}, storeErr(err)
	}
	u.Created = time.Unix(created, 0).UTC()
	d.users.Put(id, u)
	return u, nil
}

// SetPassword replaces the password hash of the user with id.
func (d *DB) SetPassword(ctx context.Context, id int64, hash string) error {
	res, err := d.write.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
	if err != nil {
		return storeErr(err)
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		return auth.ErrNoUser
	}
	return err
}

// Revoke records jti as revoked until the given moment.
func (d *DB) Revoke(ctx context.Context, jti string, until time.Time) error {
	_, err := d.write.ExecContext(ctx,
		`INSERT INTO revoked_tokens (jti, until) VALUES (?, ?)
		 ON CONFLICT (jti) DO UPDATE SET until = max(until, excluded.until)`,
		jti, until.Unix())
	return storeErr(err)
}

// CountRevocations returns how many entries the table holds.
func (d *DB) CountRevocations(ctx context.Context) (int, error) {
	var n int
	err := d.read.QueryRowContext(ctx, `SELECT count(*) FROM revoked_tokens`).Scan(&n)
	return n, storeErr(err)
}

// Revocations calls add for each entry in force at now. It reads the table
// in storage order, NOT INDEXED: most rows are live, and walking them
// through the until index costs a look-up in the table for every one.
func (d *DB) Revocations(ctx context.Context, now time.Time, add func(string, time.Time)) error {
	rows, err := d.read.QueryContext(ctx, `SELECT jti, until FROM revoked_tokens NOT INDEXED WHERE until >= ?`, now.Unix())
	if err != nil {
		return storeErr(err)
	}
	defer rows.Close()
	var (
		jti   string
		until int64
	)
	for rows.Next() {
		if err := rows.Scan(&jti, &until); err != nil {
			return storeErr(err)
		}
		add(jti, time.Unix(until, 0))
	}
	return storeErr(rows.Err())
}

// PruneRevocations deletes at most limit entries that ended before now.
func (d *DB) PruneRevocations(ctx context.Context, now time.Time, limit int) (int, error) {
	return d.deleteRows(ctx, `DELETE FROM revoked_tokens WHERE rowid IN
		(SELECT rowid FROM revoked_tokens WHERE until < ? LIMIT ?)`, now.Unix(), limit)
}

// deleteRows runs a DELETE, one transaction of its own, and returns how
// many rows it deleted.
func (d *DB) deleteRows(ctx context.Context, query string, args ...any) (int, error) {
	res, err := d.write.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, storeErr(err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// LegacyKey returns the JWT key that versions before the key file kept in
// the database, or nil. The caller moves it to the key file and then calls
// DropLegacyKey, so tokens signed with it stay good and the database stops
// holding it.
func (d *DB) LegacyKey(ctx context.Context) ([]byte, error) {
	var key []byte
	err := d.read.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = 'jwt_key'`).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return key, storeErr(err)
}

// DropLegacyKey deletes the key LegacyKey read.
func (d *DB) DropLegacyKey(ctx context.Context) error {
	_, err := d.write.ExecContext(ctx, `DELETE FROM secrets WHERE name = 'jwt_key'`)
	return storeErr(err)
}

// CountSessions returns the number of live session rows; tests and the
// compare page use it to show that the server keeps state.
func (d *DB) CountSessions(ctx context.Context) (int, error) {
	var n int
	err := d.read.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE julianday('now') < expiry`).Scan(&n)
	return n, storeErr(err)
}
