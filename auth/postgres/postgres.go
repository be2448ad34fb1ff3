// Package postgres keeps authlab's shared state in PostgreSQL: users, scs
// sessions, the JWT revocation list, the index of logins and the login
// throttling counts, for running several instances of one application on
// one database. It uses jackc/pgx's pool and plain SQL.
//
// Unlike package sqlite, which owns its file, this store shares its tables
// with other processes, so it keeps in memory only what no other process
// can change: a user's id, name and creation time (no user is renamed or
// deleted). The password hash, which SetPassword changes, is not cached.
// Session records are read from the database on every request, and
// revocations reach other instances through LISTEN/NOTIFY (see Follow).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/auth/internal/cache"
)

// ConnectTimeout bounds each attempt to connect, unless the URL sets its
// own connect_timeout: while the database is down, a request fails in
// this time rather than waiting on the operating system's TCP timeout.
const ConnectTimeout = 2 * time.Second

// cacheSize bounds the users held in memory; past it, entries are dropped
// at random and read again when next needed.
const cacheSize = 100_000

// DefaultCleanupEvery is how often expired session rows are deleted,
// unless Options.CleanupEvery says otherwise.
const DefaultCleanupEvery = 5 * time.Minute

// Options tune Open. Every zero field takes the default named beside
// it.
type Options struct {
	// CleanupEvery is how often the session store deletes expired
	// sessions, in batches; default DefaultCleanupEvery.
	CleanupEvery time.Duration
}

// cleanupBatch is how many expired sessions one delete removes, and
// batchPause the rest between two deletes.
var (
	cleanupBatch = 1000
	batchPause   = time.Millisecond
)

// DB is the open database. Its methods implement auth.UserStore,
// auth.RevocationFeed, auth.LoginStore and auth.ThrottleStore, and
// SessionStore returns an scs store over the same database.
type DB struct {
	pool   *pgxpool.Pool
	listen *pgx.ConnConfig // for Follow, which holds a connection of its own

	users *cache.Map[int64, auth.User]
	opts  Options

	// closing ends the goroutines Close must wait for: session cleanup
	// and Follow.
	closing context.Context
	close   context.CancelFunc
	running sync.WaitGroup

	mu       sync.Mutex // guards sessions, and running against closing
	sessions *sessionStore
}

var (
	_ auth.UserStore      = (*DB)(nil)
	_ auth.RevocationFeed = (*DB)(nil)
	_ auth.LoginStore     = (*DB)(nil)
	_ auth.ThrottleStore  = (*DB)(nil)
)

// Open connects to url, applies the migrations under an advisory lock,
// and returns the store. An error wrapping auth.ErrStoreUnavailable means
// the database could not be reached, and trying again later may succeed.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	if opts.CleanupEvery < 0 {
		return nil, errors.New("postgres: Options.CleanupEvery must not be negative")
	}
	if opts.CleanupEvery == 0 {
		opts.CleanupEvery = DefaultCleanupEvery
	}
	where := Redact(url)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote a malformed URL, password and all.
		return nil, fmt.Errorf("postgres: %s is not a valid PostgreSQL URL (postgres://user:password@host:port/database)", where)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap("open "+where, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, wrap("migrate "+where, err)
	}
	closing, cancel := context.WithCancel(context.Background())
	return &DB{
		pool:    pool,
		listen:  cfg.ConnConfig.Copy(),
		users:   cache.New[int64, auth.User](cacheSize),
		opts:    opts,
		closing: closing,
		close:   cancel,
	}, nil
}

// Close stops the session cleanup and any Follow, and closes the pool.
func (d *DB) Close() {
	d.mu.Lock()
	d.close()
	d.mu.Unlock()
	d.running.Wait()
	d.pool.Close()
}

// start counts one more goroutine for Close to wait for, unless d is
// closed already.
func (d *DB) start() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing.Err() != nil {
		return false
	}
	d.running.Add(1)
	return true
}

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) error {
	return wrap("ping", d.retry(ctx, func() error { return d.pool.Ping(ctx) }))
}

// SessionStore returns the scs store over the sessions table. It keeps
// nothing in memory: another instance may change or delete a record at
// any time. Concurrent look-ups share queries (see sessionStore). Expired
// rows are deleted every Options.CleanupEvery until Close, in batches (see
// deleteExpired).
func (d *DB) SessionStore() scs.Store {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.sessions == nil {
		d.sessions = newSessionStore(d)
		if d.closing.Err() == nil {
			d.running.Go(func() { d.sessions.cleanup(d.closing, d.opts.CleanupEvery) })
			for range d.pool.Config().MaxConns {
				d.running.Go(func() { d.sessions.finder(d.closing) })
			}
		}
	}
	return d.sessions
}

// insertUser creates an account, or returns no row when the name is taken.
const insertUser = `INSERT INTO users (username, password_hash) VALUES ($1, $2)
	ON CONFLICT (username) DO NOTHING RETURNING id, created`

// insertUserAgain is insertUser for a second attempt, made because the
// first one's connection died: that attempt may have written the row
// before it did. The password hash, salted afresh for every account, tells
// that row from another signup's.
const insertUserAgain = `WITH inserted AS (` + insertUser + `)
	SELECT id, created FROM inserted
	UNION ALL
	SELECT id, created FROM users WHERE username = $1 AND password_hash = $2`

