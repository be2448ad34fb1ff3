package views

import (
	"strconv"
	"time"
)

// Roughly is a positive duration in its largest unit or two, for times
// shown next to a clock: "45 s", "29 min", "14 min 30 s", "23 h 59 min",
// "3 days".
func Roughly(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + " s"
	case d < 10*time.Minute && d%time.Minute != 0:
		return strconv.Itoa(int(d/time.Minute)) + " min " + strconv.Itoa(int(d%time.Minute/time.Second)) + " s"
	case d < time.Hour:
		return strconv.Itoa(int((d+30*time.Second)/time.Minute)) + " min"
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int((d%time.Hour+30*time.Second)/time.Minute)
		if m == 60 {
			h, m = h+1, 0
		}
		if m == 0 {
			return strconv.Itoa(h) + " h"
		}
		return strconv.Itoa(h) + " h " + strconv.Itoa(m) + " min"
	}
	return strconv.Itoa(int((d+12*time.Hour)/(24*time.Hour))) + " days"
}

// Wait is a wait in words, rounded up so that it is never too short:
// "1 second", "14 minutes", "24 hours".
func Wait(d time.Duration) string {
	n, unit := int((d+time.Second-1)/time.Second), "second"
	switch {
	case d >= 2*time.Hour:
		n, unit = int((d+time.Hour-1)/time.Hour), "hour"
	case d >= 2*time.Minute:
		n, unit = int((d+time.Minute-1)/time.Minute), "minute"
	}
	if n != 1 {
		unit += "s"
	}
	return strconv.Itoa(n) + " " + unit
}
