package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// loadSecret signs the children's JWTs: fixed, so every run does the
	// same work, and long enough for AUTHLAB_JWT_SECRET.
	loadSecret = "authlab-loadtest-fixed-signing-key-0123456789"

	// The demo user authlab creates on a loopback http base URL.
	loadUser     = "user1"
	loadPassword = "pass123"

	// The cookie names under an http base URL (CONTRACT.md, "Cookies").
	loadSessionCookie = "authlab_session"
	loadJWTCookie     = "authlab_token"

	floorBody = "hello"

	// envTestPostgres names the admin URL of the PostgreSQL cluster the
	// PostgreSQL children get a database on; .ci/with-postgres sets it.
	envTestPostgres    = "AUTHLAB_TEST_POSTGRES"
	loadDatabasePrefix = "authlab_load_"
	loadDatabaseRandom = 8 // bytes, hex-encoded after the prefix

	childStartTimeout = 20 * time.Second      // a child answering GET /healthz
	healthPoll        = 50 * time.Millisecond // between two GET /healthz
	probeTimeout      = 10 * time.Second      // one plain request
	wrkGrace          = 30 * time.Second      // beyond -duration before a wrk run is killed
	loginTimeout      = 2 * time.Minute       // the whole login burst
	rssSampleEvery    = 20 * time.Millisecond // VmRSS during the login burst
	childStopTimeout  = 5 * time.Second       // a killed child reported gone
	pgAdminTimeout    = 30 * time.Second      // creating or dropping the run's database
	logTailLines      = 40                    // of a child's log, shown on failure
	maxLoadTime       = 6 * time.Minute       // see loadConfig.check
	maxLoadRounds     = 10                    // keeps every loop bounded
	maxLoadLogins     = 1000                  // idem
	maxWrkConns       = 1000                  // idem
	maxWrkThreads     = 64                    // idem
	mib               = 1 << 20               // bytes
	kib               = 1 << 10               // bytes; /proc/PID/status counts in kB
	loadUsageHint     = "authlab loadtest -h lists the flags"
)

// errBudgetMissed is what runLoadtest returns, after printing the report,
// when a budget fails: main turns it into exit status 1.
var errBudgetMissed = errors.New("budgets missed")

// credential is one way a request proves who it is.
type credential uint8

const (
	bearer        credential = 1 << iota // Authorization: Bearer, the JWT from POST /api/auth's body
	sessionCookie                        // the session cookie POST /api/auth sets
	jwtCookie                            // the JWT cookie POST /jwt/login sets
)

// authAnswer is what GET /api/auth must say for a path's credentials.
type authAnswer struct {
	authenticated, session, jwt bool
}

// loadPath is one request driven with wrk, and its share-of-floor budget.
type loadPath struct {
	name       string     // as the table shows it
	instance   string     // the loadInstance's name; "" is the floor server
	path       string     // request path
	creds      credential // sent with every request
	want       *authAnswer
	minOfFloor float64       // req/s at least this share of the floor's; 0 for no such budget
	maxP99     time.Duration // 0: the target's loadLimits.maxP99
}

// loadInstance is one authlab child process a target starts.
type loadInstance struct {
	name string
	args []string // beyond -addr, -base-url and -data
	env  []string // beyond AUTHLAB_JWT_SECRET
	// postgres gives the child the run's database on the cluster at
	// AUTHLAB_TEST_POSTGRES, through AUTHLAB_DATABASE_URL: a URL may hold
	// a password, and flags show up in ps.
	postgres bool
}

// loadLimits are a target's budgets beyond each path's share of the floor.
type loadLimits struct {
	maxP99          time.Duration // every authlab GET path without a maxP99 of its own
	maxRSSAfterGets int64         // bytes, the measured instance after the GET load
	maxRSSLogins    int64         // bytes, the measured instance's peak through the login burst
}

// loadTarget is one load-test setup: the children it starts, the paths it
// drives and the budgets it holds them to. A scaled run on a seeded
// database is another loadTarget.
type loadTarget struct {
	name      string
	instances []loadInstance
	paths     []loadPath // exactly one with instance "": the floor
	measured  string     // the instance whose RSS is read and which takes the login burst
	limits    loadLimits
}

var defaultTarget = loadTarget{
	name: "default",
	instances: []loadInstance{
		{name: "sqlite"},
		{name: "memory", args: []string{"-session-store", "memory"}},
		{name: "postgres", postgres: true},
	},
	paths: []loadPath{
		{name: "floor: bare net/http `GET /`", path: "/"},
		{name: "`GET /api/auth`, no credentials", instance: "sqlite", path: "/api/auth",
			want: &authAnswer{}},
		{name: "`GET /api/auth`, Bearer JWT", instance: "sqlite", path: "/api/auth", creds: bearer,
			want: &authAnswer{authenticated: true, jwt: true}, minOfFloor: 0.60},
		{name: "`GET /api/auth`, session cookie, SQLite store", instance: "sqlite", path: "/api/auth", creds: sessionCookie,
			want: &authAnswer{authenticated: true, session: true}, minOfFloor: 0.40},
		{name: "`GET /api/auth`, session cookie, memory store", instance: "memory", path: "/api/auth", creds: sessionCookie,
			want: &authAnswer{authenticated: true, session: true}, minOfFloor: 0.50},
		// Each request looks its user up, and the session cookie its
		// session, over a connection to a PostgreSQL server that shares the
		// machine's CPUs: lower shares, a longer p99.
		{name: "`GET /api/auth`, Bearer JWT, PostgreSQL", instance: "postgres", path: "/api/auth", creds: bearer,
			want: &authAnswer{authenticated: true, jwt: true}, minOfFloor: 0.50, maxP99: 50 * time.Millisecond},
		{name: "`GET /api/auth`, session cookie, PostgreSQL store", instance: "postgres", path: "/api/auth", creds: sessionCookie,
			want: &authAnswer{authenticated: true, session: true}, minOfFloor: 0.20, maxP99: 50 * time.Millisecond},
		{name: "`GET /jwt/dashboard`, JWT cookie", instance: "sqlite", path: "/jwt/dashboard", creds: jwtCookie,
			minOfFloor: 0.30},
		{name: "`GET /session/dashboard`, session cookie", instance: "sqlite", path: "/session/dashboard", creds: sessionCookie,
			minOfFloor: 0.30},
		{name: "`GET /compare`, both cookies", instance: "sqlite", path: "/compare", creds: sessionCookie | jwtCookie,
			minOfFloor: 0.30},
	},
	measured: "sqlite",
	limits: loadLimits{
		maxP99:          25 * time.Millisecond,
		maxRSSAfterGets: 40 * mib,
		maxRSSLogins:    200 * mib,
	},
}

// loadConfig is the loadtest subcommand's flags.
type loadConfig struct {
	rounds      int
	duration    time.Duration
	connections int
	threads     int
	logins      int
	wrk         string
	target      string // default, scaled or both
	scaleSize   int
	cleanupLoad time.Duration
}

func parseLoadFlags(args []string, usage io.Writer) (loadConfig, error) {
	fs := flag.NewFlagSet("authlab loadtest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c loadConfig
	fs.IntVar(&c.rounds, "rounds", 3, "rounds; each drives every path once")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "length of one wrk run, whole seconds")
	fs.IntVar(&c.connections, "connections", 50, "wrk connections (-c)")
	fs.IntVar(&c.threads, "threads", 2, "wrk threads (-t)")
	fs.IntVar(&c.logins, "logins", 200, "concurrent POST /api/auth logins")
	fs.StringVar(&c.wrk, "wrk", "wrk", "the wrk binary")
	fs.StringVar(&c.target, "target", "default", "default (every path, empty databases), scaled (a seeded database against an empty one) or both")
	fs.IntVar(&c.scaleSize, "scale-size", 1_000_000, "users, sessions and revocations the scaled run seeds")
	fs.DurationVar(&c.cleanupLoad, "cleanup-load", time.Minute, "the scaled run's session load while a cleanup deletes the expired sessions")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(usage)
			fmt.Fprintln(usage, "Usage: authlab loadtest [flags]: every request path against a bare net/http floor; exit 1 when a budget is missed.")
			fs.PrintDefaults()
			fmt.Fprintln(usage, "  "+envTestPostgres+" (environment only)\n    \tadmin URL of a PostgreSQL cluster to create the run's database on; make loadtest starts one")
			return loadConfig{}, errHelp
		}
		return loadConfig{}, fmt.Errorf("loadtest: %w (%s)", err, loadUsageHint)
	}
	if fs.NArg() > 0 {
		return loadConfig{}, fmt.Errorf("loadtest: unexpected argument %q (%s)", fs.Arg(0), loadUsageHint)
	}
	return c, nil
}

