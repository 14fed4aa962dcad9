package compute

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Publication is one webapp table filled from one exposure model.
type Publication struct {
	Exposure string // warehouse model
	Webapp   string // webapp table
	// NeverEmpty refuses to replace a non-empty table with an empty one:
	// LVAO's exposure tests demanded a minimum row count, so that a broken
	// source snapshot never blanks the map.
	NeverEmpty bool
}

// Publications are the table groups LVAO swaps into the webapp after a
// compute (compute_acteurs' replace_acteur_table tasks): the map's tables
// (qfdmo_displayed*), the admin's exhaustive view (qfdmo_vue*) and the EPCI
// list the acteurs point to.
var Publications = map[string][]Publication{
	"epci": {{"exposure_epci", "qfdmo_epci", true}},
	"displayed": {
		{"exposure_carte_acteur", "qfdmo_displayedacteur", true},
		{"exposure_carte_acteur_labels", "qfdmo_displayedacteur_labels", false},
		{"exposure_carte_acteur_acteur_services", "qfdmo_displayedacteur_acteur_services", false},
		{"exposure_carte_acteur_sources", "qfdmo_displayedacteur_sources", false},
		{"exposure_carte_propositionservice", "qfdmo_displayedpropositionservice", false},
		{"exposure_carte_propositionservice_sous_categories", "qfdmo_displayedpropositionservice_sous_categories", false},
		{"exposure_carte_perimetreadomicile", "qfdmo_displayedperimetreadomicile", false},
	},
	"vue": {
		{"exposure_exhaustive_acteur", "qfdmo_vueacteur", true},
		{"exposure_exhaustive_acteur_labels", "qfdmo_vueacteur_labels", false},
		{"exposure_exhaustive_acteur_acteur_services", "qfdmo_vueacteur_acteur_services", false},
		{"exposure_exhaustive_acteur_sources", "qfdmo_vueacteur_sources", false},
		{"exposure_exhaustive_propositionservice", "qfdmo_vuepropositionservice", false},
		{"exposure_exhaustive_propositionservice_sous_categories", "qfdmo_vuepropositionservice_sous_categories", false},
		{"exposure_exhaustive_perimetreadomicile", "qfdmo_vueperimetreadomicile", false},
	},
}

// PublishOrder is the order of the groups when all are published: the EPCI
// first, since acteurs point to EPCI ids.
var PublishOrder = []string{"epci", "displayed", "vue"}

// PublishResult tells what one webapp table received.
type PublishResult struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
}

// Publish replaces the webapp tables of the groups (no group: all) with
// the content of their exposure models:
//
//  1. each exposure table must have exactly the webapp table's columns,
//     with the same or assignment-castable types (LVAO's
//     check_model_table_consistency), else nothing changes;
//  2. one webapp transaction creates <table>__new (LIKE the live table,
//     with its indexes and checks), streams the exposure rows into it and
//     analyzes it;
//  3. one short transaction renames every live table to <table>__old and
//     every new one to the live name, drops the old ones and gives the new
//     indexes the old names: readers see the old or the new content, never
//     a missing or empty table.
func (r *Runner) Publish(ctx context.Context, groups ...string) ([]PublishResult, error) {
	if len(groups) == 0 {
		groups = PublishOrder
	}
	var pubs []Publication
	for _, g := range groups {
		ps, ok := Publications[g]
		if !ok {
			names := make([]string, 0, len(Publications))
			for n := range Publications {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("unknown publication %q (known: %s)", g, strings.Join(names, ", "))
		}
		pubs = append(pubs, ps...)
	}
	for _, p := range pubs {
		if err := r.checkConsistency(ctx, p); err != nil {
			return nil, err
		}
		if err := r.checkNotEmptied(ctx, p); err != nil {
			return nil, err
		}
	}
	res, err := r.copyToWebapp(ctx, pubs)
	if err != nil {
		return nil, err
	}
	if err := r.swap(ctx, pubs); err != nil {
		return nil, err
	}
	for _, p := range res {
		r.log.Info("webapp table replaced", "table", p.Table, "rows", p.Rows)
	}
	return res, nil
}

// checkNotEmptied refuses to replace a non-empty NeverEmpty table with an
// empty exposure.
func (r *Runner) checkNotEmptied(ctx context.Context, p Publication) error {
	if !p.NeverEmpty {
		return nil
	}
	var newRows, liveRows bool
	err := r.cfg.Warehouse.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+pgx.Identifier{r.cfg.Schema, p.Exposure}.Sanitize()+")").Scan(&newRows)
	if err == nil && !newRows {
		err = r.cfg.Webapp.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+pgx.Identifier{p.Webapp}.Sanitize()+")").Scan(&liveRows)
	}
	if err != nil {
		return fmt.Errorf("error counting the rows of %s: %w", p.Exposure, err)
	}
	if !newRows && liveRows {
		return fmt.Errorf("refusing to publish: %s is empty and would empty %s", p.Exposure, p.Webapp)
	}
	return nil
}

