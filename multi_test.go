package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/auth/postgres/pgtest"
)

// The binary the multi-instance tests start, built once for the package.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "authlab-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "authlab")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = &buildFailure{out: string(out), err: err}
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

type buildFailure struct {
	out string
	err error
}

func (b *buildFailure) Error() string { return b.err.Error() + "\n" + b.out }

// process is the real binary running as its own process.
type process struct {
	url string
	cmd *exec.Cmd
	out *syncBuffer
}

// startProcess runs the built binary with args and env and waits for it
// to say where it listens.
func startProcess(t *testing.T, args []string, env map[string]string) *process {
	t.Helper()
	cmd := exec.Command(buildBinary(t), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &syncBuffer{}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", strings.Join(args, " "), out)
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sent := false
		for sc.Scan() {
			out.Write([]byte(sc.Text() + "\n"))
			if m := listening.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- "http://" + m[1]
				sent = true
			}
		}
	}()
	select {
	case u := <-found:
		return &process{url: u, cmd: cmd, out: out}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s printed no address in 30 s:\n%s", strings.Join(args, " "), out)
	}
	return nil
}

// instanceStatus is GET /api/auth's answer, as far as these tests read it.
type instanceStatus struct {
	Instance      string `json:"instance"`
	Authenticated bool   `json:"authenticated"`
	Username      string `json:"username"`
	Strategies    struct {
		Session struct {
			Authenticated bool   `json:"authenticated"`
			Reason        string `json:"reason"`
		} `json:"session"`
		JWT struct {
			Authenticated bool   `json:"authenticated"`
			Reason        string `json:"reason"`
		} `json:"jwt"`
	} `json:"strategies"`
}

func status(t *testing.T, base string, header ...string) instanceStatus {
	t.Helper()
	r := send(t, "GET", base+"/api/auth", "", "", header...)
	var s instanceStatus
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		t.Fatalf("GET /api/auth: %d %q: %v", r.status, r.body, err)
	}
	return s
}

