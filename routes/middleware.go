package routes

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/authlab/authlab/routes/web"
)

// requestID gives each request a random id, sent back as X-Request-Id and
// logged with everything the request logs. An id sent by the client is
// ignored: it could be anything, and it would end up in the log.
func (s *server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(web.WithRequestID(r.Context(), id)))
	})
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (sw *statusWriter) WriteHeader(code int) {
	if sw.status == 0 {
		sw.status = code
	}
	sw.ResponseWriter.WriteHeader(code)
}

func (sw *statusWriter) Write(b []byte) (int, error) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	n, err := sw.ResponseWriter.Write(b)
	sw.bytes += n
	return n, err
}

func (sw *statusWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

// logRequests logs one line per request: method, path, status, size and
// duration. It never logs the query string, headers or body, where tokens,
// cookies and passwords travel.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		// The handler is called directly: Logger.LogAttrs would walk the
		// stack for a source line on every request, and this line has one
		// source.
		h := s.log.Handler()
		if !h.Enabled(r.Context(), slog.LevelInfo) {
			return
		}
		end := time.Now()
		rec := slog.NewRecord(end, slog.LevelInfo, "request", 0)
		rec.AddAttrs(
			slog.String("id", web.RequestID(r.Context())),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int("bytes", sw.bytes),
			slog.Duration("took", end.Sub(start)),
		)
		h.Handle(r.Context(), rec)
	})
}

// recoverPanic turns a panicking handler into a logged error and a 500
// page; the stack goes to the log, never to the client.
func (s *server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "id", web.RequestID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			w.Header().Set("Connection", "close")
			s.Web.ServerError(w, r, fmt.Errorf("panic: %v", v))
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows nothing but the site's own files: no inline
// script, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// hsts tells browsers to use https for this host, and its subdomains, for
// two years; sent only behind an https base URL, where a browser can
// honour it.
const hsts = "max-age=63072000; includeSubDomains"

func securityHeaders(https bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			if https {
				h.Set("Strict-Transport-Security", hsts)
			}
			setSecurityHeaders(h)
			next.ServeHTTP(w, r)
		})
	}
}

// setSecurityHeaders sets the headers every response carries. Header.Set
// would allocate a slice for each value; one array holds all six instead,
// each header getting a slice of it capped at its one value, so a later
// Add or Set replaces that header's slice and never writes into the next.
// The names are written in canonical form, as Set would make them.
func setSecurityHeaders(h http.Header) {
	v := [...]string{
		contentSecurityPolicy,
		"nosniff",
		"DENY",
		"same-origin",
		"same-origin",
		"camera=(), microphone=(), geolocation=()",
	}
	h["Content-Security-Policy"] = v[0:1:1]
	h["X-Content-Type-Options"] = v[1:2:2]
	h["X-Frame-Options"] = v[2:3:3]
	h["Referrer-Policy"] = v[3:4:4]
	h["Cross-Origin-Opener-Policy"] = v[4:5:5]
	h["Permissions-Policy"] = v[5:6:6]
}

// closeAfterChunked ends the connection after answering a request with a
// chunked body. RFC 9112 §6.1 requires it when a request carries both
// Content-Length and Transfer-Encoding, the mark of request smuggling,
// so that nothing pipelined behind it is served; net/http drops the
// Content-Length before a handler sees it, so every chunked request is
// treated so. Browsers do not send chunked bodies, and closing costs
// another client one reconnection.
func closeAfterChunked(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses a body declared larger than MaxBodyBytes at once, and
// caps the reading of any other, so an undeclared one fails as it grows.
func (s *server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			s.Web.ErrorPage(w, r, http.StatusRequestEntityTooLarge, "", web.TooLarge)
			return
		}
		if r.Body != http.NoBody { // a GET's, which has nothing to cap
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// noStore keeps pages that show a user (every page with the nav) out of
// shared and browser caches.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// files serves the embedded static files and nothing else: a folder,
// which the file server would list, is a 404.
func (s *server) files(fs http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			s.notFound(w, r)
			return
		}
		fs.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}
