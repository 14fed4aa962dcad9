package suggest

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// LoadRefData reads the codes source_data_validate checks from the webapp
// database (qfdmo_acteurtype, qfdmo_source, qfdmo_labelqualite,
// qfdmo_acteurservice, qfdmo_souscategorieobjet), as LVAO reads them with
// read_data_from_postgres. Only the codes are filled.
func LoadRefData(ctx context.Context, pool *pgxpool.Pool) (*transform.RefData, error) {
	ref := &transform.RefData{}
	read := func(table string, add func(code string)) error {
		rows, err := pool.Query(ctx, "SELECT code FROM "+table+" ORDER BY code")
		if err != nil {
			return fmt.Errorf("error reading %s: %w", table, err)
		}
		codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("error reading %s: %w", table, err)
		}
		for _, c := range codes {
			add(c)
		}
		return nil
	}
	steps := []struct {
		table string
		add   func(string)
	}{
		{"qfdmo_acteurtype", func(c string) { ref.ActeurTypes = append(ref.ActeurTypes, transform.ActeurType{Code: c}) }},
		{"qfdmo_source", func(c string) { ref.Sources = append(ref.Sources, transform.Source{Code: c}) }},
		{"qfdmo_labelqualite", func(c string) { ref.Labels = append(ref.Labels, transform.Label{Code: c}) }},
		{"qfdmo_acteurservice", func(c string) {
			ref.ActeurServices = append(ref.ActeurServices, transform.ActeurService{Code: c})
		}},
		{"qfdmo_souscategorieobjet", func(c string) {
			ref.SousCategories = append(ref.SousCategories, transform.SousCategorie{Code: c})
		}},
	}
	for _, s := range steps {
		if err := read(s.table, s.add); err != nil {
			return nil, err
		}
	}
	return ref, nil
}
