package suggest

import (
	"context"
	"fmt"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// _build_suggestion_logs (db_write_type_action_suggestions.py) files the
// normalisation logs under the cohorts by the acteur they name:
//
//	                 created  updated  deleted  other ("left over")
//	ERROR   logs     AJOUT    MODIF    -        AJOUT
//	WARNING logs     AJOUT    MODIF    -        MODIF
//
// A log of a deleted acteur is not written. Not in LVAO: a log of an
// acteur without change (a dropped row's ERROR, a left-over WARNING) whose
// cohort is not written (no change of that action) goes with another
// cohort of the run, AJOUT, MODIF then SUP, rather than nowhere: LVAO
// failed the whole run on an unknown acteur type or label, here such rows
// are dropped and their ERROR logs must reach a human. To file the logs, Write needs
// the action of each identifiant_unique the logs name: logRouter reads the
// logs' ids first (few, next to the rows), then notes their actions while
// Write counts the changes.

// Log levels (niveau_de_log).
const (
	LevelError   = "ERROR"
	LevelWarning = "WARNING"
)

// logLevel is a log's niveau_de_log: ERROR for a blocking error (the row
// was dropped), WARNING for a blanked value.
func logLevel(l transform.Log) string {
	if l.Blocking {
		return LevelError
	}
	return LevelWarning
}

// logCounts are the sizes of the log groups LVAO reports in the cohorts'
// metadata.
type logCounts struct {
	createErrors, createWarnings     int // errors: of created and left-over acteurs
	updateErrors, updateWarnings     int // of updated acteurs
	leftoverWarnings, notWrittenLogs int // warnings of other acteurs (to MODIF); of deleted ones
	deleteLogs                       int // other acteurs' logs filed with SUP (no AJOUT nor MODIF cohort)
}

// written counts the logs written with a cohort of action a.
func (c logCounts) written(a Action) int {
	switch a {
	case ActionCreate:
		return c.createErrors + c.createWarnings
	case ActionUpdate:
		return c.updateErrors + c.updateWarnings + c.leftoverWarnings
	case ActionDelete:
		return c.deleteLogs
	}
	return 0
}

type logRouter struct {
	logs    Source[transform.Log]
	actions map[string]Action // identifiant_unique named by a log → its change ("" none)
	counts  logCounts
	// cohorts are the actions whose cohort is written (nil: not known yet,
	// LVAO's filing).
	cohorts map[Action]bool
}

// newLogRouter reads the ids the logs name.
func newLogRouter(ctx context.Context, logs Source[transform.Log]) (*logRouter, error) {
	r := &logRouter{logs: logs, actions: map[string]Action{}}
	if logs == nil {
		return r, nil
	}
	n := 0
	for l, err := range logs() {
		if err != nil {
			return nil, fmt.Errorf("error reading logs: %w", err)
		}
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.actions[l.IdentifiantUnique] = ""
	}
	return r, nil
}

// note records the action of a change if a log names its acteur.
func (r *logRouter) note(a Action, id string) {
	if _, ok := r.actions[id]; ok {
		r.actions[id] = a
	}
}

// route returns the cohort of a log; ok is false when LVAO writes it
// nowhere (its acteur is deleted).
func (r *logRouter) route(l transform.Log) (Action, bool) {
	switch a := r.actions[l.IdentifiantUnique]; a {
	case ActionCreate, ActionUpdate:
		return a, true
	case ActionDelete:
		return "", false
	}
	prefer := ActionUpdate
	if l.Blocking {
		prefer = ActionCreate
	}
	if r.cohorts == nil || r.cohorts[prefer] {
		return prefer, true
	}
	for _, a := range []Action{ActionCreate, ActionUpdate, ActionDelete} {
		if r.cohorts[a] {
			return a, true
		}
	}
	return prefer, true // no cohort at all: counted as not written
}

// count reads the logs again to size the groups (for the metadata, which
// is written with the cohort, before its logs).
func (r *logRouter) count(ctx context.Context) error {
	if r.logs == nil {
		return nil
	}
	n := 0
	for l, err := range r.logs() {
		if err != nil {
			return fmt.Errorf("error reading logs: %w", err)
		}
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		a, ok := r.route(l)
		switch {
		case !ok:
			r.counts.notWrittenLogs++
		case a == ActionDelete:
			r.counts.deleteLogs++
		case a == ActionCreate && l.Blocking:
			r.counts.createErrors++
		case a == ActionCreate:
			r.counts.createWarnings++
		case l.Blocking:
			r.counts.updateErrors++
		case r.actions[l.IdentifiantUnique] == ActionUpdate:
			r.counts.updateWarnings++
		default:
			r.counts.leftoverWarnings++
		}
	}
	return nil
}

// each calls f with the logs of one cohort: errors first, then warnings,
// as insert_suggestion saves them. Each level is one pass over the logs.
func (r *logRouter) each(a Action, f func(transform.Log) error) error {
	if r.logs == nil {
		return nil
	}
	for _, blocking := range []bool{true, false} {
		for l, err := range r.logs() {
			if err != nil {
				return fmt.Errorf("error reading logs: %w", err)
			}
			if l.Blocking != blocking {
				continue
			}
			if to, ok := r.route(l); ok && to == a {
				if err := f(l); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