// CreateUser inserts an account; a taken username is auth.ErrUsernameTaken.
func (d *DB) CreateUser(ctx context.Context, username, passwordHash string) (auth.User, error) {
	u := auth.User{Username: username}
	query := insertUser
	err := d.retry(ctx, func() error {
		err := d.pool.QueryRow(ctx, query, username, passwordHash).Scan(&u.ID, &u.Created)
		query = insertUserAgain
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.User{}, auth.ErrUsernameTaken
	}
	if err != nil {
		return auth.User{}, wrap("create user", err)
	}
	u.Created = u.Created.UTC()
	d.users.Put(u.ID, u)
	return u, nil
}

// UserByName returns the account named username and its password hash. It
// always asks the database, since another instance may have created the
// account since this one last looked.
func (d *DB) UserByName(ctx context.Context, username string) (auth.User, string, error) {
	var (
		u    auth.User
		hash string
	)
	err := d.queryRow(ctx, `SELECT id, username, password_hash, created FROM users WHERE username = $1`,
		[]any{username}, &u.ID, &u.Username, &hash, &u.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.User{}, "", auth.ErrNoUser
	}
	if err != nil {
		return auth.User{}, "", wrap("find user by name", err)
	}
	u.Created = u.Created.UTC()
	return u, hash, nil
}

// UserByID returns the account with id, from memory once it has been read
// (or created here). That is exact while no account is deleted or renamed,
// as today; an issue that adds either must drop the cache or tell every
// instance, as revocations do. A password change leaves the cache exact:
// it holds no hash.
func (d *DB) UserByID(ctx context.Context, id int64) (auth.User, error) {
	if u, ok := d.users.Get(id); ok {
		return u, nil
	}
	var u auth.User
	err := d.queryRow(ctx, `SELECT id, username, created FROM users WHERE id = $1`,
		[]any{id}, &u.ID, &u.Username, &u.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.User{}, auth.ErrNoUser
	}
	if err != nil {
		return auth.User{}, wrap("find user by id", err)
	}
	u.Created = u.Created.UTC()
	d.users.Put(id, u)
	return u, nil
}

// SetPassword replaces the password hash of the user with id. Sent twice
// (see retry), it writes the same hash twice.
func (d *DB) SetPassword(ctx context.Context, id int64, passwordHash string) error {
	var n int64
	err := d.retry(ctx, func() error {
		tag, err := d.pool.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, id, passwordHash)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return wrap("set password", err)
	}
	if n == 0 {
		return auth.ErrNoUser
	}
	return nil
}

// deleteRows runs a DELETE of rows that no one needs any more, safe to
// run twice (see retry), and returns how many rows it deleted.
func (d *DB) deleteRows(ctx context.Context, sql string, args ...any) (int, error) {
	var n int64
	err := d.retry(ctx, func() error {
		tag, err := d.pool.Exec(ctx, sql, args...)
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}

// exec runs a statement that is safe to run twice (see retry).
func (d *DB) exec(ctx context.Context, sql string, args ...any) error {
	return d.retry(ctx, func() error {
		_, err := d.pool.Exec(ctx, sql, args...)
		return err
	})
}

// queryRow runs a query that is safe to run twice (see retry) and scans
// its one row into dest.
func (d *DB) queryRow(ctx context.Context, sql string, args []any, dest ...any) error {
	return d.retry(ctx, func() error { return d.pool.QueryRow(ctx, sql, args...).Scan(dest...) })
}

// retry runs f, and once more if it failed on a connection the server had
// closed. A restarted server leaves every pooled connection so, and pgx
// finds out only when it uses one (it pings only connections idle for a
// second or more): without this, every connection in the pool would fail
// one request after each restart. Reset drops the others at once, so the
// second attempt gets a new connection. f must be safe to run twice.
func (d *DB) retry(ctx context.Context, f func() error) error {
	err := f()
	if err != nil && deadConn(err) && ctx.Err() == nil {
		d.pool.Reset()
		err = f()
	}
	return err
}

// deadConn reports whether err shows that the connection was closed or
// broken under the statement, rather than that the server could not be
// reached (no use trying again at once) or refused the statement.
func deadConn(err error) bool {
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return false
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		// The server ended the session: shutting down, or crashed.
		return pgErr.Code == "57P01" || pgErr.Code == "57P02"
	}
	if pgconn.Timeout(err) {
		return false
	}
	return pgconn.SafeToRetry(err) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// wrap adds context to err, and marks it auth.ErrStoreUnavailable when it
// says the database could not be reached rather than that a query was
// wrong, so that the application answers 503 and not 500.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if unreachable(err) {
		return fmt.Errorf("postgres: %s: %w: %w", op, auth.ErrStoreUnavailable, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// unreachable reports whether err means the database could not be
// reached or the connection was lost.
func unreachable(err error) bool {
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		// Class 08 is connection exceptions; 57P01-57P03 are a server
		// shutting down, crashed, or not yet accepting connections.
		return strings.HasPrefix(pgErr.Code, "08") ||
			pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return true
	}
	return pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// Redact returns raw, a connection string, with any password replaced by
// xxxxx, fit for a log line or an error message. A URL too malformed to
// parse loses everything between its scheme and its last @, user name
// included.
func Redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" {
		q := u.Query()
		for k := range q {
			if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
				q.Set(k, "xxxxx")
				u.RawQuery = q.Encode()
			}
		}
		return u.Redacted()
	}
	if scheme, rest, ok := strings.Cut(raw, "://"); ok {
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			return scheme + "://xxxxx" + rest[at:]
		}
		return raw
	}
	return kvPassword.ReplaceAllString(raw, "${1}=xxxxx")
}

// kvPassword finds the password in a keyword/value connection string
// ("host=db password='a secret'"), quoted or not.
var kvPassword = regexp.MustCompile(`(?i)\b(password|sslpassword)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)`)
