package domain

import (
	"strings"
	"time"
)

// ExpiredNote is the history note of an order cancelled because it was not paid within
// the reservation TTL: "not paid within 30m: reservation expired".
func ExpiredNote(ttl time.Duration) string {
	return "not paid within " + shortDuration(ttl) + ": reservation expired"
}

// shortDuration renders d the way people write it: 30m, 2h, 1h30m, 45s.
func shortDuration(d time.Duration) string {
	out := d.String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}
