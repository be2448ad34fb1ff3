package auth

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"
)

// uncommittableStore finds and deletes records but cannot save one, as a
// database that stays locked past its busy timeout.
type uncommittableStore struct{ *memstore.MemStore }

var errLocked = errors.New("database is locked")

func (uncommittableStore) Commit(string, []byte, time.Time) error { return errLocked }

// A session save that fails after the handler has begun its answer is
// answered by ErrorFunc alone: the handler's status, headers and body,
// and any error answer of its own, never follow the error's.
func TestFailedSaveIsTheWholeAnswer(t *testing.T) {
	errorFunc := func(w http.ResponseWriter, _ *http.Request, err error) {
		w.Header().Set("Retry-After", "2")
		http.Error(w, "try again: "+err.Error(), http.StatusServiceUnavailable)
	}
	tests := []struct {
		name    string
		handler func(f *fixture) http.HandlerFunc
	}{
		{"a handler that answers 200", func(f *fixture) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if _, err := f.a.Sessions.Login(r, f.alice); err != nil {
					t.Errorf("Login: %v", err)
				}
				http.SetCookie(w, &http.Cookie{Name: "other", Value: "x"})
				w.Header().Set("Location", "/dashboard")
				w.WriteHeader(http.StatusSeeOther)
				w.Write([]byte(`{"authenticated":true}`))
			}
		}},
		{"a handler that answers its own error", func(f *fixture) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if _, err := f.a.Sessions.Login(r, f.alice); err != nil {
					t.Errorf("Login: %v", err)
				}
				errorFunc(w, r, errors.New("the handler's own failure"))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{SessionStore: uncommittableStore{memstore.NewWithCleanupInterval(0)}, ErrorFunc: errorFunc})
			rec := f.serve(f.request(http.MethodPost, "/login", creds{}), tc.handler(f))
			if rec.Code != http.StatusServiceUnavailable {
				t.Errorf("status %d, want 503", rec.Code)
			}
			if body := rec.Body.String(); body != "try again: "+errLocked.Error()+"\n" {
				t.Errorf("body %q, want the save's error alone", body)
			}
			if got := rec.Header().Values("Set-Cookie"); len(got) != 0 {
				t.Errorf("Set-Cookie %q on the error", got)
			}
			if got := rec.Header().Get("Location"); got != "" {
				t.Errorf("Location %q on the error", got)
			}
			if !strings.Contains(rec.Header().Get("Retry-After"), "2") {
				t.Errorf("Retry-After %q, want 2", rec.Header().Get("Retry-After"))
			}
		})
	}
}
