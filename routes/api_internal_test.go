package routes

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzStatusJSON holds GET /api/auth's own encoding to what json.Marshal
// writes for the same answer, strings that need escaping included.
func FuzzStatusJSON(f *testing.F) {
	f.Add("127.0.0.1:8080", "user1", "missing", "header", int64(1), int64(1795815780), uint8(0))
	f.Add(`in<"st>&ance`, "é\u2028\x00\xff", "", "", int64(-7), int64(0), uint8(0xff))
	f.Add("", "", "revoked", "cookie", int64(0), int64(-253402300799), uint8(0x5a))
	f.Fuzz(func(t *testing.T, instance, name, reason, source string, id, unix int64, flags uint8) {
		// Years 1970 to 9999, the ones json.Marshal writes.
		unix %= 253402300800
		if unix < 0 {
			unix = -unix
		}
		exp := time.Unix(unix, int64(flags)*1000003).UTC()
		st := func(bit uint8) strategyStatus {
			s := strategyStatus{Authenticated: flags&bit != 0}
			if flags&(bit<<1) != 0 {
				s.Reason, s.UserID, s.Username, s.Source = reason, id, name, source
			}
			if flags&(bit<<2) != 0 {
				s.ExpiresAt = &exp
			}
			return s
		}
		r := apiStatusResponse{Instance: instance, Authenticated: flags&0x80 != 0, UserID: id, Username: name}
		r.Strategies.Session, r.Strategies.JWT = st(1), st(8)
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
		}
	})
}
