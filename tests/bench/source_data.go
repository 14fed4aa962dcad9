package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// sourceColumns are the eo-ecosystem data-fair dataset's columns (the real
// names, as tests/sources' ecosystemRow has them), in the order sourceRow
// fills them.
var sourceColumns = []string{
	"nom_de_lorganisme", "enseigne_commerciale", "longitudewgs84", "latitudewgs84", "ecoorganisme",
	"type_de_point_de_collecte", "public_accueilli", "exclusivite_de_reprisereparation", "reprise",
	"produitsdechets_acceptes", "consignes_dacces", "uniquement_sur_rdv", "adresse_complement",
	"horaires_douverture", "site_web", "email", "labels_etou_bonus", "id_point_apport_ou_reparation",
	"siret", "siren", "adresse_format_ban", "telephone", "point_dapport_de_service_reparation",
	"point_de_reparation", "point_dapport_pour_reemploi", "point_de_collecte_ou_de_reprise_des_dechets",
	"service_a_domicile", "perimetre_dintervention", "_i", "_id", "_updatedAt", "_rand", "_geopoint",
	"filiere", "_score", "latitudemercator", "longitudemercator", "accessible",
	"date_fin_point_ephemere", "date_debut_point_ephemere",
}

var (
	sourceProducts = []string{"Cartouches", "Chaussure", "Cartouches | Chaussure"}
	sourceNames    = []string{"Répar", "Atelier", "Cordonnerie", "Recyclerie", "Boutique", "Point Relais", "Ressourcerie"}
	sourceTowns    = []string{"75002 Paris", "69001 Lyon", "13001 Marseille", "33000 Bordeaux", "59000 Lille", "44000 Nantes"}
	sourceStreets  = []string{"rue de la Paix", "avenue Jean Jaurès", "boulevard Victor Hugo", "place de la République", "rue du Général Leclerc"}
)

// sourceID is the id_point_apport_ou_reparation of generated row i; the
// pipeline makes it the acteur's identifiant_unique "ecosystem_<id>".
func sourceID(i int) string { return fmt.Sprintf("B%07d", i) }

// sourceRow fills dst with generated row i (0-based) of the dataset, in
// sourceColumns' order: string, bool, int or nil values. Rows differ by
// id, name, coordinates, address and products; the acteur type is always
// "Artisan, commerce indépendant" and the products valid labels of the
// DAG's product_mapping, so every row becomes an acteur. The data-fair
// server and the COPY bound both read the rows from here, generated on
// the fly (never held in memory: the process's peak RSS is the
// pipeline's).
func sourceRow(i int, dst []any) []any {
	id := sourceID(i)
	nom := fmt.Sprintf("%s %s %d", sourceNames[i%len(sourceNames)], strings.ToUpper(strconv.FormatInt(int64(i)*7919%1000003, 36)), i)
	lat := 43.0 + float64(i%5000)*0.001
	lon := -1.0 + float64(i/5000)*0.3 + float64(i%97)*0.0001
	latS, lonS := strconv.FormatFloat(lat, 'f', 6, 64), strconv.FormatFloat(lon, 'f', 6, 64)
	adresse := fmt.Sprintf("%d %s %s", i%300+1, sourceStreets[i%len(sourceStreets)], sourceTowns[(i/7)%len(sourceTowns)])
	return append(dst[:0],
		nom, nom+" SARL", lonS, latS, "Ecosystem",
		"Artisan, commerce indépendant", "Particuliers", "non", "1 pour 1",
		sourceProducts[i%len(sourceProducts)], "", "non", "",
		"Mo-Fr 09:00-18:00", "https://example.org", "contact@example.org", "", id,
		"", "", adresse, fmt.Sprintf("01%08d", 45000000+i%1000000), "non",
		false, "non", "oui",
		"non", "", i+1, id, "2025-08-01", i%1000, latS+","+lonS,
		"DEEE", nil, "1", "2", "oui",
		"", "",
	)
}

// appendJSON appends v (a sourceRow value) as JSON.
func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case string:
		const hex = "0123456789abcdef"
		b = append(b, '"')
		for i := 0; i < len(v); i++ {
			switch c := v[i]; {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
		}
		return append(b, '"')
	default:
		panic(fmt.Sprintf("sourceRow value of type %T", v))
	}
}

