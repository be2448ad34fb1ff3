package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/auth/postgres"
	"github.com/authlab/authlab/auth/sqlite"
)

// Bounds and batch sizes of authlab seed.
const (
	maxSeed         = 10_000_000 // users, sessions or revocations in one run
	maxSeedSample   = 100_000    // credentials of each kind in the tokens file
	seedBatch       = 20_000     // sessions or revocations a transaction
	seedRevokedJWTs = 10         // revoked JWTs in the tokens file, at most
	seedUserPrefix  = "seed"     // a seeded user is seed<id>
	seedUsageHint   = "authlab seed -h lists the flags"
)

// The kinds of line in the tokens file: "<kind> <credential>".
const (
	seedLineSession = "session" // a session cookie's value, signed in
	seedLineJWT     = "jwt"     // a JWT for Authorization: Bearer, signed in
	seedLineRevoked = "revoked" // a JWT whose login was logged out: refused
)

// seedConfig is the seed subcommand's own flags; the database and the
// strategies' settings are the server's (config).
type seedConfig struct {
	users, sessions, revocations int
	expireIn                     time.Duration // 0: sessions live a normal idle timeout
	tokensOut                    string
	sample                       int
}

// parseSeedFlags reads seed's flags. The flags it shares with the server
// are handed to parseConfig, so they take their variables and defaults,
// and are checked, exactly as the server's are.
func parseSeedFlags(args []string, getenv func(string) string, usage io.Writer) (seedConfig, config, error) {
	fs := flag.NewFlagSet("authlab seed", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c seedConfig
	fs.IntVar(&c.users, "users", 0, "users to add, named seed<id>, all with one password (printed)")
	fs.IntVar(&c.sessions, "sessions", 0, "live sessions to add, spread over the new users, each with its login")
	fs.IntVar(&c.revocations, "revocations", 0, "JWT revocations to add, in force for the session lifetime")
	fs.DurationVar(&c.expireIn, "sessions-expire-in", 0, "the sessions expire this soon, to exercise cleanup (default: a full idle timeout)")
	fs.StringVar(&c.tokensOut, "tokens-out", "", "file to write usable credentials to, one \"session|jwt|revoked <token>\" a line (default: none)")
	fs.IntVar(&c.sample, "sample", 1000, "session tokens and JWTs written to -tokens-out, of each")
	shared := []string{"data", "database-url", "session-idle", "session-lifetime", "jwt-ttl"}
	for _, name := range shared {
		fs.String(name, "", "as the server's ("+settings[name]+")")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(usage)
			fmt.Fprintln(usage, "Usage: authlab seed [flags]: fill the data folder (or PostgreSQL) with synthetic users, sessions and revocations, for load tests and sizing.")
			fs.PrintDefaults()
			return seedConfig{}, config{}, errHelp
		}
		return seedConfig{}, config{}, fmt.Errorf("seed: %w (%s)", err, seedUsageHint)
	}
	if fs.NArg() > 0 {
		return seedConfig{}, config{}, fmt.Errorf("seed: unexpected argument %q (%s)", fs.Arg(0), seedUsageHint)
	}
	var serverArgs []string
	fs.Visit(func(f *flag.Flag) {
		for _, name := range shared {
			if f.Name == name {
				serverArgs = append(serverArgs, "-"+name, f.Value.String())
			}
		}
	})
	cfg, err := parseConfig(serverArgs, getenv, io.Discard)
	if err != nil {
		return seedConfig{}, config{}, fmt.Errorf("seed: %w", err)
	}
	switch {
	case c.users < 0 || c.users > maxSeed:
		return seedConfig{}, config{}, fmt.Errorf("seed: -users %d: want 0 to %d", c.users, maxSeed)
	case c.sessions < 0 || c.sessions > maxSeed:
		return seedConfig{}, config{}, fmt.Errorf("seed: -sessions %d: want 0 to %d", c.sessions, maxSeed)
	case c.revocations < 0 || c.revocations > maxSeed:
		return seedConfig{}, config{}, fmt.Errorf("seed: -revocations %d: want 0 to %d", c.revocations, maxSeed)
	case c.sample < 0 || c.sample > maxSeedSample:
		return seedConfig{}, config{}, fmt.Errorf("seed: -sample %d: want 0 to %d", c.sample, maxSeedSample)
	case c.users == 0 && (c.sessions > 0 || c.tokensOut != ""):
		return seedConfig{}, config{}, errors.New("seed: -sessions and -tokens-out need -users: sessions and JWTs belong to the users seeded")
	case c.expireIn < 0 || c.expireIn > cfg.sessionIdle:
		return seedConfig{}, config{}, fmt.Errorf("seed: -sessions-expire-in %s: want 0 to the idle timeout, %s (-session-idle)", c.expireIn, cfg.sessionIdle)
	}
	return c, cfg, nil
}