// check refuses settings that would make the run unbounded or meaningless.
// The whole load stays under maxLoadTime because the JWTs are issued once,
// at the start, and authlab renews a JWT cookie on every request once less
// than half of its 15-minute life is left: a longer run would measure
// renewal, not the path.
func (c loadConfig) check(paths int) error {
	switch {
	case c.rounds < 1 || c.rounds > maxLoadRounds:
		return fmt.Errorf("loadtest: -rounds %d: want 1 to %d", c.rounds, maxLoadRounds)
	case c.duration < time.Second || c.duration%time.Second != 0:
		return fmt.Errorf("loadtest: -duration %s: want whole seconds, at least 1s (wrk's unit)", c.duration)
	case c.threads < 1 || c.threads > maxWrkThreads:
		return fmt.Errorf("loadtest: -threads %d: want 1 to %d", c.threads, maxWrkThreads)
	case c.connections < c.threads || c.connections > maxWrkConns:
		return fmt.Errorf("loadtest: -connections %d: want -threads (%d) to %d", c.connections, c.threads, maxWrkConns)
	case c.logins < 1 || c.logins > maxLoadLogins:
		return fmt.Errorf("loadtest: -logins %d: want 1 to %d", c.logins, maxLoadLogins)
	case c.target != "default" && c.target != "scaled" && c.target != "both":
		return fmt.Errorf("loadtest: -target %q: want default, scaled or both", c.target)
	case c.scaleSize < 1 || c.scaleSize > maxScaleSize:
		return fmt.Errorf("loadtest: -scale-size %d: want 1 to %d", c.scaleSize, maxScaleSize)
	case c.cleanupLoad < time.Second || c.cleanupLoad > maxCleanupLoad || c.cleanupLoad%time.Second != 0:
		return fmt.Errorf("loadtest: -cleanup-load %s: want whole seconds, 1s to %s", c.cleanupLoad, maxCleanupLoad)
	}
	if total := time.Duration(c.rounds*paths) * c.duration; total > maxLoadTime {
		return fmt.Errorf("loadtest: %d rounds × %d paths × %s = %s of load; at most %s, so the JWTs issued at the start are never renewed",
			c.rounds, paths, c.duration, total, maxLoadTime)
	}
	return nil
}

// runLoadtest is the loadtest subcommand (README.md, "Load test"). It
// measures authlab against a bare net/http server in the same run, on the
// same machine, so that its budgets are ratios that hold from one machine
// to the next.
func runLoadtest(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseLoadFlags(args, stdout)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := cfg.check(len(defaultTarget.paths)); err != nil {
		return err
	}
	pgAdmin := os.Getenv(envTestPostgres)
	if pgAdmin == "" && cfg.target != "scaled" && defaultTarget.needsPostgres() {
		return errors.New("loadtest: " + envTestPostgres + " is not set: run it through make loadtest, which starts a throwaway PostgreSQL for it")
	}
	if _, err := exec.LookPath(cfg.wrk); err != nil {
		return fmt.Errorf("loadtest: %w (install it with apt-get install wrk, or make loadtest does it as root)", err)
	}
	var errs []error
	if cfg.target != "scaled" {
		errs = append(errs, runTarget(ctx, cfg, defaultTarget, pgAdmin, stdout))
	}
	// A missed budget of the default run still lets the scaled one run.
	if cfg.target != "default" && (len(errs) == 0 || errs[0] == nil || errors.Is(errs[0], errBudgetMissed)) {
		errs = append(errs, runScaled(ctx, cfg, cfg.scaleSize, cfg.cleanupLoad, stdout))
	}
	return errors.Join(errs...)
}

func (t loadTarget) needsPostgres() bool {
	return slices.ContainsFunc(t.instances, func(in loadInstance) bool { return in.postgres })
}

// runTarget starts the target's children and the floor, drives every path
// in interleaved rounds, then the login burst, and prints the report.
// pgAdmin is the admin URL of the cluster the PostgreSQL children get a
// database on, created for the run and dropped after it.
func runTarget(ctx context.Context, cfg loadConfig, t loadTarget, pgAdmin string, stdout io.Writer) (err error) {
	floorIdx := slices.IndexFunc(t.paths, func(p loadPath) bool { return p.instance == "" })
	if floorIdx < 0 {
		return fmt.Errorf("loadtest: target %s has no floor path", t.name)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("loadtest: find authlab's binary: %w", err)
	}
	dir, err := os.MkdirTemp("", "authlab-loadtest-*")
	if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	defer os.RemoveAll(dir)

	var db loadDatabase
	if t.needsPostgres() {
		if db, err = createLoadDatabase(ctx, pgAdmin); err != nil {
			return err
		}
		// Runs after the children are stopped, below: the database must
		// outlive its clients.
		defer func() {
			if dropErr := db.drop(ctx); dropErr != nil {
				err = errors.Join(err, dropErr)
			}
		}()
	}

	children := map[string]*loadChild{}
	// Runs before RemoveAll and the database's drop: the children must be
	// gone before their data is.
	defer func() {
		for _, c := range children {
			c.stop()
		}
	}()
	// The children's logs explain a failure, or errors under load; not a
	// budget missed cleanly, nor an interrupted run.
	var sawErrors bool
	defer func() {
		if err != nil && ctx.Err() == nil && (!errors.Is(err, errBudgetMissed) || sawErrors) {
			for _, in := range t.instances {
				if c := children[in.name]; c != nil {
					c.showLog(stdout)
				}
			}
		}
	}()

	for _, in := range t.instances {
		if in.postgres {
			in.env = append(slices.Clone(in.env), "AUTHLAB_DATABASE_URL="+db.url)
		}
		c, err := startChild(ctx, exe, dir, in)
		if c != nil {
			children[in.name] = c
		}
		if err != nil {
			return err
		}
	}
	floorURL, stopFloor, err := startFloor()
	if err != nil {
		return err
	}
	defer stopFloor()

	// One session and one JWT per child, shared by every path on it.
	need := map[string]credential{}
	for _, p := range t.paths {
		need[p.instance] |= p.creds
	}
	creds := map[string]loadCreds{}
	for name, want := range need {
		if name == "" || want == 0 {
			continue
		}
		if creds[name], err = logIn(ctx, children[name].url, want); err != nil {
			return fmt.Errorf("loadtest: %s: %w", name, err)
		}
	}
	baseURL := func(p loadPath) string {
		if p.instance == "" {
			return floorURL
		}
		return children[p.instance].url
	}

	for _, p := range t.paths {
		if err := checkPath(ctx, baseURL(p)+p.path, creds[p.instance].headers(p.creds), p.want); err != nil {
			return fmt.Errorf("loadtest: before the load, %s on %s: %w", p.name, instanceName(p), err)
		}
	}

	loadBefore := loadAverage()
	fmt.Fprintf(stdout, "authlab loadtest: %d rounds of wrk -t%d -c%d -d%s --latency over %d paths, %d CPUs\n",
		cfg.rounds, cfg.threads, cfg.connections, wrkSeconds(cfg.duration), len(t.paths), runtime.NumCPU())
	samples := make([][]loadSample, len(t.paths))
	var notes []string
	for round := 1; round <= cfg.rounds; round++ {
		for i, p := range t.paths {
			if c := children[p.instance]; c != nil && c.exited() {
				return fmt.Errorf("loadtest: authlab (%s) exited during the load: %v", p.instance, c.waitErr)
			}
			headers := creds[p.instance].headers(p.creds)
			res, err := runWrk(ctx, cfg, baseURL(p)+p.path, headers)
			if err != nil {
				return fmt.Errorf("loadtest: round %d, %s: %w", round, p.name, err)
			}
			// wrk counts a 3xx as success, so a login redirect would pass
			// unseen: one plain request after the run must still get the
			// answer checked before the load.
			s := loadSample{wrk: res}
			if err := checkPath(ctx, baseURL(p)+p.path, headers, p.want); err != nil {
				var bad *unexpectedAnswer
				if errors.As(err, &bad) {
					s.unexpected = 1
				} else {
					s.errors = 1
				}
				notes = append(notes, fmt.Sprintf("round %d, %s: after the run, %v", round, p.name, err))
			}
			samples[i] = append(samples[i], s)
			fmt.Fprintf(stdout, "round %d/%d  %-50s %9.0f req/s  p99 %s\n", round, cfg.rounds, p.name, res.rps, fmtLatency(res.p99))
		}
	}

	loadAfter := loadAverage()

	measured := children[t.measured]
	rss, err := procStatusBytes(measured.cmd.Process.Pid, "VmRSS")
	if err != nil {
		return fmt.Errorf("loadtest: RSS of authlab (%s): %w", t.measured, err)
	}
	logins, err := loginBurst(ctx, measured, cfg.logins)
	if err != nil {
		return fmt.Errorf("loadtest: login burst on %s: %w", t.measured, err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("loadtest: login burst on %s: %w", t.measured, ctx.Err())
	}
	if measured.exited() {
		return fmt.Errorf("loadtest: authlab (%s) exited during the login burst: %v", t.measured, measured.waitErr)
	}

	rep := loadReport{
		target:  t,
		cfg:     cfg,
		results: summarize(t.paths, samples, floorIdx),
		notes:   notes,
		loadavg: [2]string{loadBefore, loadAfter},
		rss:     rss,
		logins:  logins,
		pg:      db.version,
	}
	rep.verdicts = checkBudgets(rep.results, t.limits, rss, logins)
	rep.write(stdout)
	for _, r := range rep.results {
		sawErrors = sawErrors || r.errors > 0 || r.unexpected > 0
	}
	if missed := countMissed(rep.verdicts); missed > 0 {
		return fmt.Errorf("loadtest: %d of %d %w", missed, len(rep.verdicts), errBudgetMissed)
	}
	return nil
}

// loadAverage is the machine's 1-minute load average, or "" where there is
// no /proc/loadavg. Other work on the machine skews the ratios, since the
// floor and authlab do not share the CPUs with it alike; the report shows
// it so a reader can tell.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return ""
}

