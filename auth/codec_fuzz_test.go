package auth

import (
	"encoding/binary"
	"fmt"
	"testing"
	"time"
)

// recordValues carves data into a session record's values: per value a
// length byte, that many key bytes (fewer at the end of data) and up to 8
// bytes of int64. When other is set, one value is a string, which the
// codec must refuse.
func recordValues(data []byte, other bool) map[string]any {
	values := map[string]any{}
	for len(data) > 0 {
		n := min(int(data[0]), len(data)-1)
		key := string(data[1 : 1+n])
		data = data[1+n:]
		var v [8]byte
		data = data[copy(v[:], data):]
		values[key] = int64(binary.BigEndian.Uint64(v[:]))
	}
	if other {
		values["cart"] = "socks"
	}
	return values
}

// sameValues reports whether a and b hold the same keys with values of
// the same type that print the same.
func sameValues(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || fmt.Sprintf("%T %#v", v, v) != fmt.Sprintf("%T %#v", w, w) {
			return false
		}
	}
	return true
}

// FuzzRecordCodec checks the session record codec both ways. Decode, given
// any bytes (a store's row is outside input once a database can be
// copied or tampered with), returns an error or a record, never panics,
// and what it returns encodes and decodes to itself. Encode then Decode
// gives back any deadline and any values of int64 under keys of up to 255
// bytes, and refuses a value of any other type.
func FuzzRecordCodec(f *testing.F) {
	var c recordCodec
	deadline := time.Date(2025, 3, 2, 12, 0, 0, 123456789, time.UTC)
	enc := func(values map[string]any) []byte {
		b, err := c.Encode(deadline, values)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	record := map[string]any{sessionUserKey: int64(1), sessionLoginKey: int64(1740830400000), sessionSeenKey: int64(1740830400000)}
	fixed := enc(record)
	long := string(make([]byte, 254))
	seeds := [][]byte{
		fixed,
		enc(map[string]any{}),
		enc(map[string]any{long: int64(-1)}),
		fixed[:len(fixed)-1],
		append(fixed[:len(fixed):len(fixed)], 0),
		{recordVersion, 0, 0, 0, 0, 0, 0, 0, 0, 255},
		{recordVersion, 0, 0, 0, 0, 0, 0, 0, 0, 1, 255},
		{recordVersion, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 2},
		{2},
		{0},
		{0, 0xff, 0xff, 0xff, 0xff},
		nil,
	}
	for _, s := range seeds {
		f.Add(s, deadline.UnixNano(), false)
	}
	f.Add([]byte{3, 'u', 'i', 'd', 0, 0, 0, 0, 0, 0, 0, 1}, int64(-1), true)
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8}, int64(0), false)
	f.Fuzz(func(t *testing.T, data []byte, nanos int64, other bool) {
		// Anything Decode accepts survives a second round, if its deadline
		// is one the fixed layout can hold (Unix nanoseconds in an int64:
		// 1678 to 2262; scs sets it to now plus the lifetime).
		if at, values, err := c.Decode(data); err == nil && at.Equal(time.Unix(0, at.UnixNano())) {
			b, err := c.Encode(at, values)
			if err != nil {
				t.Fatalf("Decode(%x) gave %v, %v, which Encode refuses: %v", data, at, values, err)
			}
			at2, values2, err := c.Decode(b)
			if err != nil || !at2.Equal(at) || !sameValues(values, values2) {
				t.Fatalf("Decode(%x) = %v, %v; encoded again and decoded: %v, %v, %v", data, at, values, at2, values2, err)
			}
		}

		want := time.Unix(0, nanos)
		values := recordValues(data, other)
		b, err := c.Encode(want, values)
		if tooMany := len(values) > 255; other || tooMany {
			if err == nil {
				t.Fatalf("Encode(%d values, a string among them: %v) = %x, want an error", len(values), other, b)
			}
			return
		}
		if err != nil {
			t.Fatalf("Encode(%v, %v): %v", want, values, err)
		}
		got, back, err := c.Decode(b)
		if err != nil {
			t.Fatalf("Decode(Encode(%v, %v)) = %v", want, values, err)
		}
		if !got.Equal(want) {
			t.Errorf("deadline %v came back as %v", want, got)
		}
		if !sameValues(values, back) {
			t.Errorf("values %v came back as %v", values, back)
		}
	})
}
