package main

import (
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authlab/authlab/auth/postgres/pgtest"
)

// wrkOK is wrk 4.1's report of a clean run, as Debian's package prints it.
const wrkOK = `Running 2s test @ http://127.0.0.1:18080/api/auth
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.91ms   24.01ms 173.68ms   89.48%
    Req/Sec    10.19k     5.77k   21.78k    60.53%
  Latency Distribution
     50%    2.06ms
     75%    5.84ms
     90%   37.01ms
     99%  124.11ms
  40298 requests in 2.17s, 26.67MB read
Requests/sec:  18544.51
Transfer/sec:     12.27MB
`

// wrkBad is a run against a server that answered 404 and then went away.
const wrkBad = `Running 1s test @ http://127.0.0.1:18080/nope
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    22.82ms   37.61ms 185.20ms   86.19%
    Req/Sec     4.77k     3.30k    9.22k    57.89%
  Latency Distribution
     50%  812.00us
     75%   30.70ms
     90%   75.52ms
     99%    1.20s
  9152 requests in 1.02s, 14.12MB read
  Socket errors: connect 1, read 50, write 30120, timeout 2
  Non-2xx or 3xx responses: 9152
Requests/sec:   8947.70
Transfer/sec:     13.81MB
`

func TestParseWrk(t *testing.T) {
	for _, tc := range []struct {
		name    string
		out     string
		want    wrkResult
		wantErr bool
	}{
		{"clean run", wrkOK, wrkResult{rps: 18544.51, p50: 2060 * time.Microsecond, p99: 124110 * time.Microsecond}, false},
		{"errors and non-2xx", wrkBad, wrkResult{rps: 8947.70, p50: 812 * time.Microsecond, p99: 1200 * time.Millisecond,
			socketErrors: 1 + 50 + 30120 + 2, non2xx3xx: 9152}, false},
		{"no --latency", strings.ReplaceAll(strings.ReplaceAll(wrkOK, "50%", ""), "99%", ""), wrkResult{}, true},
		{"no Requests/sec", strings.ReplaceAll(wrkOK, "Requests/sec:", "Reqs:"), wrkResult{}, true},
		{"bad number", strings.ReplaceAll(wrkOK, "18544.51", "lots"), wrkResult{}, true},
		{"bad socket errors", strings.ReplaceAll(wrkBad, "read 50", "read many"), wrkResult{}, true},
		{"empty", "", wrkResult{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseWrk(tc.out)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseWrk(%q) error = %v, want error: %t", tc.out, err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("parseWrk(%q) = %+v, want %+v", tc.out, got, tc.want)
			}
		})
	}
}

