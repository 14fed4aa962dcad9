// Package compute is LVAO's compute_acteurs DAG without dbt: the dbt
// project's models (models/<layer>/…/<name>.sql, each with the data tests
// of its folder's schema.yml, macros in macros/) built in Postgres in
// dependency order, then the exposure tables swapped into the webapp.
//
// Layers (selectable as dbt's --models):
//
//   - base: the webapp tables (acteurs, revisions, their child tables,
//     reference tables), copied into the warehouse from one snapshot;
//   - intermediate: int_acteur (a revision's non-empty field wins over the
//     imported acteur's; the acteur's uuid is shortuuid's base57 of
//     uuid5(DNS, identifiant_unique)), its labels, services, propositions de
//     service and perimeters (the revision's set when a revision exists),
//     and the EPCI list;
//   - marts: carte (active acteurs; a dedup parent shows what its active
//     children offer: services, labels, sources, propositions de service
//     and lieu_prestation are aggregated on it), opendata (the same,
//     restricted to open-licence sources) and exhaustive (every acteur,
//     with parent/child and visibility flags);
//   - exposure: the same data typed and named as the webapp tables
//     (qfdmo_displayed*, qfdmo_vue*, qfdmo_epci) and the open-data table.
//
// Each model is built as <name>__next in the warehouse schema, its data
// tests run on it, and it replaces <name> in the same transaction: a
// failing test stops the build, names the offending rows in the log and
// the error, and leaves the previous tables in place.
//
// Publish checks each exposure table against its webapp table (same
// columns, compatible types), copies it into <table>__new in the webapp
// and swaps all the group's tables in one short transaction.
package compute
