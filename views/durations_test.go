package views

import (
	"testing"
	"time"
)

func TestRoughly(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"},
		{59 * time.Second, "59 s"},
		{time.Minute, "1 min"},
		{14*time.Minute + 29*time.Second, "14 min"},
		{14*time.Minute + 30*time.Second, "15 min"},
		{9*time.Minute + 59*time.Second, "9 min 59 s"},
		{29*time.Minute + 59*time.Second, "30 min"},
		{time.Hour, "1 h"},
		{23*time.Hour + 59*time.Minute + 40*time.Second, "24 h"},
		{23*time.Hour + 58*time.Minute, "23 h 58 min"},
		{47 * time.Hour, "47 h"},
		{72*time.Hour + time.Hour, "3 days"},
	}
	for _, tc := range tests {
		if got := Roughly(tc.d); got != tc.want {
			t.Errorf("Roughly(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestRoughlyShort(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second: "1 s", 45 * time.Second: "45 s", 9*time.Minute + 30*time.Second: "9 min 30 s", 10 * time.Minute: "10 min",
	} {
		if got := Roughly(d); got != want {
			t.Errorf("Roughly(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestWait(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{time.Second, "1 second"},
		{1500 * time.Millisecond, "2 seconds"},
		{59 * time.Second, "59 seconds"},
		{119 * time.Second, "119 seconds"},
		{2 * time.Minute, "2 minutes"},
		{9*time.Minute + time.Second, "10 minutes"},
		{2 * time.Hour, "2 hours"},
		{24 * time.Hour, "24 hours"},
	}
	for _, tc := range tests {
		if got := Wait(tc.d); got != tc.want {
			t.Errorf("Wait(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
