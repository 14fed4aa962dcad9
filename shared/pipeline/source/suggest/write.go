package suggest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// Write is db_write_type_action_suggestions: one data_suggestioncohorte
// per action that has changes (AJOUT, SUP, MODIF, in that order), with its
// logs, then one data_suggestiongroupe per acteur and one
// data_suggestionunitaire per changed field group (or, in legacy mode, one
// data_suggestion per acteur).
//
// Each cohort is written in one transaction, so a failure leaves no half
// cohort. A retried run does not write twice: a cohort whose
// (identifiant_action, identifiant_execution, type_action) is already in
// the table was committed whole by an earlier attempt and is skipped. We
// skip rather than delete and rewrite because a written cohort may already
// be under review in the webapp (its statut moved on from AVALIDER): a
// rewrite would drop that work. The engine runs one attempt of a task at a
// time, so two attempts never write the same cohort concurrently.

// RunInfo names the run in the cohorts.
type RunInfo struct {
	// DagID is the DAG's id. DisplayName, when set, is used instead in
	// identifiant_action, as LVAO uses dag_display_name when it has one.
	DagID       string `json:"dag_id"`
	DisplayName string `json:"display_name,omitempty"`
	// RunID is the run's id; identifiant_execution is it with "__"
	// replaced by " - ".
	RunID string `json:"run_id"`
}

// IdentifiantAction is a cohort's identifiant_action: "<dag> - AJOUT".
func (r RunInfo) IdentifiantAction(a Action) string {
	name := r.DisplayName
	if name == "" {
		name = r.DagID
	}
	return name + " - " + string(a)
}

// IdentifiantExecution is the cohorts' identifiant_execution.
func (r RunInfo) IdentifiantExecution() string { return strings.ReplaceAll(r.RunID, "__", " - ") }

// WriteInput is what the earlier steps produced.
type WriteInput struct {
	// Changes are Diff's changes by action.
	Changes ChangeSet
	// Heads, when set, read the same changes as Changes but only their
	// action and acteur (a cheaper first pass). Nil: Changes are read.
	Heads func(Action) Source[ChangeHead]
	// Logs are the normalisation logs and Validate's logs (each read
	// several times). Nil: none.
	Logs Source[transform.Log]
	// NormalizeMetadata is the normalize task's metadata (rows filtered),
	// merged into every cohort's metadata.
	NormalizeMetadata map[string]string
	// Diff is Diff's result (update statistics for the MODIF cohort).
	Diff DiffStats
}

// WriteOptions tune Write. The zero value writes in LVAO's current model.
type WriteOptions struct {
	// DryRun reads what it needs but writes nothing, and returns the counts
	// a real run would write.
	DryRun bool
	// Legacy writes data_suggestion rows instead of groups and units (the
	// DAG's use_legacy_suggestions).
	Legacy bool
	// BatchSize is the number of acteurs written per round trip; 0 means
	// 1,000.
	BatchSize int
	// Logger receives a summary per cohort and, on long writes, progress
	// every ProgressEvery; nil means slog.Default().
	Logger *slog.Logger
	// ProgressEvery is how often a long cohort write logs its progress;
	// 0 means 10s.
	ProgressEvery time.Duration
}

// Counts are the rows Write wrote (or would write, in a dry run).
type Counts struct {
	Cohorts     int `json:"cohorts"`
	Groups      int `json:"groups"`
	Units       int `json:"units"`
	Suggestions int `json:"suggestions"`
	Logs        int `json:"logs"`
	// SkippedCohorts were already written by an earlier attempt of the run.
	SkippedCohorts int `json:"skipped_cohorts"`
	// LogsNotWritten are logs LVAO writes nowhere: those of deleted
	// acteurs and those of a cohort without changes.
	LogsNotWritten int `json:"logs_not_written"`
	// ByAction details each action that had changes.
	ByAction map[Action]CohortCounts `json:"by_action,omitempty"`
}

