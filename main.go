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
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"

	"github.com/authlab/authlab/auth"
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
	addr            string
	baseURL         *url.URL // nil: http:// and the address listened on
	data            string
	sessionStore    string
	sessionIdle     time.Duration
	sessionLifetime time.Duration
	jwtTTL          time.Duration
	jwtSecret       string
	demoUser        bool
	logFormat       string
}

// parseConfig reads the settings from args and the environment; a flag
// wins over its variable. The JWT secret comes from the environment only:
// flags show up in ps.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("authlab", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var (
		addr     = fs.String("addr", env("AUTHLAB_ADDR", "127.0.0.1:8080"), "listen address")
		baseURL  = fs.String("base-url", env("AUTHLAB_BASE_URL", ""), "public URL (default http:// + addr)")
		data     = fs.String("data", env("AUTHLAB_DATA", "./data"), "folder for the SQLite database")
		store    = fs.String("session-store", env("AUTHLAB_SESSION_STORE", "sqlite"), "sqlite or memory")
		idle     = fs.String("session-idle", env("AUTHLAB_SESSION_IDLE", "30m"), "session idle timeout")
		lifetime = fs.String("session-lifetime", env("AUTHLAB_SESSION_LIFETIME", "24h"), "absolute session lifetime")
		ttl      = fs.String("jwt-ttl", env("AUTHLAB_JWT_TTL", "15m"), "lifetime of one JWT")
		demo     = fs.String("demo-user", env("AUTHLAB_DEMO_USER", "true"), "create user1 / pass123 on first start")
		logFmt   = fs.String("log-format", env("AUTHLAB_LOG_FORMAT", "text"), "text or json")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, errors.New("settings: -addr -base-url -data -session-store -session-idle -session-lifetime -jwt-ttl -demo-user -log-format (see README.md)")
		}
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	c := config{addr: *addr, data: *data, sessionStore: *store, logFormat: *logFmt, jwtSecret: getenv("AUTHLAB_JWT_SECRET")}
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return config{}, fmt.Errorf("-addr %q: want host:port", c.addr)
	}
	if raw := *baseURL; raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return config{}, fmt.Errorf("-base-url %q: want http(s)://host[:port] with no path", raw)
		}
		u.Path = ""
		c.baseURL = u
	}
	for _, d := range []struct {
		name string
		val  string
		dst  *time.Duration
	}{
		{"-session-idle", *idle, &c.sessionIdle},
		{"-session-lifetime", *lifetime, &c.sessionLifetime},
		{"-jwt-ttl", *ttl, &c.jwtTTL},
	} {
		v, err := time.ParseDuration(d.val)
		if err != nil || v <= 0 {
			return config{}, fmt.Errorf("%s %q: want a positive duration such as 30m or 24h", d.name, d.val)
		}
		*d.dst = v
	}
	var err error
	if c.demoUser, err = strconv.ParseBool(*demo); err != nil {
		return config{}, fmt.Errorf("-demo-user %q: want true or false", *demo)
	}
	if c.sessionStore != "sqlite" && c.sessionStore != "memory" {
		return config{}, fmt.Errorf("-session-store %q: want sqlite or memory", c.sessionStore)
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return config{}, fmt.Errorf("-log-format %q: want text or json", c.logFormat)
	}
	if c.jwtSecret != "" && len(c.jwtSecret) < auth.MinKeyLen {
		return config{}, fmt.Errorf("AUTHLAB_JWT_SECRET is %d bytes; it must be at least %d", len(c.jwtSecret), auth.MinKeyLen)
	}
	return c, nil
}

func (c config) secure() bool { return c.baseURL != nil && c.baseURL.Scheme == "https" }

// run is the whole program, with its outside world passed in so tests can
// start it like main does.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig(args, getenv)
	if err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(stdout, nil)
	if cfg.logFormat == "json" {
		handler = slog.NewJSONHandler(stdout, nil)
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

	app, err := newApp(ctx, cfg, log)
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

// app is the built program: its handler and what must be closed after.
type app struct {
	handler http.Handler
	db      *sqlite.DB
	demo    bool // the demo user exists
}

func (a *app) close() { a.db.Close() }

// newApp opens the database and builds the stores, the two strategies and
// the router.
func newApp(ctx context.Context, cfg config, log *slog.Logger) (*app, error) {
	db, err := sqlite.Open(ctx, cfg.data)
	if err != nil {
		return nil, err
	}
	a := &app{db: db}
	if err := a.build(ctx, cfg, log); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) build(ctx context.Context, cfg config, log *slog.Logger) error {
	users := auth.NewUsers(a.db, auth.NewHasher(auth.DefaultParams, 0))
	if cfg.demoUser {
		_, err := users.Seed(ctx, "user1", "pass123")
		if err != nil && !errors.Is(err, auth.ErrUsernameTaken) {
			return fmt.Errorf("create demo user: %w", err)
		}
		a.demo = true
	}

	var store scs.Store = a.db.SessionStore()
	if cfg.sessionStore == "memory" {
		store = memstore.New()
	}
	sessions := auth.NewSessions(auth.SessionConfig{
		Store:       store,
		IdleTimeout: cfg.sessionIdle,
		Lifetime:    cfg.sessionLifetime,
		Secure:      cfg.secure(),
		ErrorFunc:   routes.StoreError(log),
	}, users)

	key, err := auth.SigningKey(ctx, a.db, cfg.jwtSecret)
	if err != nil {
		return err
	}
	revoked, err := auth.LoadRevocations(ctx, a.db, nil)
	if err != nil {
		return err
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{
		Key:      key,
		TTL:      cfg.jwtTTL,
		Lifetime: cfg.sessionLifetime,
		Secure:   cfg.secure(),
	}, users, revoked)
	if err != nil {
		return err
	}

	a.handler, err = routes.New(routes.Deps{
		Log:          log,
		Users:        users,
		Sessions:     sessions,
		Tokens:       tokens,
		Ping:         a.db.Ping,
		BaseURL:      cfg.baseURL.String(),
		SessionStore: cfg.sessionStore,
		Source:       source,
	})
	return err
}
