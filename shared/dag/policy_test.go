package dag

import (
	"testing"
	"time"
)

// retry_delay: 0s retries at once, with or without exponential backoff
// (doubling nothing is still nothing); it waited max_retry_delay from the
// second retry on.
func TestZeroRetryDelayWithBackoffRetriesAtOnce(t *testing.T) {
	t.Parallel()
	p := Policy{RetryDelay: 0, RetryExponentialBackoff: true, MaxRetryDelay: time.Hour}
	for failed := 1; failed <= 5; failed++ {
		if got := p.Delay(failed); got != 0 {
			t.Errorf("after %d failures: %s, want 0", failed, got)
		}
	}
	// A huge delay still saturates at max_retry_delay instead of overflowing.
	p = Policy{RetryDelay: time.Hour, RetryExponentialBackoff: true, MaxRetryDelay: 1<<63 - 1}
	if got := p.Delay(80); got != p.MaxRetryDelay {
		t.Errorf("after 80 failures: %s, want max_retry_delay", got)
	}
}
