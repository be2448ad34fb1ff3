package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	const okPassword = "password"
	tests := []struct {
		name      string
		username  string
		password  string
		wantField string // "" means valid
	}{
		{"shortest username", "abc", okPassword, ""},
		{"username too short", "ab", okPassword, "username"},
		{"empty username", "", okPassword, "username"},
		{"longest username", strings.Repeat("a", 32), okPassword, ""},
		{"username too long", strings.Repeat("a", 33), okPassword, "username"},
		{"every allowed character", "az09_.-", okPassword, ""},
		{"uppercase", "Alice", okPassword, "username"},
		{"space", "al ice", okPassword, "username"},
		{"at sign", "alice@example", okPassword, "username"},
		{"slash", "al/ice", okPassword, "username"},
		{"non-ASCII letter", "alicé", okPassword, "username"},
		{"trailing newline", "alice\n", okPassword, "username"},
		{"leading newline", "\nalice", okPassword, "username"},
		{"shortest password", "alice", strings.Repeat("p", 8), ""},
		{"password too short", "alice", strings.Repeat("p", 7), "password"},
		{"empty password", "alice", "", "password"},
		{"longest password", "alice", strings.Repeat("p", 128), ""},
		{"password too long", "alice", strings.Repeat("p", 129), "password"},
		// Characters, not bytes: 8 two-byte runes pass, 7 three-byte runes
		// (21 bytes) do not, 128 two-byte runes (256 bytes) pass.
		{"8 multibyte runes", "alice", strings.Repeat("é", 8), ""},
		{"7 multibyte runes", "alice", strings.Repeat("€", 7), "password"},
		{"128 multibyte runes", "alice", strings.Repeat("é", 128), ""},
		{"129 multibyte runes", "alice", strings.Repeat("é", 129), "password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := validate(tc.username, tc.password)
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("validate(%q, %q) = %v, want nil", tc.username, tc.password, err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("validate(%q, %q) = %v, want a *ValidationError", tc.username, tc.password, err)
			}
			if ve.Field != tc.wantField {
				t.Errorf("Field = %q, want %q", ve.Field, tc.wantField)
			}
			if ve.Message == "" {
				t.Error("Message is empty; the form has nothing to show")
			}
			if !strings.Contains(err.Error(), tc.wantField) {
				t.Errorf("Error() = %q does not name the field", err)
			}
		})
	}
}

func TestSignUpAndAuthenticate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	users, store, alice := f.a.Users, f.users, f.alice
	if alice.ID == 0 || alice.Username != "alice" {
		t.Fatalf("SignUp returned %+v", alice)
	}
	if hash := store.hashOf("alice"); !strings.HasPrefix(hash, "$argon2id$v=19$") || strings.Contains(hash, "correct horse") {
		t.Fatalf("stored password %q is not an argon2id PHC string", hash)
	}

	t.Run("right password", func(t *testing.T) {
		u, err := users.Authenticate(ctx, "alice", "correct horse")
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		if u.ID != alice.ID || u.Username != "alice" {
			t.Fatalf("Authenticate = %+v, want %+v", u, alice)
		}
	})

	failures := []struct{ name, username, password string }{
		{"wrong password", "alice", "correct horsE"},
		{"empty password", "alice", ""},
		{"unknown user", "mallory", "correct horse"},
		{"username in another case", "ALICE", "correct horse"},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			u, err := users.Authenticate(ctx, tc.username, tc.password)
			// The same sentinel, so neither the message nor the status can
			// tell an unknown user from a wrong password.
			if err != ErrInvalidCredentials {
				t.Fatalf("Authenticate(%q, %q) err = %v, want exactly ErrInvalidCredentials", tc.username, tc.password, err)
			}
			if u != (User{}) {
				t.Fatalf("Authenticate returned user %+v along with an error", u)
			}
		})
	}

	t.Run("byID", func(t *testing.T) {
		u, err := users.byID(ctx, alice.ID)
		if err != nil || u.Username != "alice" {
			t.Fatalf("byID = %+v, %v", u, err)
		}
		if _, err := users.byID(ctx, alice.ID+100); !errors.Is(err, ErrNoUser) {
			t.Fatalf("byID(unknown) err = %v, want ErrNoUser", err)
		}
	})
}