// copyToWebapp fills the __new tables in one webapp transaction.
func (r *Runner) copyToWebapp(ctx context.Context, pubs []Publication) ([]PublishResult, error) {
	wconn, err := r.cfg.Warehouse.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("error connecting to the warehouse: %w", err)
	}
	defer wconn.Release()
	var out []PublishResult
	err = pgx.BeginFunc(ctx, r.cfg.Webapp, func(tx pgx.Tx) error {
		for _, p := range pubs {
			live, next := pgx.Identifier{p.Webapp}.Sanitize(), pgx.Identifier{p.Webapp + "__new"}.Sanitize()
			start := time.Now()
			if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+next); err != nil {
				return err
			}
			// Not INCLUDING DEFAULTS: a serial default would tie the new
			// table to the old table's sequence, which the swap drops. The
			// rows carry their ids.
			if _, err := tx.Exec(ctx, "CREATE TABLE "+next+" (LIKE "+live+" INCLUDING INDEXES INCLUDING CONSTRAINTS)"); err != nil {
				return fmt.Errorf("error creating %s__new: %w", p.Webapp, err)
			}
			cols, err := columnList(ctx, tx, p.Webapp)
			if err != nil {
				return err
			}
			n, err := streamCopy(ctx, wconn.Conn().PgConn(),
				"COPY (SELECT "+cols+" FROM "+pgx.Identifier{r.cfg.Schema, p.Exposure}.Sanitize()+") TO STDOUT",
				tx.Conn().PgConn(), "COPY "+next+" ("+cols+") FROM STDIN")
			if err != nil {
				return fmt.Errorf("error copying %s into %s: %w", p.Exposure, p.Webapp, err)
			}
			if _, err := tx.Exec(ctx, "ANALYZE "+next); err != nil {
				return err
			}
			r.log.Info("webapp table prepared", "table", p.Webapp+"__new", "from", p.Exposure, "rows", n, "seconds", time.Since(start).Seconds())
			out = append(out, PublishResult{Table: p.Webapp, Rows: n})
		}
		return nil
	})
	return out, err
}

// columnList is the live table's columns, quoted, in table order.
func columnList(ctx context.Context, tx pgx.Tx, table string) (string, error) {
	cols, err := tableColumns(ctx, tx, table)
	if err != nil {
		return "", err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = pgx.Identifier{c.Name}.Sanitize()
	}
	return strings.Join(names, ", "), nil
}

// column is a table column as the catalogs describe it.
type column struct {
	Name string
	// Type is format_type without modifier ("character varying").
	Type string
	// FullType has the modifier ("character varying(255)").
	FullType string
}

// querier is a pool, connection or transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// tableColumns lists a table's columns (resolved through the connection's
// search_path when table is unqualified).
func tableColumns(ctx context.Context, q querier, table string) ([]column, error) {
	rows, err := q.Query(ctx, `SELECT a.attname, format_type(a.atttypid, NULL), format_type(a.atttypid, a.atttypmod)
		FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, table)
	if err != nil {
		return nil, fmt.Errorf("error reading the columns of %s: %w", table, err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (column, error) {
		var c column
		err := r.Scan(&c.Name, &c.Type, &c.FullType)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("error reading the columns of %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %s does not exist", table)
	}
	return cols, nil
}
