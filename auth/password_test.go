package auth

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func TestDefaultParamsAreOWASPMinimum(t *testing.T) {
	// OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1.
	want := Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	if DefaultParams != want {
		t.Fatalf("DefaultParams = %+v, want %+v", DefaultParams, want)
	}
}

func TestHashDefaultParams(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(DefaultParams, 1)
	got, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	// 16 salt bytes and 32 key bytes in unpadded standard base64.
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.MatchString(got) {
		t.Fatalf("Hash = %q, not a DefaultParams argon2id PHC string", got)
	}
	if strings.Contains(got, "correct horse") {
		t.Fatalf("Hash %q contains the password", got)
	}
	ok, err := h.Verify(ctx, "correct horse", got)
	if err != nil || !ok {
		t.Fatalf("Verify(right password) = %v, %v; want true, nil", ok, err)
	}
}

func TestHashSaltsEveryHash(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheapParams, 1)
	a, err := h.Hash(ctx, "same password")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash(ctx, "same password")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two hashes of one password are equal (%q): the salt is not random", a)
	}
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheapParams, 0)
	hash, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"right password", "correct horse", true},
		{"wrong password", "correct horsf", false},
		{"prefix", "correct hors", false},
		{"longer", "correct horse ", false},
		{"empty", "", false},
		{"case differs", "Correct horse", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := h.Verify(ctx, tc.password, hash)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if ok != tc.want {
				t.Fatalf("Verify(%q) = %v, want %v", tc.password, ok, tc.want)
			}
		})
	}
}

func TestVerifyReadsParamsFromHash(t *testing.T) {
	ctx := context.Background()
	older := NewHasher(Params{Memory: 128, Time: 3, Threads: 2, SaltLen: 8, KeyLen: 24}, 1)
	old, err := older.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(old, "$argon2id$v=19$m=128,t=3,p=2$") {
		t.Fatalf("Hash = %q, want the hasher's own params in it", old)
	}
	current := NewHasher(cheapParams, 1)
	ok, err := current.Verify(ctx, "correct horse", old)
	if err != nil || !ok {
		t.Fatalf("Verify(hash under other params) = %v, %v; want true, nil", ok, err)
	}
	ok, err = current.Verify(ctx, "wrong horse", old)
	if err != nil || ok {
		t.Fatalf("Verify(wrong password, other params) = %v, %v; want false, nil", ok, err)
	}
}