// seedStore is what seed needs of either database.
type seedStore interface {
	database
	SeedUsers(ctx context.Context, prefix string, n int, hash string) (first int64, err error)
	SeedSessions(ctx context.Context, ss []auth.SeededSession) error
	SeedRevocations(ctx context.Context, ids []string, until time.Time) error
}

// runSeed is authlab seed (README, "Load test"): it fills the database a
// server would use, through the same strategies, with the same keys, so
// what it writes is valid to that server.
func runSeed(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	sc, cfg, err := parseSeedFlags(args, getenv, stdout)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	began := time.Now()
	log := slog.New(slog.NewTextHandler(stdout, nil))
	db, keys, closeDB, err := openSeedStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeDB()
	au, err := auth.New(ctx, auth.Options{
		Users: db, SessionStore: db.SessionStore(), Revocations: db, Logins: db, Throttle: db,
		Keys: keys, IdleTimeout: cfg.sessionIdle, Lifetime: cfg.sessionLifetime, TokenTTL: cfg.jwtTTL,
	})
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	return seed(ctx, sc, db, au, stdout, began)
}

// openSeedStore opens the database and resolves the signing keys as
// newApp does for the server. A data folder a running server holds is
// refused by sqlite.Open with one line.
func openSeedStore(ctx context.Context, cfg config, log *slog.Logger) (seedStore, auth.KeySet, func(), error) {
	if cfg.databaseURL != nil {
		pg, err := openPostgres(ctx, cfg.databaseURL, postgres.Options{}, log)
		if err != nil {
			return nil, nil, nil, err
		}
		keys, err := staticKeys(cfg)
		if err != nil {
			pg.Close()
			return nil, nil, nil, err
		}
		return pg, keys, pg.Close, nil
	}
	sq, err := sqlite.Open(ctx, cfg.data)
	if err != nil {
		return nil, nil, nil, err
	}
	var keys auth.KeySet
	if cfg.jwtSecret != "" {
		keys, err = staticKeys(cfg)
	} else {
		keys, err = generatedKeys(ctx, cfg.data, sq)
	}
	if err != nil {
		sq.Close()
		return nil, nil, nil, err
	}
	return sq, keys, func() { sq.Close() }, nil
}