func instanceName(p loadPath) string {
	if p.instance == "" {
		return "the floor server"
	}
	return "authlab (" + p.instance + ")"
}

// loadDatabase is the run's database on the PostgreSQL cluster.
type loadDatabase struct {
	admin   string // the cluster's admin URL, AUTHLAB_TEST_POSTGRES
	name    string
	url     string // the admin URL with name as its database
	version string // the server's, for the report
}

// newLoadDatabase names a database for one run and builds its URL from the
// cluster's admin URL: the same server, user and settings, another
// database. The random part keeps two runs on one server apart (a server
// of the developer's own, say).
func newLoadDatabase(admin string, random []byte) (loadDatabase, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		// The URL may hold a password: the error does not repeat it.
		return loadDatabase{}, fmt.Errorf("loadtest: %s: want postgres://user@host:port/database, as authlab's -database-url", envTestPostgres)
	}
	name := loadDatabasePrefix + hex.EncodeToString(random)
	u.Path, u.RawPath = "/"+name, ""
	return loadDatabase{admin: admin, name: name, url: u.String()}, nil
}

// createLoadDatabase creates a fresh, empty database for the run on the
// cluster at admin; authlab creates its tables and the demo user at start.
func createLoadDatabase(ctx context.Context, admin string) (loadDatabase, error) {
	random := make([]byte, loadDatabaseRandom)
	rand.Read(random)
	db, err := newLoadDatabase(admin, random)
	if err != nil {
		return loadDatabase{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, pgAdminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return loadDatabase{}, fmt.Errorf("loadtest: PostgreSQL at %s: %w", envTestPostgres, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&db.version); err != nil {
		return loadDatabase{}, fmt.Errorf("loadtest: PostgreSQL at %s: server version: %w", envTestPostgres, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db.name}.Sanitize()); err != nil {
		return loadDatabase{}, fmt.Errorf("loadtest: create database %s: %w", db.name, err)
	}
	return db, nil
}

// drop removes the run's database, terminating the connections left on it
// first: a killed child's backends linger until they notice, and DROP
// DATABASE refuses a database in use. It runs when the run has been
// interrupted too, so it does not give up with ctx.
func (db loadDatabase) drop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pgAdminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, db.admin)
	if err != nil {
		return fmt.Errorf("loadtest: drop database %s: %w", db.name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", db.name); err != nil {
		return fmt.Errorf("loadtest: drop database %s: terminate its connections: %w", db.name, err)
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db.name}.Sanitize()); err != nil {
		return fmt.Errorf("loadtest: drop database %s: %w", db.name, err)
	}
	return nil
}

// loadChild is a started authlab process.
type loadChild struct {
	name    string
	url     string // http://127.0.0.1:PORT
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed once the process has exited
	waitErr error         // set before done is closed
}

// startChild starts authlab as a child on a free loopback port with a
// fresh data folder under dir, and waits until GET /healthz answers 200.
// Extra flags and variables come from in, so a child can be pointed at
// PostgreSQL, or another target's at a seeded database. On error the child
// returned, if any, still has to be stopped.
func startChild(ctx context.Context, exe, dir string, in loadInstance) (*loadChild, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c := &loadChild{
		name:    in.name,
		url:     "http://" + addr,
		logPath: filepath.Join(dir, in.name+".log"),
		done:    make(chan struct{}),
	}
	logFile, err := os.Create(c.logPath)
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	defer logFile.Close() // the child holds its own descriptor

	args := append([]string{"-addr", addr, "-base-url", c.url, "-data", filepath.Join(dir, "data-"+in.name)}, in.args...)
	c.cmd = exec.CommandContext(ctx, exe, args...)
	c.cmd.Env = append(append(childEnv(os.Environ()), "AUTHLAB_JWT_SECRET="+loadSecret), in.env...)
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("loadtest: start authlab (%s): %w", in.name, err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.done)
	}()

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(childStartTimeout)
	for {
		if c.exited() {
			return c, fmt.Errorf("loadtest: authlab (%s) exited at start: %v", in.name, c.waitErr)
		}
		if healthy(ctx, client, c.url) {
			return c, nil
		}
		if time.Now().After(deadline) {
			return c, fmt.Errorf("loadtest: authlab (%s) did not answer GET /healthz with 200 within %s", in.name, childStartTimeout)
		}
		select {
		case <-ctx.Done():
			return c, fmt.Errorf("loadtest: %w", ctx.Err())
		case <-time.After(healthPoll):
		}
	}
}

func healthy(ctx context.Context, client *http.Client, base string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// childEnv is env without authlab's own variables: a developer's
// AUTHLAB_DATA or AUTHLAB_SESSION_STORE must not change what is measured.
func childEnv(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "AUTHLAB_") })
}

func (c *loadChild) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *loadChild) stop() {
	if c.exited() {
		return
	}
	c.cmd.Process.Kill()
	select {
	case <-c.done:
	case <-time.After(childStopTimeout):
	}
}

