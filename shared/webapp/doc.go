// Package webapp owns the LVAO webapp tables that the data pipelines read
// and write (reference qfdmo_* tables, acteurs and their revisions, and the
// data_suggestion* tables), as shared/lvao/webapp_schema.md describes them.
//
// The production webapp database is created by Django migrations; this
// package creates the same tables where Django does not run (tests, the
// local harness, a fresh warehouse): Prepare creates a schema and its tables
// if missing, idempotently and safely when several processes race, and
// seeds the reference tables from the webapp's own Django fixtures
// (embedded under fixtures/) when they are empty.
//
// The tables use PostGIS types (geography(Point,4326)); Prepare creates the
// postgis extension when the server has it and fails with
// ErrPostGISUnavailable otherwise (Debian: postgresql-15-postgis-3).
//
// Connections that use the tables need the schema and the PostGIS schema on
// their search_path: SearchPath and ConfigurePool set it.
package webapp
