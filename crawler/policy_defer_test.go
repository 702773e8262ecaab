package crawler

import (
	"testing"
	"time"
)

// backoffFor never exceeds maxBackoff, jitter included, and doubles below it.
func TestBackoffForCap(t *testing.T) {
	p := policy{retries: 3, backoff: time.Second, maxBackoff: 10 * time.Second}
	high := func() float64 { return 0.999999 } // +25% jitter
	low := func() float64 { return 0 }         // -25%
	for _, tt := range []struct {
		attempt int
		rnd     func() float64
		want    time.Duration
	}{
		{0, nil, time.Second},
		{1, nil, 2 * time.Second},
		{2, low, 3 * time.Second},
		{3, high, 10 * time.Second}, // 8s +25% = 10s: exactly the cap
		{4, high, 10 * time.Second}, // 16s capped, then +25% must not pass the cap
		{4, low, 7500 * time.Millisecond},
		{60, high, 10 * time.Second},
	} {
		got := p.backoffFor(tt.attempt, tt.rnd)
		if tt.attempt == 3 {
			if got > tt.want || got < tt.want-time.Millisecond {
				t.Errorf("backoffFor(%d) = %v, want about %v", tt.attempt, got, tt.want)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("backoffFor(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
}
