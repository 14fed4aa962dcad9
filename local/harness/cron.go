package harness

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/adhocore/gronx"

	"github.com/lvao/dataplatform/shared/dag"
)

// Clock is the cron's time source; tests inject one they advance by hand.
type Clock interface {
	Now() time.Time
	// After waits d on this clock.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// CronEvent is one schedule trigger of a function.
type CronEvent struct {
	Function string
	Schedule
}

// CronConfig builds a Cron.
type CronConfig struct {
	// Events to fire. Their rates are checked by NewCron.
	Events []CronEvent
	// Fire sends one event (POST / with its input). Required.
	Fire func(ctx context.Context, ev CronEvent, minute time.Time)
	// Clock default: the system clock.
	Clock Clock
	// Logger default: discard.
	Logger *slog.Logger
}

// Cron fires schedule triggers at the minutes their 5-field expression
// matches, in UTC (Scaleway's cron triggers know no other time zone).
type Cron struct {
	cfg   CronConfig
	gronx *gronx.Gronx
	wg    sync.WaitGroup
}

// NewCron checks every rate and returns a Cron; Run starts it.
func NewCron(cfg CronConfig) (*Cron, error) {
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for _, ev := range cfg.Events {
		// The form Scaleway's cron triggers accept through the serverless
		// plugin: what would not deploy does not fire here either.
		if err := dag.CheckCron(ev.Rate); err != nil {
			return nil, fmt.Errorf("function %s: schedule rate %v", ev.Function, err)
		}
	}
	return &Cron{cfg: cfg, gronx: gronx.New()}, nil
}

// Run fires due events until ctx ends, then waits for the requests it
// sent. Each minute is looked at once, when the clock reaches it; minutes
// skipped by a suspended machine are not caught up (a real cron neither).
func (c *Cron) Run(ctx context.Context) {
	defer c.wg.Wait()
	last := c.cfg.Clock.Now().UTC().Truncate(time.Minute)
	for {
		next := last.Add(time.Minute)
		select {
		case <-ctx.Done():
			return
		case <-c.cfg.Clock.After(next.Sub(c.cfg.Clock.Now())):
		}
		now := c.cfg.Clock.Now().UTC().Truncate(time.Minute)
		if now.Before(next) {
			continue // woke a little early: wait for the minute again
		}
		c.fireDue(ctx, now)
		last = now
	}
}

func (c *Cron) fireDue(ctx context.Context, minute time.Time) {
	for _, ev := range c.cfg.Events {
		due, err := c.gronx.IsDue(ev.Rate, minute)
		if err != nil || !due {
			continue
		}
		c.cfg.Logger.Info("cron trigger", "function", ev.Function, "rate", ev.Rate, "minute", minute.Format(time.RFC3339))
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.cfg.Fire(ctx, ev, minute)
		}()
	}
}