// seed does the work of runSeed once the database is open.
func seed(ctx context.Context, sc seedConfig, db seedStore, au *auth.Auth, stdout io.Writer, began time.Time) error {
	set := au.Settings()
	var first int64
	if sc.users > 0 {
		password := rand.Text()[:16]
		hash, err := auth.NewHasher(auth.DefaultParams, 0).Hash(ctx, password)
		if err != nil {
			return fmt.Errorf("seed: hash the password: %w", err)
		}
		t0 := time.Now()
		if first, err = db.SeedUsers(ctx, seedUserPrefix, sc.users, hash); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		fmt.Fprintf(stdout, "users        %8d  %s%d to %s%d, password %s  (%s)\n", sc.users,
			seedUserPrefix, first, seedUserPrefix, first+int64(sc.users)-1, password, since(t0))
	}
	userOf := func(i int) auth.User {
		id := first + int64(i%max(sc.users, 1))
		return auth.User{ID: id, Username: seedUserPrefix + strconv.FormatInt(id, 10)}
	}

	var lines []string
	if sc.sessions > 0 {
		t0 := time.Now()
		now := time.Now()
		seen := now
		if sc.expireIn > 0 {
			// Last seen this long before the idle timeout runs out.
			seen = now.Add(sc.expireIn - set.IdleTimeout)
		}
		batch := make([]auth.SeededSession, 0, min(seedBatch, sc.sessions))
		for i := range sc.sessions {
			s, err := au.Sessions.Seed(userOf(i).ID, seen, seen)
			if err != nil {
				return fmt.Errorf("seed: %w", err)
			}
			if i < sc.sample {
				lines = append(lines, seedLineSession+" "+s.Token)
			}
			if batch = append(batch, s); len(batch) == cap(batch) || i == sc.sessions-1 {
				// In key order, the inserts walk the sessions table and the
				// logins' key index from one end to the other.
				slices.SortFunc(batch, func(a, b auth.SeededSession) int { return strings.Compare(a.Key, b.Key) })
				if err := db.SeedSessions(ctx, batch); err != nil {
					return fmt.Errorf("seed: %w", err)
				}
				batch = batch[:0]
			}
		}
		fmt.Fprintf(stdout, "sessions     %8d  expire at %s  (%s)\n", sc.sessions,
			seen.Add(set.IdleTimeout).UTC().Format(time.RFC3339), since(t0))
	}

	// A few of the sample are logged out through the real Revoke, two
	// entries each (the jti and the login's sid), counted in -revocations.
	revoked := 0
	if sc.tokensOut != "" {
		revoked = min(seedRevokedJWTs, sc.revocations/2, sc.sample)
	}
	if bulk := sc.revocations - 2*revoked; bulk > 0 {
		t0 := time.Now()
		// In force as a logged-out login's sid is: the whole lifetime.
		until := time.Now().Add(set.Lifetime)
		ids := make([]string, 0, min(seedBatch, bulk))
		for i := range bulk {
			if ids = append(ids, rand.Text()); len(ids) == cap(ids) || i == bulk-1 {
				if err := db.SeedRevocations(ctx, ids, until); err != nil {
					return fmt.Errorf("seed: %w", err)
				}
				ids = ids[:0]
			}
		}
		fmt.Fprintf(stdout, "revocations  %8d  until %s  (%s)\n", bulk, until.UTC().Format(time.RFC3339), since(t0))
	}

	if sc.tokensOut != "" {
		t0 := time.Now()
		// Issue records each JWT's login as a login over HTTP would.
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, "/api/auth", nil)
		if err != nil {
			return err
		}
		r.Header.Set("User-Agent", auth.SeedAgent)
		r.RemoteAddr = auth.SeedAddress + ":0"
		for i := range sc.sample + revoked {
			st, err := au.Tokens.Issue(r, userOf(i))
			if err != nil {
				return fmt.Errorf("seed: issue a JWT: %w", err)
			}
			kind := seedLineJWT
			if i >= sc.sample {
				if err := au.Tokens.Revoke(ctx, st.Claims); err != nil {
					return fmt.Errorf("seed: revoke a JWT: %w", err)
				}
				kind = seedLineRevoked
			}
			lines = append(lines, kind+" "+st.Raw)
		}
		fmt.Fprintf(stdout, "JWTs         %8d  signed in, %d logged out (%d revocations), expire at %s  (%s)\n",
			sc.sample, revoked, 2*revoked, time.Now().Add(set.TokenTTL).UTC().Format(time.RFC3339), since(t0))
		if err := writeLines(sc.tokensOut, lines); err != nil {
			return fmt.Errorf("seed: -tokens-out: %w", err)
		}
		fmt.Fprintf(stdout, "tokens file  %s: %d lines of \"session|jwt|revoked <token>\"\n", sc.tokensOut, len(lines))
	}
	fmt.Fprintf(stdout, "seeded in %s\n", since(began))
	return nil
}

// writeLines writes lines to path, readable by its owner only: they are
// live credentials.
func writeLines(path string, lines []string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	// O_CREATE's mode applies only to a new file: an old one keeps its own.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }
