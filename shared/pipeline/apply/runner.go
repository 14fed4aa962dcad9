package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Kind is what an apply DAG processes.
type Kind int

const (
	// KindSuggestion is the legacy data_suggestion rows (apply_suggestions).
	KindSuggestion Kind = iota
	// KindGroupe is the data_suggestiongroupe rows with their units
	// (apply_suggestions_groupe).
	KindGroupe
)

func (k Kind) table() string {
	if k == KindGroupe {
		return "data_suggestiongroupe"
	}
	return "data_suggestion"
}

func (k Kind) String() string { return k.table() }

// Options tune Run. Zero values mean the documented defaults.
type Options struct {
	// Logger receives the progress (the task's log). Default: discard.
	Logger *slog.Logger
	// Now is the clock (modifie_le, RGPD comments). Default time.Now.
	Now func() time.Time
	// StopMargin: Run takes no new suggestion once the context's deadline
	// is this close; the rest stays ATRAITER for the next run. Default 1m.
	StopMargin time.Duration
	// BatchSize is the number of ids read per query. Default 100.
	BatchSize int
	// ProgressEvery logs a progress line every N suggestions. Default 25.
	ProgressEvery int
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StopMargin <= 0 {
		o.StopMargin = time.Minute
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 25
	}
}

// Stats are what Run did.
type Stats struct {
	// Pending is the number of rows ATRAITER when the run started.
	Pending int `json:"pending"`
	// Succeeded and Failed count the rows set SUCCES and ERREUR.
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	// Skipped counts rows another process claimed first.
	Skipped int `json:"skipped"`
	// Remaining is the number of rows still ATRAITER at the end (left for
	// the next run when the deadline came near).
	Remaining int `json:"remaining"`
	// StoppedEarly tells the deadline stopped the run.
	StoppedEarly bool `json:"stopped_early"`
}

// Pending counts the rows of kind that are ATRAITER.
func Pending(ctx context.Context, pool *pgxpool.Pool, kind Kind) (int, error) {
	var n int
	if err := pool.QueryRow(ctx, query("SuggestionCountToProcess", tableParams(kind.table()))).Scan(&n); err != nil {
		return 0, fmt.Errorf("error counting %s to process: %w", kind, err)
	}
	return n, nil
}

// Run applies every row of kind that is ATRAITER, in id order, as LVAO's
// db_apply_suggestion does: each row is set ENCOURS (committed: a row left
// ENCOURS by a crash is kept for inspection, never re-applied), applied in
// one transaction that also sets it SUCCES; on error the transaction is
// rolled back and the row set ERREUR with {"error": message} as metadata,
// and the run goes on with the next row. The error returned is an
// infrastructure failure (database unreachable or failing, context ended):
// the row being applied is given back and the rows not reached stay
// ATRAITER.
func Run(ctx context.Context, pool *pgxpool.Pool, kind Kind, opts Options) (Stats, error) {
	opts.defaults()
	var st Stats
	log := opts.Logger
	p := tableParams(kind.table())
	total, err := Pending(ctx, pool, kind)
	if err != nil {
		return st, err
	}
	st.Pending = total
	log.Info("suggestions to process", "table", kind.table(), "pending", total)
	done := 0
	lastID := int32(0)
	for !st.StoppedEarly {
		ids, err := listToProcess(ctx, pool, p, lastID, opts.BatchSize)
		if err != nil {
			return st, err
		}
		if len(ids) == 0 {
			break
		}
		for _, id := range ids {
			if deadlineNear(ctx, opts.StopMargin) {
				st.StoppedEarly = true
				break
			}
			lastID = id
			tag, err := pool.Exec(ctx, query("SuggestionClaim", p), id, opts.Now())
			if err != nil {
				return st, fmt.Errorf("error setting %s %d ENCOURS: %w", kind, id, err)
			}
			if tag.RowsAffected() == 0 {
				st.Skipped++
				continue
			}
			start := time.Now()
			applyErr := applyRow(ctx, pool, kind, id, opts)
			done++
			if errors.Is(applyErr, errNoLongerClaimed) {
				st.Skipped++
				log.Warn("statut changed during the apply: rolled back", "table", kind.table(), "id", id)
				continue
			}
			var infra *infraError
			if applyErr != nil && (ctx.Err() != nil || errors.As(applyErr, &infra)) {
				// Not the suggestion's fault: give it back to the next run.
				release(pool, p, id, opts.Now())
				if ctx.Err() != nil {
					return st, ctx.Err()
				}
				log.Error("database failure while applying: row given back (ATRAITER), run stopped",
					"table", kind.table(), "id", id, "error", infra.err.Error())
				return st, fmt.Errorf("error applying %s %d (given back ATRAITER for the next run): %w", kind, id, infra.err)
			}
			if applyErr == nil {
				st.Succeeded++
				log.Info("applied", "table", kind.table(), "id", id, "statut", "SUCCES", "duration", time.Since(start).Round(time.Millisecond))
			} else {
				msg := errorMessage(applyErr)
				meta, _ := json.Marshal(map[string]string{"error": msg})
				if _, err := pool.Exec(ctx, query("SuggestionFail", p), id, opts.Now(), meta); err != nil {
					return st, fmt.Errorf("error setting %s %d ERREUR: %w", kind, id, err)
				}
				st.Failed++
				log.Warn("error while applying", "table", kind.table(), "id", id, "statut", "ERREUR", "error", msg)
			}
			if done%opts.ProgressEvery == 0 {
				log.Info("progress", "table", kind.table(), "done", done, "pending", total,
					"succeeded", st.Succeeded, "failed", st.Failed)
			}
		}
	}
	if st.Remaining, err = Pending(ctx, pool, kind); err != nil {
		return st, err
	}
	log.Info("done", "table", kind.table(), "succeeded", st.Succeeded, "failed", st.Failed,
		"skipped", st.Skipped, "remaining", st.Remaining, "stopped_early", st.StoppedEarly)
	return st, nil
}

