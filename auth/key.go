package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Key is one HMAC key, named by its kid (RFC 7515 §4.1.4).
type Key struct {
	ID     string
	Secret []byte
}

// KeySet holds the keys tokens are signed and verified with. A token
// names its key in the kid header; kid is outside input (RFC 8725 §3.10),
// so it is only ever looked up here, never used to find a file or a URL.
type KeySet interface {
	// Signing is the key new tokens are signed with.
	Signing() (Key, error)
	// Verifying is the key named id, while it still verifies tokens.
	Verifying(id string) (Key, bool)
}

// KeyID is the kid of secret: the first 8 bytes of its SHA-256, in hex.
// It names the key without revealing it, and two instances holding the
// same secret derive the same id.
func KeyID(secret []byte) string {
	sum := sha256.Sum256(secret)
	return hex.EncodeToString(sum[:8])
}

// StaticKeys is a KeySet of keys given by the operator: current signs and
// verifies, each of previous still verifies, so that a secret can be
// changed by a rolling restart. Each must be at least MinKeyLen bytes.
func StaticKeys(current []byte, previous ...[]byte) (KeySet, error) {
	ks := &staticKeys{byID: map[string]Key{}}
	for i, secret := range append([][]byte{current}, previous...) {
		if len(secret) < MinKeyLen {
			return nil, fmt.Errorf("%w; got %d", ErrKeyTooShort, len(secret))
		}
		k := Key{ID: KeyID(secret), Secret: secret}
		if i == 0 {
			ks.current = k
		}
		ks.byID[k.ID] = k
	}
	return ks, nil
}

type staticKeys struct {
	current Key
	byID    map[string]Key
}

func (s *staticKeys) Signing() (Key, error) { return s.current, nil }

func (s *staticKeys) Verifying(id string) (Key, bool) {
	k, ok := s.byID[id]
	return k, ok
}

// KeyFile is a KeySet of generated keys kept in a file of their own, mode
// 0600, beside the database but never in it: a copy of the database then
// holds nothing that signs a token. The newest key signs; an older one
// verifies until the time Rotate gave it, when every token it signed has
// expired. A running server sees a rotation made by another process (the
// keys command) within a second, without a restart.
type KeyFile struct {
	path string
	now  Clock

	mu      sync.Mutex
	checked time.Time   // when the file was last looked at
	file    os.FileInfo // the file keys was read from: a rotation renames a new one over it
	keys    []fileKey   // oldest first; the last one signs
}

type fileKey struct {
	ID      string    `json:"kid"`
	Secret  []byte    `json:"key"`
	Created time.Time `json:"created"`
	// Retires is when the key stops verifying; zero for the signing key.
	Retires time.Time `json:"retires,omitzero"`
}

// KeyInfo describes one key of a KeyFile, without its secret.
type KeyInfo struct {
	ID      string
	Created time.Time
	Signing bool
	Retires time.Time // zero for the signing key
}

// reloadEvery is how often a KeyFile looks for a rotation made elsewhere.
const reloadEvery = time.Second

// OpenKeyFile reads the keys at path, making the file with one new key
// (or with legacy, a key kept elsewhere before, when it is not nil) if
// there is none yet. now is the clock retirements are measured by; nil
// means time.Now.
func OpenKeyFile(path string, legacy []byte, now Clock) (*KeyFile, error) {
	if now == nil {
		now = time.Now
	}
	kf := &KeyFile{path: path, now: now}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		secret := legacy
		if secret == nil {
			secret = make([]byte, MinKeyLen)
			rand.Read(secret)
		}
		if len(secret) < MinKeyLen {
			return nil, fmt.Errorf("%w; got %d", ErrKeyTooShort, len(secret))
		}
		if err := kf.write([]fileKey{{ID: KeyID(secret), Secret: secret, Created: now().UTC()}}); err != nil {
			return nil, err
		}
	}
	kf.mu.Lock()
	defer kf.mu.Unlock()
	if err := kf.load(); err != nil {
		return nil, err
	}
	return kf, nil
}