// malformedHashes are PHC strings Verify must refuse with an error.
var malformedHashes = []struct{ name, hash string }{
	{"empty", ""},
	{"plain text", "correct horse"},
	{"no leading dollar", "argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
	{"version 16", "$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"version not a number", "$argon2id$v=x$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"version missing", "$argon2id$$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"params missing", "$argon2id$v=19$$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"params out of order", "$argon2id$v=19$t=1,m=64,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"memory zero", "$argon2id$v=19$m=0,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"time zero", "$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"threads zero", "$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"negative memory", "$argon2id$v=19$m=-64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"threads overflow", "$argon2id$v=19$m=64,t=1,p=256$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"memory overflow", "$argon2id$v=19$m=4294967296,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"salt not base64", "$argon2id$v=19$m=64,t=1,p=1$!!!!$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"key not base64", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$****"},
	{"key padded", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U="},
	{"key empty", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$"},
	{"key missing", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0"},
	{"salt and key missing", "$argon2id$v=19$m=64,t=1,p=1"},
	{"extra part", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5$x"},
	{"only dollars", "$$$$$"},
	{"characters after the version", "$argon2id$v=19junk$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"characters after the params", "$argon2id$v=19$m=64,t=1,p=1junk$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"leading zero in a param", "$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
	{"space in the params", "$argon2id$v=19$m=64, t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
}

func TestVerifyMalformedHash(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheapParams, 1)
	for _, tc := range malformedHashes {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := h.Verify(ctx, "correct horse", tc.hash)
			if err == nil {
				t.Fatalf("Verify(%q) err = nil, want an error", tc.hash)
			}
			if !errors.Is(err, errBadHash) {
				t.Errorf("Verify(%q) err = %v, want errBadHash", tc.hash, err)
			}
			if ok {
				t.Fatalf("Verify(%q) = true on a malformed hash", tc.hash)
			}
		})
	}
}

func TestNewHasherDefaultLimitIsNumCPU(t *testing.T) {
	for _, limit := range []int{0, -1} {
		if got := cap(NewHasher(cheapParams, limit).slots); got != runtime.NumCPU() {
			t.Errorf("NewHasher(p, %d) runs %d at once, want NumCPU = %d", limit, got, runtime.NumCPU())
		}
	}
	if got := cap(NewHasher(cheapParams, 3).slots); got != 3 {
		t.Errorf("NewHasher(p, 3) runs %d at once, want 3", got)
	}
}

// With every slot held by hashes in flight, a new hash must wait: given a
// context that is already cancelled it returns the context's error instead
// of running. If the limit did not hold, these calls would succeed.
func TestHasherLimitsConcurrency(t *testing.T) {
	h := NewHasher(cheapParams, 1)
	hash, err := h.Hash(context.Background(), "correct horse")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("held", func(t *testing.T) {
		holdSlots(t, h)
		ctx := cancelledContext()
		calls := []struct {
			name string
			call func() error
		}{
			{"Hash", func() error { _, err := h.Hash(ctx, "correct horse"); return err }},
			{"Verify", func() error { _, err := h.Verify(ctx, "correct horse", hash); return err }},
			{"verifyDummy", func() error { return h.verifyDummy(ctx, "correct horse") }},
		}
		for _, c := range calls {
			if err := c.call(); !errors.Is(err, context.Canceled) {
				t.Errorf("%s with the only slot held and ctx cancelled: err = %v, want context.Canceled", c.name, err)
			}
		}
	})

	t.Run("released", func(t *testing.T) {
		ok, err := h.Verify(context.Background(), "correct horse", hash)
		if err != nil || !ok {
			t.Fatalf("Verify after the slot was released = %v, %v; want true, nil", ok, err)
		}
		if n := len(h.slots); n != 0 {
			t.Fatalf("%d slots still held after Verify returned", n)
		}
	})

	t.Run("waiter proceeds when a slot frees", func(t *testing.T) {
		h.slots <- struct{}{}
		done := make(chan error, 1)
		go func() {
			_, err := h.Hash(context.Background(), "correct horse")
			done <- err
		}()
		<-h.slots
		if err := <-done; err != nil {
			t.Fatalf("Hash after the slot freed: %v", err)
		}
	})
}

func TestVerifyDummyNeverMatches(t *testing.T) {
	h := NewHasher(cheapParams, 1)
	if !strings.HasPrefix(h.dummy, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("dummy hash %q is not made with the hasher's params, so it would not cost the same", h.dummy)
	}
	if err := h.verifyDummy(context.Background(), ""); err != nil {
		t.Fatalf("verifyDummy: %v", err)
	}
	other := NewHasher(cheapParams, 1)
	if h.dummy == other.dummy {
		t.Fatal("two hashers share a dummy hash")
	}
}

func FuzzDecodeHash(f *testing.F) {
	h := NewHasher(cheapParams, 1)
	valid, err := h.Hash(context.Background(), "correct horse")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(h.dummy)
	for _, tc := range malformedHashes {
		f.Add(tc.hash)
	}
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$AA")
	f.Add("$argon2id$v=19junk$m=64,t=1,p=1junk$c2FsdA$a2V5")
	f.Add("$argon2id$v=19$m=64 ,t=1,p=1$c2FsdA$a2V5")
	f.Add("$argon2id$v=19$m=%d,t=1,p=1$c2FsdA$a2V5")
	f.Fuzz(func(t *testing.T, encoded string) {
		p, _, key, err := decodeHash(encoded)
		if err != nil {
			if !errors.Is(err, errBadHash) {
				t.Fatalf("decodeHash(%q) err = %v, want errBadHash", encoded, err)
			}
			return
		}
		// Anything accepted must be safe to hand to argon2.IDKey.
		if p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
			t.Fatalf("decodeHash(%q) accepted zero params %+v", encoded, p)
		}
		if len(key) == 0 {
			t.Fatalf("decodeHash(%q) accepted an empty key", encoded)
		}
	})
}
