package main

import (
	"fmt"
	"slices"
	"time"
)

// percentile is the p-th percentile of ds (nearest rank); ds is left as it is.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Sorted(slices.Values(ds))
	i := (len(sorted)*p+99)/100 - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ms writes d in milliseconds with the given decimals: ms(d, 1) is "2.8ms".
func ms(d time.Duration, decimals int) string {
	return fmt.Sprintf("%.*fms", decimals, float64(d.Microseconds())/1000)
}
