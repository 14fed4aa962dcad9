package dag

import (
	"fmt"
	"time"

	"github.com/adhocore/gronx"
)

// Interval is a data interval [Start, End); a scheduled run's logical date
// is its Start and the run is due once End has passed (Airflow's cron
// timetable).
type Interval struct{ Start, End time.Time }

// nextTick is the first cron tick strictly after t (UTC).
func nextTick(expr string, t time.Time) (time.Time, error) {
	return gronx.NextTickAfter(expr, t.UTC().Truncate(time.Minute), false)
}

// prevTick is the last cron tick at or before t when incl, else strictly before.
func prevTick(expr string, t time.Time, incl bool) (time.Time, error) {
	return gronx.PrevTickBefore(expr, t.UTC().Truncate(time.Minute), incl)
}

// alignNext is t when t is a tick, else the next tick.
func alignNext(expr string, t time.Time) (time.Time, error) {
	p, err := prevTick(expr, t, true)
	if err == nil && p.Equal(t.UTC()) {
		return p, nil
	}
	return nextTick(expr, t)
}

// NextInterval returns the data interval of the next scheduled run, given
// the End of the last scheduled (or backfilled) interval (zero when none),
// at time now. ok is false when the DAG has no schedule.
// With catchup=false the first interval is the latest complete one (as
// Airflow's _skip_to_latest); with catchup=true it is the one starting at
// the first tick at or after start_date. After a run, the next starts at
// the schedule's tick at or before the last End (that End itself unless
// the schedule changed). The interval may still be running
// (End after now): callers create the run only once End <= now.
func (s *Spec) NextInterval(lastEnd time.Time, now time.Time) (iv Interval, ok bool, err error) {
	if s.Schedule == "" || s.StartDate == nil {
		return Interval{}, false, nil
	}
	earliest, err := alignNext(s.Schedule, *s.StartDate)
	if err != nil {
		return Interval{}, false, fmt.Errorf("schedule %q: %w", s.Schedule, err)
	}
	if !s.Catchup {
		latest, err := s.latestCompleteStart(now)
		if err != nil {
			return Interval{}, false, err
		}
		if latest.After(earliest) {
			earliest = latest
		}
	}
	start := earliest
	if !lastEnd.IsZero() {
		// The last end aligned to the schedule (it differs only when the
		// schedule changed since): as Airflow's _align_to_prev, the next
		// interval is a whole period whose logical date is a tick.
		aligned, err := prevTick(s.Schedule, lastEnd, true)
		if err != nil {
			return Interval{}, false, err
		}
		if aligned.After(start) {
			start = aligned
		}
	}
	end, err := nextTick(s.Schedule, start)
	if err != nil {
		return Interval{}, false, err
	}
	return Interval{Start: start.UTC(), End: end.UTC()}, true, nil
}

// latestCompleteStart is the start of the latest interval that has ended at now.
func (s *Spec) latestCompleteStart(now time.Time) (time.Time, error) {
	lastTick, err := prevTick(s.Schedule, now, true) // the latest interval end <= now
	if err != nil {
		return time.Time{}, err
	}
	return prevTick(s.Schedule, lastTick, false)
}

// IntervalAt returns the data interval that starts at logical date t when t
// is a cron tick, for backfills; otherwise the interval containing t.
func (s *Spec) IntervalAt(t time.Time) (Interval, error) {
	if s.Schedule == "" {
		return Interval{Start: t.UTC(), End: t.UTC()}, nil
	}
	start, err := prevTick(s.Schedule, t, true)
	if err != nil {
		return Interval{}, err
	}
	end, err := nextTick(s.Schedule, start)
	if err != nil {
		return Interval{}, err
	}
	return Interval{Start: start.UTC(), End: end.UTC()}, nil
}

// ManualInterval is the data interval of a manual run at logical date t,
// as Airflow's cron timetable infers it (infer_manual_data_interval): the
// last complete period before t, ending at the latest tick at or before
// t. A DAG without schedule gets the empty interval at t.
func (s *Spec) ManualInterval(t time.Time) (Interval, error) {
	if s.Schedule == "" {
		return Interval{Start: t.UTC(), End: t.UTC()}, nil
	}
	end, err := prevTick(s.Schedule, t, true)
	if err != nil {
		return Interval{}, err
	}
	start, err := prevTick(s.Schedule, end, false)
	if err != nil {
		return Interval{}, err
	}
	return Interval{Start: start.UTC(), End: end.UTC()}, nil
}

// TicksBetween lists the logical dates of the intervals starting in
// [from, to] (a backfill's range), at most limit of them.
func (s *Spec) TicksBetween(from, to time.Time, limit int) ([]time.Time, error) {
	if s.Schedule == "" {
		return nil, fmt.Errorf("DAG %s has no schedule: backfill needs one", s.DagID)
	}
	t, err := alignNext(s.Schedule, from)
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for !t.After(to) {
		if len(out) >= limit {
			return nil, fmt.Errorf("backfill range holds more than %d runs; narrow it", limit)
		}
		out = append(out, t.UTC())
		if t, err = nextTick(s.Schedule, t); err != nil {
			return nil, err
		}
	}
	return out, nil
}
