package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authlab/authlab/auth/sqlite"
)

// syncBuffer is run's stdout: the server logs to it from its own
// goroutines while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// instance is one run of the program.
type instance struct {
	url  string // http:// and the address it listens on
	out  *syncBuffer
	stop func() error // cancels run's context and returns what run returned
}

var listening = regexp.MustCompile(`listening on ([^\s)]+)\)`)

// start runs the program as main would, and waits for it to say where it
// listens.
func start(t *testing.T, args []string, env map[string]string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, envFunc(env), out) }()

	var (
		once   sync.Once
		runErr error
	)
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(20 * time.Second):
				runErr = errors.New("run did not return 20 s after its context was cancelled")
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })

	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			return &instance{url: "http://" + m[1], out: out, stop: stop}
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before listening: %v\n%s", err, out)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("run printed no address in 30 s:\n%s", out)
		}
	}
}

type result struct {
	status  int
	header  http.Header
	body    string
	cookies map[string]*http.Cookie
}

// send makes one request with no cookie jar, not following redirects.
func send(t *testing.T, method, u, ctype, body string, header ...string) result {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	c := &http.Client{
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, body: string(b), cookies: map[string]*http.Cookie{}}
	for _, c := range resp.Cookies() {
		r.cookies[c.Name] = c
	}
	return r
}

func formLogin(t *testing.T, base, strategy, username, password string) result {
	t.Helper()
	form := url.Values{"username": {username}, "password": {password}}
	return send(t, http.MethodPost, base+"/"+strategy+"/login", "application/x-www-form-urlencoded", form.Encode())
}

type authStatus struct {
	Authenticated bool   `json:"authenticated"`
	Username      string `json:"username"`
	Strategies    map[string]struct {
		Authenticated bool   `json:"authenticated"`
		Reason        string `json:"reason"`
		Username      string `json:"username"`
	} `json:"strategies"`
}

func apiStatus(t *testing.T, base string, header ...string) authStatus {
	t.Helper()
	r := send(t, http.MethodGet, base+"/api/auth", "", "", header...)
	var s authStatus
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/auth: %d %s", r.status, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		t.Fatalf("GET /api/auth: %v: %s", err, r.body)
	}
	return s
}

// TestRestartKeepsState stops the program and starts it again on the same
// data folder: users, sessions, the JWT key and revocations survive.
func TestRestartKeepsState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	args := []string{"-addr", "127.0.0.1:0", "-data", dir, "-log-format", "json"}

	first := start(t, args, nil)
	if !strings.Contains(first.out.String(), "demo login: user1 / pass123") {
		t.Errorf("first start does not print the demo login:\n%s", first.out)
	}
	r := formLogin(t, first.url, "session", "user1", "pass123")
	session := r.cookies["authlab_session"]
	if r.status != http.StatusSeeOther || session == nil {
		t.Fatalf("session login: %d, cookies %v", r.status, r.cookies)
	}
	r = formLogin(t, first.url, "jwt", "user1", "pass123")
	token := r.cookies["authlab_token"]
	if r.status != http.StatusSeeOther || token == nil {
		t.Fatalf("jwt login: %d, cookies %v", r.status, r.cookies)
	}
	r = formLogin(t, first.url, "jwt", "user1", "pass123")
	revoked := r.cookies["authlab_token"]
	if revoked == nil {
		t.Fatalf("second jwt login set no cookie")
	}
	r = send(t, http.MethodPost, first.url+"/jwt/logout", "", "", "Cookie", "authlab_token="+revoked.Value)
	if r.status != http.StatusSeeOther {
		t.Fatalf("jwt logout: %d", r.status)
	}
	const alicePassword = "alice's long password"
	r = send(t, http.MethodPost, first.url+"/signup", "application/x-www-form-urlencoded",
		url.Values{"username": {"alice"}, "password": {alicePassword}}.Encode())
	if r.status != http.StatusCreated {
		t.Fatalf("signup: %d", r.status)
	}
	if err := first.stop(); err != nil {
		t.Fatalf("first run: %v", err)
	}

	second := start(t, args, nil)
	if second.url == first.url {
		t.Logf("the second run got the same port, %s", second.url)
	}
	tests := []struct {
		name   string
		header []string
		check  func(authStatus) bool
		want   string
	}{
		{"session cookie", []string{"Cookie", "authlab_session=" + session.Value},
			func(s authStatus) bool { return s.Strategies["session"].Username == "user1" }, "session signed in as user1"},
		{"JWT cookie", []string{"Cookie", "authlab_token=" + token.Value},
			func(s authStatus) bool { return s.Strategies["jwt"].Username == "user1" }, "jwt signed in as user1 (same key)"},
		{"JWT as Bearer", []string{"Authorization", "Bearer " + token.Value},
			func(s authStatus) bool { return s.Strategies["jwt"].Authenticated }, "jwt signed in"},
		{"revoked JWT", []string{"Authorization", "Bearer " + revoked.Value},
			func(s authStatus) bool { return s.Strategies["jwt"].Reason == "revoked" }, "jwt reason revoked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if s := apiStatus(t, second.url, tc.header...); !tc.check(s) {
				t.Errorf("after restart: %+v, want %s", s, tc.want)
			}
		})
	}
	t.Run("signed-up user", func(t *testing.T) {
		if r := formLogin(t, second.url, "session", "alice", alicePassword); r.status != http.StatusSeeOther {
			t.Errorf("alice's login after restart: %d, want 303", r.status)
		}
	})
	t.Run("demo user still one account", func(t *testing.T) {
		if r := formLogin(t, second.url, "jwt", "user1", "pass123"); r.status != http.StatusSeeOther {
			t.Errorf("user1's login after restart: %d, want 303", r.status)
		}
	})
	if err := second.stop(); err != nil {
		t.Fatalf("second run: %v", err)
	}

	out := first.out.String() + second.out.String()
	for name, secret := range map[string]string{
		"alice's password": alicePassword, "session cookie": session.Value,
		"JWT": token.Value, "revoked JWT": revoked.Value,
	} {
		if strings.Contains(out, secret) {
			t.Errorf("stdout contains the %s", name)
		}
	}
	if !strings.Contains(out, `"msg":"request"`) {
		t.Errorf("-log-format json did not log JSON request lines:\n%s", out)
	}
}