func TestParseWrkLatency(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"812.00us", 812 * time.Microsecond, false},
		{"1.25ms", 1250 * time.Microsecond, false},
		{"124.11ms", 124110 * time.Microsecond, false},
		{"1.50s", 1500 * time.Millisecond, false},
		{"2.00m", 2 * time.Minute, false},
		{"0.00us", 0, false},
		{"5", 0, true},
		{"ms", 0, true},
		{"-1.00ms", 0, true},
		{"fastms", 0, true},
	} {
		got, err := parseWrkLatency(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("parseWrkLatency(%q) = %v, %v; want %v, error: %t", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestMedianFloat(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{5, 5, 1}, 5},
	} {
		in := slices.Clone(tc.in)
		if got := medianFloat(tc.in); got != tc.want {
			t.Errorf("medianFloat(%v) = %v, want %v", tc.in, got, tc.want)
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("medianFloat(%v) reordered its argument to %v", in, tc.in)
		}
	}
}

func TestNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", []time.Duration{7}, 99, 7},
		{"p50 of 100", hundred, 50, 50 * time.Millisecond},
		{"p99 of 100", hundred, 99, 99 * time.Millisecond},
		{"p100 of 100", hundred, 100, 100 * time.Millisecond},
		{"p99 of 3", []time.Duration{1, 2, 3}, 99, 3},
		{"p50 of 4", []time.Duration{1, 2, 3, 4}, 50, 2},
	} {
		if got := nearestRank(tc.sorted, tc.p); got != tc.want {
			t.Errorf("%s: nearestRank(%v, %v) = %v, want %v", tc.name, tc.sorted, tc.p, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	paths := []loadPath{{name: "floor"}, {name: "app", instance: "sqlite"}}
	sample := func(rps float64, p99 time.Duration, sockErr, non2xx int) loadSample {
		return loadSample{wrk: wrkResult{rps: rps, p50: p99 / 4, p99: p99, socketErrors: sockErr, non2xx3xx: non2xx}}
	}
	samples := [][]loadSample{
		{sample(100, 4*time.Millisecond, 0, 0), sample(200, 8*time.Millisecond, 0, 0), sample(400, 2*time.Millisecond, 0, 0)},
		{sample(80, 40*time.Millisecond, 3, 0), sample(60, 20*time.Millisecond, 0, 5), sample(100, 30*time.Millisecond, 0, 0)},
	}
	samples[1][2].errors, samples[1][0].unexpected = 1, 1

	got := summarize(paths, samples, 0)
	want := []pathResult{
		{path: paths[0], rps: 200, p50: time.Millisecond, p99: 4 * time.Millisecond, ofFloor: 1},
		// Each round's ratio is 0.8, 0.3 and 0.25: their median, 0.3, not
		// the ratio of the medians, 80/200.
		{path: paths[1], rps: 80, p50: 7500 * time.Microsecond, p99: 30 * time.Millisecond, ofFloor: 0.3, errors: 4, unexpected: 6},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("summarize(...)[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// passingRun is a run that meets every budget of defaultTarget; each case
// of TestCheckBudgets breaks one thing.
func passingRun() ([]pathResult, int64, loginResult) {
	var results []pathResult
	for _, p := range defaultTarget.paths {
		results = append(results, pathResult{path: p, rps: 1000, p50: time.Millisecond, p99: 5 * time.Millisecond, ofFloor: 1})
	}
	return results, 30 * mib, loginResult{n: 200, ok: 200, peakRSS: 150 * mib}
}

func TestCheckBudgets(t *testing.T) {
	const bearerPath, memoryPath, pgBearerPath, pgSessionPath, floorPath = 2, 4, 5, 6, 0
	for _, tc := range []struct {
		name     string
		breakRun func(r []pathResult, rss *int64, l *loginResult)
		fail     []string // the budgets expected to fail, as prefixes
	}{
		{"all met", func([]pathResult, *int64, *loginResult) {}, nil},
		{"bearer below 60%", func(r []pathResult, _ *int64, _ *loginResult) { r[bearerPath].ofFloor = 0.59 },
			[]string{"`GET /api/auth`, Bearer JWT: req/s ≥ 60% of the floor"}},
		{"bearer at 60% exactly", func(r []pathResult, _ *int64, _ *loginResult) { r[bearerPath].ofFloor = 0.60 }, nil},
		{"memory store below 50%", func(r []pathResult, _ *int64, _ *loginResult) { r[memoryPath].ofFloor = 0.45 },
			[]string{"`GET /api/auth`, session cookie, memory store: req/s ≥ 50% of the floor"}},
		{"p99 over 25 ms", func(r []pathResult, _ *int64, _ *loginResult) { r[bearerPath].p99 = 26 * time.Millisecond },
			[]string{"`GET /api/auth`, Bearer JWT: p99 ≤ 25.00 ms"}},
		{"the floor's p99 is not authlab's", func(r []pathResult, _ *int64, _ *loginResult) { r[floorPath].p99 = time.Second }, nil},
		{"PostgreSQL bearer below 50%", func(r []pathResult, _ *int64, _ *loginResult) { r[pgBearerPath].ofFloor = 0.49 },
			[]string{"`GET /api/auth`, Bearer JWT, PostgreSQL: req/s ≥ 50% of the floor"}},
		{"PostgreSQL session cookie at 20% exactly", func(r []pathResult, _ *int64, _ *loginResult) { r[pgSessionPath].ofFloor = 0.20 }, nil},
		{"PostgreSQL session cookie below 20%", func(r []pathResult, _ *int64, _ *loginResult) { r[pgSessionPath].ofFloor = 0.19 },
			[]string{"`GET /api/auth`, session cookie, PostgreSQL store: req/s ≥ 20% of the floor"}},
		{"PostgreSQL p99 within its own 50 ms", func(r []pathResult, _ *int64, _ *loginResult) {
			r[pgBearerPath].p99, r[pgSessionPath].p99 = 40*time.Millisecond, 50*time.Millisecond
		}, nil},
		{"PostgreSQL p99 over 50 ms", func(r []pathResult, _ *int64, _ *loginResult) { r[pgSessionPath].p99 = 51 * time.Millisecond },
			[]string{"`GET /api/auth`, session cookie, PostgreSQL store: p99 ≤ 50.00 ms"}},
		{"an error on PostgreSQL", func(r []pathResult, _ *int64, _ *loginResult) { r[pgBearerPath].errors = 1 },
			[]string{"`GET /api/auth`, Bearer JWT, PostgreSQL: no errors"}},
		{"an unexpected status", func(r []pathResult, _ *int64, _ *loginResult) { r[memoryPath].unexpected = 1 },
			[]string{"`GET /api/auth`, session cookie, memory store: no errors"}},
		{"errors on the floor", func(r []pathResult, _ *int64, _ *loginResult) { r[floorPath].errors = 3 },
			[]string{"floor: bare net/http `GET /`: no errors"}},
		{"RSS after the GET load", func(_ []pathResult, rss *int64, _ *loginResult) { *rss = 40*mib + 1 },
			[]string{"RSS after the GET load ≤ 40.0 MiB"}},
		{"peak RSS under logins", func(_ []pathResult, _ *int64, l *loginResult) { l.peakRSS = 201 * mib },
			[]string{"peak RSS under 200 concurrent logins ≤ 200.0 MiB"}},
		{"a login failed", func(_ []pathResult, _ *int64, l *loginResult) { l.ok = 199 },
			[]string{"all 200 concurrent logins succeed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results, rss, logins := passingRun()
			tc.breakRun(results, &rss, &logins)
			var failed []string
			for _, v := range checkBudgets(results, defaultTarget.limits, rss, logins) {
				if !v.pass {
					failed = append(failed, v.budget)
				}
			}
			if len(failed) != len(tc.fail) {
				t.Fatalf("checkBudgets(...) failed %q, want %q", failed, tc.fail)
			}
			for i := range failed {
				if !strings.HasPrefix(failed[i], tc.fail[i]) {
					t.Errorf("checkBudgets(...) failed %q, want %q", failed[i], tc.fail[i])
				}
			}
		})
	}
}

func TestParseProcStatus(t *testing.T) {
	const status = "Name:\tauthlab\nVmPeak:\t 1262436 kB\nVmHWM:\t   61440 kB\nVmRSS:\t   23456 kB\nThreads:\t7\n"
	for _, tc := range []struct {
		status, field string
		want          int64
		wantErr       bool
	}{
		{status, "VmRSS", 23456 * kib, false},
		{status, "VmHWM", 60 * mib, false},
		{status, "VmSwap", 0, true},
		{status, "Threads", 0, true},
		{"VmRSS:\t lots kB\n", "VmRSS", 0, true},
		{"", "VmRSS", 0, true},
	} {
		got, err := parseProcStatus(tc.status, tc.field)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("parseProcStatus(%q, %q) = %d, %v; want %d, error: %t", tc.status, tc.field, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestCheckAuthAnswer(t *testing.T) {
	const (
		anonymous = `{"authenticated":false,"strategies":{"session":{"authenticated":false,"reason":"missing"},"jwt":{"authenticated":false,"reason":"missing"}}}`
		byBearer  = `{"authenticated":true,"userId":1,"username":"user1","strategies":{"session":{"authenticated":false,"reason":"missing"},"jwt":{"authenticated":true,"userId":1,"source":"header"}}}`
		bySession = `{"authenticated":true,"userId":1,"username":"user1","strategies":{"session":{"authenticated":true,"userId":1},"jwt":{"authenticated":false,"reason":"missing"}}}`
	)
	for _, tc := range []struct {
		body    string
		want    authAnswer
		wantErr bool
	}{
		{anonymous, authAnswer{}, false},
		{byBearer, authAnswer{authenticated: true, jwt: true}, false},
		{bySession, authAnswer{authenticated: true, session: true}, false},
		{bySession, authAnswer{authenticated: true, jwt: true}, true},
		{anonymous, authAnswer{authenticated: true, session: true}, true},
		{`{"authenticated":true}`, authAnswer{authenticated: true}, true},
		{`<html>`, authAnswer{}, true},
	} {
		err := checkAuthAnswer([]byte(tc.body), tc.want)
		if (err != nil) != tc.wantErr {
			t.Errorf("checkAuthAnswer(%q, %+v) = %v, want error: %t", tc.body, tc.want, err, tc.wantErr)
		}
		var bad *unexpectedAnswer
		if err != nil && !errors.As(err, &bad) {
			t.Errorf("checkAuthAnswer(%q, %+v) = %T, want *unexpectedAnswer", tc.body, tc.want, err)
		}
	}
}

func TestLoadCredsHeaders(t *testing.T) {
	c := loadCreds{jwt: "J", sessionCookie: "S", jwtCookie: "T"}
	for _, tc := range []struct {
		want credential
		out  []string
	}{
		{0, nil},
		{bearer, []string{"Authorization: Bearer J"}},
		{sessionCookie, []string{"Cookie: authlab_session=S"}},
		{jwtCookie, []string{"Cookie: authlab_token=T"}},
		{sessionCookie | jwtCookie, []string{"Cookie: authlab_session=S; authlab_token=T"}},
		{bearer | sessionCookie, []string{"Authorization: Bearer J", "Cookie: authlab_session=S"}},
	} {
		if got := c.headers(tc.want); !slices.Equal(got, tc.out) {
			t.Errorf("headers(%b) = %q, want %q", tc.want, got, tc.out)
		}
	}
}

func TestLoadConfigCheck(t *testing.T) {
	ok := loadConfig{rounds: 3, duration: 5 * time.Second, connections: 50, threads: 2, logins: 200,
		target: "default", scaleSize: 1_000_000, cleanupLoad: time.Minute}
	for _, tc := range []struct {
		name    string
		edit    func(*loadConfig)
		wantErr string
	}{
		{"defaults", func(*loadConfig) {}, ""},
		{"no rounds", func(c *loadConfig) { c.rounds = 0 }, "-rounds 0"},
		{"too many rounds", func(c *loadConfig) { c.rounds = maxLoadRounds + 1 }, "-rounds"},
		{"sub-second", func(c *loadConfig) { c.duration = 1500 * time.Millisecond }, "-duration 1.5s"},
		{"fewer connections than threads", func(c *loadConfig) { c.connections = 1 }, "-connections 1"},
		{"no logins", func(c *loadConfig) { c.logins = 0 }, "-logins 0"},
		{"past JWT renewal", func(c *loadConfig) { c.rounds, c.duration = 10, 10*time.Second }, "at most 6m0s"},
		{"scaled", func(c *loadConfig) { c.target = "scaled" }, ""},
		{"unknown target", func(c *loadConfig) { c.target = "big" }, `-target "big"`},
		{"no scale", func(c *loadConfig) { c.scaleSize = 0 }, "-scale-size 0"},
		{"endless cleanup load", func(c *loadConfig) { c.cleanupLoad = time.Hour }, "-cleanup-load 1h0m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.check(len(defaultTarget.paths))
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("check(%+v) = %v, want an error with %q", c, err, tc.wantErr)
			}
		})
	}
}

func TestChildEnv(t *testing.T) {
	in := []string{"PATH=/usr/bin", "AUTHLAB_DATA=/home/me/data", "HOME=/root", "AUTHLAB_SESSION_STORE=memory", "XAUTHLAB_KEEP=1"}
	want := []string{"PATH=/usr/bin", "HOME=/root", "XAUTHLAB_KEEP=1"}
	if got := childEnv(in); !slices.Equal(got, want) {
		t.Errorf("childEnv(%q) = %q, want %q", in, got, want)
	}
	if in[1] != "AUTHLAB_DATA=/home/me/data" {
		t.Errorf("childEnv changed its argument: %q", in)
	}
}

// TestCheckPath is the check that catches what wrk counts as a success: a
// redirect to the login page.
func TestCheckPath(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "authlab_token=T" {
			http.Redirect(w, r, "/jwt/login", http.StatusSeeOther)
			return
		}
		w.Write([]byte("dashboard"))
	}))
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct {
		name           string
		url            string
		headers        []string
		wantErr        string // "" for none
		wantUnexpected bool   // an answer came back, not the one expected
	}{
		{"with the cookie", srv.URL, []string{"Cookie: authlab_token=T"}, "", false},
		{"redirected", srv.URL, nil, "status 303 to /jwt/login, want 200", true},
		{"server gone", closed.URL, nil, "connect", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkPath(t.Context(), tc.url, tc.headers, nil)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("checkPath(%q, %q) = %v, want nil", tc.url, tc.headers, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("checkPath(%q, %q) = %v, want an error with %q", tc.url, tc.headers, err, tc.wantErr)
			}
			var bad *unexpectedAnswer
			if errors.As(err, &bad) != tc.wantUnexpected {
				t.Errorf("checkPath(%q, %q) = %T, want *unexpectedAnswer: %t", tc.url, tc.headers, err, tc.wantUnexpected)
			}
		})
	}
}

// TestDefaultTarget checks the table itself: one floor, and every path on
// an instance the target starts.
func TestDefaultTarget(t *testing.T) {
	names := map[string]bool{}
	for _, in := range defaultTarget.instances {
		names[in.name] = true
	}
	if !names[defaultTarget.measured] {
		t.Errorf("measured instance %q is not started", defaultTarget.measured)
	}
	floors := 0
	for _, p := range defaultTarget.paths {
		if p.instance == "" {
			floors++
			if p.minOfFloor != 0 || p.creds != 0 {
				t.Errorf("floor path %q has a budget or credentials", p.name)
			}
			continue
		}
		if !names[p.instance] {
			t.Errorf("path %q runs on %q, which is not started", p.name, p.instance)
		}
	}
	if floors != 1 {
		t.Errorf("%d floor paths, want 1", floors)
	}
}

func TestLoadtestDatabaseURL(t *testing.T) {
	random := []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	for _, tc := range []struct {
		name     string
		admin    string
		wantName string
		wantURL  string // "" for an error
	}{
		{"with-postgres's URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
			"authlab_load_0123456789abcdef", "postgres://postgres@127.0.0.1:5432/authlab_load_0123456789abcdef?sslmode=disable"},
		{"password and postgresql scheme kept", "postgresql://load:s3cret@db.example:5433/admin",
			"authlab_load_0123456789abcdef", "postgresql://load:s3cret@db.example:5433/authlab_load_0123456789abcdef"},
		{"no database in the URL", "postgres://postgres@127.0.0.1:5432",
			"authlab_load_0123456789abcdef", "postgres://postgres@127.0.0.1:5432/authlab_load_0123456789abcdef"},
		{"escaped database replaced", "postgres://postgres@127.0.0.1:5432/my%2Fdb",
			"authlab_load_0123456789abcdef", "postgres://postgres@127.0.0.1:5432/authlab_load_0123456789abcdef"},
		{"empty", "", "", ""},
		{"keyword/value form", "host=127.0.0.1 user=postgres password=s3cret", "", ""},
		{"another scheme", "mysql://root:s3cret@127.0.0.1/db", "", ""},
		// authlab's -database-url wants a host, so the child would refuse it.
		{"socket only", "postgres:///postgres?host=/tmp", "", ""},
		{"not a URL", "postgres://u:s3cret@[::1/db", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := newLoadDatabase(tc.admin, random)
			if tc.wantURL == "" {
				if err == nil {
					t.Fatalf("newLoadDatabase(%q) = %+v, want an error", tc.admin, db)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("newLoadDatabase(%q) error %q repeats the password", tc.admin, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("newLoadDatabase(%q) = %v", tc.admin, err)
			}
			want := loadDatabase{admin: tc.admin, name: tc.wantName, url: tc.wantURL}
			if db != want {
				t.Errorf("newLoadDatabase(%q) = %+v, want %+v", tc.admin, db, want)
			}
		})
	}
}

func TestLoadtestWithoutPostgres(t *testing.T) {
	t.Setenv(envTestPostgres, "")
	// A wrk that is not there stops the run before it starts anything,
	// should the check under test ever let it through.
	noWrk := []string{"-wrk", "/nonexistent/wrk"}
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string // "" for none
	}{
		{"a run", noWrk, "AUTHLAB_TEST_POSTGRES is not set: run it through make loadtest"},
		{"-h needs no cluster", append(slices.Clone(noWrk), "-h"), ""},
		{"bad flags first", append(slices.Clone(noWrk), "-rounds", "0"), "-rounds 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runLoadtest(t.Context(), tc.args, io.Discard)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("runLoadtest(%q) = %v, want nil", tc.args, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("runLoadtest(%q) = %v, want an error with %q", tc.args, err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("runLoadtest(%q) = %q, want one line", tc.args, err)
			}
		})
	}
}

