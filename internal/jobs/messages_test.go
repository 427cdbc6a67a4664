package jobs

import (
	"testing"
	"time"
)

func TestBackOffDoublesUpToAMinute(t *testing.T) {
	for _, tc := range []struct {
		meta string
		want time.Duration
	}{{`{}`, time.Second}, {`{"snoozes":1}`, 2 * time.Second}, {`{"snoozes":5}`, 32 * time.Second},
		{`{"snoozes":9}`, time.Minute}, {`not json`, time.Second}} {
		if got := backOff(time.Second, []byte(tc.meta)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.meta, got, tc.want)
		}
	}
	if got := backOff(time.Minute, []byte(`{"snoozes":3}`)); got != time.Minute {
		t.Errorf("a minute's wait: %v", got)
	}
}