// TestDemoUserHash checks that run hashes the demo user with the
// production argon2id parameters.
func TestDemoUserHash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inst := start(t, []string{"-addr", "127.0.0.1:0", "-data", dir}, nil)
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var hash string
	if err := db.QueryRowContext(t.Context(), `SELECT password_hash FROM users WHERE username = 'user1'`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(hash, "pass123") {
		t.Errorf("demo user's hash %q, want $argon2id$v=19$m=19456,t=2,p=1$…", hash)
	}
}

// TestNoDefaultCredentialsOutsideLocalDevelopment: the demo account's
// password is public, so it exists by default only for an http base URL on
// a loopback address; elsewhere only when asked for, and then every start
// says so in the log.
func TestNoDefaultCredentialsOutsideLocalDevelopment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		demo    bool
		warning bool
	}{
		{"http on loopback", nil, true, false},
		{"https", []string{"-base-url", "https://authlab.example"}, false, false},
		{"http on a public name", []string{"-base-url", "http://authlab.example"}, false, false},
		{"https, asked for", []string{"-base-url", "https://authlab.example", "-demo-user=true"}, true, true},
		{"loopback, refused", []string{"-demo-user=false"}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir()}, tc.args...)
			inst := start(t, args, nil)
			r := formLogin(t, inst.url, "session", "user1", "pass123")
			if err := inst.stop(); err != nil {
				t.Fatal(err)
			}
			if got := r.status == http.StatusSeeOther; got != tc.demo {
				t.Errorf("login as user1: %d, want the demo account to exist: %v", r.status, tc.demo)
			}
			out := inst.out.String()
			if got := strings.Contains(out, "demo login: user1 / pass123"); got != tc.demo {
				t.Errorf("start-up prints the demo login: %v, want %v", got, tc.demo)
			}
			if got := strings.Contains(out, "level=WARN") && strings.Contains(out, "demo account"); got != tc.warning {
				t.Errorf("warning logged: %v, want %v:\n%s", got, tc.warning, out)
			}
		})
	}
}