// TestLoadtestDatabaseDrop creates the run's database and drops it while a
// connection, like a killed child's, is still open on it.
func TestLoadtestDatabaseDrop(t *testing.T) {
	// pgtest holds the cluster for the test, so that no other package's
	// fault test restarts it meanwhile; its database's URL serves as the
	// admin URL: the same superuser on the same server.
	admin := pgtest.Database(t)
	ctx := t.Context()

	db, err := createLoadDatabase(ctx, admin)
	if err != nil {
		t.Fatalf("createLoadDatabase: %v", err)
	}
	t.Cleanup(func() { db.drop(context.Background()) })
	if !strings.HasPrefix(db.name, loadDatabasePrefix) || db.version == "" {
		t.Errorf("createLoadDatabase = name %q, version %q; want %s… and a version", db.name, db.version, loadDatabasePrefix)
	}

	client, err := pgx.Connect(ctx, db.url)
	if err != nil {
		t.Fatalf("connect to the run's database: %v", err)
	}
	defer client.Close(context.Background())
	var current string
	if err := client.QueryRow(ctx, "SELECT current_database()").Scan(&current); err != nil || current != db.name {
		t.Fatalf("current_database() = %q, %v; want %q", current, err, db.name)
	}

	if err := db.drop(ctx); err != nil {
		t.Fatalf("drop with a connection open: %v", err)
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var left int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", db.name).Scan(&left); err != nil || left != 0 {
		t.Errorf("after drop, %d databases named %s (%v), want 0", left, db.name, err)
	}
}

