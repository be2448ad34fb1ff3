// Command authlab serves a web app that keeps users logged in two ways at
// once, a server-side session and a JWT in a cookie, and shows the
// difference. See README.md for the settings.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/auth/postgres"
	"github.com/authlab/authlab/auth/sqlite"
	"github.com/authlab/authlab/routes"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "authlab:", err)
		os.Exit(1)
	}
}

// config is authlab's settings, after parsing and checking.
type config struct {
	addr              string
	baseURL           *url.URL // nil: http:// and the address listened on
	data              string
	databaseURL       *url.URL // nil: SQLite under data
	sessionStore      string
	instance          string // "": host:port of the address listened on
	sessionIdle       time.Duration
	sessionLifetime   time.Duration
	jwtTTL            time.Duration
	jwtSecret         string
	jwtPreviousSecret string
	demoUser          bool // -demo-user's value
	demoUserSet       bool // whether -demo-user was given, as a flag or a variable
	logFormat         string
	trustedProxies    []netip.Prefix
	cleanupInterval   time.Duration
}

// errHelp is returned by parseConfig for -h: run prints the settings and
// exits 0.
var errHelp = errors.New("help requested")

// settings names each flag's environment variable.
var settings = map[string]string{
	"addr":             "AUTHLAB_ADDR",
	"base-url":         "AUTHLAB_BASE_URL",
	"data":             "AUTHLAB_DATA",
	"database-url":     "AUTHLAB_DATABASE_URL",
	"session-store":    "AUTHLAB_SESSION_STORE",
	"instance":         "AUTHLAB_INSTANCE",
	"session-idle":     "AUTHLAB_SESSION_IDLE",
	"session-lifetime": "AUTHLAB_SESSION_LIFETIME",
	"jwt-ttl":          "AUTHLAB_JWT_TTL",
	"demo-user":        "AUTHLAB_DEMO_USER",
	"log-format":       "AUTHLAB_LOG_FORMAT",
	"trusted-proxy":    "AUTHLAB_TRUSTED_PROXY",
	"cleanup-interval": "AUTHLAB_CLEANUP_INTERVAL",
}

