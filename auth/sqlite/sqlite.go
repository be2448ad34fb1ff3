// Package sqlite keeps authlab's state in one SQLite file: users, scs
// sessions, the JWT revocation list and the generated JWT key. It uses
// modernc.org/sqlite, a pure-Go driver, so the binary needs no C compiler.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/authlab/authlab/auth"
)

// FileName is the database's name inside the data folder.
const FileName = "authlab.db"

const schema = `
CREATE TABLE IF NOT EXISTS users (
	id            INTEGER PRIMARY KEY,
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

// DB is the open database. Its methods implement auth.UserStore,
// auth.RevocationStore and auth.KeyStore.
type DB struct {
	db       *sql.DB
	sessions *sqlite3store.SQLite3Store
}

var (
	_ auth.UserStore       = (*DB)(nil)
	_ auth.RevocationStore = (*DB)(nil)
	_ auth.KeyStore        = (*DB)(nil)
)

// Open opens (creating if need be) the database in dir, in WAL mode, and
// sets up its schema. It is safe to call on an existing database.
func Open(ctx context.Context, dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, unwrapPath(err))
	}
	path := filepath.Join(dir, FileName)
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+uriPath.Replace(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("set up database %s: %w", path, err)
	}
	return &DB{db: db}, nil
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

// Close stops the session cleanup and closes the database.
func (d *DB) Close() error {
	if d.sessions != nil {
		d.sessions.StopCleanup()
	}
	return d.db.Close()
}

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// SessionStore returns the scs store over the sessions table. Expired rows
// are deleted every five minutes.
func (d *DB) SessionStore() scs.Store {
	if d.sessions == nil {
		d.sessions = sqlite3store.New(d.db)
	}
	return d.sessions
}

// CreateUser inserts an account.
func (d *DB) CreateUser(ctx context.Context, username, hash string) (auth.User, error) {
	now := time.Now().UTC().Truncate(time.Second)
	res, err := d.db.ExecContext(ctx,
		`INSERT INTO users (username, password_hash, created) VALUES (?, ?, ?)`,
		username, hash, now.Unix())
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return auth.User{}, auth.ErrUsernameTaken
		}
		return auth.User{}, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return auth.User{}, err
	}
	return auth.User{ID: id, Username: username, Created: now}, nil
}

// UserByName returns the account named username and its password hash.
func (d *DB) UserByName(ctx context.Context, username string) (auth.User, string, error) {
	var (
		u       auth.User
		hash    string
		created int64
	)
	err := d.db.QueryRowContext(ctx,
		`SELECT id, username, password_hash, created FROM users WHERE username = ?`, username).
		Scan(&u.ID, &u.Username, &hash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, "", auth.ErrNoUser
	}
	if err != nil {
		return auth.User{}, "", err
	}
	u.Created = time.Unix(created, 0).UTC()
	return u, hash, nil
}

// UserByID returns the account with id.
func (d *DB) UserByID(ctx context.Context, id int64) (auth.User, error) {
	var (
		u       auth.User
		created int64
	)
	err := d.db.QueryRowContext(ctx,
		`SELECT id, username, created FROM users WHERE id = ?`, id).
		Scan(&u.ID, &u.Username, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, auth.ErrNoUser
	}
	if err != nil {
		return auth.User{}, err
	}
	u.Created = time.Unix(created, 0).UTC()
	return u, nil
}

// Revoke records jti as revoked until the given moment.
func (d *DB) Revoke(ctx context.Context, jti string, until time.Time) error {
	_, err := d.db.ExecContext(ctx,
		`INSERT INTO revoked_tokens (jti, until) VALUES (?, ?)
		 ON CONFLICT (jti) DO UPDATE SET until = max(until, excluded.until)`,
		jti, until.Unix())
	return err
}

// ActiveRevocations returns the entries still in force at now.
func (d *DB) ActiveRevocations(ctx context.Context, now time.Time) (map[string]time.Time, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT jti, until FROM revoked_tokens WHERE until >= ?`, now.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := make(map[string]time.Time)
	for rows.Next() {
		var (
			jti   string
			until int64
		)
		if err := rows.Scan(&jti, &until); err != nil {
			return nil, err
		}
		m[jti] = time.Unix(until, 0)
	}
	return m, rows.Err()
}

// PruneRevocations deletes entries that ended before now.
func (d *DB) PruneRevocations(ctx context.Context, now time.Time) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM revoked_tokens WHERE until < ?`, now.Unix())
	return err
}

// LoadOrCreateKey returns the stored JWT key, storing fresh first if none
// is stored yet.
func (d *DB) LoadOrCreateKey(ctx context.Context, fresh []byte) ([]byte, error) {
	if _, err := d.db.ExecContext(ctx,
		`INSERT INTO secrets (name, value) VALUES ('jwt_key', ?) ON CONFLICT (name) DO NOTHING`, fresh); err != nil {
		return nil, err
	}
	var key []byte
	err := d.db.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = 'jwt_key'`).Scan(&key)
	return key, err
}

// CountSessions returns the number of live session rows; tests and the
// compare page use it to show that the server keeps state.
func (d *DB) CountSessions(ctx context.Context) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE julianday('now') < expiry`).Scan(&n)
	return n, err
}
