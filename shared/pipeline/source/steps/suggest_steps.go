package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/lvao/dataplatform/shared/artifact"
	"github.com/lvao/dataplatform/shared/pipeline/source/suggest"
	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
	"github.com/lvao/dataplatform/shared/runtime"
)

// Artifacts of keep_acteur_changed: the changes by action and the diff's
// statistics.
const (
	CreateArtifact = "create.jsonl.gz"
	UpdateArtifact = "update.jsonl.gz"
	DeleteArtifact = "delete.jsonl.gz"
	DiffArtifact   = "diff.json"
)

// keepChanged compares the valid rows with the source's acteurs in the
// webapp database and writes the creations, updates and deletions.
func (d *Deps) keepChanged(ctx context.Context, t *runtime.Task, cfg Config) (any, error) {
	pool, err := d.Webapp()
	if err != nil {
		return nil, err
	}
	var vst suggest.ValidateStats
	for v, err := range readJSON[suggest.ValidateStats](ctx, t, TaskValidate, StatsArtifact) {
		if err != nil {
			return nil, err
		}
		vst = v
	}
	keep := vst.DroppedIDs
	for id, err := range readJSON[string](ctx, t, TaskNormalize, KeepIDsArtifact) {
		if errors.Is(err, artifact.ErrNotFound) {
			break // normalised before the artifact existed
		}
		if err != nil {
			return nil, err
		}
		keep = append(keep, id)
	}
	writers := map[suggest.Action]*rowWriter{}
	for a, name := range map[suggest.Action]string{suggest.ActionCreate: CreateArtifact, suggest.ActionUpdate: UpdateArtifact, suggest.ActionDelete: DeleteArtifact} {
		w, err := createRows(ctx, t, name)
		if err != nil {
			return nil, err
		}
		defer w.Abort()
		writers[a] = w
	}
	st, err := suggest.Diff(ctx, pool, vst.SourceCodes, readRows(ctx, t, TaskValidate, RowsArtifact),
		suggest.SinkFunc[suggest.Change](func(c suggest.Change) error {
			w, ok := writers[c.Action]
			if !ok {
				return fmt.Errorf("unknown change action %q", c.Action)
			}
			return w.WriteJSON(c)
		}), suggest.DiffOptions{KeepIDs: keep, Logger: t.Logger})
	if err != nil {
		return nil, err
	}
	for _, w := range writers {
		if err := w.Close(); err != nil {
			return nil, err
		}
	}
	sw, err := createRows(ctx, t, DiffArtifact)
	if err != nil {
		return nil, err
	}
	if err := sw.WriteJSON(st); err != nil {
		sw.Abort()
		return nil, err
	}
	if err := sw.Close(); err != nil {
		return nil, err
	}
	t.Logger.Info("changes", "create", st.Created, "update", st.Updated, "delete", st.Deleted,
		"unchanged", st.Unchanged, "kept", st.Kept, "anonymized_ignored", st.AnonymizedIgnored)
	return map[string]any{"create": st.Created, "update": st.Updated, "delete": st.Deleted,
		"unchanged": st.Unchanged, "kept": st.Kept, "anonymized_ignored": st.AnonymizedIgnored}, nil
}

// writeInput gathers what the earlier steps produced.
func (d *Deps) writeInput(ctx context.Context, t *runtime.Task) (suggest.WriteInput, error) {
	in := suggest.WriteInput{}
	open := func(taskID, name string) func() (io.ReadCloser, error) {
		return func() (io.ReadCloser, error) { return t.OpenArtifact(ctx, taskID, name) }
	}
	in.Changes = suggest.ChangeSet{
		Create: suggest.JSONLSource[suggest.Change](open(TaskKeep, CreateArtifact)),
		Update: suggest.JSONLSource[suggest.Change](open(TaskKeep, UpdateArtifact)),
		Delete: suggest.JSONLSource[suggest.Change](open(TaskKeep, DeleteArtifact)),
	}
	heads := map[suggest.Action]suggest.Source[suggest.ChangeHead]{
		suggest.ActionCreate: suggest.JSONLSource[suggest.ChangeHead](open(TaskKeep, CreateArtifact)),
		suggest.ActionUpdate: suggest.JSONLSource[suggest.ChangeHead](open(TaskKeep, UpdateArtifact)),
		suggest.ActionDelete: suggest.JSONLSource[suggest.ChangeHead](open(TaskKeep, DeleteArtifact)),
	}
	in.Heads = func(a suggest.Action) suggest.Source[suggest.ChangeHead] { return heads[a] }
	in.Logs = suggest.Concat(suggest.JSONLSource[transform.Log](open(TaskNormalize, LogsArtifact)),
		suggest.JSONLSource[transform.Log](open(TaskValidate, LogsArtifact)))
	for v, err := range readJSON[suggest.DiffStats](ctx, t, TaskKeep, DiffArtifact) {
		if err != nil {
			return in, err
		}
		in.Diff = v
	}
	raw, err := t.UpstreamResult(ctx, TaskNormalize)
	if err != nil {
		return in, err
	}
	var res struct {
		Metadata map[string]string `json:"metadata"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &res); err != nil {
			return in, fmt.Errorf("result of %s: %w", TaskNormalize, err)
		}
	}
	in.NormalizeMetadata = res.Metadata
	return in, nil
}

// prepare computes the suggestions a write would make (a dry run of it),
// so the run shows what will be proposed before anything is written.
func (d *Deps) prepare(ctx context.Context, t *runtime.Task, cfg Config) (any, error) {
	return d.writeSuggestions(ctx, t, cfg, true)
}

// write writes the suggestions: one transaction per cohort, idempotent per
// run (a retried task skips the cohorts already written). dry_run writes
// nothing.
func (d *Deps) write(ctx context.Context, t *runtime.Task, cfg Config) (any, error) {
	return d.writeSuggestions(ctx, t, cfg, cfg.DryRun)
}

func (d *Deps) writeSuggestions(ctx context.Context, t *runtime.Task, cfg Config, dryRun bool) (any, error) {
	pool, err := d.Webapp()
	if err != nil {
		return nil, err
	}
	in, err := d.writeInput(ctx, t)
	if err != nil {
		return nil, err
	}
	counts, err := suggest.Write(ctx, pool, suggest.RunInfo{DagID: t.DagID, RunID: t.RunID}, in,
		suggest.WriteOptions{DryRun: dryRun, Legacy: cfg.UseLegacySuggestions, Logger: t.Logger})
	if err != nil {
		return nil, err
	}
	verb := "written"
	if dryRun {
		verb = "to write (dry run)"
	}
	t.Logger.Info("suggestions "+verb, "cohorts", counts.Cohorts, "groups", counts.Groups, "units", counts.Units,
		"suggestions", counts.Suggestions, "logs", counts.Logs, "skipped_cohorts", counts.SkippedCohorts)
	return map[string]any{"dry_run": dryRun, "counts": counts}, nil
}
