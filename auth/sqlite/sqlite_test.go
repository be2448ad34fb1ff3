package sqlite_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/auth/sqlite"
	"github.com/authlab/authlab/auth/storetest"
)

func open(t *testing.T, dir string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newAuth builds both strategies over db, as main does, with a cheap
// password hasher.
func newAuth(t *testing.T, db *sqlite.DB, clock auth.Clock) *auth.Auth {
	t.Helper()
	a, err := auth.New(context.Background(), auth.Options{
		Users:        db,
		SessionStore: db.SessionStore(),
		Revocations:  db,
		Logins:       db,
		Throttle:     db,
		Key:          bytes.Repeat([]byte{7}, auth.MinKeyLen),
		Hasher:       auth.NewHasher(auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 1),
		Clock:        clock,
	})
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	return a
}

func TestOpenIsIdempotent(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nested", "data")
	first, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.CreateUser(ctx, "alice", "hash"); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// Open again on the existing database: the schema is set up again
	// without harm, and the data is there.
	second := open(t, dir)
	if u, _, err := second.UserByName(ctx, "alice"); err != nil || u.Username != "alice" {
		t.Fatalf("after reopening: UserByName = %+v, %v", u, err)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Fatalf("database file not in the data folder: %v", err)
	}
}

// TestOneProcessPerDataFolder defends the in-memory caches: they are
// exact only while no other process writes the database, so a second
// Open of a folder in use fails, and a closed one frees it.
func TestOneProcessPerDataFolder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if db, err := sqlite.Open(ctx, dir); !errors.Is(err, sqlite.ErrInUse) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("second Open = %v, want ErrInUse", err)
	} else if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the folder", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	open(t, dir)
}

