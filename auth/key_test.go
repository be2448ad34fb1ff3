package auth

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authlab/authlab/auth/authtest"
)

func TestStaticKeys(t *testing.T) {
	current, previous := bytes.Repeat([]byte("c"), 32), bytes.Repeat([]byte("p"), 40)
	ks, err := StaticKeys(current, previous)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := ks.Signing(); !bytes.Equal(k.Secret, current) || k.ID != KeyID(current) {
		t.Errorf("Signing = %+v, want the current key", k)
	}
	if k, ok := ks.Verifying(KeyID(previous)); !ok || !bytes.Equal(k.Secret, previous) {
		t.Errorf("Verifying(previous) = %+v, %v", k, ok)
	}
	if _, ok := ks.Verifying("0123456789abcdef"); ok {
		t.Error("an unknown kid verifies")
	}
	if _, err := StaticKeys(current, []byte("short")); !errors.Is(err, ErrKeyTooShort) {
		t.Errorf("a short previous key: %v, want ErrKeyTooShort", err)
	}
	if KeyID(current) == KeyID(previous) || strings.Contains(KeyID(current), "ccc") || len(KeyID(current)) != 16 {
		t.Errorf("KeyID = %q, %q: want 16 hex digits that differ and show nothing of the key", KeyID(current), KeyID(previous))
	}
}

// TestKeyFile defends rotation: the file is private, a rotation makes a
// new signing key while the old one verifies until its tokens have
// expired and then stops, and another process's rotation is picked up.
func TestKeyFile(t *testing.T) {
	clock := authtest.NewClock()
	path := filepath.Join(t.TempDir(), "keys.json")
	kf, err := OpenKeyFile(path, nil, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	first, _ := kf.Signing()
	if len(first.Secret) < MinKeyLen {
		t.Fatalf("generated key of %d bytes", len(first.Secret))
	}
	again, err := OpenKeyFile(path, bytes.Repeat([]byte{1}, 32), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := again.Signing(); k.ID != first.ID {
		t.Fatal("reopening made a new key, or took the legacy one over the file")
	}

	second, err := kf.Rotate(10 * time.Minute)
	if err != nil || second.ID == first.ID {
		t.Fatalf("Rotate = %+v, %v", second, err)
	}
	if k, _ := kf.Signing(); k.ID != second.ID {
		t.Error("the new key does not sign")
	}
	if _, ok := kf.Verifying(first.ID); !ok {
		t.Error("the old key stopped verifying at once")
	}
	// The other handle sees the rotation within a second, no restart.
	clock.Advance(reloadEvery)
	if k, _ := again.Signing(); k.ID != second.ID {
		t.Error("another handle on the file did not pick the rotation up")
	}
	clock.Advance(10 * time.Minute)
	if _, ok := kf.Verifying(first.ID); ok {
		t.Error("the old key verifies past its retirement")
	}
	if _, err := kf.Rotate(time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, k := range kf.List() {
		if k.ID == first.ID {
			t.Error("a retired key was kept in the file")
		}
	}
}

// TestLegacyKeyIsAdopted: a key kept elsewhere before keeps signing, so
// tokens issued before the move stay good.
func TestLegacyKeyIsAdopted(t *testing.T) {
	legacy := bytes.Repeat([]byte{9}, 32)
	kf, err := OpenKeyFile(filepath.Join(t.TempDir(), "keys.json"), legacy, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := kf.Signing(); !bytes.Equal(k.Secret, legacy) {
		t.Error("the legacy key does not sign")
	}
}

// TestTokensNameTheirKey defends kid handling (RFC 7515 §4.1.4, RFC 8725
// §3.10): issued tokens carry the signing key's kid, a token with an
// unknown kid is a bad signature without any HMAC, a token with no kid is
// checked with the signing key alone, and a remembered token stops
// verifying when its key retires.
func TestTokensNameTheirKey(t *testing.T) {
	clock := authtest.NewClock()
	kf, err := OpenKeyFile(filepath.Join(t.TempDir(), "keys.json"), nil, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	a := newFixture(t, Options{Keys: kf})
	// The key file's clock and the strategies' move together.
	advance := func(d time.Duration) { clock.Advance(d); a.clock.Advance(d) }
	old, err := a.a.Tokens.Issue(testRequest(), a.alice)
	if err != nil {
		t.Fatal(err)
	}
	oldKey, _ := kf.Signing()
	if got := headerKid(t, old.Raw); got != oldKey.ID {
		t.Fatalf("kid = %q, want the signing key's %q", got, oldKey.ID)
	}
	if _, err := a.a.Tokens.Verify(old.Raw); err != nil {
		t.Fatalf("Verify = %v", err)
	}

	claims := claimsAt(clock.Now())
	unknown := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	unknown.Header["kid"] = "ffffffffffffffff"
	raw, _ := unknown.SignedString(oldKey.Secret)
	if _, err := a.a.Tokens.Verify(raw); !errors.Is(err, ErrBadSignature) {
		t.Errorf("a token with an unknown kid: %v, want ErrBadSignature", err)
	}

	if _, err := kf.Rotate(time.Minute); err != nil {
		t.Fatal(err)
	}
	newKey, _ := kf.Signing()
	noKid := jwt.NewWithClaims(jwt.SigningMethodHS256, claimsAt(clock.Now()))
	withOld, _ := noKid.SignedString(oldKey.Secret)
	if _, err := a.a.Tokens.Verify(withOld); !errors.Is(err, ErrBadSignature) {
		t.Errorf("no kid, signed with the retiring key: %v, want ErrBadSignature", err)
	}
	noKid = jwt.NewWithClaims(jwt.SigningMethodHS256, claimsAt(clock.Now()))
	withNew, _ := noKid.SignedString(newKey.Secret)
	if _, err := a.a.Tokens.Verify(withNew); err != nil {
		t.Errorf("no kid, signed with the signing key: %v, want accepted", err)
	}
	if _, err := a.a.Tokens.Verify(old.Raw); err != nil {
		t.Errorf("a token of the retiring key, before it retires: %v", err)
	}
	advance(time.Minute + reloadEvery)
	if _, err := a.a.Tokens.Verify(old.Raw); !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrExpired) {
		t.Errorf("a remembered token of a retired key: %v, want refused", err)
	}
}

func headerKid(t *testing.T, raw string) string {
	t.Helper()
	h := decodeSegment(t, strings.Split(raw, ".")[0])
	kid, _ := h["kid"].(string)
	return kid
}
