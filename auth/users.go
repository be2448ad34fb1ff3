package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"
)

// User is an account. The password hash never leaves this package's callers
// by way of User.
type User struct {
	ID       int64
	Username string
	Created  time.Time
}

// Errors from Users.
var (
	ErrInvalidCredentials = errors.New("auth: invalid username or password")
	ErrUsernameTaken      = errors.New("auth: username is taken")
	ErrNoUser             = errors.New("auth: no such user")
)

// ValidationError says which field of a signup was refused and why, in words
// fit to show the person who typed it.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return "auth: " + e.Field + ": " + e.Message }

// Username and password rules for new accounts.
const (
	MinPassword = 8
	MaxPassword = 128
)

var usernameRE = regexp.MustCompile(`^[a-z0-9_.-]{3,32}$`)

// IsUsername reports whether name could be a username under the signup
// rules: anything else names no account.
func IsUsername(name string) bool { return usernameRE.MatchString(name) }

// UserStore keeps accounts. ByName and ByID return ErrNoUser when there is
// none; Create returns ErrUsernameTaken for a duplicate.
type UserStore interface {
	CreateUser(ctx context.Context, username, passwordHash string) (User, error)
	UserByName(ctx context.Context, username string) (u User, passwordHash string, err error)
	UserByID(ctx context.Context, id int64) (User, error)
	// SetPassword replaces the password hash of the user with id.
	SetPassword(ctx context.Context, id int64, passwordHash string) error
}

// Users signs accounts up and checks their passwords.
type Users struct {
	store  UserStore
	hasher *Hasher
}

// newUsers returns Users over store, hashing with hasher.
func newUsers(store UserStore, hasher *Hasher) *Users {
	return &Users{store: store, hasher: hasher}
}

// validate checks a new account's username and password against the rules
// shown on the signup form.
func validate(username, password string) error {
	if !IsUsername(username) {
		return &ValidationError{Field: "username", Message: "Use 3 to 32 characters: lowercase letters, digits, _ . or -."}
	}
	if n := utf8.RuneCountInString(password); n < MinPassword || n > MaxPassword {
		return &ValidationError{Field: "password", Message: fmt.Sprintf("Use %d to %d characters.", MinPassword, MaxPassword)}
	}
	return nil
}

// SignUp validates and creates an account.
func (us *Users) SignUp(ctx context.Context, username, password string) (User, error) {
	if err := validate(username, password); err != nil {
		return User{}, err
	}
	return us.create(ctx, username, password)
}

// Seed creates an account without the signup rules; authlab uses it for the
// tutorial's demo user, whose password is shorter than signup allows. It
// returns ErrUsernameTaken when the account exists already.
func (us *Users) Seed(ctx context.Context, username, password string) (User, error) {
	return us.create(ctx, username, password)
}

func (us *Users) create(ctx context.Context, username, password string) (User, error) {
	if _, _, err := us.store.UserByName(ctx, username); err == nil {
		return User{}, ErrUsernameTaken
	} else if !errors.Is(err, ErrNoUser) {
		return User{}, fmt.Errorf("auth: look up user: %w", err)
	}
	hash, err := us.hasher.Hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	u, err := us.store.CreateUser(ctx, username, hash)
	if err != nil {
		return User{}, fmt.Errorf("auth: create user: %w", err)
	}
	return u, nil
}

// Authenticate returns the user whose username and password these are, or
// ErrInvalidCredentials. An unknown username costs the same argon2id work
// as a wrong password and gets the same error, so neither the answer nor
// its timing tells which accounts exist.
func (us *Users) Authenticate(ctx context.Context, username, password string) (User, error) {
	u, hash, err := us.store.UserByName(ctx, username)
	if errors.Is(err, ErrNoUser) {
		if err := us.hasher.verifyDummy(ctx, password); err != nil {
			return User{}, err
		}
		return User{}, ErrInvalidCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("auth: look up user: %w", err)
	}
	ok, err := us.hasher.Verify(ctx, password, hash)
	if err != nil {
		return User{}, fmt.Errorf("auth: verify password: %w", err)
	}
	if !ok {
		return User{}, ErrInvalidCredentials
	}
	return u, nil
}

// setPassword checks next against the signup rules and stores its hash.
func (us *Users) setPassword(ctx context.Context, u User, next string) error {
	if err := validate(u.Username, next); err != nil {
		return err
	}
	hash, err := us.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	if err := us.store.SetPassword(ctx, u.ID, hash); err != nil {
		return fmt.Errorf("auth: set password: %w", err)
	}
	return nil
}

func (us *Users) byID(ctx context.Context, id int64) (User, error) {
	return us.store.UserByID(ctx, id)
}
