// Package transform is the transformation library of the LVAO source
// pipelines: the pure functions that turn a row downloaded from an
// eco-organism (or CMA, pharmacies, SINOE, an S3 file) into an acteur row
// the webapp understands, as the Airflow/pandas code did.
//
// # Rows
//
// A Row is an ordered list of columns; a Value is a string, an int, a float,
// a bool, a list, an object or Missing (pandas' None/NaN/pd.NA, which is not
// the empty string). Rows stream one at a time: nothing here holds a table
// except the whole-table helpers named below. DecodeRow/ReadValue read JSON
// keeping key order; Row.AppendJSON writes it back (floats stay floats).
//
// # Transformations
//
// DefaultRegistry maps every transformation name of the DAGs' rules to a
// ColumnFunc (one cell) or a RowFunc (the rule's origin columns in, values
// for its destination columns out, by position). Each is also exported
// under a Go name (CleanTelephone, CleanSiretAndSiren, CleanURL, …).
// Errors are *TransformError: Severity says whether the value is blanked
// (warning), the row dropped (blocking) or the task failed (fatal), and Name
// is the Python exception class.
//
// # Rule engine
//
// NewNormalizer(cfg, Options) checks a DAG's rules; Normalizer.NormalizeRow
// applies them to one row in rule_application_order and returns the row(s)
// (or a drop) with the suggestion Logs. Normalize runs a whole table,
// including RemoveUndesiredLines (merge rows of one identifiant_unique, drop
// rows without sous_categorie, duplicates, and physical acteurs without
// location). A *FatalError means the upstream task would have failed;
// Options.Lenient drops the offending row instead.
//
// # Configuration and reference data
//
// SourceConfig carries the DAG parameters the functions read (product and
// waste mappings, label_bonus_reparation, returnable_objects, OCA…).
// LoadSourceDAGs reads shared/lvao/sources.json; SourceDAG.Config fills the
// product mapping from RefData, which LoadRefData reads from the webapp's
// Django fixtures and db_mapping.json and which checks codes
// (RefData.UnknownCodes) as source_data_validate does.
//
// # What stays with the caller
//
// I/O: the BAN geocoder (SourceConfig.AddressLookup), SINOE's waste-code
// mapping (SourceConfig.DechetMapping, fetched from data.ademe.fr), and the
// pharmacies DAG's geocoding and removal of rows at (0, 0)
// (Options.DagSpecific).
package transform
