// Package web is what every authlab handler answers with: handlers that
// return an error, one place that turns the error into a page or a JSON
// body, and the writer that sends both. It is shared by routes and the
// /learn pages, and holds no route of its own.
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/authlab/authlab/auth"
	"github.com/authlab/authlab/views"
)

// Handler is an http.Handler that returns its failure instead of writing
// it: Responder.Handle turns the error into the response, so a missing
// return after an error page cannot happen.
type Handler func(http.ResponseWriter, *http.Request) error

// Error is a failure with the status and words the client gets. Err, when
// set, is logged and never sent.
type Error struct {
	Status  int
	Heading string // the page's heading; "" means the status text
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// BadRequest is a 400 with message; err says what failed, for the log.
func BadRequest(message string, err error) error {
	return &Error{Status: http.StatusBadRequest, Message: message, Err: err}
}

// Status is a failure with any client-error status.
func Status(status int, message string) error {
	return &Error{Status: status, Message: message}
}

// TooLarge is the answer to a body over the size limit.
const TooLarge = "The request body is larger than 1 MiB."

// Responder writes pages, JSON and errors. It needs nothing but a logger
// and the site's links, so main can build it before the handlers and the
// auth package that report to it.
type Responder struct {
	log      *slog.Logger
	links    views.Links
	instance string
}

// NewResponder returns a Responder that logs to log and gives every page
// links and the name of this instance.
func NewResponder(log *slog.Logger, links views.Links, instance string) *Responder {
	return &Responder{log: log, links: links, instance: instance}
}

// Instance is the name of this authlab process.
func (rs *Responder) Instance() string { return rs.instance }

// Log is the logger failures are written to.
func (rs *Responder) Log() *slog.Logger { return rs.log }

// Handle adapts h to net/http, answering its error with Fail.
func (rs *Responder) Handle(h Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			rs.Fail(w, r, err)
		}
	}
}

// Fail answers err: a body over the size limit is a 413 whatever the
// handler made of it, a store that cannot be reached a 503, an *Error its
// own status and words, anything else a logged 500 that tells the client
// only the request id. Its signature fits auth.Options.ErrorFunc.
func (rs *Responder) Fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		tooBig *http.MaxBytesError
		e      *Error
	)
	switch {
	case errors.Is(err, auth.ErrStoreUnavailable):
		rs.log.Warn("store unavailable", "id", RequestID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
		RetryAfter(w, unavailableWait)
		rs.ErrorPage(w, r, http.StatusServiceUnavailable, "Try again in a moment",
			"The database this server keeps its sessions and users in did not answer. Nothing was changed; try again in a moment.")
	case errors.As(err, &tooBig):
		rs.ErrorPage(w, r, http.StatusRequestEntityTooLarge, "", TooLarge)
	case errors.As(err, &e) && e.Status < http.StatusInternalServerError:
		rs.ErrorPage(w, r, e.Status, e.Heading, e.Message)
	default:
		rs.ServerError(w, r, err)
	}
}

// unavailableWait is the wait a 503 suggests.
const unavailableWait = 2 * time.Second

// RetryAfter sets the Retry-After header to d, in whole seconds rounded up,
// as RFC 9110 §10.2.3 counts it.
func RetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
}

// ServerError logs err with the request id and answers 500.
func (rs *Responder) ServerError(w http.ResponseWriter, r *http.Request, err error) {
	id := RequestID(r.Context())
	rs.log.Error("server error", "id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	rs.ErrorPage(w, r, http.StatusInternalServerError, "Something went wrong",
		"The server failed to answer this request. It has been logged as "+id+".")
}