// signedIn reports whether GET /api/auth on base answers 200 with the
// cookie header signed in; any failure is false. Safe off the test's
// goroutine.
func signedIn(base, cookie string) bool {
	req, err := http.NewRequest("GET", base+"/api/auth", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Cookie", cookie)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var s instanceStatus
	return resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(&s) == nil && s.Authenticated
}

// within polls check until it holds or d has passed.
func within(d time.Duration, check func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if check() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const multiSecret = "multi-instance-test-secret-0123456789abcdef"

// TestTwoInstancesOnePostgreSQL runs the real binary twice on one
// PostgreSQL database: a login on one is good on the other under every
// strategy, a logout on one is refused by the other within a second, a
// signup on one logs in on the other, both recover from a database
// restart, and one killed outright leaves the other serving.
func TestTwoInstancesOnePostgreSQL(t *testing.T) {
	db := pgtest.Database(t)
	env := map[string]string{"AUTHLAB_DATABASE_URL": db, "AUTHLAB_JWT_SECRET": multiSecret}
	// Short JWTs, so a renewal happens within the test.
	// The test poses as clients behind a proxy on loopback, each naming
	// its address in X-Forwarded-For.
	args := []string{"-addr", "127.0.0.1:0", "-jwt-ttl", "4s", "-log-format", "json", "-trusted-proxy", "127.0.0.1/32"}
	a := startProcess(t, append(args, "-instance", "a"), env)
	b := startProcess(t, append(args, "-instance", "b"), env)

	login := func(base, strategy, user, pass string) string {
		t.Helper()
		form := url.Values{"username": {user}, "password": {pass}}.Encode()
		r := send(t, "POST", base+"/"+strategy+"/login", "application/x-www-form-urlencoded", form)
		name := map[string]string{"session": "authlab_session", "jwt": "authlab_token"}[strategy]
		ck := r.cookies[name]
		if r.status != 303 || ck == nil {
			t.Fatalf("POST %s/%s/login as %s: %d", base, strategy, user, r.status)
		}
		return name + "=" + ck.Value
	}

	t.Run("a login on A is good on B", func(t *testing.T) {
		session := login(a.url, "session", "user1", "pass123")
		token := login(a.url, "jwt", "user1", "pass123")
		s := status(t, b.url, "Cookie", session+"; "+token)
		if s.Instance != "b" || !s.Strategies.Session.Authenticated || !s.Strategies.JWT.Authenticated {
			t.Fatalf("B on A's cookies: %+v", s)
		}
		bearer := strings.TrimPrefix(token, "authlab_token=")
		if s := status(t, b.url, "Authorization", "Bearer "+bearer); !s.Authenticated {
			t.Fatalf("B on A's Bearer token: %+v", s)
		}
	})

	t.Run("a logout on A is refused by B within a second", func(t *testing.T) {
		session := login(a.url, "session", "user1", "pass123")
		token := login(a.url, "jwt", "user1", "pass123")
		// A token renewed on B from the same login, before the logout.
		// Past half the TTL, so the next GET renews; well inside the TTL and
		// its leeway, however NumericDate rounded the issue time down.
		time.Sleep(2100 * time.Millisecond)
		r := send(t, "GET", b.url+"/jwt/dashboard", "", "", "Cookie", token)
		renewed := r.cookies["authlab_token"]
		if r.status != 200 || renewed == nil {
			t.Fatalf("B did not renew the token: %d", r.status)
		}
		for _, tc := range []struct{ strategy, cookie string }{{"session", session}, {"jwt", token}} {
			if r := send(t, "POST", a.url+"/"+tc.strategy+"/logout", "", "", "Cookie", tc.cookie); r.status != 303 {
				t.Fatalf("logout of the %s on A: %d", tc.strategy, r.status)
			}
		}
		for _, tc := range []struct{ name, header string }{
			{"session", session}, {"JWT", token}, {"renewed JWT", "authlab_token=" + renewed.Value},
		} {
			if !within(time.Second, func() bool { return !status(t, b.url, "Cookie", tc.header).Authenticated }) {
				t.Errorf("B still accepts the %s a second after the logout on A", tc.name)
			}
		}
	})

	t.Run("a signup on A logs in on B", func(t *testing.T) {
		form := url.Values{"username": {"carol"}, "password": {"correct horse"}}.Encode()
		if r := send(t, "POST", a.url+"/signup", "application/x-www-form-urlencoded", form); r.status != 201 {
			t.Fatalf("signup on A: %d", r.status)
		}
		login(b.url, "session", "carol", "correct horse")
	})

	t.Run("failed logins on A count on B", func(t *testing.T) {
		const client = "198.51.100.7"
		for i := range auth.AddressFailures {
			form := url.Values{"username": {fmt.Sprintf("nobody%d", i)}, "password": {"wrong"}}.Encode()
			if r := send(t, "POST", a.url+"/session/login", "application/x-www-form-urlencoded", form, "X-Forwarded-For", client); r.status != 401 {
				t.Fatalf("failure %d on A: %d, want 401", i+1, r.status)
			}
		}
		form := url.Values{"username": {"carol"}, "password": {"correct horse"}}.Encode()
		r := send(t, "POST", b.url+"/session/login", "application/x-www-form-urlencoded", form, "X-Forwarded-For", client)
		if r.status != 429 || r.header.Get("Retry-After") == "" {
			t.Errorf("the right password on B from an address with %d failures on A: %d, Retry-After %q; want 429 with a wait",
				auth.AddressFailures, r.status, r.header.Get("Retry-After"))
		}
		// Another address is not held back.
		login(b.url, "session", "carol", "correct horse")
	})

	t.Run("both recover from a database restart", func(t *testing.T) {
		pgtest.Restart(t)
		for _, p := range []*process{a, b} {
			if !within(15*time.Second, func() bool { return send(t, "GET", p.url+"/healthz", "", "").status == 200 }) {
				t.Fatalf("%s: /healthz not 200 within 15 s of the restart", p.url)
			}
		}
		// The revocation feed is back too: a logout on B reaches A.
		token := login(b.url, "jwt", "user1", "pass123")
		if r := send(t, "POST", b.url+"/jwt/logout", "", "", "Cookie", token); r.status != 303 {
			t.Fatalf("logout on B: %d", r.status)
		}
		if !within(2*time.Second, func() bool { return !status(t, a.url, "Cookie", token).Authenticated }) {
			t.Error("after the restart, A still accepts a token logged out on B")
		}
	})

	t.Run("while the database is down", func(t *testing.T) {
		session := login(a.url, "session", "user1", "pass123")
		token := strings.TrimPrefix(login(a.url, "jwt", "user1", "pass123"), "authlab_token=")
		// A has read user1 for that token; now it needs nothing from the database.
		if s := status(t, a.url, "Authorization", "Bearer "+token); !s.Authenticated {
			t.Fatalf("Bearer before the stop: %+v", s)
		}
		pgtest.Stop(t)
		r := send(t, "GET", a.url+"/session/dashboard", "", "", "Cookie", session)
		if r.status != 503 || r.header.Get("Retry-After") == "" || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("a session page with the database down: %d, Retry-After %q, %s; want a 503 page",
				r.status, r.header.Get("Retry-After"), r.header.Get("Content-Type"))
		}
		r = send(t, "GET", a.url+"/api/auth", "", "", "Cookie", session)
		if r.status != 503 || !strings.HasPrefix(r.body, `{"error":`) || strings.Count(r.body, "{") != 1 {
			t.Errorf("the API with the database down: %d %q; want one 503 JSON error", r.status, r.body)
		}
		if r := send(t, "GET", a.url+"/healthz", "", ""); r.status != 503 {
			t.Errorf("/healthz with the database down: %d, want 503", r.status)
		}
		if s := status(t, a.url, "Authorization", "Bearer "+token); !s.Authenticated {
			t.Errorf("a Bearer token of a user already read, with the database down: %+v", s)
		}
		pgtest.Start(t)
		if !within(15*time.Second, func() bool { return signedIn(a.url, session) }) {
			t.Error("A did not recover within 15 s of the database's return")
		}
	})

	t.Run("one killed, the other serves on", func(t *testing.T) {
		session := login(b.url, "session", "user1", "pass123")
		var served, failed atomic.Int64
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 500; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if signedIn(b.url, session) {
						served.Add(1)
					} else {
						failed.Add(1)
					}
				}
			}()
		}
		time.Sleep(100 * time.Millisecond)
		if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		close(stop)
		wg.Wait()
		if failed.Load() != 0 || served.Load() == 0 {
			t.Errorf("B under load while A was killed: %d served, %d failed", served.Load(), failed.Load())
		}
	})
}
