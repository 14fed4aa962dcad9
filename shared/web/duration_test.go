package web

import (
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{5 * time.Minute: "5 minutes", time.Hour: "1 hour", 90 * time.Second: "90 seconds", time.Minute: "1 minute"} {
		if got := humanDuration(d); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
}