// showLog prints the end of the child's log, without the one line per
// request, which would drown the line that says what went wrong.
func (c *loadChild) showLog(w io.Writer) {
	f, err := os.Open(c.logPath)
	if err != nil {
		fmt.Fprintf(w, "(no log of authlab (%s): %v)\n", c.name, err)
		return
	}
	defer f.Close()
	var tail []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, mib)
	for sc.Scan() {
		if strings.Contains(sc.Text(), " msg=request ") {
			continue
		}
		tail = append(tail, sc.Text())
		if len(tail) > logTailLines {
			tail = tail[1:]
		}
	}
	fmt.Fprintf(w, "--- log of authlab (%s), request lines left out ---\n", c.name)
	for _, l := range tail {
		fmt.Fprintln(w, l)
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("loadtest: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startFloor serves the floor in this process: the least any Go HTTP
// server can do per request, on the same machine, in the same run.
func startFloor() (base string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("loadtest: floor server: %w", err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, floorBody)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// loadCreds are one child's credentials for the demo user.
type loadCreds struct {
	jwt           string // from POST /api/auth's body
	sessionCookie string // value of the session cookie POST /api/auth sets
	jwtCookie     string // value of the JWT cookie POST /jwt/login sets
}

// headers are the request headers, in wrk's -H form, that send want.
func (c loadCreds) headers(want credential) []string {
	var h, cookies []string
	if want&bearer != 0 {
		h = append(h, "Authorization: Bearer "+c.jwt)
	}
	if want&sessionCookie != 0 {
		cookies = append(cookies, loadSessionCookie+"="+c.sessionCookie)
	}
	if want&jwtCookie != 0 {
		cookies = append(cookies, loadJWTCookie+"="+c.jwtCookie)
	}
	if len(cookies) > 0 {
		h = append(h, "Cookie: "+strings.Join(cookies, "; "))
	}
	return h
}

// noRedirects answers a redirect itself, so a 303 is seen, not followed.
var noRedirects = &http.Client{
	Timeout:       probeTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// logIn logs the demo user in on base for the credentials in want.
func logIn(ctx context.Context, base string, want credential) (loadCreds, error) {
	var c loadCreds
	if want&(bearer|sessionCookie) != 0 {
		jwt, cookie, err := apiLogin(ctx, noRedirects, base)
		if err != nil {
			return loadCreds{}, err
		}
		c.jwt, c.sessionCookie = jwt, cookie
	}
	if want&jwtCookie != 0 {
		form := url.Values{"username": {loadUser}, "password": {loadPassword}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/jwt/login", strings.NewReader(form.Encode()))
		if err != nil {
			return loadCreds{}, fmt.Errorf("POST /jwt/login: %w", err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := noRedirects.Do(req)
		if err != nil {
			return loadCreds{}, fmt.Errorf("POST /jwt/login: %w", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			return loadCreds{}, fmt.Errorf("POST /jwt/login: status %d, want %d", resp.StatusCode, http.StatusSeeOther)
		}
		if c.jwtCookie = cookieValue(resp, loadJWTCookie); c.jwtCookie == "" {
			return loadCreds{}, fmt.Errorf("POST /jwt/login: no %s cookie in the answer", loadJWTCookie)
		}
	}
	return c, nil
}

// apiLogin is one POST /api/auth as the demo user: the JWT from the body
// and the session cookie's value.
func apiLogin(ctx context.Context, client *http.Client, base string) (jwt, session string, err error) {
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, loadUser, loadPassword)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/auth", strings.NewReader(body))
	if err != nil {
		return "", "", fmt.Errorf("POST /api/auth: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("POST /api/auth: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", &unexpectedAnswer{fmt.Sprintf("POST /api/auth: status %d, want %d", resp.StatusCode, http.StatusOK)}
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		return "", "", &unexpectedAnswer{"POST /api/auth: the body holds no token"}
	}
	if session = cookieValue(resp, loadSessionCookie); session == "" {
		return "", "", &unexpectedAnswer{"POST /api/auth: no " + loadSessionCookie + " cookie in the answer"}
	}
	return out.Token, session, nil
}

func cookieValue(resp *http.Response, name string) string {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// unexpectedAnswer is a response that came back but was not the one
// expected, as opposed to a request that failed.
type unexpectedAnswer struct{ msg string }

func (e *unexpectedAnswer) Error() string { return e.msg }

// checkPath sends one plain GET with headers and checks the answer: status
// 200 and, with want, what GET /api/auth says about each strategy.
func checkPath(ctx context.Context, u string, headers []string, want *authAnswer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		where := ""
		if loc := resp.Header.Get("Location"); loc != "" {
			where = " to " + loc
		}
		return &unexpectedAnswer{fmt.Sprintf("status %d%s, want %d", resp.StatusCode, where, http.StatusOK)}
	}
	if want != nil {
		return checkAuthAnswer(body, *want)
	}
	return nil
}

// checkAuthAnswer checks GET /api/auth's body against want.
func checkAuthAnswer(body []byte, want authAnswer) error {
	var got struct {
		Authenticated bool `json:"authenticated"`
		Strategies    struct {
			Session struct {
				Authenticated *bool `json:"authenticated"`
			} `json:"session"`
			JWT struct {
				Authenticated *bool `json:"authenticated"`
			} `json:"jwt"`
		} `json:"strategies"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return &unexpectedAnswer{fmt.Sprintf("the body is not GET /api/auth's JSON: %v", err)}
	}
	if got.Strategies.Session.Authenticated == nil || got.Strategies.JWT.Authenticated == nil {
		return &unexpectedAnswer{"the body has no strategies.session and strategies.jwt"}
	}
	g := authAnswer{got.Authenticated, *got.Strategies.Session.Authenticated, *got.Strategies.JWT.Authenticated}
	if g != want {
		return &unexpectedAnswer{fmt.Sprintf("authenticated %t (session %t, jwt %t), want %t (session %t, jwt %t)",
			g.authenticated, g.session, g.jwt, want.authenticated, want.session, want.jwt)}
	}
	return nil
}

// wrkResult is what one wrk run reports.
type wrkResult struct {
	rps          float64
	p50, p99     time.Duration
	socketErrors int // connect + read + write + timeout
	non2xx3xx    int
}

// wrkSeconds is d in wrk's -d form.
func wrkSeconds(d time.Duration) string {
	return strconv.Itoa(int(d/time.Second)) + "s"
}

// runWrk drives u for cfg.duration. The headers carry tokens, so no error
// repeats the command line.
func runWrk(ctx context.Context, cfg loadConfig, u string, headers []string) (wrkResult, error) {
	args := []string{
		"-t" + strconv.Itoa(cfg.threads), "-c" + strconv.Itoa(cfg.connections),
		"-d" + wrkSeconds(cfg.duration), "--latency",
	}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	args = append(args, u)
	ctx, cancel := context.WithTimeout(ctx, cfg.duration+wrkGrace)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, cfg.wrk, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return wrkResult{}, fmt.Errorf("wrk: %w", ctx.Err())
		}
		return wrkResult{}, fmt.Errorf("wrk: %w: %s", err, strings.TrimSpace(stderr.String()+" "+stdout.String()))
	}
	res, err := parseWrk(stdout.String())
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w", err)
	}
	return res, nil
}

// parseWrk reads the numbers out of wrk --latency's report. wrk prints the
// "Socket errors" and "Non-2xx or 3xx responses" lines only when there
// are some.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveRPS, have50, have99 bool
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		var err error
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			r.rps, err = strconv.ParseFloat(f[1], 64)
			haveRPS = true
		case len(f) == 2 && f[0] == "50%":
			r.p50, err = parseWrkLatency(f[1])
			have50 = true
		case len(f) == 2 && f[0] == "99%":
			r.p99, err = parseWrkLatency(f[1])
			have99 = true
		case strings.HasPrefix(strings.TrimSpace(line), "Non-2xx or 3xx responses:"):
			r.non2xx3xx, err = strconv.Atoi(f[len(f)-1])
		case strings.HasPrefix(strings.TrimSpace(line), "Socket errors:"):
			var conn, read, write, timeout int
			_, err = fmt.Sscanf(strings.TrimSpace(line), "Socket errors: connect %d, read %d, write %d, timeout %d",
				&conn, &read, &write, &timeout)
			r.socketErrors = conn + read + write + timeout
		}
		if err != nil {
			return wrkResult{}, fmt.Errorf("parse %q: %w", strings.TrimSpace(line), err)
		}
	}
	if !haveRPS || !have50 || !have99 {
		return wrkResult{}, errors.New("no Requests/sec, 50% and 99% lines in the output (was it run with --latency?)")
	}
	return r, nil
}

// wrkUnits are the suffixes wrk prints latencies with, "ms" before "s".
var wrkUnits = []struct {
	suffix string
	unit   time.Duration
}{
	{"us", time.Microsecond},
	{"ms", time.Millisecond},
	{"s", time.Second},
	{"m", time.Minute},
	{"h", time.Hour},
}

// parseWrkLatency reads one of wrk's latencies, such as "812.00us" or
// "1.25ms".
func parseWrkLatency(s string) (time.Duration, error) {
	for _, u := range wrkUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("latency %q: not a number of %s", s, u.suffix)
			}
			return time.Duration(math.Round(v * float64(u.unit))), nil
		}
	}
	return 0, fmt.Errorf("latency %q: no unit", s)
}

// loadSample is one path's numbers in one round.
type loadSample struct {
	wrk        wrkResult
	errors     int // the plain request after the run failed
	unexpected int // it came back with another status or answer
}

// pathResult is one path's row of the table.
type pathResult struct {
	path       loadPath
	rps        float64       // median over the rounds
	p50, p99   time.Duration // medians over the rounds
	ofFloor    float64       // median of each round's rps / that round's floor rps
	errors     int           // all rounds: wrk's socket errors and failed plain requests
	unexpected int           // all rounds: wrk's non-2xx-or-3xx and wrong plain answers
}

// summarize turns samples[path][round] into the table's rows.
func summarize(paths []loadPath, samples [][]loadSample, floor int) []pathResult {
	out := make([]pathResult, len(paths))
	for i, p := range paths {
		r := pathResult{path: p}
		var rps, p50, p99, ratio []float64
		for round, s := range samples[i] {
			rps = append(rps, s.wrk.rps)
			p50 = append(p50, float64(s.wrk.p50))
			p99 = append(p99, float64(s.wrk.p99))
			if f := samples[floor][round].wrk.rps; f > 0 {
				ratio = append(ratio, s.wrk.rps/f)
			}
			r.errors += s.wrk.socketErrors + s.errors
			r.unexpected += s.wrk.non2xx3xx + s.unexpected
		}
		r.rps = medianFloat(rps)
		r.p50 = time.Duration(medianFloat(p50))
		r.p99 = time.Duration(medianFloat(p99))
		r.ofFloor = medianFloat(ratio)
		out[i] = r
	}
	return out
}

// medianFloat is the median of xs, the mean of the middle two for an even
// count, and 0 for none.
func medianFloat(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// nearestRank is the p-th percentile (0 < p <= 100) of sorted, by the
// nearest-rank method: a latency some request really had.
func nearestRank(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// loginResult is the login burst's outcome.
type loginResult struct {
	n, ok      int
	elapsed    time.Duration // first request sent to last answer
	p50, p99   time.Duration // over every attempt
	peakRSS    int64         // VmHWM after the burst, bytes
	sampledRSS int64         // highest VmRSS sampled during it, bytes
	failures   map[string]int
}

// loginBurst sends n POST /api/auth at once, each on its own connection,
// and watches the child's memory meanwhile: each login hashes a password
// with argon2id, the most memory a request can make authlab use.
func loginBurst(ctx context.Context, c *loadChild, n int) (loginResult, error) {
	ctx, cancel := context.WithTimeout(ctx, loginTimeout)
	defer cancel()
	pid := c.cmd.Process.Pid

	var sampled int64
	stopSampling := make(chan struct{})
	sampling := make(chan struct{})
	go func() {
		defer close(sampling)
		tick := time.NewTicker(rssSampleEvery)
		defer tick.Stop()
		for {
			if v, err := procStatusBytes(pid, "VmRSS"); err == nil {
				sampled = max(sampled, v)
			}
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()

	type attempt struct {
		took time.Duration
		fail string
	}
	attempts := make([]attempt, n)
	begin := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tr := &http.Transport{DisableKeepAlives: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			<-begin
			t0 := time.Now()
			_, _, err := apiLogin(ctx, client, c.url)
			attempts[i].took = time.Since(t0)
			var bad *unexpectedAnswer
			switch {
			case errors.As(err, &bad):
				attempts[i].fail = bad.msg
			case ctx.Err() != nil:
				attempts[i].fail = fmt.Sprintf("no answer within %s", loginTimeout)
			case err != nil:
				attempts[i].fail = err.Error()
			}
		})
	}
	t0 := time.Now()
	close(begin)
	wg.Wait()
	elapsed := time.Since(t0)
	close(stopSampling)
	<-sampling

	r := loginResult{n: n, elapsed: elapsed, sampledRSS: sampled, failures: map[string]int{}}
	var took []time.Duration
	for _, a := range attempts {
		took = append(took, a.took)
		if a.fail == "" {
			r.ok++
		} else {
			r.failures[a.fail]++
		}
	}
	slices.Sort(took)
	r.p50, r.p99 = nearestRank(took, 50), nearestRank(took, 99)
	// VmHWM catches a peak between two samples; it also covers the GET load
	// before, which the RSS budget after it keeps far below this one.
	hwm, err := procStatusBytes(pid, "VmHWM")
	if err != nil {
		return loginResult{}, err
	}
	r.peakRSS = max(hwm, sampled)
	return r, nil
}

// procStatusBytes reads a memory field of /proc/PID/status.
func procStatusBytes(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", field, err)
	}
	return parseProcStatus(string(b), field)
}

// parseProcStatus finds a line such as "VmRSS:	   23456 kB" in the
// contents of /proc/PID/status and returns its size in bytes.
func parseProcStatus(status, field string) (int64, error) {
	for line := range strings.Lines(status) {
		rest, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%s: %q is not a size in kB", field, strings.TrimSpace(rest))
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", field, err)
		}
		return n * kib, nil
	}
	return 0, fmt.Errorf("%s: not in /proc/PID/status", field)
}

// verdict is one budget's result.
type verdict struct {
	budget string
	got    string
	pass   bool
}

// checkBudgets holds the results to the target's budgets.
func checkBudgets(results []pathResult, lim loadLimits, rssAfterGets int64, logins loginResult) []verdict {
	var v []verdict
	for _, r := range results {
		if r.path.minOfFloor > 0 {
			v = append(v, verdict{
				budget: fmt.Sprintf("%s: req/s ≥ %.0f%% of the floor", r.path.name, r.path.minOfFloor*100),
				got:    fmtPercent(r.ofFloor),
				pass:   r.ofFloor >= r.path.minOfFloor,
			})
		}
	}
	for _, r := range results {
		if r.path.instance != "" {
			limit := cmp.Or(r.path.maxP99, lim.maxP99)
			v = append(v, verdict{
				budget: fmt.Sprintf("%s: p99 ≤ %s", r.path.name, fmtLatency(limit)),
				got:    fmtLatency(r.p99),
				pass:   r.p99 <= limit,
			})
		}
	}
	for _, r := range results {
		v = append(v, verdict{
			budget: r.path.name + ": no errors, no unexpected status",
			got:    fmt.Sprintf("%d errors, %d unexpected", r.errors, r.unexpected),
			pass:   r.errors == 0 && r.unexpected == 0,
		})
	}
	return append(v,
		verdict{
			budget: "RSS after the GET load ≤ " + fmtMiB(lim.maxRSSAfterGets),
			got:    fmtMiB(rssAfterGets),
			pass:   rssAfterGets <= lim.maxRSSAfterGets,
		},
		verdict{
			budget: fmt.Sprintf("peak RSS under %d concurrent logins ≤ %s", logins.n, fmtMiB(lim.maxRSSLogins)),
			got:    fmtMiB(logins.peakRSS),
			pass:   logins.peakRSS <= lim.maxRSSLogins,
		},
		verdict{
			budget: fmt.Sprintf("all %d concurrent logins succeed", logins.n),
			got:    fmt.Sprintf("%d failed", logins.n-logins.ok),
			pass:   logins.ok == logins.n,
		},
	)
}

func countMissed(v []verdict) int {
	n := 0
	for _, x := range v {
		if !x.pass {
			n++
		}
	}
	return n
}

// loadReport is what the printed report shows.
type loadReport struct {
	target   loadTarget
	cfg      loadConfig
	results  []pathResult
	notes    []string  // what the plain requests after the runs found
	loadavg  [2]string // loadAverage before and after the GET load
	rss      int64     // bytes, the measured instance after the GET load
	logins   loginResult
	pg       string // the PostgreSQL server's version; "" without one
	verdicts []verdict
}

// write prints the report as markdown.
func (rep loadReport) write(w io.Writer) {
	cfg, logins := rep.cfg, rep.logins
	fmt.Fprintf(w, "\n## authlab load test (%s)\n\n", rep.target.name)
	fmt.Fprintf(w, "wrk -t%d -c%d -d%s --latency, %d interleaved rounds, %d CPUs, %s. "+
		"req/s, p50 and p99 are medians over the rounds; %% of floor is the median of each round's ratio to that round's floor.\n",
		cfg.threads, cfg.connections, wrkSeconds(cfg.duration), cfg.rounds, runtime.NumCPU(), runtime.Version())
	if rep.loadavg[0] != "" {
		fmt.Fprintf(w, "1-minute load average: %s before the GET load, %s after; other work on the machine skews the ratios.\n",
			rep.loadavg[0], rep.loadavg[1])
	}
	if rep.pg != "" {
		fmt.Fprintf(w, "The PostgreSQL paths use PostgreSQL %s at %s; make loadtest's throwaway cluster shares this machine's CPUs with authlab and wrk.\n",
			rep.pg, envTestPostgres)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| path | req/s | p50 | p99 | % of floor | errors | non-2xx |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rep.results {
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %s | %d | %d |\n",
			r.path.name, r.rps, fmtLatency(r.p50), fmtLatency(r.p99), fmtPercent(r.ofFloor), r.errors, r.unexpected)
	}
	if len(rep.notes) > 0 {
		fmt.Fprintln(w, "\nwrk counts a 3xx as a success; the plain request after each run found:")
		for _, n := range rep.notes {
			fmt.Fprintln(w, "- "+n)
		}
	}

	fmt.Fprintf(w, "\nRSS of authlab (%s) after the GET load: %s\n", rep.target.measured, fmtMiB(rep.rss))
	fmt.Fprintf(w, "Peak RSS under %d concurrent logins: %s (VmHWM; VmRSS sampled every %s peaked at %s)\n\n",
		logins.n, fmtMiB(logins.peakRSS), rssSampleEvery, fmtMiB(logins.sampledRSS))
	fmt.Fprintln(w, "| logins | ok | failed | req/s | p50 | p99 |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: |")
	fmt.Fprintf(w, "| %d concurrent `POST /api/auth` | %d | %d | %.1f | %s | %s |\n",
		logins.n, logins.ok, logins.n-logins.ok, float64(logins.ok)/logins.elapsed.Seconds(),
		fmtLatency(logins.p50), fmtLatency(logins.p99))
	for _, reason := range slices.Sorted(maps.Keys(logins.failures)) {
		fmt.Fprintf(w, "- %d× %s\n", logins.failures[reason], reason)
	}

	fmt.Fprintln(w, "\nBudgets:")
	for _, v := range rep.verdicts {
		status := "PASS"
		if !v.pass {
			status = "FAIL"
		}
		fmt.Fprintf(w, "- %s %s (%s)\n", status, v.budget, v.got)
	}
	fmt.Fprintf(w, "\n%d of %d budgets missed.\n", countMissed(rep.verdicts), len(rep.verdicts))
}

func fmtLatency(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func fmtPercent(ratio float64) string { return fmt.Sprintf("%.0f%%", ratio*100) }

func fmtMiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/mib) }

// The scaled run (issue 13's budgets): authlab on a database seeded with
// a million users, sessions and revocations, next to one on an empty
// database, in the same run.
const (
	scaleSample        = 300                    // JWTs and sessions in the seed's tokens file
	scaleLogouts       = 20                     // timed one at a time
	scaleLogoutsPerSec = 10                     // beside the Bearer load
	scaleExpireIn      = 10 * time.Second       // the reseeded sessions' life: over before the load starts
	scaleCleanupEvery  = 5 * time.Second        // -cleanup-interval of the cleanup run
	scaleJWTTTL        = time.Hour              // every JWT stays valid through the run, and none is renewed
	seedTimeout        = 10 * time.Minute       // one authlab seed
	walSampleEvery     = 100 * time.Millisecond // the WAL's size during the cleanup load
	maxScaleSize       = 10_000_000
	maxCleanupLoad     = 5 * time.Minute
)

// scaleLimits are the scaled run's budgets (issue 13).
var scaleLimits = struct {
	startup        time.Duration
	rss            int64
	logout         time.Duration
	ofEmptyRPS     float64 // seeded req/s at least this share of the empty database's
	ofEmptyP99     float64 // seeded p99 at most this multiple of the empty database's
	withLogouts    float64 // Bearer req/s with logouts beside, at least this share of without
	cleanupP99     time.Duration
	wal            int64
	cleanupSamples int // WAL samples wanted, at least
}{
	startup: 2 * time.Second, rss: 150 * mib, logout: 2 * time.Millisecond,
	ofEmptyRPS: 0.90, ofEmptyP99: 1.25, withLogouts: 0.90,
	cleanupP99: 100 * time.Millisecond, wal: 64 * mib, cleanupSamples: 10,
}

// scaledPaths are the paths driven on both children: the floor, then each
// credential on the empty database and on the seeded one.
var scaledPaths = []loadPath{
	{name: "floor: bare net/http `GET /`", path: "/"},
	{name: "`GET /api/auth`, Bearer JWT, empty", instance: "empty", path: "/api/auth", creds: bearer,
		want: &authAnswer{authenticated: true, jwt: true}},
	{name: "`GET /api/auth`, session cookie, empty", instance: "empty", path: "/api/auth", creds: sessionCookie,
		want: &authAnswer{authenticated: true, session: true}},
	{name: "`GET /api/auth`, Bearer JWT, seeded", instance: "seeded", path: "/api/auth", creds: bearer,
		want: &authAnswer{authenticated: true, jwt: true}},
	{name: "`GET /api/auth`, session cookie, seeded", instance: "seeded", path: "/api/auth", creds: sessionCookie,
		want: &authAnswer{authenticated: true, session: true}},
}

// runSeedChild runs authlab seed into data and returns what it printed.
func runSeedChild(ctx context.Context, exe, data string, args ...string) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, seedTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, append([]string{"seed", "-data", data}, args...)...)
	cmd.Env = append(childEnv(os.Environ()), "AUTHLAB_JWT_SECRET="+loadSecret)
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(t0)
	if err != nil {
		return "", took, fmt.Errorf("loadtest: authlab seed: %w\n%s", err, out)
	}
	return string(out), took, nil
}

// readSeedTokens reads the seed's tokens file into its kinds.
func readSeedTokens(path string) (map[string][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	kinds := map[string][]string{}
	for line := range strings.Lines(string(b)) {
		if kind, tok, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			kinds[kind] = append(kinds[kind], tok)
		}
	}
	return kinds, nil
}

// timedLogout sends DELETE /api/auth with a Bearer JWT and returns the
// round trip: over loopback, an upper bound on the server's time.
func timedLogout(ctx context.Context, base, jwt string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, base+"/api/auth", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+jwt)
	t0 := time.Now()
	resp, err := noRedirects.Do(req)
	if err != nil {
		return 0, fmt.Errorf("DELETE /api/auth: %w", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(t0)
	if resp.StatusCode != http.StatusNoContent {
		return took, &unexpectedAnswer{fmt.Sprintf("DELETE /api/auth: status %d, want %d", resp.StatusCode, http.StatusNoContent)}
	}
	return took, nil
}

// scaledResult is what the scaled run measured.
type scaledResult struct {
	size                       int
	seedOut                    string
	seedTook, reseedTook       time.Duration
	startup, restart           time.Duration
	rssStart, rssLoad          int64
	results                    []pathResult
	logouts                    []time.Duration // sorted
	plainRPS, withLogoutsRPS   float64         // medians over the rounds
	logoutErrors               int
	cleanup                    wrkResult
	cleanupAfter               error // the plain request after the cleanup load
	walMax                     int64
	walSamples                 int
	expiredBefore, expiredLeft int
}

// runScaled seeds a data folder, serves it beside an empty one, and
// holds it to issue 13's budgets.
func runScaled(ctx context.Context, cfg loadConfig, size int, cleanupLoad time.Duration, stdout io.Writer) (err error) {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("loadtest: find authlab's binary: %w", err)
	}
	dir, err := os.MkdirTemp("", "authlab-scaled-*")
	if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	defer os.RemoveAll(dir)
	children := map[string]*loadChild{}
	defer func() {
		for _, c := range children {
			c.stop()
		}
	}()
	defer func() {
		if err != nil && ctx.Err() == nil && !errors.Is(err, errBudgetMissed) {
			for _, c := range children {
				c.showLog(stdout)
			}
		}
	}()

	r := scaledResult{size: size}
	n := strconv.Itoa(size)
	seeded := filepath.Join(dir, "data-seeded")
	tokens := filepath.Join(dir, "tokens")
	fmt.Fprintf(stdout, "\nauthlab loadtest (scaled): seeding %d users, sessions and revocations...\n", size)
	if r.seedOut, r.seedTook, err = runSeedChild(ctx, exe, seeded, "-users", n, "-sessions", n, "-revocations", n,
		"-tokens-out", tokens, "-sample", strconv.Itoa(scaleSample), "-jwt-ttl", scaleJWTTTL.String()); err != nil {
		return err
	}
	fmt.Fprint(stdout, r.seedOut)
	kinds, err := readSeedTokens(tokens)
	if err != nil {
		return err
	}
	jwts := kinds[seedLineJWT]
	if len(kinds[seedLineSession]) == 0 || len(jwts) < scaleLogouts+cfg.rounds*int(cfg.duration/time.Second)*scaleLogoutsPerSec+1 {
		return fmt.Errorf("loadtest: the seed's tokens file holds %d sessions and %d JWTs, too few", len(kinds[seedLineSession]), len(jwts))
	}
	ttl := []string{"-jwt-ttl", scaleJWTTTL.String()}
	if children["empty"], err = startChild(ctx, exe, dir, loadInstance{name: "empty", args: ttl}); err != nil {
		return err
	}
	t0 := time.Now()
	if children["seeded"], err = startChild(ctx, exe, dir, loadInstance{name: "seeded", args: ttl}); err != nil {
		return err
	}
	r.startup = time.Since(t0)
	if r.rssStart, err = procStatusBytes(children["seeded"].cmd.Process.Pid, "VmRSS"); err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	floorURL, stopFloor, err := startFloor()
	if err != nil {
		return err
	}
	defer stopFloor()

	creds := map[string]loadCreds{"seeded": {jwt: jwts[0], sessionCookie: kinds[seedLineSession][0]}}
	if creds["empty"], err = logIn(ctx, children["empty"].url, bearer|sessionCookie); err != nil {
		return fmt.Errorf("loadtest: empty: %w", err)
	}
	jwts = jwts[1:]
	baseURL := func(p loadPath) string {
		if p.instance == "" {
			return floorURL
		}
		return children[p.instance].url
	}
	for _, p := range scaledPaths {
		if err := checkPath(ctx, baseURL(p)+p.path, creds[p.instance].headers(p.creds), p.want); err != nil {
			return fmt.Errorf("loadtest: before the load, %s: %w", p.name, err)
		}
	}
	samples := make([][]loadSample, len(scaledPaths))
	for round := 1; round <= cfg.rounds; round++ {
		for i, p := range scaledPaths {
			headers := creds[p.instance].headers(p.creds)
			res, err := runWrk(ctx, cfg, baseURL(p)+p.path, headers)
			if err != nil {
				return fmt.Errorf("loadtest: round %d, %s: %w", round, p.name, err)
			}
			s := loadSample{wrk: res}
			if err := checkPath(ctx, baseURL(p)+p.path, headers, p.want); err != nil {
				s.unexpected = 1
			}
			samples[i] = append(samples[i], s)
			fmt.Fprintf(stdout, "round %d/%d  %-50s %9.0f req/s  p99 %s\n", round, cfg.rounds, p.name, res.rps, fmtLatency(res.p99))
		}
	}
	r.results = summarize(scaledPaths, samples, 0)
	seededURL := children["seeded"].url
	if r.rssLoad, err = procStatusBytes(children["seeded"].cmd.Process.Pid, "VmRSS"); err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}

	// One logout at a time, then ten a second beside the Bearer load.
	for range scaleLogouts {
		took, err := timedLogout(ctx, seededURL, jwts[0])
		jwts = jwts[1:]
		if err != nil {
			return fmt.Errorf("loadtest: %w", err)
		}
		r.logouts = append(r.logouts, took)
	}
	slices.Sort(r.logouts)
	bearerHeaders := creds["seeded"].headers(bearer)
	var plain, with []float64
	for round := 1; round <= cfg.rounds; round++ {
		res, err := runWrk(ctx, cfg, seededURL+"/api/auth", bearerHeaders)
		if err != nil {
			return fmt.Errorf("loadtest: Bearer without logouts: %w", err)
		}
		plain = append(plain, res.rps)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		mine := jwts[:int(cfg.duration/time.Second)*scaleLogoutsPerSec]
		jwts = jwts[len(mine):]
		var logoutErrors int
		wg.Go(func() {
			tick := time.NewTicker(time.Second / scaleLogoutsPerSec)
			defer tick.Stop()
			for _, jwt := range mine {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				if _, err := timedLogout(ctx, seededURL, jwt); err != nil {
					logoutErrors++
				}
			}
		})
		res, err = runWrk(ctx, cfg, seededURL+"/api/auth", bearerHeaders)
		close(stop)
		wg.Wait()
		if err != nil {
			return fmt.Errorf("loadtest: Bearer with logouts: %w", err)
		}
		r.logoutErrors += logoutErrors
		with = append(with, res.rps)
		fmt.Fprintf(stdout, "round %d/%d  Bearer, seeded: %9.0f req/s alone, %9.0f with %d logouts/s\n",
			round, cfg.rounds, plain[len(plain)-1], res.rps, scaleLogoutsPerSec)
	}
	r.plainRPS, r.withLogoutsRPS = medianFloat(plain), medianFloat(with)

	// A million sessions that expire before the load, deleted by a
	// cleanup every few seconds while a session cookie keeps asking.
	children["seeded"].stop()
	fmt.Fprintf(stdout, "reseeding %d sessions that expire in %s...\n", size, scaleExpireIn)
	out, took, err := runSeedChild(ctx, exe, seeded, "-users", "1", "-sessions", n, "-sessions-expire-in", scaleExpireIn.String())
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, out)
	r.reseedTook = took
	time.Sleep(scaleExpireIn - took + time.Second) // until they have expired; at once if they have
	db := filepath.Join(seeded, "authlab.db")
	if r.expiredBefore, err = countExpired(db); err != nil {
		return err
	}
	t0 = time.Now()
	children["seeded"], err = startChild(ctx, exe, dir, loadInstance{name: "seeded",
		args: append(slices.Clone(ttl), "-cleanup-interval", scaleCleanupEvery.String())})
	if err != nil {
		return err
	}
	r.restart = time.Since(t0)
	sampling, stopSampling := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampling)
		tick := time.NewTicker(walSampleEvery)
		defer tick.Stop()
		for {
			if fi, err := os.Stat(db + "-wal"); err == nil {
				r.walMax = max(r.walMax, fi.Size())
			}
			r.walSamples++
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()
	load := cfg
	load.duration = cleanupLoad
	fmt.Fprintf(stdout, "session cookie for %s while the cleanup runs every %s...\n", wrkSeconds(cleanupLoad), scaleCleanupEvery)
	r.cleanup, err = runWrk(ctx, load, children["seeded"].url+"/api/auth", creds["seeded"].headers(sessionCookie))
	close(stopSampling)
	<-sampling
	if err != nil {
		return fmt.Errorf("loadtest: cleanup load: %w", err)
	}
	r.cleanupAfter = checkPath(ctx, children["seeded"].url+"/api/auth", creds["seeded"].headers(sessionCookie),
		&authAnswer{authenticated: true, session: true})
	children["seeded"].stop()
	if r.expiredLeft, err = countExpired(db); err != nil {
		return err
	}

	v := r.verdicts()
	r.write(stdout, cfg, v)
	if missed := countMissed(v); missed > 0 {
		return fmt.Errorf("loadtest: scaled: %d of %d %w", missed, len(v), errBudgetMissed)
	}
	return nil
}

// countExpired counts the expired session rows of the SQLite database at
// path, read-only, with no authlab holding it.
func countExpired(path string) (int, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, fmt.Errorf("loadtest: %w", err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sessions WHERE expiry <= julianday('now')`).Scan(&n); err != nil {
		return 0, fmt.Errorf("loadtest: count expired sessions: %w", err)
	}
	return n, nil
}

func (r scaledResult) verdicts() []verdict {
	lim := scaleLimits
	v := []verdict{
		{fmt.Sprintf("start to the first /healthz 200 ≤ %s", fmtLatency(lim.startup)), fmtLatency(r.startup), r.startup <= lim.startup},
		{"RSS after start ≤ " + fmtMiB(lim.rss), fmtMiB(r.rssStart), r.rssStart <= lim.rss},
		{"RSS after the GET load ≤ " + fmtMiB(lim.rss), fmtMiB(r.rssLoad), r.rssLoad <= lim.rss},
	}
	byName := map[string]pathResult{}
	for _, p := range r.results {
		byName[p.path.name] = p
	}
	for _, cred := range []string{"Bearer JWT", "session cookie"} {
		e, s := byName["`GET /api/auth`, "+cred+", empty"], byName["`GET /api/auth`, "+cred+", seeded"]
		ratio := 0.0
		if e.rps > 0 {
			ratio = s.rps / e.rps
		}
		v = append(v,
			verdict{fmt.Sprintf("%s, seeded: req/s ≥ %.0f%% of the empty database's", cred, lim.ofEmptyRPS*100), fmtPercent(ratio), ratio >= lim.ofEmptyRPS},
			verdict{fmt.Sprintf("%s, seeded: p99 ≤ %.0f%% of the empty database's", cred, lim.ofEmptyP99*100),
				fmt.Sprintf("%s against %s", fmtLatency(s.p99), fmtLatency(e.p99)), float64(s.p99) <= lim.ofEmptyP99*float64(e.p99)},
			verdict{cred + ", both databases: no errors, no unexpected status",
				fmt.Sprintf("%d errors, %d unexpected", e.errors+s.errors, e.unexpected+s.unexpected),
				e.errors+s.errors+e.unexpected+s.unexpected == 0})
	}
	median := time.Duration(0)
	if len(r.logouts) > 0 {
		median = r.logouts[len(r.logouts)/2]
	}
	ratio := 0.0
	if r.plainRPS > 0 {
		ratio = r.withLogoutsRPS / r.plainRPS
	}
	return append(v,
		verdict{fmt.Sprintf("one logout (median of %d round trips) ≤ %s", len(r.logouts), fmtLatency(lim.logout)), fmtLatency(median), median <= lim.logout},
		verdict{fmt.Sprintf("Bearer req/s with %d logouts/s ≥ %.0f%% of without", scaleLogoutsPerSec, lim.withLogouts*100),
			fmt.Sprintf("%s, %d logouts failed", fmtPercent(ratio), r.logoutErrors), ratio >= lim.withLogouts && r.logoutErrors == 0},
		verdict{"cleanup load: no 5xx or other non-2xx, no socket errors, still signed in after",
			fmt.Sprintf("%d non-2xx, %d errors, after: %v", r.cleanup.non2xx3xx, r.cleanup.socketErrors, cmp.Or[any](r.cleanupAfter, "ok")),
			r.cleanup.non2xx3xx == 0 && r.cleanup.socketErrors == 0 && r.cleanupAfter == nil},
		verdict{"cleanup load: p99 ≤ " + fmtLatency(lim.cleanupP99), fmtLatency(r.cleanup.p99), r.cleanup.p99 <= lim.cleanupP99},
		verdict{"cleanup load: WAL ≤ " + fmtMiB(lim.wal) + " throughout", fmt.Sprintf("%s at most, %d samples", fmtMiB(r.walMax), r.walSamples),
			r.walMax <= lim.wal && r.walSamples >= lim.cleanupSamples},
	)
}

// write prints the scaled run's report as markdown.
func (r scaledResult) write(w io.Writer, cfg loadConfig, v []verdict) {
	fmt.Fprintf(w, "\n## authlab load test (scaled: %d users, %d sessions, %d revocations)\n\n", r.size, r.size, r.size)
	fmt.Fprintf(w, "Seeded in %s; %d more sessions, expiring in %s, in %s. wrk -t%d -c%d -d%s --latency, %d interleaved rounds, %d CPUs, %s.\n\n",
		r.seedTook.Round(time.Millisecond), r.size, scaleExpireIn, r.reseedTook.Round(time.Millisecond),
		cfg.threads, cfg.connections, wrkSeconds(cfg.duration), cfg.rounds, runtime.NumCPU(), runtime.Version())
	fmt.Fprintln(w, "| path | req/s | p50 | p99 | % of floor | errors | non-2xx |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, p := range r.results {
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %s | %d | %d |\n",
			p.path.name, p.rps, fmtLatency(p.p50), fmtLatency(p.p99), fmtPercent(p.ofFloor), p.errors, p.unexpected)
	}
	fmt.Fprintf(w, "\nSeeded authlab: first /healthz 200 %s after start (%s on the restart for the cleanup run); RSS %s after start, %s after the GET load.\n",
		fmtLatency(r.startup), fmtLatency(r.restart), fmtMiB(r.rssStart), fmtMiB(r.rssLoad))
	if len(r.logouts) > 0 {
		fmt.Fprintf(w, "One logout (`DELETE /api/auth`, Bearer), round trip over loopback: median %s, max %s of %d.\n",
			fmtLatency(r.logouts[len(r.logouts)/2]), fmtLatency(r.logouts[len(r.logouts)-1]), len(r.logouts))
	}
	fmt.Fprintf(w, "Bearer `GET /api/auth`, seeded: %.0f req/s alone, %.0f with %d logouts/s beside (medians).\n",
		r.plainRPS, r.withLogoutsRPS, scaleLogoutsPerSec)
	fmt.Fprintf(w, "Cleanup run (-cleanup-interval %s): %.0f req/s, p50 %s, p99 %s, %d non-2xx, %d socket errors; WAL at most %s; expired session rows %d before, %d after.\n",
		scaleCleanupEvery, r.cleanup.rps, fmtLatency(r.cleanup.p50), fmtLatency(r.cleanup.p99), r.cleanup.non2xx3xx,
		r.cleanup.socketErrors, fmtMiB(r.walMax), r.expiredBefore, r.expiredLeft)
	fmt.Fprintln(w, "\nBudgets:")
	for _, x := range v {
		status := "PASS"
		if !x.pass {
			status = "FAIL"
		}
		fmt.Fprintf(w, "- %s %s (%s)\n", status, x.budget, x.got)
	}
	fmt.Fprintf(w, "\n%d of %d budgets missed.\n", countMissed(v), len(v))
}