// parseConfig reads the settings from args and the environment; a flag
// wins over its variable. The JWT secret comes from the environment only:
// flags show up in ps. An error names the flag or the variable the bad
// value came from.
func parseConfig(args []string, getenv func(string) string, usage io.Writer) (config, error) {
	fs := flag.NewFlagSet("authlab", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	str := func(name, def, help string) *string {
		if v := getenv(settings[name]); v != "" {
			def = v
		}
		return fs.String(name, def, help+" ("+settings[name]+")")
	}
	var (
		addr     = str("addr", "127.0.0.1:8080", "listen address")
		baseURL  = str("base-url", "", "public URL (default http:// + addr)")
		data     = str("data", "./data", "folder for the SQLite database")
		dbURL    = str("database-url", "", "postgres://… to keep users, sessions and revocations in PostgreSQL, shared by several instances (default: SQLite under -data)")
		store    = str("session-store", "", "sqlite, postgres or memory (default: the database in use)")
		instance = str("instance", "", "this instance's name, shown in the footer and the API (default: host:port listened on)")
		idle     = str("session-idle", "30m", "session idle timeout")
		lifetime = str("session-lifetime", "24h", "absolute session lifetime")
		ttl      = str("jwt-ttl", "15m", "lifetime of one JWT")
		demo     = str("demo-user", "true", "create user1 / pass123 on first start (default: only for an http base URL on a loopback address)")
		logFmt   = str("log-format", "text", "text or json")
		proxies  = str("trusted-proxy", "", "comma-separated CIDRs of proxies whose X-Forwarded-For names the client (default: none, the connection's address)")
		cleanup  = str("cleanup-interval", "5m", "how often expired sessions, revocations, logins and throttling counts are deleted")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(usage)
			fmt.Fprintln(usage, "Usage: authlab [flags]; every flag has an environment variable, and a flag wins.")
			fs.PrintDefaults()
			fmt.Fprintln(usage, "  AUTHLAB_JWT_SECRET (environment only)\n    \tHMAC key of at least 32 bytes (default with SQLite: generated once into jwt-keys.json in the data folder; required with PostgreSQL)")
			return config{}, errHelp
		}
		return config{}, fmt.Errorf("%w (authlab -h lists the settings)", err)
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fromFlag := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { fromFlag[f.Name] = true })
	bad := func(name, val, want string) error {
		if fromFlag[name] {
			return fmt.Errorf("-%s %q: want %s", name, val, want)
		}
		return fmt.Errorf("%s=%q: want %s", settings[name], val, want)
	}

	c := config{addr: *addr, data: *data, sessionStore: *store, instance: *instance, logFormat: *logFmt,
		jwtSecret: getenv("AUTHLAB_JWT_SECRET"), jwtPreviousSecret: getenv("AUTHLAB_JWT_PREVIOUS_SECRET")}
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return config{}, bad("addr", c.addr, "host:port")
	}
	if raw := *baseURL; raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return config{}, bad("base-url", raw, "http(s)://host[:port] with no path")
		}
		u.Path = ""
		c.baseURL = u
	}
	for _, d := range []struct {
		name string
		val  string
		dst  *time.Duration
	}{
		{"session-idle", *idle, &c.sessionIdle},
		{"session-lifetime", *lifetime, &c.sessionLifetime},
		{"jwt-ttl", *ttl, &c.jwtTTL},
		{"cleanup-interval", *cleanup, &c.cleanupInterval},
	} {
		v, err := time.ParseDuration(d.val)
		if err != nil || v <= 0 {
			return config{}, bad(d.name, d.val, "a positive duration such as 30m or 24h")
		}
		*d.dst = v
	}
	var err error
	if c.trustedProxies, err = parsePrefixes(*proxies); err != nil {
		return config{}, bad("trusted-proxy", *proxies, "comma-separated CIDRs such as 10.0.0.0/8,192.0.2.7/32")
	}
	if c.demoUser, err = strconv.ParseBool(*demo); err != nil {
		return config{}, bad("demo-user", *demo, "true or false")
	}
	c.demoUserSet = fromFlag["demo-user"] || getenv(settings["demo-user"]) != ""
	if raw := *dbURL; raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			// The value may hold a password: the error does not repeat it.
			if fromFlag["database-url"] {
				return config{}, errors.New("-database-url: want postgres://user:password@host:port/database")
			}
			return config{}, fmt.Errorf("%s: want postgres://user:password@host:port/database", settings["database-url"])
		}
		c.databaseURL = u
	}
	database := "sqlite"
	if c.databaseURL != nil {
		database = "postgres"
	}
	switch {
	case c.sessionStore == "":
		c.sessionStore = database
	case c.sessionStore != "sqlite" && c.sessionStore != "postgres" && c.sessionStore != "memory":
		return config{}, bad("session-store", c.sessionStore, "sqlite, postgres or memory")
	case c.sessionStore != "memory" && c.sessionStore != database:
		return config{}, bad("session-store", c.sessionStore, database+" (the database in use) or memory")
	}
	if c.databaseURL != nil && c.jwtSecret == "" {
		return config{}, errors.New("AUTHLAB_JWT_SECRET is required with -database-url: every instance must sign with the same key, " +
			"and the key is never kept in the shared database")
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return config{}, bad("log-format", c.logFormat, "text or json")
	}
	return c, nil
}

// parsePrefixes reads a comma-separated list of CIDRs; a bare address is
// a prefix of its full length.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var ps []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

func (c config) secure() bool { return c.baseURL != nil && c.baseURL.Scheme == "https" }

