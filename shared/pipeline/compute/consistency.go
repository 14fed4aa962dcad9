package compute

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ConsistencyError is an exposure table whose columns do not match the
// webapp table it would replace.
type ConsistencyError struct {
	Exposure, Webapp string
	// Missing are webapp columns the exposure lacks; Extra are exposure
	// columns the webapp table lacks; Types describe incompatible types.
	Missing, Extra, Types []string
}

func (e *ConsistencyError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing columns: "+strings.Join(e.Missing, ", "))
	}
	if len(e.Extra) > 0 {
		parts = append(parts, "extra columns: "+strings.Join(e.Extra, ", "))
	}
	if len(e.Types) > 0 {
		parts = append(parts, "incompatible types: "+strings.Join(e.Types, ", "))
	}
	return fmt.Sprintf("exposure table %s does not match webapp table %s: %s", e.Exposure, e.Webapp, strings.Join(parts, "; "))
}

// checkConsistency compares an exposure table with the webapp table it
// replaces (LVAO compares the Django model with the dbt table before the
// swap): same column names, and each type equal to the webapp's or
// converting to it by an implicit or assignment cast (the copy goes
// through text, so e.g. bigint ids fit an integer column). A typmod
// difference (varchar(22) into varchar(255)) is accepted: a value too long
// fails the copy, before any swap.
func (r *Runner) checkConsistency(ctx context.Context, p Publication) error {
	exp, err := tableColumns(ctx, r.cfg.Warehouse, pgx.Identifier{r.cfg.Schema, p.Exposure}.Sanitize())
	if err != nil {
		return fmt.Errorf("error checking %s: %w (build it first)", p.Exposure, err)
	}
	web, err := tableColumns(ctx, r.cfg.Webapp, pgx.Identifier{p.Webapp}.Sanitize())
	if err != nil {
		return fmt.Errorf("error checking %s: %w (apply the webapp's migrations, or compute.PrepareWebapp outside production)", p.Webapp, err)
	}
	e := &ConsistencyError{Exposure: p.Exposure, Webapp: p.Webapp}
	expByName := map[string]column{}
	for _, c := range exp {
		expByName[c.Name] = c
	}
	webByName := map[string]bool{}
	for _, w := range web {
		webByName[w.Name] = true
		c, ok := expByName[w.Name]
		if !ok {
			e.Missing = append(e.Missing, w.Name)
			continue
		}
		if c.Type == w.Type {
			continue
		}
		var castable bool
		err := r.cfg.Webapp.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_cast
			WHERE castsource = to_regtype($1) AND casttarget = to_regtype($2) AND castcontext IN ('i', 'a'))`,
			c.Type, w.Type).Scan(&castable)
		if err != nil {
			return fmt.Errorf("error checking the type of %s.%s: %w", p.Webapp, w.Name, err)
		}
		if !castable {
			e.Types = append(e.Types, fmt.Sprintf("%s is %s in the exposure, %s in the webapp", w.Name, c.FullType, w.FullType))
		}
	}
	for _, c := range exp {
		if !webByName[c.Name] {
			e.Extra = append(e.Extra, c.Name)
		}
	}
	if len(e.Missing)+len(e.Extra)+len(e.Types) > 0 {
		return e
	}
	return nil
}