// TestKilledHolderDoesNotBlock holds a data folder in a child process,
// kills it with SIGKILL, and opens the folder: the kernel released the
// lock with the process, so nothing stale is left behind.
func TestKilledHolderDoesNotBlock(t *testing.T) {
	if dir := os.Getenv("AUTHLAB_TEST_HOLD_FOLDER"); dir != "" {
		if _, err := sqlite.Open(context.Background(), dir); err != nil {
			fmt.Println("open:", err)
			os.Exit(1)
		}
		fmt.Println("holding")
		select {}
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledHolderDoesNotBlock$")
	cmd.Env = append(os.Environ(), "AUTHLAB_TEST_HOLD_FOLDER="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "holding\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	if db, err := sqlite.Open(context.Background(), dir); !errors.Is(err, sqlite.ErrInUse) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("Open while the child holds the folder = %v, want ErrInUse", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	open(t, dir)
}

func TestDataSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	sessionExpiry := time.Now().Add(time.Hour)

	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	alice, err := db.CreateUser(ctx, "alice", "$argon2id$hash")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Revoke(ctx, "jti-1", until); err != nil {
		t.Fatal(err)
	}
	if err := db.SessionStore().Commit("session-token", []byte("session-data"), sessionExpiry); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = open(t, dir)
	t.Run("users", func(t *testing.T) {
		u, hash, err := db.UserByName(ctx, "alice")
		if err != nil || u.ID != alice.ID || hash != "$argon2id$hash" {
			t.Fatalf("UserByName = %+v, %q, %v", u, hash, err)
		}
		if !u.Created.Equal(alice.Created) {
			t.Errorf("Created = %v, want %v", u.Created, alice.Created)
		}
		if u, err := db.UserByID(ctx, alice.ID); err != nil || u.Username != "alice" {
			t.Fatalf("UserByID = %+v, %v", u, err)
		}
	})
	t.Run("revocations", func(t *testing.T) {
		active, err := activeRevocations(ctx, db, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := active["jti-1"]; !ok || !got.Equal(until) {
			t.Fatalf("ActiveRevocations = %v, want jti-1 until %v", active, until)
		}
	})
	t.Run("sessions", func(t *testing.T) {
		b, found, err := db.SessionStore().Find("session-token")
		if err != nil || !found || string(b) != "session-data" {
			t.Fatalf("Find = %q, %v, %v", b, found, err)
		}
		if n, err := db.CountSessions(ctx); err != nil || n != 1 {
			t.Fatalf("CountSessions = %d, %v; want 1", n, err)
		}
	})
}

// TestLegacyKey: a key that an older version kept in the database is
// read once, to move into the key file, and then deleted from it.
func TestLegacyKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := open(t, dir)
	if key, err := db.LegacyKey(ctx); err != nil || key != nil {
		t.Fatalf("LegacyKey on a new database = %x, %v; want none", key, err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	old := bytes.Repeat([]byte{7}, 32)
	if _, err := raw.Exec(`INSERT INTO secrets (name, value) VALUES ('jwt_key', ?)`, old); err != nil {
		t.Fatal(err)
	}
	if key, err := db.LegacyKey(ctx); err != nil || !bytes.Equal(key, old) {
		t.Fatalf("LegacyKey = %x, %v; want %x", key, err, old)
	}
	if err := db.DropLegacyKey(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM secrets`).Scan(&n); err != nil || n != 0 {
		t.Errorf("secrets holds %d rows after DropLegacyKey, %v; want none", n, err)
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	db := open(t, t.TempDir())
	alice, err := db.CreateUser(ctx, "alice", "h1")
	if err != nil {
		t.Fatal(err)
	}
	if alice.ID == 0 || alice.Created.IsZero() {
		t.Fatalf("CreateUser = %+v", alice)
	}
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"duplicate username", func() error { _, err := db.CreateUser(ctx, "alice", "h2"); return err }, auth.ErrUsernameTaken},
		{"unknown name", func() error { _, _, err := db.UserByName(ctx, "bob"); return err }, auth.ErrNoUser},
		{"unknown id", func() error { _, err := db.UserByID(ctx, alice.ID+1); return err }, auth.ErrNoUser},
		{"name in another case", func() error { _, _, err := db.UserByName(ctx, "ALICE"); return err }, auth.ErrNoUser},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, hash, _ := db.UserByName(ctx, "alice"); hash != "h1" {
		t.Fatalf("duplicate CreateUser overwrote the hash: %q", hash)
	}

	// End to end through auth.Users.
	users := newAuth(t, db, time.Now).Users
	bob, err := users.SignUp(ctx, "bob", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if u, err := users.Authenticate(ctx, "bob", "correct horse"); err != nil || u.ID != bob.ID {
		t.Fatalf("Authenticate = %+v, %v", u, err)
	}
	if _, err := users.SignUp(ctx, "bob", "another password"); !errors.Is(err, auth.ErrUsernameTaken) {
		t.Fatalf("SignUp duplicate err = %v, want ErrUsernameTaken", err)
	}
}

func TestRevocations(t *testing.T) {
	ctx := context.Background()
	db := open(t, t.TempDir())
	now := time.Unix(1_750_000_000, 0)
	for jti, until := range map[string]time.Time{
		"past":   now.Add(-time.Minute),
		"now":    now,
		"future": now.Add(time.Minute),
	} {
		if err := db.Revoke(ctx, jti, until); err != nil {
			t.Fatal(err)
		}
	}
	// Revoking again never shortens an entry.
	if err := db.Revoke(ctx, "future", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	active, err := activeRevocations(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 2 || !active["future"].Equal(now.Add(time.Minute)) || !active["now"].Equal(now) {
		t.Fatalf("ActiveRevocations = %v, want now and future (unshortened)", active)
	}
	if err := pruneRevocations(ctx, db, now); err != nil {
		t.Fatal(err)
	}
	all, err := activeRevocations(ctx, db, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := all["past"]; ok || len(all) != 2 {
		t.Fatalf("after prune: %v, want past gone and the other two kept", all)
	}

	// The revocation list survives a restart: what one Auth revoked, the
	// next one built over the same database refuses.
	clock := func() time.Time { return now }
	first := newAuth(t, db, clock)
	later := &auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{ID: "later", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))},
		AuthTime:         jwt.NewNumericDate(now),
		SessionID:        "later-sid",
	}
	if err := first.Tokens.Revoke(ctx, later); err != nil {
		t.Fatal(err)
	}
	restarted := newAuth(t, db, clock)
	for _, jti := range []string{"now", "future", "later", "later-sid"} {
		if !restarted.Tokens.IsRevoked(jti) {
			t.Errorf("IsRevoked(%q) = false after a restart", jti)
		}
	}
	if restarted.Tokens.IsRevoked("past") {
		t.Error("IsRevoked(\"past\") = true: a pruned entry came back")
	}
}

func TestSessionStore(t *testing.T) {
	ctx := context.Background()
	db := open(t, t.TempDir())
	store := db.SessionStore()
	if db.SessionStore() != store {
		t.Fatal("SessionStore made a second store (and a second cleanup goroutine)")
	}
	if err := store.Commit("live", []byte("a"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := store.Commit("dead", []byte("b"), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, found, err := store.Find("dead"); err != nil || found {
		t.Fatalf("Find(expired) = %v, %v; want not found", found, err)
	}
	if n, err := db.CountSessions(ctx); err != nil || n != 1 {
		t.Fatalf("CountSessions = %d, %v; want 1", n, err)
	}
	if err := store.Delete("live"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := store.Find("live"); found {
		t.Fatal("Delete left the session")
	}
	var _ scs.Store = store
}

// The default data folder is the relative ./data.
func TestOpenRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	db := open(t, "./data")
	if _, err := db.CreateUser(context.Background(), "alice", "h"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("data", sqlite.FileName)); err != nil {
		t.Fatalf("database not in ./data: %v", err)
	}
}

func TestOpenUnwritablePath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, dir string }{
		{"the data folder is a file", file},
		{"under a regular file", filepath.Join(file, "data")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := sqlite.Open(context.Background(), tc.dir)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%s) succeeded", tc.dir)
			}
			if db != nil {
				t.Fatalf("Open returned a DB with error %v", err)
			}
		})
	}
}

// A data folder's name is a path, not a URI: '#', '?' and '%' in it must
// not cut the name short or be decoded.
func TestOpenPathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	tests := []struct{ name, folder string }{
		{"hash", "data#1"},
		{"question mark", "data?mode=ro"},
		{"percent escape", "data%41"},
		{"space", "da ta"},
	}
	for _, tc := range tests {
		// The subtest's name stays plain, so its temporary folder does not
		// carry the character under test and a regression writes inside it.
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, tc.folder)
			db, err := sqlite.Open(ctx, dir)
			if err != nil {
				t.Fatalf("Open(%q): %v", dir, err)
			}
			if _, err := db.CreateUser(ctx, "alice", "h"); err != nil {
				t.Fatal(err)
			}
			db.Close()
			if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
				entries, _ := os.ReadDir(parent)
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Fatalf("database not at %s (%v); the parent holds %v", filepath.Join(dir, sqlite.FileName), err, names)
			}
		})
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return open(t, t.TempDir()) })
}

// TestSchemaIsVersioned: a new database records every migration once, and
// opening it again applies none twice.
func TestSchemaIsVersioned(t *testing.T) {
	dir := t.TempDir()
	for range 2 {
		db, err := sqlite.Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n, max int
	if err := raw.QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != max || n < 1 {
		t.Errorf("schema_migrations holds %d rows up to version %d, want one row a version", n, max)
	}
}

// TestFilesArePrivate: the data folder is 0700 and every file authlab
// makes in it 0600, also when the folder and the database existed with
// looser modes.
func TestFilesArePrivate(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	first, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.CreateUser(ctx, "alice", "hash"); err != nil {
		t.Fatal(err)
	}
	first.Close()
	// Loosen everything, as a copy or an old version might have left it.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.Chmod(filepath.Join(dir, e.Name()), 0o644)
	}
	os.Chmod(dir, 0o755)

	db := open(t, dir)
	if _, err := db.CreateUser(ctx, "bob", "hash"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data folder mode %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	entries, err = os.ReadDir(dir)
	if err != nil || len(entries) < 3 {
		t.Fatalf("the folder holds %d files, %v; want the database, its WAL files and the lock", len(entries), err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", e.Name(), fi.Mode().Perm(), err)
		}
	}
}

// TestUserIDsAreNeverReused: a deleted user's id is not handed to the
// next account, which would inherit the deleted user's sessions and
// tokens. The database here predates AUTOINCREMENT, as an old one does.
func TestUserIDsAreNeverReused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE,
		password_hash TEXT NOT NULL, created INTEGER NOT NULL);
		INSERT INTO users VALUES (1, 'old', 'h', 0);`); err != nil {
		t.Fatal(err)
	}
	db := open(t, dir)
	bob, err := db.CreateUser(ctx, "bob", "h")
	if err != nil || bob.ID != 2 {
		t.Fatalf("CreateUser(bob) = %+v, %v; want id 2", bob, err)
	}
	if _, err := raw.Exec(`DELETE FROM users WHERE id = ?`, bob.ID); err != nil {
		t.Fatal(err)
	}
	carol, err := db.CreateUser(ctx, "carol", "h")
	if err != nil || carol.ID <= bob.ID {
		t.Errorf("CreateUser(carol) after bob's deletion = %+v, %v; want an id above %d", carol, err, bob.ID)
	}
	if u, _, err := db.UserByName(ctx, "old"); err != nil || u.ID != 1 {
		t.Errorf("the user from before the rebuild: %+v, %v", u, err)
	}
}

// activeRevocations reads every entry of db in force at now into a map.
func activeRevocations(ctx context.Context, db auth.RevocationStore, now time.Time) (map[string]time.Time, error) {
	m := map[string]time.Time{}
	err := db.Revocations(ctx, now, func(id string, until time.Time) { m[id] = until })
	return m, err
}

// pruneRevocations deletes every entry of db that ended before now.
func pruneRevocations(ctx context.Context, db auth.RevocationStore, now time.Time) error {
	_, err := db.PruneRevocations(ctx, now, 1_000_000)
	return err
}
