package auth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/alexedwards/scs/v2"
)

// recordCodec is the scs Codec for this package's session records. This
// package's records hold a few int64 values (the user id, when they logged
// in and were last seen), so a fixed binary layout replaces scs's default
// gob for them: a fraction of the bytes and of the work, on a path every
// session request takes. A record holding anything else, as an application
// that puts its own values in the session may make, is gob-encoded as scs
// would, behind a different first byte.
//
// Layout: version byte, deadline (Unix nanoseconds, 8 bytes), count byte,
// then per value a key length byte, the key, and the int64 (8 bytes), all
// big-endian, keys in sorted order so equal records encode equally.
type recordCodec struct{}

const (
	recordVersion = 1
	recordGob     = 0
)

var errRecord = errors.New("auth: session record is not in this package's format")

// Encode encodes deadline and values.
func (recordCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(values))
	size := 1 + 8 + 1
	for k, v := range values {
		if _, ok := v.(int64); !ok || len(k) > 255 || len(values) > 255 {
			b, err := (scs.GobCodec{}).Encode(deadline, values)
			if err != nil {
				return nil, fmt.Errorf("auth: encode session record: %w", err)
			}
			return append([]byte{recordGob}, b...), nil
		}
		keys = append(keys, k)
		size += 1 + len(k) + 8
	}
	sort.Strings(keys)
	b := make([]byte, 0, size)
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

// Decode is the inverse of Encode; anything else is errRecord.
func (recordCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	if len(b) > 0 && b[0] == recordGob {
		return (scs.GobCodec{}).Decode(b[1:])
	}
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
		k := string(b[1 : 1+int(b[0])])
		b = b[1+int(b[0]):]
		values[k] = int64(binary.BigEndian.Uint64(b[:8]))
		b = b[8:]
	}
	if len(b) != 0 {
		return time.Time{}, nil, errRecord
	}
	return deadline, values, nil
}