// load reads the file; the caller holds mu.
func (kf *KeyFile) load() error {
	fi, err := os.Stat(kf.path)
	if err != nil {
		return fmt.Errorf("auth: key file: %w", err)
	}
	b, err := os.ReadFile(kf.path)
	if err != nil {
		return fmt.Errorf("auth: key file: %w", err)
	}
	var keys []fileKey
	if err := json.Unmarshal(b, &keys); err != nil || len(keys) == 0 {
		return fmt.Errorf("auth: key file %s holds no keys it can read", kf.path)
	}
	for _, k := range keys {
		if len(k.Secret) < MinKeyLen || k.ID != KeyID(k.Secret) {
			return fmt.Errorf("auth: key file %s: key %q is short or misnamed", kf.path, k.ID)
		}
	}
	kf.keys, kf.file, kf.checked = keys, fi, kf.now()
	return nil
}

// current reloads the file if it changed since it was read, at most once
// a reloadEvery, and returns the keys. A file that cannot be read keeps
// the keys already held: a rotation half-written elsewhere must not stop
// every login.
func (kf *KeyFile) current() []fileKey {
	kf.mu.Lock()
	defer kf.mu.Unlock()
	if now := kf.now(); now.Sub(kf.checked) >= reloadEvery {
		kf.checked = now
		// Modification times can be too coarse to tell two writes apart;
		// a rotation always renames a new file into place, so a different
		// file is the sign.
		if fi, err := os.Stat(kf.path); err == nil && !os.SameFile(fi, kf.file) {
			kf.load()
		}
	}
	return kf.keys
}

// Signing is the newest key.
func (kf *KeyFile) Signing() (Key, error) {
	keys := kf.current()
	k := keys[len(keys)-1]
	return Key{ID: k.ID, Secret: k.Secret}, nil
}

// Verifying is the key named id, unless it has retired.
func (kf *KeyFile) Verifying(id string) (Key, bool) {
	now := kf.now()
	for _, k := range kf.current() {
		if k.ID == id && (k.Retires.IsZero() || now.Before(k.Retires)) {
			return Key{ID: k.ID, Secret: k.Secret}, true
		}
	}
	return Key{}, false
}

// Rotate makes a new signing key. The one it replaces verifies for
// keepFor more, which should be a token's lifetime plus the clock leeway,
// so every token it signed expires first; keys already retired are
// dropped.
func (kf *KeyFile) Rotate(keepFor time.Duration) (Key, error) {
	kf.mu.Lock()
	defer kf.mu.Unlock()
	if err := kf.load(); err != nil {
		return Key{}, err
	}
	now := kf.now().UTC()
	var keys []fileKey
	for _, k := range kf.keys {
		if k.Retires.IsZero() {
			k.Retires = now.Add(keepFor)
		}
		if now.Before(k.Retires) {
			keys = append(keys, k)
		}
	}
	secret := make([]byte, MinKeyLen)
	rand.Read(secret)
	fresh := fileKey{ID: KeyID(secret), Secret: secret, Created: now}
	if err := kf.write(append(keys, fresh)); err != nil {
		return Key{}, err
	}
	return Key{ID: fresh.ID, Secret: fresh.Secret}, kf.load()
}

// List describes the keys, oldest first.
func (kf *KeyFile) List() []KeyInfo {
	keys := kf.current()
	out := make([]KeyInfo, len(keys))
	for i, k := range keys {
		out[i] = KeyInfo{ID: k.ID, Created: k.Created, Retires: k.Retires, Signing: i == len(keys)-1}
	}
	return out
}

// write replaces the file whole: a new file, mode 0600, renamed over the
// old, so a reader sees the old keys or the new, never half of either.
func (kf *KeyFile) write(keys []fileKey) error {
	b, err := json.MarshalIndent(keys, "", "  ")
	if err != nil {
		return fmt.Errorf("auth: key file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(kf.path), ".keys-*")
	if err != nil {
		return fmt.Errorf("auth: key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: key file: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("auth: key file: %w", err)
	}
	if err := os.Rename(tmp.Name(), kf.path); err != nil {
		return fmt.Errorf("auth: key file: %w", err)
	}
	return nil
}
