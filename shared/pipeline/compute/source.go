package compute

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// sourceSnapshot reads the webapp tables of one build in a single
// REPEATABLE READ transaction, so that acteurs, revisions and their child
// tables are copied as of the same instant even when suggestions are
// applied meanwhile (dbt read them through postgres_fdw, table by table).
type sourceSnapshot struct {
	tx pgx.Tx
}

func openSourceSnapshot(ctx context.Context, pool *pgxpool.Pool) (*sourceSnapshot, error) {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("error opening a snapshot of the webapp database: %w", err)
	}
	return &sourceSnapshot{tx: tx}, nil
}

func (s *sourceSnapshot) close() {
	_ = s.tx.Rollback(context.Background())
}

// copyInto creates table in the warehouse transaction wtx with the columns
// and types the model's SELECT returns on the webapp, then streams the
// rows into it.
func (s *sourceSnapshot) copyInto(ctx context.Context, m *Model, wtx pgx.Tx, table string) (int64, error) {
	cols, err := s.columns(ctx, m)
	if err != nil {
		return 0, err
	}
	if _, err := wtx.Exec(ctx, "CREATE TABLE "+table+" ("+strings.Join(cols, ", ")+")"); err != nil {
		return 0, fmt.Errorf("error creating the table of model %s: %w", m.Name, err)
	}
	return streamCopy(ctx, s.tx.Conn().PgConn(), "COPY ("+m.SQL+") TO STDOUT",
		wtx.Conn().PgConn(), "COPY "+table+" FROM STDIN")
}

// columns returns "name type" definitions of the model's result, types as
// the webapp names them (format_type: "character varying(255)",
// "geography(Point,4326)").
func (s *sourceSnapshot) columns(ctx context.Context, m *Model) ([]string, error) {
	rows, err := s.tx.Query(ctx, "SELECT * FROM ("+m.SQL+") AS q LIMIT 0")
	if err != nil {
		return nil, fmt.Errorf("error reading the columns of model %s on the webapp: %w", m.Name, err)
	}
	fields := rows.FieldDescriptions()
	names := make([]string, len(fields))
	oids := make([]uint32, len(fields))
	mods := make([]int32, len(fields))
	for i, f := range fields {
		names[i], oids[i], mods[i] = f.Name, f.DataTypeOID, f.TypeModifier
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var types []string
	err = s.tx.QueryRow(ctx, `SELECT array_agg(format_type(t.oid, t.mod) ORDER BY t.n)
		FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS t(oid, mod, n)`, oids, mods).Scan(&types)
	if err != nil {
		return nil, fmt.Errorf("error reading the column types of model %s: %w", m.Name, err)
	}
	out := make([]string, len(names))
	for i := range names {
		out[i] = pgx.Identifier{names[i]}.Sanitize() + " " + types[i]
	}
	return out, nil
}
