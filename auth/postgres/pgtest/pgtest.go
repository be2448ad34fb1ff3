// Package pgtest gives tests a PostgreSQL database of their own on the
// throwaway cluster that .ci/with-postgres starts for make test, and lets
// fault tests stop and restart that cluster.
//
// The cluster is named by environment variables the script exports:
// AUTHLAB_TEST_POSTGRES (an admin URL), and for the fault helpers
// AUTHLAB_TEST_PGDATA, AUTHLAB_TEST_PGBIN and AUTHLAB_TEST_PGUSER.
//
// go test runs packages side by side on one cluster, so a fault test of one
// package must not restart the server under another's queries. Every test
// holding a Database holds a shared lock on the cluster (a file lock, as
// the packages are separate processes); Restart, Stop and Start take it
// exclusively until the calling test ends, waiting for other packages'
// tests to let go. While it waits it holds nothing (two tests each holding
// the lock shared cannot both wait to hold it alone), so another package's
// fault test may restart the cluster then: a fault test must expect more
// than the one restart it asked for. Within a package a fault test must
// not be parallel with tests that use the cluster.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the environment variables .ci/with-postgres sets.
const (
	EnvURL    = "AUTHLAB_TEST_POSTGRES"
	EnvPGData = "AUTHLAB_TEST_PGDATA"
	EnvPGBin  = "AUTHLAB_TEST_PGBIN"
	EnvPGUser = "AUTHLAB_TEST_PGUSER"
)

// LogName is the cluster's log file inside its data folder, where
// .ci/with-postgres points it and where a restart keeps writing.
const LogName = "postgres.log"

const adminTimeout = 30 * time.Second

// Database creates a fresh, empty database for t and returns its URL. The
// database is dropped when t ends, its connections terminated first.
func Database(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		t.Fatal(EnvURL + " is not set: run the tests with make test, which starts a throwaway PostgreSQL (needs Debian's postgresql)")
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", EnvURL, err)
	}
	share(t)
	name := "authlab_test_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := adminExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
		defer cancel()
		// FORCE ends the connections a test left open, a pool it did not
		// close, say, which would otherwise keep the drop waiting.
		if err := adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Restart restarts the whole test cluster, as an operator or a crash
// would: every open connection is cut, and the server answers again when
// Restart returns.
func Restart(t testing.TB) {
	t.Helper()
	exclusive(t)
	pgctl(t, "restart", "-m", "fast", "-w", "-t", "60", "-l", logPath(t))
	setStopped(false)
}

// Stop shuts the test cluster down until Start, or until t ends, when it
// is started again for the tests that follow.
func Stop(t testing.TB) {
	t.Helper()
	exclusive(t)
	pgctl(t, "stop", "-m", "fast", "-w", "-t", "60")
	setStopped(true)
}

// Start starts the test cluster after Stop and waits until it answers.
func Start(t testing.TB) {
	t.Helper()
	exclusive(t)
	pgctl(t, "start", "-w", "-t", "60", "-l", logPath(t))
	setStopped(false)
}

func env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatal(name + " is not set: fault tests need the cluster .ci/with-postgres starts; run them with make test")
	}
	return v
}

func logPath(t testing.TB) string {
	return filepath.Join(env(t, EnvPGData), LogName)
}

// pgctl runs pg_ctl on the test cluster as the user that owns it.
func pgctl(t testing.TB, args ...string) {
	t.Helper()
	argv := append([]string{filepath.Join(env(t, EnvPGBin), "pg_ctl"), "-D", env(t, EnvPGData), "-s"}, args...)
	if user := os.Getenv(EnvPGUser); os.Geteuid() == 0 && user != "" && user != "root" {
		argv = append([]string{"runuser", "-u", user, "--"}, argv...)
	}
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("pgtest: pg_ctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// lock is this process's hold on the cluster: one open lock file, held
// shared while any of its tests has a Database, and exclusively while a
// fault test runs.
var lock struct {
	sync.Mutex
	file    *os.File
	shared  int        // tests of this process holding a Database
	owner   testing.TB // the fault test holding the cluster exclusively
	stopped bool       // Stop was called and Start not yet
}

// lockFile opens the cluster's lock file, or returns nil when there is no
// cluster folder to coordinate through (a server of the developer's own).
func lockFile() (*os.File, error) {
	if lock.file != nil {
		return lock.file, nil
	}
	data := os.Getenv(EnvPGData)
	if data == "" {
		return nil, nil
	}
	f, err := os.OpenFile(filepath.Join(data, "pgtest.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	lock.file = f
	return f, nil
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// share holds the cluster shared until t ends.
func share(t testing.TB) {
	t.Helper()
	lock.Lock()
	defer lock.Unlock()
	f, err := lockFile()
	if err != nil {
		t.Fatalf("pgtest: lock the cluster: %v", err)
	}
	if f == nil {
		return
	}
	if lock.shared == 0 && lock.owner == nil {
		if err := flock(f, syscall.LOCK_SH); err != nil {
			t.Fatalf("pgtest: lock the cluster: %v", err)
		}
	}
	lock.shared++
	t.Cleanup(func() {
		lock.Lock()
		defer lock.Unlock()
		lock.shared--
		if lock.shared == 0 && lock.owner == nil {
			flock(f, syscall.LOCK_UN)
		}
	})
}

// exclusive holds the cluster for t alone until t ends. The cluster is
// running again by then, whatever t left it as.
func exclusive(t testing.TB) {
	t.Helper()
	lock.Lock()
	defer lock.Unlock()
	if lock.owner == t {
		return
	}
	if lock.owner != nil {
		t.Fatalf("pgtest: %s holds the cluster; fault tests cannot run in parallel", lock.owner.Name())
	}
	f, err := lockFile()
	if err != nil || f == nil {
		t.Fatalf("pgtest: lock the cluster: %v (is %s set?)", err, EnvPGData)
	}
	// Converting a shared flock to exclusive drops the shared one first,
	// so two packages converting at once cannot deadlock.
	if err := flock(f, syscall.LOCK_EX); err != nil {
		t.Fatalf("pgtest: lock the cluster: %v", err)
	}
	lock.owner = t
	t.Cleanup(func() {
		lock.Lock()
		defer lock.Unlock()
		if lock.stopped {
			pgctl(t, "start", "-w", "-t", "60", "-l", logPath(t))
			lock.stopped = false
		}
		lock.owner = nil
		if lock.shared > 0 {
			flock(f, syscall.LOCK_SH)
		} else {
			flock(f, syscall.LOCK_UN)
		}
	})
}

func setStopped(stopped bool) {
	lock.Lock()
	lock.stopped = stopped
	lock.Unlock()
}