// appendRowJSON appends generated row i as a JSON object.
func appendRowJSON(b []byte, i int, vals []any) ([]byte, []any) {
	vals = sourceRow(i, vals)
	b = append(b, '{')
	for k, c := range sourceColumns {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendJSON(b, c)
		b = append(b, ':')
		b = appendJSON(b, vals[k])
	}
	return append(b, '}'), vals
}

// dataFairServer serves the generated rows as data-fair pages of pageSize
// ({"total", "next", "results"}, next an absolute URL as data-fair gives
// it) and the dataset's schema, streaming each page row by row.
type dataFairServer struct {
	rows, pageSize int
	pages, bytes   atomic.Int64
	busy           atomic.Int64 // nanoseconds spent serving (generating + encoding + writing)
}

func (d *dataFairServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { d.busy.Add(int64(time.Since(start))) }()
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/schema") {
		var fields []map[string]any
		for _, k := range sourceColumns {
			if !strings.HasPrefix(k, "_") {
				fields = append(fields, map[string]any{"key": k})
			}
		}
		fields = append(fields, map[string]any{"key": "_computed", "x-calculated": true})
		_ = json.NewEncoder(w).Encode(fields)
		return
	}
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	if after < 0 || after > d.rows {
		http.Error(w, "bad after", http.StatusBadRequest)
		return
	}
	end := min(after+d.pageSize, d.rows)
	bw := bufio.NewWriterSize(w, 64<<10)
	b := make([]byte, 0, 4096)
	b = append(b, `{"total":`...)
	b = strconv.AppendInt(b, int64(d.rows), 10)
	if end < d.rows {
		b = append(b, `,"next":`...)
		b = appendJSON(b, fmt.Sprintf("http://%s%s?size=%d&after=%d", r.Host, r.URL.Path, d.pageSize, end))
	}
	b = append(b, `,"results":[`...)
	var vals []any
	var n int64
	for i := after; i < end; i++ {
		if i > after {
			b = append(b, ',')
		}
		b, vals = appendRowJSON(b, i, vals)
		if len(b) > 32<<10 {
			if _, err := bw.Write(b); err != nil {
				return
			}
			n += int64(len(b))
			b = b[:0]
		}
	}
	b = append(b, "]}\n"...)
	if _, err := bw.Write(b); err != nil {
		return
	}
	n += int64(len(b))
	_ = bw.Flush()
	d.pages.Add(1)
	d.bytes.Add(n)
}

// copyResult is the COPY bound's outcome.
type copyResult struct {
	Wall  time.Duration
	PGCPU time.Duration
	Bytes int64 // table size after the COPY
}

// copyBound COPYs the same generated rows into a fresh table of text
// columns (pgx CopyFrom: the binary COPY protocol) in a schema of its own,
// dropped afterwards. Only the CopyFrom call is timed.
func copyBound(ctx context.Context, o options, rows int) (copyResult, error) {
	var res copyResult
	schema := newSchema("srccopy")
	const app = "bench_source_copy"
	conn, err := pgx.Connect(ctx, withAppName(o.URL, app))
	if err != nil {
		return res, err
	}
	defer conn.Close(context.Background())
	defer func() { _ = dropSchema(o.URL, schema) }()
	table := pgx.Identifier{schema, "eo_ecosystem"}
	cols := make([]string, len(sourceColumns))
	for i, c := range sourceColumns {
		cols[i] = pgx.Identifier{c}.Sanitize() + " text"
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return res, err
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE "+table.Sanitize()+" ("+strings.Join(cols, ", ")+")"); err != nil {
		return res, err
	}
	pgCPU0, _ := backendCPU(ctx, o.URL, app)
	var vals []any
	text := make([]any, len(sourceColumns))
	i := 0
	start := time.Now()
	n, err := conn.CopyFrom(ctx, table, sourceColumns, pgx.CopyFromFunc(func() ([]any, error) {
		if i >= rows {
			return nil, nil
		}
		vals = sourceRow(i, vals)
		i++
		for k, v := range vals {
			switch v := v.(type) {
			case nil:
				text[k] = nil
			case string:
				text[k] = v
			case bool:
				text[k] = strconv.FormatBool(v)
			case int:
				text[k] = strconv.Itoa(v)
			}
		}
		return text, nil
	}))
	res.Wall = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("COPY: %w", err)
	}
	if n != int64(rows) {
		return res, fmt.Errorf("COPY: %d rows copied, want %d", n, rows)
	}
	pgCPU1, _ := backendCPU(ctx, o.URL, app)
	res.PGCPU = pgCPU1 - pgCPU0
	_ = conn.QueryRow(ctx, "SELECT pg_total_relation_size($1::regclass)", table.Sanitize()).Scan(&res.Bytes)
	return res, nil
}