func TestReadSeedTokens(t *testing.T) {
	path := t.TempDir() + "/tokens"
	if err := os.WriteFile(path, []byte("session s1\njwt j1\nsession s2\nrevoked r1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readSeedTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"session": {"s1", "s2"}, "jwt": {"j1"}, "revoked": {"r1"}}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("readSeedTokens = %v, want %v", got, want)
	}
}

// TestScaledVerdicts: a run within every budget passes them all, and each
// kind of miss fails its own.
func TestScaledVerdicts(t *testing.T) {
	path := func(name string, rps float64, p99 time.Duration) pathResult {
		return pathResult{path: loadPath{name: name}, rps: rps, p99: p99}
	}
	good := scaledResult{
		startup: time.Second, rssStart: 100 * mib, rssLoad: 100 * mib,
		results: []pathResult{
			path("`GET /api/auth`, Bearer JWT, empty", 1000, 10*time.Millisecond),
			path("`GET /api/auth`, session cookie, empty", 1000, 10*time.Millisecond),
			path("`GET /api/auth`, Bearer JWT, seeded", 950, 12*time.Millisecond),
			path("`GET /api/auth`, session cookie, seeded", 950, 12*time.Millisecond),
		},
		logouts:  []time.Duration{time.Millisecond, time.Millisecond, 3 * time.Millisecond},
		plainRPS: 1000, withLogoutsRPS: 950,
		cleanup: wrkResult{p99: 50 * time.Millisecond}, walMax: 10 * mib, walSamples: 600,
	}
	if v := good.verdicts(); countMissed(v) != 0 {
		t.Errorf("a run within every budget misses %d: %+v", countMissed(v), v)
	}
	for _, tc := range []struct {
		name string
		edit func(*scaledResult)
		want string
	}{
		{"slow start", func(r *scaledResult) { r.startup = 3 * time.Second }, "/healthz"},
		{"fat", func(r *scaledResult) { r.rssLoad = 200 * mib }, "RSS after the GET load"},
		{"slow seeded Bearer", func(r *scaledResult) { r.results[2].rps = 800 }, "Bearer JWT, seeded: req/s"},
		{"slow seeded session p99", func(r *scaledResult) { r.results[3].p99 = 13 * time.Millisecond }, "session cookie, seeded: p99"},
		{"slow logout", func(r *scaledResult) { r.logouts = []time.Duration{3 * time.Millisecond} }, "one logout"},
		{"logouts slow the Bearer path", func(r *scaledResult) { r.withLogoutsRPS = 800 }, "logouts/s"},
		{"a 503 in the cleanup", func(r *scaledResult) { r.cleanup.non2xx3xx = 1 }, "no 5xx"},
		{"cleanup p99", func(r *scaledResult) { r.cleanup.p99 = time.Second }, "cleanup load: p99"},
		{"big WAL", func(r *scaledResult) { r.walMax = 100 * mib }, "WAL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good
			r.results = slices.Clone(good.results)
			tc.edit(&r)
			v := r.verdicts()
			var failed []string
			for _, x := range v {
				if !x.pass {
					failed = append(failed, x.budget)
				}
			}
			if len(failed) != 1 || !strings.Contains(failed[0], tc.want) {
				t.Errorf("failed %q, want only the budget with %q", failed, tc.want)
			}
		})
	}
}
