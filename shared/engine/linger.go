package engine

import (
	"context"
	"time"
)

// LingerParams bound Linger.
type LingerParams struct {
	// For is how long Linger lasts, from now on the engine's clock.
	For time.Duration
	// Every is how often due retries are looked for. Default 5s.
	Every time.Duration
	// Wait blocks for d or until ctx is done (an error then). Default: a
	// timer. Tests pass one that moves their clock instead.
	Wait func(ctx context.Context, d time.Duration) error
}

// Linger queues due retries every p.Every for p.For, after a tick.
// Scaleway's cron fires at most once a minute, so without it a retry due
// a few seconds after a tick would wait for the next one: with the
// coordinator's tick lingering (TICK_LINGER) a retry_delay of 10s is
// honoured within Every instead of within a minute, as Airflow's
// scheduler loop does. It returns how many tasks it queued; a cancelled
// ctx (the function's deadline) ends it without error. Safe beside other
// ticks: queueing a retry is a conditional update under the run's lock.
func (e *Engine) Linger(ctx context.Context, p LingerParams) (int, error) {
	if p.Every <= 0 {
		p.Every = 5 * time.Second
	}
	if p.Wait == nil {
		p.Wait = sleep
	}
	queued, until := 0, e.now().Add(p.For)
	for {
		left := until.Sub(e.now())
		if left <= 0 {
			return queued, nil
		}
		if err := p.Wait(ctx, min(left, p.Every)); err != nil {
			return queued, nil
		}
		var rep TickReport
		if err := e.queueDueRetries(ctx, &rep); err != nil {
			if ctx.Err() != nil {
				return queued, nil
			}
			return queued, err
		}
		queued += rep.Retried
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
