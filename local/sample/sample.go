// Package sample generates rows of LVAO's eo-ecosystem data-fair dataset
// (its real columns) and serves them as data-fair pages, for trying a
// source DAG without the internet (`go run ./local sample-source`) and for
// the source benchmark (tests/bench). Rows are generated on the fly, never
// held in memory.
package sample

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Columns are the eo-ecosystem data-fair dataset's columns (the real
// names, as tests/sources' ecosystemRow has them), in the order Row
// fills them.
var Columns = []string{
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
	products = []string{"Cartouches", "Chaussure", "Cartouches | Chaussure"}
	names    = []string{"Répar", "Atelier", "Cordonnerie", "Recyclerie", "Boutique", "Point Relais", "Ressourcerie"}
	towns    = []string{"75002 Paris", "69001 Lyon", "13001 Marseille", "33000 Bordeaux", "59000 Lille", "44000 Nantes"}
	streets  = []string{"rue de la Paix", "avenue Jean Jaurès", "boulevard Victor Hugo", "place de la République", "rue du Général Leclerc"}
)

// ID is the id_point_apport_ou_reparation of generated row i; the
// pipeline makes it the acteur's identifiant_unique "ecosystem_<id>".
func ID(i int) string { return fmt.Sprintf("B%07d", i) }

// Row fills dst with generated row i (0-based) of the dataset, in
// Columns' order: string, bool, int or nil values. Rows differ by
// id, name, coordinates, address and products; the acteur type is always
// "Artisan, commerce indépendant" and the products valid labels of the
// DAG's product_mapping, so every row becomes an acteur. The data-fair
// server (and the benchmark's COPY bound) read the rows from here, generated on
// the fly (never held in memory: the process's peak RSS is the
// pipeline's).
func Row(i int, dst []any) []any {
	id := ID(i)
	nom := fmt.Sprintf("%s %s %d", names[i%len(names)], strings.ToUpper(strconv.FormatInt(int64(i)*7919%1000003, 36)), i)
	lat := 43.0 + float64(i%5000)*0.001
	lon := -1.0 + float64(i/5000)*0.3 + float64(i%97)*0.0001
	latS, lonS := strconv.FormatFloat(lat, 'f', 6, 64), strconv.FormatFloat(lon, 'f', 6, 64)
	adresse := fmt.Sprintf("%d %s %s", i%300+1, streets[i%len(streets)], towns[(i/7)%len(towns)])
	return append(dst[:0],
		nom, nom+" SARL", lonS, latS, "Ecosystem",
		"Artisan, commerce indépendant", "Particuliers", "non", "1 pour 1",
		products[i%len(products)], "", "non", "",
		"Mo-Fr 09:00-18:00", "https://example.org", "contact@example.org", "", id,
		"", "", adresse, fmt.Sprintf("01%08d", 45000000+i%1000000), "non",
		false, "non", "oui",
		"non", "", i+1, id, "2025-08-01", i%1000, latS+","+lonS,
		"DEEE", nil, "1", "2", "oui",
		"", "",
	)
}

// appendJSON appends v (a Row value) as JSON.
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
		panic(fmt.Sprintf("Row value of type %T", v))
	}
}

// AppendRowJSON appends generated row i as a JSON object.
func AppendRowJSON(b []byte, i int, vals []any) ([]byte, []any) {
	vals = Row(i, vals)
	b = append(b, '{')
	for k, c := range Columns {
		if k > 0 {
			b = append(b, ',')
		}
		b = appendJSON(b, c)
		b = append(b, ':')
		b = appendJSON(b, vals[k])
	}
	return append(b, '}'), vals
}

// DataFair serves the generated rows as data-fair pages of PageSize
// ({"total", "next", "results"}, next an absolute URL as data-fair gives
// it) and the dataset's schema, streaming each page row by row.
type DataFair struct {
	Rows, PageSize int
	Pages, Bytes   atomic.Int64 // pages and bytes served
	Busy           atomic.Int64 // nanoseconds spent serving (generating + encoding + writing)
}

func (d *DataFair) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { d.Busy.Add(int64(time.Since(start))) }()
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/schema") {
		var fields []map[string]any
		for _, k := range Columns {
			if !strings.HasPrefix(k, "_") {
				fields = append(fields, map[string]any{"key": k})
			}
		}
		fields = append(fields, map[string]any{"key": "_computed", "x-calculated": true})
		_ = json.NewEncoder(w).Encode(fields)
		return
	}
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	if after < 0 || after > d.Rows {
		http.Error(w, "bad after", http.StatusBadRequest)
		return
	}
	end := min(after+d.PageSize, d.Rows)
	bw := bufio.NewWriterSize(w, 64<<10)
	b := make([]byte, 0, 4096)
	b = append(b, `{"total":`...)
	b = strconv.AppendInt(b, int64(d.Rows), 10)
	if end < d.Rows {
		b = append(b, `,"next":`...)
		b = appendJSON(b, fmt.Sprintf("http://%s%s?size=%d&after=%d", r.Host, r.URL.Path, d.PageSize, end))
	}
	b = append(b, `,"results":[`...)
	var vals []any
	var n int64
	for i := after; i < end; i++ {
		if i > after {
			b = append(b, ',')
		}
		b, vals = AppendRowJSON(b, i, vals)
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
	d.Pages.Add(1)
	d.Bytes.Add(n)
}