// local reports whether the base URL is plain http on a loopback address:
// a developer's own machine, where no one else can reach the demo login.
func (c config) local() bool {
	if c.baseURL == nil || c.baseURL.Scheme != "http" {
		return false
	}
	host := c.baseURL.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// demo reports whether the demo user is wanted: as set, or, where nothing
// says, only for local development. Its password is known to everyone who
// has read the README.
func (c config) demo() bool {
	if c.demoUserSet {
		return c.demoUser
	}
	return c.local()
}

// run is the whole program, with its outside world passed in so tests can
// start it like main does.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "loadtest" {
		return runLoadtest(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "keys" {
		return runKeys(args[1:], getenv, stdout)
	}
	if len(args) > 0 && args[0] == "seed" {
		return runSeed(ctx, args[1:], getenv, stdout)
	}
	cfg, err := parseConfig(args, getenv, stdout)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	tuneGC(getenv)
	logs := newLogWriter(stdout, logFlushEvery)
	defer logs.Close()
	var handler slog.Handler = slog.NewTextHandler(logs, nil)
	if cfg.logFormat == "json" {
		handler = slog.NewJSONHandler(logs, nil)
	}
	log := slog.New(handler)

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.addr, err)
	}
	defer ln.Close()
	if cfg.baseURL == nil {
		// With port 0 the address is known only now.
		cfg.baseURL = &url.URL{Scheme: "http", Host: ln.Addr().String()}
	}

	instance := cfg.instance
	if instance == "" {
		instance = ln.Addr().String()
	}
	app, err := newApp(ctx, cfg, instance, log)
	if err != nil {
		return err
	}
	defer app.close()

	srv := &http.Server{
		Handler:           app.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
	}
	logs.Flush()
	fmt.Fprintf(stdout, "authlab is serving %s (listening on %s)\n", cfg.baseURL, ln.Addr())
	if app.demo {
		fmt.Fprintln(stdout, "demo login: user1 / pass123")
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// tuneGC trades memory for CPU where the operator has not chosen: a page
// allocates a few kilobytes that die with the request, and the default
// GOGC=100 collects so often under load that the collector costs more than
// the page. With about 1 MiB live the heap goal is the runtime's minimum,
// 4 MiB times GOGC/100: GOGC=300 makes it 12 MiB, a third fewer
// collections than 200 for about 4 MiB more RSS under load (36 MiB, where
// the budget of issue 8 is 40; GOGC=400 measured 41). The soft limit, 120
// MiB, is what bounds the heap once much is live: a million revocations
// are about 40 MiB, which GOGC=300 alone would let grow to 160 before a
// collection, and it keeps a burst of password hashes (19 MiB each) from
// taking the process further than it needs.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(120 << 20)
	}
}

// logFlushEvery is how long a log line may wait in logWriter's buffer.
const logFlushEvery = 100 * time.Millisecond

// logWriter batches log lines into one write every logFlushEvery instead
// of one write a request: under load the request log's write calls cost
// more than the requests they record. Lines are appended to a buffer under
// a short lock and written out by one goroutine, so a request never waits
// on stdout. A line waits at most logFlushEvery; Close writes out what is
// left, so a stopping server loses none, and only a process killed
// outright can lose the last fraction of a second.
type logWriter struct {
	out     io.Writer
	flushMu sync.Mutex // one Flush at a time, so lines keep their order
	mu      sync.Mutex
	buf     []byte
	spare   []byte
	full    chan struct{} // a buffer past logBufferSize wants writing now
	stop    chan struct{}
	done    chan struct{}
}

const logBufferSize = 64 << 10

