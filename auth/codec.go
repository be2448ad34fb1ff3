package auth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"
)

// recordCodec is the scs Codec for this package's session records. A record
// holds a few int64 values (the user id, when they logged in and were last
// seen), so a fixed binary layout replaces scs's default gob: a fraction of
// the bytes and of the work, on a path every session request takes, and a
// decoder short enough to trust with a row a tampered database hands it,
// which gob is not built for. An application that wants more in a session
// keeps it in its own table, keyed by the user id.
//
// Layout: version byte, deadline (Unix nanoseconds, 8 bytes), count byte,
// then per value a key length byte, the key, and the int64 (8 bytes), all
// big-endian, keys in sorted order so equal records encode equally.
type recordCodec struct{}

const recordVersion = 1

var errRecord = errors.New("auth: session record is not in this package's format")

// Encode encodes deadline and values: at most 255 int64 values under
// keys of at most 255 bytes.
func (recordCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	if len(values) > 255 {
		return nil, fmt.Errorf("auth: a session record holds at most 255 values, not %d", len(values))
	}
	keys := make([]string, 0, len(values))
	for k, v := range values {
		if _, ok := v.(int64); !ok {
			return nil, fmt.Errorf("auth: session value %q is a %T; a record holds int64 values only", k, v)
		}
		if len(k) > 255 {
			return nil, fmt.Errorf("auth: session key of %d bytes; 255 at most", len(k))
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := make([]byte, 0, encodedSize(keys...))
	b = append(b, recordVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(deadline.UnixNano()))
	b = append(b, byte(len(keys)))
	for _, k := range keys {
		b = append(b, byte(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint64(b, uint64(values[k].(int64)))
	}
	return b, nil
}

// encodedSize is the length of Encode's output for values under keys.
func encodedSize(keys ...string) int {
	size := 1 + 8 + 1
	for _, k := range keys {
		size += 1 + len(k) + 8
	}
	return size
}

// recordKey is key as a string, the package's own constant for the keys a
// session record holds, so that decoding one allocates no key.
func recordKey(key []byte) string {
	switch string(key) {
	case sessionUserKey:
		return sessionUserKey
	case sessionLoginKey:
		return sessionLoginKey
	case sessionSeenKey:
		return sessionSeenKey
	}
	return string(key)
}

// Decode is the inverse of Encode; anything else is errRecord.
func (recordCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	if len(b) < 10 || b[0] != recordVersion {
		return time.Time{}, nil, errRecord
	}
	deadline := time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9]))).UTC()
	n := int(b[9])
	b = b[10:]
	values := make(map[string]any, n)
	for range n {
		if len(b) < 1 || len(b) < 1+int(b[0])+8 {
			return time.Time{}, nil, errRecord
		}
		k := recordKey(b[1 : 1+int(b[0])])
		b = b[1+int(b[0]):]
		values[k] = int64(binary.BigEndian.Uint64(b[:8]))
		b = b[8:]
	}
	if len(b) != 0 {
		return time.Time{}, nil, errRecord
	}
	return deadline, values, nil
}