// ErrorPage answers with status: a JSON error under /api/, else a page in
// the layout with no sign-in state, since it may answer a request that was
// never identified. An empty heading means the status text.
func (rs *Responder) ErrorPage(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	if IsAPI(r) {
		if err := rs.JSON(w, status, APIError{Error: message}); err != nil {
			http.Error(w, http.StatusText(status), status)
		}
		return
	}
	if heading == "" {
		heading = http.StatusText(status)
	}
	v := views.ErrorView{Page: views.Page{Title: heading, Path: r.URL.Path, Links: rs.links, Instance: rs.instance},
		Status: status, Heading: heading, Message: message}
	if err := rs.Render(w, r, status, views.Error(v)); err != nil {
		http.Error(w, http.StatusText(status), status)
	}
}

// APIError is the body of every /api/ error.
type APIError struct {
	Error string `json:"error"`
}

// IsAPI reports whether r is for the JSON API, which answers errors in JSON.
func IsAPI(r *http.Request) bool {
	return r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
}

// Render writes c with status. It renders into a buffer first, so a
// component that fails returns its error with nothing sent, and the
// caller's error answer is the whole response.
func (rs *Responder) Render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	buf := buffers.Get().(*bytes.Buffer)
	defer func() {
		// An unusually large page's buffer is left to the collector.
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			buffers.Put(buf)
		}
	}()
	if err := c.Render(r.Context(), buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	write(w, status, "text/html; charset=utf-8", buf.Bytes())
	return nil
}

// buffers hold rendered pages between requests, so a page is not grown
// from nothing each time.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// jsonBuffers hold the JSON of Appenders between requests.
var jsonBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxPooledBuffer = 256 << 10

// JSON writes v as JSON with status, or returns the encoding error with
// nothing sent. A v that encodes itself (an Appender) is written without
// reflection.
func (rs *Responder) JSON(w http.ResponseWriter, status int, v any) error {
	if a, ok := v.(Appender); ok {
		bp := jsonBuffers.Get().(*[]byte)
		b := append(a.AppendJSON((*bp)[:0]), '\n')
		write(w, status, "application/json", b)
		if cap(b) <= maxPooledBuffer {
			*bp = b[:0]
			jsonBuffers.Put(bp)
		}
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	write(w, status, "application/json", append(b, '\n'))
	return nil
}

// An Appender appends its JSON encoding to b, byte for byte what
// json.Marshal would write. The answers of the API's hot path implement
// it: reflection was most of their encoding's cost.
type Appender interface {
	AppendJSON(b []byte) []byte
}

// AppendJSONString appends s as a JSON string, as json.Marshal writes it.
// Plain ASCII, all that authlab's own strings hold, is copied as it is;
// anything that needs escaping goes through encoding/json.
func AppendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// write is the one place a whole response body is sent. The body is known
// in full, so its length goes in the header: the response then leaves in
// one piece rather than in chunks with a closing chunk after them.
func write(w http.ResponseWriter, status int, contentType string, body []byte) {
	// Header.Set would allocate a slice per value: one array holds both,
	// each header's slice capped at its value so that a later Add cannot
	// write into the other.
	v := [...]string{contentType, strconv.Itoa(len(body))}
	h := w.Header()
	h["Content-Type"] = v[0:1:1]
	h["Content-Length"] = v[1:2:2]
	w.WriteHeader(status)
	w.Write(body)
}

// Page returns the view model every page shares, with this browser's
// sign-in state under each strategy for the nav, read from the request's
// identity.
func (rs *Responder) Page(r *http.Request, title string) views.Page {
	p := views.Page{Title: title, Path: r.URL.Path, Links: rs.links, Instance: rs.instance, Nav: &views.Nav{}}
	id, _ := auth.IdentityFrom(r.Context())
	if id.Session.SignedIn() {
		p.Nav.SessionUser = id.Session.User.Username
	}
	if id.JWT.SignedIn() {
		p.Nav.JWTUser = id.JWT.User.Username
	}
	return p
}

type ctxKey int

const requestIDKey ctxKey = iota

// WithRequestID returns ctx carrying the request id logged with every
// line the request writes.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the id WithRequestID gave ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}
