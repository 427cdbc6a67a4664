package service

import (
	"testing"
	"time"
)

func TestReplicaLagIsTheAgeOfTheOldestWriteNotReplayed(t *testing.T) {
	if v, err := parseLSN("16/B374D848"); err != nil || v != 0x16B374D848 {
		t.Fatalf("parseLSN: %x %v", v, err)
	}
	if _, err := parseLSN("nonsense"); err == nil {
		t.Fatal("parseLSN took nonsense")
	}
	r := &replica{}
	t0 := time.Unix(1000, 0)
	if lag := r.lag(t0, 100, 100); lag != 0 {
		t.Fatalf("caught up: %v", lag)
	}
	// The primary moves on while the replica stays at 100: the lag is counted from the
	// first look that saw the primary past it, not from the replica's last transaction.
	r.lag(t0.Add(time.Second), 200, 100)
	r.lag(t0.Add(2*time.Second), 300, 100)
	if lag := r.lag(t0.Add(3*time.Second), 300, 100); lag != 2*time.Second {
		t.Fatalf("behind since t0+1s, at t0+3s: %v", lag)
	}
	// It replays up to 200: still behind what the primary had at t0+2s.
	if lag := r.lag(t0.Add(4*time.Second), 300, 200); lag != 2*time.Second {
		t.Fatalf("behind since t0+2s, at t0+4s: %v", lag)
	}
	if lag := r.lag(t0.Add(5*time.Second), 300, 300); lag != 0 {
		t.Fatalf("caught up again: %v", lag)
	}
}
