package main

import (
	"bufio"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authlab/authlab/auth/postgres/pgtest"
	"github.com/authlab/authlab/auth/sqlite"
)

// seedCounts is how many rows of each kind a store holds.
type seedCounts struct{ users, sessions, revocations int }

// readTokens reads a -tokens-out file into its lines' kinds.
func readTokens(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("tokens file: %v, %v; want mode 0600", fi.Mode().Perm(), err)
	}
	kinds := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		kind, tok, ok := strings.Cut(sc.Text(), " ")
		if !ok || tok == "" {
			t.Fatalf("tokens file line %q: want \"<kind> <token>\"", sc.Text())
		}
		kinds[kind] = append(kinds[kind], tok)
	}
	return kinds
}

// checkSeeded seeds through run with the store's args and env, checks the
// counts, then starts the server on the same store: every sampled session
// and JWT is signed in, and every revoked JWT refused.
func checkSeeded(t *testing.T, store []string, env map[string]string, count func() seedCounts) {
	t.Helper()
	tokens := filepath.Join(t.TempDir(), "tokens")
	var out syncBuffer
	args := append([]string{"seed", "-users", "50", "-sessions", "40", "-revocations", "30",
		"-tokens-out", tokens, "-sample", "4"}, store...)
	if err := run(t.Context(), args, envFunc(env), &out); err != nil {
		t.Fatalf("authlab %s: %v\n%s", strings.Join(args, " "), err, &out)
	}
	for _, want := range []string{"users", "password", "sessions", "revocations", "JWTs", "seeded in"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("seed's output says nothing of %q:\n%s", want, &out)
		}
	}
	// The counts are what was asked for: four revoked JWTs of the sample
	// made eight of the thirty revocations.
	if got, want := count(), (seedCounts{users: 50, sessions: 40, revocations: 30}); got != want {
		t.Errorf("after seeding, the store holds %+v, want %+v", got, want)
	}
	kinds := readTokens(t, tokens)
	if n := []int{len(kinds[seedLineSession]), len(kinds[seedLineJWT]), len(kinds[seedLineRevoked])}; n[0] != 4 || n[1] != 4 || n[2] != 4 {
		t.Fatalf("tokens file: %d sessions, %d JWTs, %d revoked; want 4 of each", n[0], n[1], n[2])
	}

	inst := start(t, append([]string{"-addr", "127.0.0.1:0"}, store...), env)
	for _, tok := range kinds[seedLineSession] {
		s := apiStatus(t, inst.url, "Cookie", "authlab_session="+tok)
		if !s.Strategies["session"].Authenticated || !strings.HasPrefix(s.Username, seedUserPrefix) {
			t.Errorf("a seeded session: %+v, want signed in as a seeded user", s)
		}
	}
	for _, tok := range kinds[seedLineJWT] {
		s := apiStatus(t, inst.url, "Authorization", "Bearer "+tok)
		if !s.Strategies["jwt"].Authenticated || !strings.HasPrefix(s.Username, seedUserPrefix) {
			t.Errorf("a seeded JWT: %+v, want signed in as a seeded user", s)
		}
	}
	for _, tok := range kinds[seedLineRevoked] {
		if s := apiStatus(t, inst.url, "Authorization", "Bearer "+tok); s.Strategies["jwt"].Reason != "revoked" {
			t.Errorf("a seeded revoked JWT: %+v, want refused as revoked", s.Strategies["jwt"])
		}
	}
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestSeed fills a data folder and serves it: the seeded credentials work
// against the real server, the counts match, and a folder held by a
// running server is refused with one line.
func TestSeed(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	checkSeeded(t, []string{"-data", data}, nil, func() seedCounts {
		db, err := sqlite.Open(t.Context(), data)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var c seedCounts
		var errs [3]error
		c.users, errs[0] = db.CountUsers(t.Context())
		c.sessions, errs[1] = db.CountSessions(t.Context())
		c.revocations, errs[2] = db.CountRevocations(t.Context())
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		return c
	})

	t.Run("a folder a server holds", func(t *testing.T) {
		inst := start(t, []string{"-addr", "127.0.0.1:0", "-data", data}, nil)
		var out syncBuffer
		err := run(t.Context(), []string{"seed", "-data", data, "-users", "1"}, envFunc(nil), &out)
		if err == nil || !strings.Contains(err.Error(), "in use") || strings.Contains(err.Error(), "\n") {
			t.Errorf("seed into a folder in use = %v, want one line saying it is in use", err)
		}
		if err := inst.stop(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSeedExpiresSessions: -sessions-expire-in stores sessions that end
// that soon, and the server finds them expired once it has passed.
func TestSeedExpiresSessions(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	tokens := filepath.Join(t.TempDir(), "tokens")
	const expireIn = 2 * time.Second
	before := time.Now()
	var out syncBuffer
	args := []string{"seed", "-data", data, "-users", "2", "-sessions", "3", "-sessions-expire-in", expireIn.String(),
		"-tokens-out", tokens, "-sample", "2"}
	if err := run(t.Context(), args, envFunc(nil), &out); err != nil {
		t.Fatalf("authlab %s: %v\n%s", strings.Join(args, " "), err, &out)
	}
	after := time.Now()

	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var first, last float64
	if err := db.QueryRow(`SELECT min(expiry), max(expiry) FROM sessions`).Scan(&first, &last); err != nil {
		t.Fatal(err)
	}
	// The sessions table keeps the expiry as a Julian day.
	julian := func(t time.Time) float64 { return float64(t.UnixNano())/float64(24*time.Hour) + 2440587.5 }
	if lo, hi := julian(before.Add(expireIn-time.Second)), julian(after.Add(expireIn+time.Second)); first < lo || last > hi {
		t.Errorf("stored expiries %f to %f, want within %f to %f: %s after the seed", first, last, lo, hi, expireIn)
	}

	// A request marks a session seen, as it would any: the first sampled
	// session, used now, lives on; the second, left alone, expires.
	sessions := readTokens(t, tokens)[seedLineSession]
	used, left := "authlab_session="+sessions[0], "authlab_session="+sessions[1]
	inst := start(t, []string{"-addr", "127.0.0.1:0", "-data", data}, nil)
	if s := apiStatus(t, inst.url, "Cookie", used); !s.Strategies["session"].Authenticated && time.Since(after) < expireIn {
		t.Errorf("a seeded session before it expires: %+v", s.Strategies["session"])
	}
	time.Sleep(time.Until(after.Add(expireIn)))
	if s := apiStatus(t, inst.url, "Cookie", left); s.Strategies["session"].Reason != "expired" {
		t.Errorf("a seeded session left alone past its expiry: %+v, want reason expired", s.Strategies["session"])
	}
	if s := apiStatus(t, inst.url, "Cookie", used); !s.Strategies["session"].Authenticated {
		t.Errorf("a seeded session used before its expiry: %+v, want signed in still", s.Strategies["session"])
	}
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestSeedPostgres seeds a PostgreSQL database, with COPY, and serves it.
func TestSeedPostgres(t *testing.T) {
	url := pgtest.Database(t)
	env := map[string]string{"AUTHLAB_DATABASE_URL": url, "AUTHLAB_JWT_SECRET": multiSecret}
	checkSeeded(t, nil, env, func() seedCounts {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var c seedCounts
		err = conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM sessions WHERE expiry > now()),
			(SELECT count(*) FROM revoked_tokens)`).Scan(&c.users, &c.sessions, &c.revocations)
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

// TestSeedFlags: bad counts and a missing -users stop seed with one line.
func TestSeedFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-users", "-1"}, "-users -1"},
		{[]string{"-sessions", "5"}, "need -users"},
		{[]string{"-users", "1", "-sessions-expire-in", "1h"}, "-sessions-expire-in 1h0m0s"},
		{[]string{"-users", "1", "-session-idle", "soon"}, "-session-idle"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"seed", "-data", t.TempDir()}, tc.args...)
			err := run(t.Context(), args, envFunc(nil), &syncBuffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("authlab %s = %v, want one line with %q", strings.Join(args, " "), err, tc.want)
			}
		})
	}
}

// TestTokensFileIsPrivate: the tokens file holds live credentials, so it
// is 0600 even when a file of that name was there with a looser mode.
func TestTokensFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.txt")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeLines(path, []string{"session abc"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("tokens file mode = %o, want 600", mode)
	}
	if b, _ := os.ReadFile(path); string(b) != "session abc\n" {
		t.Errorf("tokens file = %q, want the new lines only", b)
	}
}
