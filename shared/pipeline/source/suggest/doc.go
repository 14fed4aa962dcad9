// Package suggest is the back half of an LVAO source DAG: after the rows
// are normalised (package transform), it validates them against the
// webapp's reference tables, compares them with the source's acteurs as
// stored, and writes the differences as suggestions for the webapp's
// reviewers. It follows the Airflow tasks source_data_validate,
// keep_acteur_changed (with db_read_acteur), db_data_prepare and
// db_write_type_action_suggestions of incubateur-ademe/quefairedemesobjets.
//
// # Steps
//
//	ref, _ := LoadRefData(ctx, webapp)                          // codes of the reference tables
//	vst, _ := Validate(ctx, ref, rows, validSink, logSink, ValidateOptions{})
//	dst, _ := Diff(ctx, webapp, vst.SourceCodes, validRows, changeSink,
//	                DiffOptions{KeepIDs: vst.DroppedIDs})
//	counts, _ := Write(ctx, webapp, RunInfo{DagID, RunID}, WriteInput{
//	        Changes: changeSet, Logs: Concat(normalizeLogs, validateLogs),
//	        NormalizeMetadata: m, Diff: dst}, WriteOptions{DryRun, Legacy})
//
// Every step streams: rows are read once, one at a time; Diff holds one
// map of the source's existing acteurs (each as compact JSON); Write reads
// the changes and the logs more than once (Source) and holds one batch of
// acteurs, plus the ids named by the logs. Between task functions the data
// travels as JSON-lines artifacts: rows as transform.Row, logs as
// transform.Log, changes as Change (one artifact per action, see
// ChangeWriter and JSONLSource); ValidateStats, DiffStats and Counts are
// plain JSON.
//
// # Where we differ from LVAO
//
//   - A row with a code the reference tables do not know (acteur type,
//     label, service, source, sous-catégorie) is dropped with an ERROR log,
//     instead of failing the whole run; its acteur, if stored, is neither
//     updated nor deleted (DiffOptions.KeepIDs).
//   - List fields are compared in a canonical order (sorted) when building
//     suggestion units too, not only in keep_acteur_changed.
//   - data_suggestiongroupe.contexte is the acteur as a JSON object (LVAO
//     stores the JSON text as a JSON string), and every data_suggestionlog
//     row has its identifiant_unique (LVAO's current writer leaves it empty).
//   - A stored acteur whose identifiant cannot be recomputed (no
//     identifiant_externe) is matched by identifiant_unique instead of
//     failing the run.
package suggest
