package auth

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"
)

// SeededSession is one signed-in session made without a request, for
// filling a store in bulk (authlab seed, load tests, sizing a deployment).
// A store bulk-inserts Record under Key with Expiry, and Login into the
// index of logins; a client that presents Token in the session cookie is
// then signed in exactly as if it had logged in.
type SeededSession struct {
	Token  string    // the cookie's value; the store never holds it
	Key    string    // what the store keeps the record under: the token's SHA-256
	Record []byte    // the record, encoded as the session manager decodes it
	Expiry time.Time // the idle deadline, or the end of the lifetime if sooner
	Login  Login     // its entry in the index of logins
}

// scsTokenBytes is the randomness in a token scs makes: 32 bytes,
// base64url without padding, 43 characters.
const scsTokenBytes = 32

// Seed makes a session of userID that logged in at login and was last
// seen at seen, under this strategy's idle timeout and lifetime. Only
// bulk loaders need it: a real login goes through Login, which also
// renews the token on the request's session. A session seen longer ago
// than the idle timeout comes back already expired; a loader that wants
// sessions to end soon passes a seen that far in the past.
func (s *Sessions) Seed(userID int64, login, seen time.Time) (SeededSession, error) {
	b := make([]byte, scsTokenBytes)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	rec := s.record(userID, login, seen)
	data, err := s.mgr.Codec.Encode(rec.Deadline, map[string]any{
		sessionUserKey: userID, sessionLoginKey: rec.Login.UnixMilli(), sessionSeenKey: rec.Seen.UnixMilli()})
	if err != nil {
		return SeededSession{}, fmt.Errorf("auth: encode session record: %w", err)
	}
	key := sessionKey(token)
	return SeededSession{
		Token:  token,
		Key:    key,
		Record: data,
		Expiry: rec.IdleDeadline,
		Login: Login{ID: rand.Text(), UserID: userID, Strategy: StrategySession, Key: key,
			Started: rec.Login, Seen: rec.Seen, Expires: rec.Deadline, Agent: SeedAgent, Address: SeedAddress},
	}, nil
}

// The User-Agent and address a seeded login shows in a list of logins.
const (
	SeedAgent   = "authlab seed"
	SeedAddress = "127.0.0.1"
)