func newLogWriter(w io.Writer, every time.Duration) *logWriter {
	l := &logWriter{out: w, full: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
			case <-l.full:
			}
			l.Flush()
		}
	}()
	return l
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.buf = append(l.buf, p...)
	n := len(l.buf)
	l.mu.Unlock()
	if n >= logBufferSize {
		select {
		case l.full <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// Flush writes out the lines waiting. A failed write to stdout has nowhere
// to be reported; its lines are dropped.
func (l *logWriter) Flush() {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.mu.Lock()
	out := l.buf
	l.buf, l.spare = l.spare[:0], nil
	l.mu.Unlock()
	if len(out) > 0 {
		l.out.Write(out)
	}
	l.mu.Lock()
	l.spare = out[:0]
	l.mu.Unlock()
}

// Close stops the writing goroutine and writes out what is left.
func (l *logWriter) Close() {
	close(l.stop)
	<-l.done
	l.Flush()
}

// app is the built program: its handler and what must be closed after.
type app struct {
	handler http.Handler
	close   func()
	demo    bool // the demo user exists
}

// database is what the program needs of either store.
type database interface {
	auth.UserStore
	auth.RevocationStore
	auth.LoginStore
	auth.ThrottleStore
	SessionStore() scs.Store
	Ping(ctx context.Context) error
}

// newApp opens the database and builds the stores, the two strategies and
// the router. instance names this process in pages and the API.
func newApp(ctx context.Context, cfg config, instance string, log *slog.Logger) (*app, error) {
	var (
		db   database
		keys auth.KeySet
		a    = &app{}
	)
	if cfg.databaseURL != nil {
		pg, err := openPostgres(ctx, cfg.databaseURL, postgres.Options{CleanupEvery: cfg.cleanupInterval}, log)
		if err != nil {
			return nil, err
		}
		db, a.close = pg, pg.Close
		if keys, err = staticKeys(cfg); err != nil {
			pg.Close()
			return nil, err
		}
	} else {
		if fi, err := os.Stat(cfg.data); err == nil && fi.IsDir() && fi.Mode().Perm()&0o077 != 0 {
			log.Warn("the data folder was open to other users; authlab makes it 0700 and its files 0600",
				"folder", cfg.data, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
		}
		sq, err := sqlite.OpenWith(ctx, cfg.data, sqlite.Options{CleanupEvery: cfg.cleanupInterval})
		if err != nil {
			return nil, err
		}
		db, a.close = sq, func() { sq.Close() }
		if cfg.jwtSecret != "" {
			keys, err = staticKeys(cfg)
		} else {
			keys, err = generatedKeys(ctx, cfg.data, sq)
		}
		if err != nil {
			a.close()
			return nil, err
		}
	}
	if err := a.build(ctx, cfg, db, keys, instance, log); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// Attempts at reaching PostgreSQL at start: a database that starts beside
// authlab (a container, a restarted host) gets a few seconds to come up.
var (
	postgresTries      = 10
	postgresRetryEvery = time.Second
)

// openPostgres opens the database at u, retrying while it cannot be
// reached, with a log line a try. No line carries u's password.
func openPostgres(ctx context.Context, u *url.URL, opts postgres.Options, log *slog.Logger) (*postgres.DB, error) {
	for try := 1; ; try++ {
		db, err := postgres.Open(ctx, u.String(), opts)
		if err == nil {
			return db, nil
		}
		if !errors.Is(err, auth.ErrStoreUnavailable) {
			return nil, fmt.Errorf("PostgreSQL at %s: %w", u.Redacted(), err)
		}
		if try == postgresTries {
			return nil, fmt.Errorf("cannot reach PostgreSQL at %s after %d tries: %s", u.Redacted(), try, cause(err))
		}
		log.Warn("PostgreSQL does not answer yet", "url", u.Redacted(), "try", try, "of", postgresTries, "err", cause(err))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(postgresRetryEvery):
		}
	}
}

// cause is the innermost error err wraps, on one line: what a person can
// act on ("connection refused"), without the layers around it.
func cause(err error) string {
	for {
		var next error
		switch e := err.(type) {
		case interface{ Unwrap() error }:
			next = e.Unwrap()
		case interface{ Unwrap() []error }:
			if errs := e.Unwrap(); len(errs) > 0 {
				next = errs[len(errs)-1]
			}
		}
		if next == nil {
			break
		}
		err = next
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// runKeys is authlab keys list|rotate: the generated signing keys of a
// data folder. A running server picks a rotation up within a second.
func runKeys(args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "rotate") {
		return errors.New("usage: authlab keys list|rotate [-data folder] [-jwt-ttl 15m]")
	}
	fs := flag.NewFlagSet("authlab keys", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	orEnv := func(name, def string) string {
		if v := getenv(settings[name]); v != "" {
			return v
		}
		return def
	}
	data := fs.String("data", orEnv("data", "./data"), "the data folder")
	ttl := fs.String("jwt-ttl", orEnv("jwt-ttl", "15m"), "the JWT lifetime, how long the old key keeps verifying")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return errors.New("usage: authlab keys list|rotate [-data folder] [-jwt-ttl 15m]")
	}
	tokenTTL, err := time.ParseDuration(*ttl)
	if err != nil || tokenTTL <= 0 {
		return fmt.Errorf("-jwt-ttl %q: want a positive duration such as 15m", *ttl)
	}
	if getenv("AUTHLAB_JWT_SECRET") != "" || getenv(settings["database-url"]) != "" {
		return errors.New("keys are generated only with SQLite and no AUTHLAB_JWT_SECRET; to rotate a secret, " +
			"set AUTHLAB_JWT_PREVIOUS_SECRET to the old one and AUTHLAB_JWT_SECRET to the new one, and restart each instance")
	}
	path := filepath.Join(*data, keyFileName)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no generated keys at %s: start authlab with -data %s once first", path, *data)
	}
	kf, err := auth.OpenKeyFile(path, nil, nil)
	if err != nil {
		return err
	}
	if args[0] == "rotate" {
		k, err := kf.Rotate(auth.RetireAfter(tokenTTL))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new signing key %s; the previous one verifies for %s more\n", k.ID, auth.RetireAfter(tokenTTL))
	}
	for _, k := range kf.List() {
		state := "signing"
		if !k.Signing {
			state = "verifies until " + k.Retires.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "%s  created %s  %s\n", k.ID, k.Created.UTC().Format(time.RFC3339), state)
	}
	return nil
}

// staticKeys are AUTHLAB_JWT_SECRET, signing, and AUTHLAB_JWT_PREVIOUS_SECRET,
// still verifying while a new secret is rolled out.
func staticKeys(cfg config) (auth.KeySet, error) {
	var previous [][]byte
	if cfg.jwtPreviousSecret != "" {
		previous = append(previous, []byte(cfg.jwtPreviousSecret))
	}
	keys, err := auth.StaticKeys([]byte(cfg.jwtSecret), previous...)
	if errors.Is(err, auth.ErrKeyTooShort) {
		return nil, fmt.Errorf("AUTHLAB_JWT_SECRET and AUTHLAB_JWT_PREVIOUS_SECRET must each be at least %d bytes (openssl rand -base64 32 makes one)", auth.MinKeyLen)
	}
	return keys, err
}

// keyFileName is the generated keys' file inside the data folder.
const keyFileName = "jwt-keys.json"

// generatedKeys opens the key file in the data folder, making it on first
// start, and moves into it a key an older version kept in the database.
func generatedKeys(ctx context.Context, data string, db *sqlite.DB) (*auth.KeyFile, error) {
	legacy, err := db.LegacyKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the old JWT key: %w", err)
	}
	kf, err := auth.OpenKeyFile(filepath.Join(data, keyFileName), legacy, nil)
	if err != nil {
		return nil, err
	}
	if legacy != nil {
		if err := db.DropLegacyKey(ctx); err != nil {
			return nil, fmt.Errorf("remove the old JWT key from the database: %w", err)
		}
	}
	return kf, nil
}

func (a *app) build(ctx context.Context, cfg config, db database, keys auth.KeySet, instance string, log *slog.Logger) error {
	store := db.SessionStore()
	if cfg.sessionStore == "memory" {
		store = memstore.New()
	}
	web := routes.NewResponder(log, instance)
	au, err := auth.New(ctx, auth.Options{
		Users:         db,
		SessionStore:  store,
		Revocations:   db,
		Logins:        db,
		Throttle:      db,
		ClientAddress: routes.ClientAddresses(cfg.trustedProxies),
		Keys:          keys,
		IdleTimeout:   cfg.sessionIdle,
		Lifetime:      cfg.sessionLifetime,
		TokenTTL:      cfg.jwtTTL,
		Secure:        cfg.secure(),
		ErrorFunc:     web.Fail,
	})
	if err != nil {
		return err
	}
	// Loading the revocation list read every row of it once: give the
	// memory that took back now, rather than carry it as RSS.
	debug.FreeOSMemory()
	// Several instances on one database learn of each other's logouts.
	go au.FollowRevocations(ctx)
	go cleanEvery(ctx, cfg.cleanupInterval, au, log)
	if cfg.demo() {
		if !cfg.local() {
			log.Warn("the demo account user1 / pass123 exists on a deployment that is not local; anyone can log in with it",
				"base_url", cfg.baseURL.String(), "setting", "-demo-user / AUTHLAB_DEMO_USER")
		}
		_, err := au.Users.Seed(ctx, "user1", "pass123")
		if err != nil && !errors.Is(err, auth.ErrUsernameTaken) {
			return fmt.Errorf("create demo user: %w", err)
		}
		a.demo = true
	}

	a.handler, err = routes.New(routes.Deps{
		Web:          web,
		Auth:         au,
		Ping:         db.Ping,
		BaseURL:      cfg.baseURL.String(),
		SessionStore: cfg.sessionStore,
		Source:       source,
	})
	return err
}

// cleanEvery deletes what no check needs any more, every interval until
// ctx ends. A failed round is logged and tried again at the next.
func cleanEvery(ctx context.Context, interval time.Duration, au *auth.Auth, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := au.Cleanup(ctx); err != nil && ctx.Err() == nil {
				log.Warn("cleanup", "err", err)
			}
		}
	}
}