// CohortCounts are the rows of one cohort.
type CohortCounts struct {
	// CohortID is the cohort's id (0 in a dry run of a new cohort).
	CohortID    int  `json:"cohort_id,omitempty"`
	Skipped     bool `json:"skipped,omitempty"`
	Acteurs     int  `json:"acteurs"`
	Groups      int  `json:"groups"`
	Units       int  `json:"units"`
	Suggestions int  `json:"suggestions"`
	Logs        int  `json:"logs"`
}

// Write writes the suggestions of a run. On error, the cohorts written
// before the failing one stay (each is whole); the failing one is rolled
// back; running Write again for the same run completes the rest.
func Write(ctx context.Context, pool *pgxpool.Pool, run RunInfo, in WriteInput, opts WriteOptions) (Counts, error) {
	var counts Counts
	if run.DagID == "" || run.RunID == "" {
		return counts, errors.New("error writing suggestions: RunInfo needs DagID and RunID")
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	opts.Logger = logger
	router, err := newLogRouter(ctx, in.Logs)
	if err != nil {
		return counts, err
	}
	sizes := map[Action]int{}
	for _, a := range Actions {
		src := in.heads(a)
		if src == nil {
			continue
		}
		for c, err := range src() {
			if err != nil {
				return counts, fmt.Errorf("error reading %s changes: %w", a, err)
			}
			if c.Action != a {
				return counts, fmt.Errorf("error reading %s changes: change of %s is %q", a, c.IdentifiantUnique, c.Action)
			}
			sizes[a]++
			router.note(a, c.IdentifiantUnique)
		}
	}
	router.cohorts = map[Action]bool{}
	for a, n := range sizes {
		router.cohorts[a] = n > 0
	}
	if err := router.count(ctx); err != nil {
		return counts, err
	}
	counts.LogsNotWritten = router.counts.notWrittenLogs
	for _, a := range Actions {
		if sizes[a] == 0 {
			// insert_suggestion returns early on an empty frame: no cohort,
			// and the logs filed under it are lost.
			counts.LogsNotWritten += router.counts.written(a)
			continue
		}
		meta := cohortMetadata(a, sizes[a], in.NormalizeMetadata, in.Diff, router.counts)
		cc, err := writeCohort(ctx, pool, run, a, in.Changes.of(a), router, meta, opts)
		if err != nil {
			return counts, fmt.Errorf("error writing the %s cohort of %s: %w", a.TypeAction(), run.RunID, err)
		}
		if counts.ByAction == nil {
			counts.ByAction = map[Action]CohortCounts{}
		}
		counts.ByAction[a] = cc
		if cc.Skipped {
			counts.SkippedCohorts++
		} else {
			counts.Cohorts++
			counts.Groups += cc.Groups
			counts.Units += cc.Units
			counts.Suggestions += cc.Suggestions
			counts.Logs += cc.Logs
		}
		logger.Info("suggestion cohort", "dag", run.DagID, "run", run.RunID, "type_action", a.TypeAction(),
			"cohort_id", cc.CohortID, "skipped", cc.Skipped, "dry_run", opts.DryRun, "acteurs", cc.Acteurs,
			"groups", cc.Groups, "units", cc.Units, "suggestions", cc.Suggestions, "logs", cc.Logs)
	}
	if counts.Cohorts+counts.SkippedCohorts == 0 {
		logger.Warn("Aucune suggestion à traiter pour cette source", "dag", run.DagID, "run", run.RunID)
	}
	return counts, nil
}

// heads reads the action and acteur of the changes of action a.
func (in WriteInput) heads(a Action) Source[ChangeHead] {
	if in.Heads != nil {
		return in.Heads(a)
	}
	src := in.Changes.of(a)
	if src == nil {
		return nil
	}
	return func() iter.Seq2[ChangeHead, error] {
		return func(yield func(ChangeHead, error) bool) {
			for c, err := range src() {
				if !yield(ChangeHead{Action: c.Action, IdentifiantUnique: c.IdentifiantUnique}, err) || err != nil {
					return
				}
			}
		}
	}
}
