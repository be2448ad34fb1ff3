package routes_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkRequest runs whole requests through the real router in
// process, request log included, for each path make loadtest drives over
// the network. Together with the benchmarks in auth they show where a
// request's time goes without the network and the load generator.
func BenchmarkRequest(b *testing.B) {
	for _, store := range []string{"sqlite", "memory"} {
		var opts []option
		if store == "memory" {
			opts = append(opts, withMemoryStore())
		}
		ts := newTestServer(b, opts...)
		c := ts.browser(b)
		session := ts.login(b, c, "session", "user1", "pass123")
		token := ts.login(b, c, "jwt", "user1", "pass123")
		cases := []struct {
			name, path string
			header     []string
		}{
			{"api-none", "/api/auth", nil},
			{"api-bearer", "/api/auth", []string{"Authorization", "Bearer " + token}},
			{"api-session", "/api/auth", []string{"Cookie", "authlab_session=" + session}},
			{"jwt-dashboard", "/jwt/dashboard", []string{"Cookie", "authlab_token=" + token}},
			{"session-dashboard", "/session/dashboard", []string{"Cookie", "authlab_session=" + session}},
			{"compare", "/compare", []string{"Cookie", "authlab_session=" + session + "; authlab_token=" + token}},
		}
		for _, tc := range cases {
			if store == "memory" && tc.name != "api-session" {
				continue
			}
			b.Run(store+"/"+tc.name, func(b *testing.B) {
				h := ts.Config.Handler
				r := httptest.NewRequest(http.MethodGet, tc.path, nil)
				for i := 0; i+1 < len(tc.header); i += 2 {
					r.Header.Set(tc.header[i], tc.header[i+1])
				}
				b.ReportAllocs()
				for b.Loop() {
					// The server's log goes out in batches; the test's
					// would otherwise grow for the whole benchmark.
					ts.log.Reset()
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("GET %s = %d", tc.path, w.Code)
					}
				}
			})
		}
	}
}