func TestSignUpRefuses(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, Options{})
	users, store := f.a.Users, f.users
	tests := []struct {
		name, username, password string
		want                     func(error) bool
	}{
		{"duplicate username", "alice", "another password", func(err error) bool { return errors.Is(err, ErrUsernameTaken) }},
		{"bad username", "Bob", "good password", func(err error) bool { var ve *ValidationError; return errors.As(err, &ve) }},
		{"short password", "bob", "short", func(err error) bool { var ve *ValidationError; return errors.As(err, &ve) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := users.SignUp(ctx, tc.username, tc.password)
			if !tc.want(err) {
				t.Fatalf("SignUp(%q, %q) err = %v", tc.username, tc.password, err)
			}
		})
	}
	if _, err := users.Authenticate(ctx, "alice", "another password"); err != ErrInvalidCredentials {
		t.Fatalf("duplicate signup changed alice's password: Authenticate err = %v", err)
	}
	if _, _, err := store.UserByName(ctx, "bob"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("refused signup created bob: %v", err)
	}
}

// A store that finds no duplicate in UserByName but refuses the insert, as
// a UNIQUE constraint does when two signups race.
type racingStore struct{ *memUsers }

func (racingStore) UserByName(context.Context, string) (User, string, error) {
	return User{}, "", ErrNoUser
}

func TestSignUpRaceKeepsUsernameTaken(t *testing.T) {
	store := newMemUsers()
	if _, err := store.CreateUser(context.Background(), "alice", "x"); err != nil {
		t.Fatal(err)
	}
	users := newUsers(racingStore{store}, NewHasher(cheapParams, 1))
	if _, err := users.SignUp(context.Background(), "alice", "correct horse"); !errors.Is(err, ErrUsernameTaken) {
		t.Fatalf("SignUp err = %v, want one wrapping ErrUsernameTaken", err)
	}
}

func TestSeedBypassesRules(t *testing.T) {
	ctx := context.Background()
	store := newMemUsers()
	users := newUsers(store, NewHasher(cheapParams, 1))
	if err := validate("user1", "pass123"); err == nil {
		t.Fatal("the demo password passes signup rules; this test proves nothing")
	}
	u, err := users.Seed(ctx, "user1", "pass123")
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if !strings.HasPrefix(store.hashOf("user1"), "$argon2id$") {
		t.Fatalf("seeded password stored as %q, want it hashed like any other", store.hashOf("user1"))
	}
	got, err := users.Authenticate(ctx, "user1", "pass123")
	if err != nil || got.ID != u.ID {
		t.Fatalf("Authenticate(seeded user) = %+v, %v", got, err)
	}
	if _, err := users.Seed(ctx, "user1", "pass123"); !errors.Is(err, ErrUsernameTaken) {
		t.Fatalf("second Seed err = %v, want ErrUsernameTaken", err)
	}
}

// An unknown username must cost an argon2id verification just as a wrong
// password does, or the response time tells which accounts exist. With the
// hasher's only slot held and the context cancelled, a path that hashes
// returns the context's error; one that skipped hashing would return
// ErrInvalidCredentials at once.
func TestAuthenticateUnknownUserCostsAVerify(t *testing.T) {
	store := newMemUsers()
	hasher := NewHasher(cheapParams, 1)
	users := newUsers(store, hasher)
	if _, err := users.SignUp(context.Background(), "alice", "correct horse"); err != nil {
		t.Fatal(err)
	}
	holdSlots(t, hasher)
	ctx := cancelledContext()
	for _, tc := range []struct{ name, username string }{
		{"unknown user", "mallory"},
		{"wrong password", "alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := users.Authenticate(ctx, tc.username, "wrong password")
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Authenticate(%q) err = %v, want context.Canceled: it did not wait to hash", tc.username, err)
			}
		})
	}
}

type failingUsers struct{ *memUsers }

var errStoreDown = errors.New("store down")

func (failingUsers) UserByName(context.Context, string) (User, string, error) {
	return User{}, "", errStoreDown
}

func TestAuthenticateStoreErrorIsNotInvalidCredentials(t *testing.T) {
	users := newUsers(failingUsers{newMemUsers()}, NewHasher(cheapParams, 1))
	_, err := users.Authenticate(context.Background(), "alice", "correct horse")
	if !errors.Is(err, errStoreDown) || errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("Authenticate err = %v, want the store's error, not ErrInvalidCredentials", err)
	}
	if _, err := users.SignUp(context.Background(), "alice", "correct horse"); !errors.Is(err, errStoreDown) {
		t.Fatalf("SignUp err = %v, want the store's error", err)
	}
}

func TestAuthenticateStoredHashMalformed(t *testing.T) {
	store := newMemUsers()
	if _, err := store.CreateUser(context.Background(), "alice", "plaintext"); err != nil {
		t.Fatal(err)
	}
	users := newUsers(store, NewHasher(cheapParams, 1))
	_, err := users.Authenticate(context.Background(), "alice", "plaintext")
	if err == nil || err == ErrInvalidCredentials {
		t.Fatalf("Authenticate against a non-PHC hash err = %v, want a server error", err)
	}
}