func listToProcess(ctx context.Context, pool *pgxpool.Pool, p sqlParams, after int32, limit int) ([]int32, error) {
	rows, err := pool.Query(ctx, query("SuggestionListToProcess", p), after, limit)
	if err != nil {
		return nil, fmt.Errorf("error listing %s to process: %w", p["Table"], err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("error listing %s to process: %w", p["Table"], err)
	}
	return ids, nil
}

// applyRow applies row id in one transaction, which also sets it SUCCES.
// An error the database caused rather than the row (connection lost,
// server shutting down, deadlock) is an *infraError.
func applyRow(ctx context.Context, pool *pgxpool.Pool, kind Kind, id int32, opts Options) error {
	now := opts.Now()
	tx, err := pool.Begin(ctx)
	if err != nil {
		return &infraError{err}
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	e := newEnv(tx, now, opts.Logger.With("table", kind.table(), "id", id))
	if kind == KindGroupe {
		err = e.applyGroupeByID(ctx, id)
	} else {
		err = e.applyLegacyByID(ctx, id)
	}
	if err == nil {
		var tag pgconn.CommandTag
		tag, err = tx.Exec(ctx, query("SuggestionSucceed", tableParams(kind.table())), id, now)
		if err == nil && tag.RowsAffected() == 0 {
			// Someone changed the row's statut while it was applied: undo.
			return errNoLongerClaimed
		}
	}
	if err == nil {
		// A deferred constraint fails here: the row's fault, as above.
		err = tx.Commit(ctx)
	}
	if err != nil && (tx.Conn().IsClosed() || isDatabaseFailure(err)) {
		return &infraError{err}
	}
	return err
}

// infraError is an apply that failed because of the database, not of the
// row: the row goes back to ATRAITER instead of ERREUR.
type infraError struct{ err error }

func (e *infraError) Error() string { return e.err.Error() }
func (e *infraError) Unwrap() error { return e.err }

// isDatabaseFailure tells an error of the server or the connection that
// says nothing of the row applied: connection exceptions (08), server
// shutting down (57P01-57P03), insufficient resources (53), system
// errors (58), serialization failures and deadlocks (40001, 40P01), a
// network error.
func isDatabaseFailure(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		c := pgErr.Code
		switch {
		case strings.HasPrefix(c, "08"), strings.HasPrefix(c, "53"), strings.HasPrefix(c, "58"),
			c == "57P01", c == "57P02", c == "57P03", c == "40001", c == "40P01":
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || pgconn.SafeToRetry(err)
}

// errNoLongerClaimed: the row left ENCOURS during its apply.
var errNoLongerClaimed = errors.New("the row is no longer ENCOURS")

func (e *env) applyGroupeByID(ctx context.Context, id int32) error {
	g, err := e.loadGroupe(ctx, id)
	if err != nil {
		return err
	}
	return e.applyGroupe(ctx, g)
}

func (e *env) applyLegacyByID(ctx context.Context, id int32) error {
	var raw []byte
	var typeAction string
	if err := e.tx.QueryRow(ctx, query("LegacySuggestionGet", nil), id).Scan(&raw, &typeAction); err != nil {
		if noRows(err) {
			return doesNotExist("Suggestion")
		}
		return err
	}
	suggestion, err := pyJSONLoads(string(raw))
	if err != nil {
		return err
	}
	return e.applyLegacy(ctx, typeAction, suggestion)
}

// release puts a claimed row back to ATRAITER after its context ended.
func release(pool *pgxpool.Pool, p sqlParams, id int32, now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = pool.Exec(ctx, query("SuggestionRelease", p), id, now)
}

// deadlineNear tells whether ctx ends within margin.
func deadlineNear(ctx context.Context, margin time.Duration) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && time.Until(d) < margin
}