// outputCopy is the time to COPY the rows the pipeline wrote (groups and
// units) into copies of their tables: the floor of the write step.
type outputCopy struct {
	Rows                             int64
	Bytes                            int64 // binary COPY data
	Plain, WithIndexes, WithFKs      time.Duration
	PlainErr, IndexesErr, WithFKsErr string
}

// outputCopyBound copies data_suggestiongroupe and data_suggestionunitaire
// out (binary COPY, to a temporary file) and times COPYing them back into
// fresh tables of the same columns: without indexes or constraints, then
// with the real tables' indexes and CHECKs (LIKE … INCLUDING ALL), then
// with their deferred foreign keys too (to the real groups and cohorts,
// which hold the referenced ids): the same rows into tables like the real
// ones. The tables live in the webapp schema of the scenario, dropped
// with it.
func outputCopyBound(ctx context.Context, o options, webSchema string) (outputCopy, error) {
	var res outputCopy
	conn, err := pgx.Connect(ctx, withAppName(o.URL, "bench_source_outcopy"))
	if err != nil {
		return res, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SET search_path TO "+pgx.Identifier{webSchema}.Sanitize()); err != nil {
		return res, err
	}
	tables := []string{"data_suggestiongroupe", "data_suggestionunitaire"}
	files := map[string]*os.File{}
	defer func() {
		for _, f := range files {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	for _, t := range tables {
		f, err := os.CreateTemp("", "bench-outcopy-")
		if err != nil {
			return res, err
		}
		files[t] = f
		bw := bufio.NewWriterSize(f, 1<<20)
		tag, err := conn.PgConn().CopyTo(ctx, bw, "COPY "+t+" TO STDOUT (FORMAT binary)")
		if err != nil {
			return res, fmt.Errorf("COPY %s out: %w", t, err)
		}
		if err := bw.Flush(); err != nil {
			return res, err
		}
		res.Rows += tag.RowsAffected()
		if st, err := f.Stat(); err == nil {
			res.Bytes += st.Size()
		}
	}
	load := func(suffix, like string, fks bool) (time.Duration, error) {
		for _, t := range tables {
			if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE TABLE %s_%s (LIKE %s %s)", t, suffix, t, like)); err != nil {
				return 0, err
			}
		}
		if fks {
			for _, q := range []string{
				"ALTER TABLE data_suggestiongroupe_%s ADD FOREIGN KEY (suggestion_cohorte_id) REFERENCES data_suggestioncohorte (id) DEFERRABLE INITIALLY DEFERRED",
				"ALTER TABLE data_suggestionunitaire_%s ADD FOREIGN KEY (suggestion_groupe_id) REFERENCES data_suggestiongroupe (id) DEFERRABLE INITIALLY DEFERRED",
			} {
				if _, err := conn.Exec(ctx, fmt.Sprintf(q, suffix)); err != nil {
					return 0, err
				}
			}
		}
		var total time.Duration
		for _, t := range tables {
			f := files[t]
			if _, err := f.Seek(0, 0); err != nil {
				return 0, err
			}
			start := time.Now()
			_, err := conn.PgConn().CopyFrom(ctx, bufio.NewReaderSize(f, 1<<20), fmt.Sprintf("COPY %s_%s FROM STDIN (FORMAT binary)", t, suffix))
			total += time.Since(start)
			if err != nil {
				return total, fmt.Errorf("COPY %s in: %w", t, err)
			}
		}
		return total, nil
	}
	if res.Plain, err = load("bench_plain", "", false); err != nil {
		res.PlainErr = err.Error()
	}
	if res.WithIndexes, err = load("bench_idx", "INCLUDING ALL", false); err != nil {
		res.IndexesErr = err.Error()
	}
	if res.WithFKs, err = load("bench_fk", "INCLUDING ALL", true); err != nil {
		res.WithFKsErr = err.Error()
	}
	return res, nil
}