func TestNoDemoUser(t *testing.T) {
	t.Parallel()
	inst := start(t, []string{"-addr", "127.0.0.1:0", "-data", t.TempDir(), "-demo-user=false"}, nil)
	if strings.Contains(inst.out.String(), "demo login") {
		t.Errorf("-demo-user=false still prints the demo login")
	}
	if r := formLogin(t, inst.url, "session", "user1", "pass123"); r.status != http.StatusUnauthorized {
		t.Errorf("login as user1 with -demo-user=false: %d, want 401", r.status)
	}
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestHTTPSBaseURL checks that an https base URL gives both cookies the
// __Host- prefix and Secure, that the environment configures what no flag
// sets, and that AUTHLAB_JWT_SECRET is the key tokens are signed with.
func TestHTTPSBaseURL(t *testing.T) {
	t.Parallel()
	secret := "0123456789abcdef0123456789abcdef-test"
	inst := start(t, []string{"-addr", "127.0.0.1:0", "-session-store", "memory"}, map[string]string{
		"AUTHLAB_ADDR":       "not an address", // the flag wins
		"AUTHLAB_BASE_URL":   "https://authlab.example",
		"AUTHLAB_DATA":       t.TempDir(),
		"AUTHLAB_JWT_SECRET": secret,
		"AUTHLAB_DEMO_USER":  "true", // not local: only when asked for
	})
	if !strings.Contains(inst.out.String(), "serving https://authlab.example") {
		t.Errorf("start-up line does not name the base URL:\n%s", inst.out)
	}
	for _, tc := range []struct{ strategy, cookie string }{
		{"session", "__Host-authlab_session"},
		{"jwt", "__Host-authlab_token"},
	} {
		r := formLogin(t, inst.url, tc.strategy, "user1", "pass123")
		ck := r.cookies[tc.cookie]
		if r.status != http.StatusSeeOther || ck == nil {
			t.Fatalf("%s login: %d, Set-Cookie %q", tc.strategy, r.status, r.header.Values("Set-Cookie"))
		}
		if !ck.Secure || !ck.HttpOnly || ck.Path != "/" || ck.Domain != "" || ck.SameSite != http.SameSiteLaxMode {
			t.Errorf("%s: %s, want Secure; HttpOnly; Path=/; SameSite=Lax; no Domain", tc.cookie, ck.Raw)
		}
		if tc.strategy == "jwt" {
			_, err := jwt.Parse(ck.Value, func(*jwt.Token) (any, error) { return []byte(secret), nil },
				jwt.WithValidMethods([]string{"HS256"}))
			if err != nil {
				t.Errorf("the token is not signed with AUTHLAB_JWT_SECRET: %v", err)
			}
		}
	}
	// The base URL is a trusted origin, and a foreign one is refused.
	form := url.Values{"username": {"user1"}, "password": {"pass123"}}.Encode()
	if r := send(t, http.MethodPost, inst.url+"/session/login", "application/x-www-form-urlencoded", form,
		"Origin", "https://authlab.example"); r.status != http.StatusSeeOther {
		t.Errorf("login from the base URL's origin: %d, want 303", r.status)
	}
	if r := send(t, http.MethodPost, inst.url+"/session/login", "application/x-www-form-urlencoded", form,
		"Origin", "http://evil.example"); r.status != http.StatusForbidden {
		t.Errorf("login from another origin: %d, want 403", r.status)
	}
	if strings.Contains(inst.out.String(), secret) {
		t.Errorf("stdout contains AUTHLAB_JWT_SECRET")
	}
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestBadSettings starts run with each bad setting: it must return one
// clear line naming the setting, and never serve.
func TestBadSettings(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	shortSecret := "only-31-bytes-of-secret-in-here"
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{name: "unparsable idle", args: []string{"-session-idle", "soon"}, want: "-session-idle"},
		{name: "zero idle", args: []string{"-session-idle", "0"}, want: "-session-idle"},
		{name: "idle without a unit", args: []string{"-session-idle", "30"}, want: "-session-idle"},
		{name: "negative lifetime", args: []string{"-session-lifetime", "-1h"}, want: "-session-lifetime"},
		{name: "zero TTL", args: []string{"-jwt-ttl", "0s"}, want: "-jwt-ttl"},
		{name: "negative TTL", args: []string{"-jwt-ttl", "-15m"}, want: "-jwt-ttl"},
		{name: "bad duration in the environment", env: map[string]string{"AUTHLAB_JWT_TTL": "forever"}, want: "forever"},
		{name: "unknown store", args: []string{"-session-store", "redis"}, want: "-session-store"},
		{name: "unknown store in the environment", env: map[string]string{"AUTHLAB_SESSION_STORE": "postgres"}, want: "postgres"},
		{name: "unknown log format", args: []string{"-log-format", "xml"}, want: "-log-format"},
		{name: "bad demo-user", args: []string{"-demo-user", "maybe"}, want: "-demo-user"},
		{name: "bad demo-user in the environment", env: map[string]string{"AUTHLAB_DEMO_USER": "yes please"}, want: "AUTHLAB_DEMO_USER="},
		{name: "address without a port", args: []string{"-addr", "localhost"}, want: "-addr"},
		{name: "address with a bad port", args: []string{"-addr", "127.0.0.1:99999"}, want: "127.0.0.1:99999"},
		{name: "base URL with another scheme", args: []string{"-base-url", "ftp://authlab.example"}, want: "-base-url"},
		{name: "base URL with a path", args: []string{"-base-url", "https://authlab.example/app"}, want: "-base-url"},
		{name: "base URL without a host", args: []string{"-base-url", "https://"}, want: "-base-url"},
		{name: "base URL not a URL", args: []string{"-base-url", "authlab.example"}, want: "-base-url"},
		{name: "base URL with a query", args: []string{"-base-url", "http://authlab.example?x=1"}, want: "-base-url"},
		{name: "short JWT secret", env: map[string]string{"AUTHLAB_JWT_SECRET": shortSecret}, want: "AUTHLAB_JWT_SECRET"},
		{name: "data folder under a regular file", args: []string{"-data", filepath.Join(file, "data")}, want: "a-file"},
		{name: "data folder is a regular file", args: []string{"-data", file}, want: "a-file"},
		{name: "unknown flag", args: []string{"-jwt-secret", "x"}, want: "-jwt-secret"},
		{name: "stray argument", args: []string{"serve"}, want: "serve"},
		{name: "flag beats a good environment", args: []string{"-session-idle", "never"}, env: map[string]string{"AUTHLAB_SESSION_IDLE": "5m"}, want: "-session-idle"},
		{name: "postgres sessions without PostgreSQL", args: []string{"-session-store", "postgres"}, want: "-session-store"},
		{name: "sqlite sessions with PostgreSQL", args: []string{"-database-url", unreachablePostgres, "-session-store", "sqlite"},
			env: map[string]string{"AUTHLAB_JWT_SECRET": multiSecret}, want: "-session-store"},
		{name: "PostgreSQL without the secret", args: []string{"-database-url", unreachablePostgres}, want: "AUTHLAB_JWT_SECRET is required"},
		{name: "database URL not PostgreSQL", args: []string{"-database-url", "mysql://u:" + dbPassword + "@127.0.0.1/x"},
			env: map[string]string{"AUTHLAB_JWT_SECRET": multiSecret}, want: "-database-url"},
		{name: "PostgreSQL unreachable", env: map[string]string{"AUTHLAB_DATABASE_URL": unreachablePostgres, "AUTHLAB_JWT_SECRET": multiSecret},
			want: "cannot reach PostgreSQL at postgres://authlab:xxxxx@127.0.0.1:1/authlab"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Every case listens on a free port and keeps its data apart,
			// in case a bad setting is wrongly accepted.
			args := append([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir()}, tc.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out syncBuffer
			err := run(ctx, args, envFunc(tc.env), &out)
			if err == nil {
				t.Fatalf("run accepted it:\n%s", out.String())
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not mention %q", msg, tc.want)
			}
			if strings.Contains(msg, "\n") || len(msg) > 200 {
				t.Errorf("error %q is not one short line", msg)
			}
			if strings.Contains(msg, shortSecret) || strings.Contains(msg, dbPassword) {
				t.Errorf("error %q echoes a secret", msg)
			}
			if strings.Contains(out.String(), dbPassword) {
				t.Errorf("the log shows the database password:\n%s", out.String())
			}
			if strings.Contains(out.String(), "serving") {
				t.Errorf("it served:\n%s", out.String())
			}
		})
	}
}

// dbPassword is the password in the database URLs of the start-up tests,
// which no error or log line may show.
const dbPassword = "hunter2-database-password"

// unreachablePostgres is a PostgreSQL URL where nothing listens.
const unreachablePostgres = "postgres://authlab:" + dbPassword + "@127.0.0.1:1/authlab"

func init() {
	// Start-up retries of an unreachable PostgreSQL, fast: their count and
	// the log line each are what is tested, not the wait.
	postgresRetryEvery = 10 * time.Millisecond
}

// TestFlagBeatsEnv checks which of a flag and its variable wins.
func TestFlagBeatsEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(config) bool
	}{
		{"defaults", nil, nil, func(c config) bool {
			return c.addr == "127.0.0.1:8080" && c.baseURL == nil && c.data == "./data" && c.sessionStore == "sqlite" &&
				c.sessionIdle == 30*time.Minute && c.sessionLifetime == 24*time.Hour && c.jwtTTL == 15*time.Minute &&
				c.demoUser && c.logFormat == "text" && c.jwtSecret == ""
		}},
		{"environment alone", nil, map[string]string{
			"AUTHLAB_ADDR": "0.0.0.0:9000", "AUTHLAB_SESSION_LIFETIME": "2h", "AUTHLAB_DEMO_USER": "false",
			"AUTHLAB_LOG_FORMAT": "json", "AUTHLAB_BASE_URL": "https://authlab.example/",
		}, func(c config) bool {
			return c.addr == "0.0.0.0:9000" && c.sessionLifetime == 2*time.Hour && !c.demoUser && c.logFormat == "json" &&
				c.baseURL.String() == "https://authlab.example" && c.secure()
		}},
		{"flag over a bad variable", []string{"-session-idle", "5m", "-addr", "127.0.0.1:1", "-session-store", "memory"},
			map[string]string{"AUTHLAB_SESSION_IDLE": "bogus", "AUTHLAB_ADDR": "bogus", "AUTHLAB_SESSION_STORE": "bogus"},
			func(c config) bool {
				return c.sessionIdle == 5*time.Minute && c.addr == "127.0.0.1:1" && c.sessionStore == "memory"
			}},
		{"flag over a good variable", []string{"-jwt-ttl", "1m", "-log-format", "text", "-data", "/tmp/x"},
			map[string]string{"AUTHLAB_JWT_TTL": "1h", "AUTHLAB_LOG_FORMAT": "json", "AUTHLAB_DATA": "/srv/authlab"},
			func(c config) bool { return c.jwtTTL == time.Minute && c.logFormat == "text" && c.data == "/tmp/x" }},
		{"http base URL is not secure", []string{"-base-url", "http://localhost:8080"}, nil,
			func(c config) bool { return !c.secure() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseConfig(tc.args, envFunc(tc.env), io.Discard)
			if err != nil {
				t.Fatalf("parseConfig: %v", err)
			}
			if !tc.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}

// TestMainExitCode runs main in a child process with a bad setting: it
// must exit 1 with one line on stderr, not panic.
func TestMainExitCode(t *testing.T) {
	if os.Getenv("AUTHLAB_TEST_MAIN") == "1" {
		os.Args = []string{"authlab", "-addr", "127.0.0.1:0", "-session-idle", "-5m"}
		main()
		return
	}
	t.Parallel()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestMainExitCode$")
	cmd.Env = append(os.Environ(), "AUTHLAB_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1; stderr:\n%s", err, stderr.String())
	}
	got := stderr.String()
	if !strings.HasPrefix(got, "authlab: -session-idle") || strings.Count(got, "\n") != 1 || strings.Contains(got, "goroutine") {
		t.Errorf("stderr %q, want one line starting \"authlab: -session-idle\"", got)
	}
}

// TestOneProcessPerDataFolder: a second authlab on a data folder in use
// stops at start with one line that points to PostgreSQL.
func TestOneProcessPerDataFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := start(t, []string{"-addr", "127.0.0.1:0", "-data", dir}, nil)
	var out syncBuffer
	err := run(t.Context(), []string{"-addr", "127.0.0.1:0", "-data", dir}, envFunc(nil), &out)
	if err == nil || !strings.Contains(err.Error(), "in use") || !strings.Contains(err.Error(), "-database-url") ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("second run on %s = %v, want one line saying the folder is in use and naming -database-url", dir, err)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestLooseDataFolderIsSaid: a data folder others could read is made
// private, and the log says so once at start.
func TestLooseDataFolderIsSaid(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	inst := start(t, []string{"-addr", "127.0.0.1:0", "-data", dir}, nil)
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(inst.out.String(), "was open to other users"); n != 1 {
		t.Errorf("the log says %d times that the folder was open, want once:\n%s", n, inst.out)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data folder mode after start: %v, %v; want 0700", fi.Mode().Perm(), err)
	}
}

// TestKeysRotate: authlab keys rotate gives a running server a new signing
// key within a second, while tokens of the old key stay good; keys list
// shows both, and neither command works where keys are not generated.
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inst := start(t, []string{"-addr", "127.0.0.1:0", "-data", dir}, nil)
	kidOf := func(raw string) string {
		seg, _, _ := strings.Cut(raw, ".")
		b, _ := base64.RawURLEncoding.DecodeString(seg)
		var h struct{ Kid string }
		json.Unmarshal(b, &h)
		return h.Kid
	}
	first := formLogin(t, inst.url, "jwt", "user1", "pass123").cookies["authlab_token"]
	if first == nil || kidOf(first.Value) == "" {
		t.Fatalf("the first token carries no kid: %v", first)
	}
	var out syncBuffer
	if err := run(t.Context(), []string{"keys", "rotate", "-data", dir}, envFunc(nil), &out); err != nil {
		t.Fatalf("keys rotate: %v", err)
	}
	if !strings.Contains(out.String(), "new signing key") || strings.Count(out.String(), "\n") != 3 {
		t.Errorf("keys rotate printed:\n%s", out.String())
	}
	if !within(3*time.Second, func() bool {
		c := formLogin(t, inst.url, "jwt", "user1", "pass123").cookies["authlab_token"]
		return c != nil && kidOf(c.Value) != kidOf(first.Value)
	}) {
		t.Fatal("the running server still signs with the old key 3 s after the rotation")
	}
	if s := apiStatus(t, inst.url, "Cookie", "authlab_token="+first.Value); !s.Strategies["jwt"].Authenticated {
		t.Errorf("a token of the old key after the rotation: %+v", s.Strategies["jwt"])
	}
	for _, env := range []map[string]string{
		{"AUTHLAB_JWT_SECRET": multiSecret},
		{"AUTHLAB_DATABASE_URL": unreachablePostgres},
	} {
		if err := run(t.Context(), []string{"keys", "list", "-data", dir}, envFunc(env), &out); err == nil {
			t.Errorf("keys list with %v: no error", env)
		}
	}
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestPreviousSecretStillVerifies: rotating AUTHLAB_JWT_SECRET by a
// restart keeps tokens of the old secret good while it is given as
// AUTHLAB_JWT_PREVIOUS_SECRET, and only then.
func TestPreviousSecretStillVerifies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	oldSecret, newSecret := multiSecret, "a-new-secret-for-the-rotation-test-0123"
	inst := start(t, []string{"-addr", "127.0.0.1:0", "-data", dir}, map[string]string{"AUTHLAB_JWT_SECRET": oldSecret})
	token := formLogin(t, inst.url, "jwt", "user1", "pass123").cookies["authlab_token"]
	if token == nil {
		t.Fatal("no token")
	}
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" for signed in, else the reason
	}{
		{"with the previous secret", map[string]string{"AUTHLAB_JWT_SECRET": newSecret, "AUTHLAB_JWT_PREVIOUS_SECRET": oldSecret}, ""},
		{"without it", map[string]string{"AUTHLAB_JWT_SECRET": newSecret}, "bad_signature"},
	} {
		inst := start(t, []string{"-addr", "127.0.0.1:0", "-data", dir}, tc.env)
		jwtState := apiStatus(t, inst.url, "Cookie", "authlab_token="+token.Value).Strategies["jwt"]
		if tc.want == "" && !jwtState.Authenticated || tc.want != "" && jwtState.Reason != tc.want {
			t.Errorf("%s: %+v, want %q", tc.name, jwtState, tc.want)
		}
		if err := inst.stop(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDatabaseCopyHoldsNoKey defends "a copy of the database is not
// enough to forge a token": the generated key lives in a 0600 file beside
// the database, and a key an older version kept in the database is moved
// out of it at start, its tokens still good.
func TestDatabaseCopyHoldsNoKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// An older version's database: its key in the secrets table.
	first := start(t, []string{"-addr", "127.0.0.1:0", "-data", dir}, nil)
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, keyFileName))
	oldKey := []byte("an-old-key-kept-in-the-database-0123456789")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO secrets (name, value) VALUES ('jwt_key', ?)`, oldKey); err != nil {
		t.Fatal(err)
	}
	old := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "authlab", "aud": "authlab", "sub": "1", "jti": "j", "sid": "s",
		"iat": time.Now().Unix(), "auth_time": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix(),
	})
	oldToken, _ := old.SignedString(oldKey)

	inst := start(t, []string{"-addr", "127.0.0.1:0", "-data", dir}, nil)
	if s := apiStatus(t, inst.url, "Authorization", "Bearer "+oldToken); !s.Strategies["jwt"].Authenticated {
		t.Errorf("a token of the key moved out of the database: %+v", s.Strategies["jwt"])
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM secrets`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the database still holds %d keys, %v", n, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, keyFileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v; want mode 0600", fi, err)
	}
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
}
