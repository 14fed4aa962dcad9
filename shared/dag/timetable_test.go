package dag

import (
	"testing"
	"time"
)

// After a schedule change, the next interval starts at the new schedule's
// tick at or before the last interval's end (Airflow's _align_to_prev of
// the last automated data interval's end): its logical date is on the new
// schedule and it spans a whole period.
func TestNextIntervalAfterAScheduleChange(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)
	lastEnd := time.Date(2025, 8, 10, 1, 0, 0, 0, time.UTC) // the end of the last "0 1 * * *" interval
	now := time.Date(2025, 8, 10, 12, 0, 0, 0, time.UTC)
	for _, catchup := range []bool{false, true} {
		s := &Spec{DagID: "d", Schedule: "0 2 * * *", StartDate: &start, Catchup: catchup}
		iv, ok, err := s.NextInterval(lastEnd, now)
		want := Interval{Start: time.Date(2025, 8, 9, 2, 0, 0, 0, time.UTC), End: time.Date(2025, 8, 10, 2, 0, 0, 0, time.UTC)}
		if err != nil || !ok || !iv.Start.Equal(want.Start) || !iv.End.Equal(want.End) {
			t.Errorf("catchup=%v: next interval %v-%v (%v %v), want %v-%v", catchup, iv.Start, iv.End, ok, err, want.Start, want.End)
		}
	}
	// The schedule unchanged: the next interval starts where the last ended.
	s := &Spec{DagID: "d", Schedule: "0 1 * * *", StartDate: &start, Catchup: true}
	if iv, _, _ := s.NextInterval(lastEnd, now); !iv.Start.Equal(lastEnd) {
		t.Errorf("same schedule: next interval starts %v, want %v", iv.Start, lastEnd)
	}
}
