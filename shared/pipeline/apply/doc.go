// Package apply applies the suggestions reviewers validated: the task
// functions of the DAGs apply_suggestions (legacy data_suggestion rows)
// and apply_suggestions_groupe (data_suggestiongroupe rows and their
// data_suggestionunitaire), as LVAO's Airflow DAGs of the same names do
// (incubateur-ademe/quefairedemesobjets, data-platform/dags/suggestions and
// the webapp models they call: data/models/suggestion.py,
// data/models/suggestions/*.py, data/models/changes/*.py,
// qfdmo/models/acteur.py).
//
// # Flow
//
// Check short-circuits the DAG when no row is ATRAITER. Apply (Run) takes
// the rows ATRAITER in id order; each is set ENCOURS, applied in one
// transaction that also sets it SUCCES, or, on error, rolled back and set
// ERREUR with {"error": <message>} as metadata; one failure never stops the
// others. The DAG then triggers compute_acteurs.
//
// # What a row does
//
//   - legacy suggestion, cohort CLUSTERING, CRAWL_URLS, ENRICH_*: the
//     suggestion's "changes", sorted by order, each applied by its change
//     model (changes.go, change_models.go);
//   - legacy suggestion, cohort SOURCE_AJOUT / SOURCE_MODIFICATION /
//     SOURCE_SUPRESSION: the acteur created or updated with its relations,
//     or set SUPPRIME with its revision (legacy.go);
//   - group, cohort SOURCE_*: the Acteur units create or update the acteur,
//     the RevisionActeur units its revision, the ParentRevisionActeur units
//     its parent, relations included (groupe_source.go);
//   - group, cohort CRAWL_URLS / ENRICH_ACTEURS_SIRET / SIREN /
//     LIEN_SUCCESSION: each unit updates a revision or a parent
//     (groupe_enrich.go); other group types do nothing.
//
// The Django behaviour these rely on is reproduced in save.go (Acteur.save,
// RevisionActeur.save and save_as_parent: defaults, the Acteur a revision
// needs, relations copied to a new revision, a parent deleted when its last
// child leaves), validate.go (full_clean) and coerce.go (field values).
// Error texts are Django's and Python's, as LVAO stores them.
//
// Source groups follow LVAO's current SuggestionGroupeTypeSource.apply
// (Acteur, then RevisionActeur only when it has units, then
// ParentRevisionActeur), not the earlier SourceApplyModel list.
//
// # Where we differ from LVAO
//
//   - SUCCES is written in the apply's transaction (LVAO saves it after
//     the commit): a crash cannot leave an applied row ENCOURS.
//   - A revision's parent cannot be the acteur itself, nor be given to an
//     acteur that is a parent (a chain): such rows are ERREUR (LVAO saved
//     them, and every later compute_acteurs then failed its data tests).
//   - A row whose apply was cut by the end of the task's context, or by a
//     database failure (connection lost, server shutting down, deadlock),
//     is given back (ATRAITER) instead of being marked ERREUR, and Run
//     stops taking rows one minute before the deadline (or at once, with
//     the error, after a database failure: the task is retried); the next
//     run goes on.
//   - full_clean does not check horaires_osm against the OSM opening_hours
//     grammar, and unique constraints are reported by the database (same
//     constraints, psycopg-style text).
//   - Deleting a parent revision does not cascade to the suggestion groups
//     and units that name it (Django's on_delete=CASCADE on their
//     db_constraint=False foreign keys would delete them).
//   - Rows are read by id pages, so a row set ATRAITER during a run is
//     applied by that run when its id comes after the current one (LVAO
//     reads the list once); a row whose statut changes while it is applied
//     is rolled back and left as it is.
//   - metadata.error is always a string (LVAO stores a ValidationError's
//     dict as its str()).
//   - data keys of acteur_update / acteur_update_revision /
//     acteur_rgpd_anonymize that are no field are ignored with a warning
//     (Python ignores them silently); identifiant_unique, cree_le and
//     modifie_le in data are never written.
package apply
