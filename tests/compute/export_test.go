package compute_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lvao/dataplatform/shared/objectstore"
	"github.com/lvao/dataplatform/shared/pipeline/compute"
	"github.com/lvao/dataplatform/shared/pipeline/export"
	"github.com/lvao/dataplatform/shared/runtime"
)

// The open-data CSV's columns, in LVAO's order (exposure_opendata_acteur).
var opendataHeader = []string{"identifiant", "paternite", "identifiants_des_contributeurs", "nom", "nom_commercial",
	"siren", "siret", "description", "type_dacteur", "site_web", "telephone", "adresse", "complement_dadresse",
	"code_postal", "ville", "code_commune", "code_epci", "nom_epci", "latitude", "longitude", "qualites_et_labels",
	"public_accueilli", "reprise", "exclusivite_de_reprisereparation", "uniquement_sur_rdv", "type_de_services",
	"consignes_dacces", "horaires_description", "horaires_osm", "lieu_prestation", "perimetreadomicile",
	"propositions_de_services", "emprunter", "preter", "louer", "mettreenlocation", "reparer", "donner", "trier",
	"echanger", "revendre", "acheter", "rapporter", "date_de_derniere_modification"}

// fakeS3 is an in-memory S3 whose clock the test sets (objects' LastModified)
// and which records the requests it receives.
type fakeS3 struct {
	client *s3.Client
	clock  *clock
	mu     sync.Mutex
	reqs   []string // "METHOD path x-amz-acl"
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time                  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c *clock) set(t time.Time)                 { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func newFakeS3(t *testing.T, bucket string, now time.Time) *fakeS3 {
	t.Helper()
	f := &fakeS3{clock: &clock{t: now}}
	h := gofakes3.New(s3mem.New(s3mem.WithTimeSource(f.clock))).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reqs = append(f.reqs, r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Amz-Acl")+" "+r.URL.RawQuery)
		f.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.client = objectstore.NewClient(objectstore.Config{Endpoint: srv.URL, AccessKey: "k", SecretKey: "s"})
	if _, err := f.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeS3) put(t *testing.T, bucket, key, body string, at time.Time) {
	t.Helper()
	f.clock.set(at)
	if _, err := f.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

func (f *fakeS3) get(t *testing.T, bucket, key string) []byte {
	t.Helper()
	out, err := f.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fakeS3) keys(t *testing.T, bucket string) []string {
	t.Helper()
	out, err := f.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	sort.Strings(keys)
	return keys
}

func (f *fakeS3) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reqs...)
}

// The export writes the open-data table as CSV (LVAO's header and column
// order, PostgreSQL's CSV), dated and as the public acteurs.csv, and
// removes the dated exports older than 30 days.
func TestExportOpendataCSV(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if err := compute.PrepareWarehouse(e.ctx, e.wh, e.whSchema); err != nil {
		t.Fatal(err)
	}
	// Geographic reference data: 69001 is Lyon 1er, in the Métropole de Lyon.
	for _, q := range []string{
		`INSERT INTO clone_laposte_code_postal_in_use (code_commune_insee, nom_de_la_commune, code_postal) VALUES ('69381', 'LYON 01', '69001')`,
		`INSERT INTO clone_koumoul_epci_in_use VALUES ('69381', 'Lyon 1er Arrondissement', '200046977', 'Métropole de Lyon')`,
	} {
		if _, err := e.wh.Exec(e.ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	e.acteur("E1", row{"nom": "Repair Café", "nom_commercial": "RC", "siren": "123456789", "siret": "12345678900012",
		"description": `Atelier, "solidaire"`, "url": "https://rc.example", "telephone": "0102030405",
		"adresse": "1 rue de la Paix", "adresse_complement": "Bât A", "code_postal": "69001", "ville": "Lyon",
		"location": point{4.83, 45.76}, "reprise": "1 pour 1", "exclusivite_de_reprisereparation": true,
		"uniquement_sur_rdv": false, "horaires_description": "Lun-Ven", "horaires_osm": "Mo-Fr 09:00-18:00",
		"modifie_le": time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)})
	e.link(false, "labels", "E1", "reparacteur")
	e.link(false, "acteur_services", "E1", "structure_de_collecte")
	e.ps(false, "E1", "reparer", "ecran", "petit_electromenager")
	e.ps(false, "E1", "donner", "ecran")
	e.insert("qfdmo_perimetreadomicile", row{"acteur_id": "E1", "type": "KILOMETRIQUE", "valeur": "10"})
	e.acteur("E2", row{"telephone": "0612345678"}) // a mobile number: never published
	e.ps(false, "E2", "trier", "ecran")
	e.build()
	// The map's acteur points to its EPCI, published with it.
	e.publish("epci", "displayed")
	equal(t, "map EPCI", e.webStrings(`SELECT a.identifiant_unique || ' ' || a.code_commune_insee || ' ' || coalesce(epci.code || ' ' || epci.nom, '-')
		FROM qfdmo_displayedacteur a LEFT JOIN qfdmo_epci epci ON epci.id = a.epci_id`),
		[]string{"E1 69381 200046977 Métropole de Lyon", "E2  -"})

	now := time.Date(2025, 9, 1, 5, 0, 0, 0, time.UTC)
	const bucket = "lvao-opendata"
	f := newFakeS3(t, bucket, now)
	f.put(t, bucket, "acteurs/20250701050000.csv", "old", now.AddDate(0, 0, -40))
	f.put(t, bucket, "acteurs/acteurs.csv", "old latest", now.AddDate(0, 0, -40))
	f.put(t, bucket, "acteurs/20250820050000.csv", "recent", now.AddDate(0, 0, -12))
	f.put(t, bucket, "acteurs-preprod/20250701050000.csv", "other environment", now.AddDate(0, 0, -40))
	f.clock.set(now)

	task := export.Task(&export.Deps{Warehouse: func() (*pgxpool.Pool, error) { return e.wh, nil }, WarehouseSchema: e.whSchema,
		S3: f.client, Bucket: bucket, Now: func() time.Time { return now }})
	out, err := task(e.ctx, &runtime.Task{TaskID: "export_opendata", Args: map[string]any{"remote_dir": "acteurs"},
		Logger: slog.New(slog.NewTextHandler(e.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	res := out.(*export.Result)
	if res.Key != "acteurs/20250901050000.csv" || res.LatestKey != "acteurs/acteurs.csv" || res.Rows != 2 {
		t.Errorf("result %+v", res)
	}
	equal(t, "removed", res.Removed, []string{"acteurs/20250701050000.csv"})
	equal(t, "bucket", f.keys(t, bucket), []string{"acteurs-preprod/20250701050000.csv", "acteurs/20250820050000.csv",
		"acteurs/20250901050000.csv", "acteurs/acteurs.csv"})

	dated := f.get(t, bucket, res.Key)
	if latest := f.get(t, bucket, res.LatestKey); !bytes.Equal(dated, latest) {
		t.Errorf("acteurs.csv differs from the dated export:\n%s\n---\n%s", latest, dated)
	}
	var aclPut bool
	for _, r := range f.requests() {
		if strings.HasSuffix(strings.Fields(r)[1], "/acteurs/acteurs.csv") && strings.Contains(r, " public-read") {
			aclPut = true
		}
	}
	if !aclPut {
		t.Errorf("acteurs.csv was not written with the public-read ACL; requests:\n%s", strings.Join(f.requests(), "\n"))
	}

	records, err := csv.NewReader(bytes.NewReader(dated)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, dated)
	}
	if len(records) != 3 {
		t.Fatalf("want a header and 2 rows, got %d records", len(records))
	}
	if strings.Join(records[0], ",") != strings.Join(opendataHeader, ",") {
		t.Errorf("header order:\n got  %v\n want %v", records[0], opendataHeader)
	}
	byID := map[string]map[string]string{}
	for _, rec := range records[1:] {
		m := map[string]string{}
		for i, h := range records[0] {
			m[h] = rec[i]
		}
		byID[m["identifiant"]] = m
	}
	want := map[string]string{
		"identifiant":                      shortUUID("E1"),
		"paternite":                        "Longue Vie Aux Objets|ADEME|Source Ouverte",
		"identifiants_des_contributeurs":   `[{"Source Ouverte": "ext-E1"}]`,
		"nom":                              "Repair Café",
		"nom_commercial":                   "RC",
		"siren":                            "123456789",
		"siret":                            "12345678900012",
		"description":                      `Atelier, "solidaire"`,
		"type_dacteur":                     "commerce",
		"site_web":                         "https://rc.example",
		"telephone":                        "0102030405",
		"adresse":                          "1 rue de la Paix",
		"complement_dadresse":              "Bât A",
		"code_postal":                      "69001",
		"ville":                            "Lyon",
		"code_commune":                     "69381",
		"code_epci":                        "200046977",
		"nom_epci":                         "Métropole de Lyon",
		"latitude":                         "45.76",
		"longitude":                        "4.83",
		"qualites_et_labels":               "reparacteur",
		"public_accueilli":                 "Particuliers",
		"reprise":                          "1 pour 1",
		"exclusivite_de_reprisereparation": "t",
		"uniquement_sur_rdv":               "f",
		"type_de_services":                 "structure_de_collecte",
		"consignes_dacces":                 "",
		"horaires_description":             "Lun-Ven",
		"horaires_osm":                     "Mo-Fr 09:00-18:00",
		"lieu_prestation":                  "SUR_PLACE",
		"perimetreadomicile":               `[{"type": "KILOMETRIQUE", "valeur": "10"}]`,
		"propositions_de_services":         `[{"action": "donner", "sous_categories": ["ecran"]}, {"action": "reparer", "sous_categories": ["ecran", "petit_electromenager"]}]`,
		"emprunter":                        "",
		"preter":                           "",
		"louer":                            "",
		"mettreenlocation":                 "",
		"reparer":                          "ecran|petit_electromenager",
		"donner":                           "ecran",
		"trier":                            "",
		"echanger":                         "",
		"revendre":                         "",
		"acheter":                          "",
		"rapporter":                        "",
		"date_de_derniere_modification":    "2025-03-04",
	}
	got := byID[shortUUID("E1")]
	if got == nil {
		t.Fatalf("no row for E1 in\n%s", dated)
	}
	for _, h := range opendataHeader {
		if got[h] != want[h] {
			t.Errorf("E1 %s = %q, want %q", h, got[h], want[h])
		}
	}
	if tel := byID[shortUUID("E2")]["telephone"]; tel != "" {
		t.Errorf("mobile number published: %q", tel)
	}
}

// acteurs.csv is never removed, however old; another prefix is untouched.
func TestRemoveOldExportsKeepsLatest(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 9, 1, 5, 0, 0, 0, time.UTC)
	const bucket = "exports"
	f := newFakeS3(t, bucket, now)
	for _, k := range []string{"acteurs/acteurs.csv", "acteurs/20250101000000.csv", "acteurs/20250102000000.csv", "acteursx/a.csv"} {
		f.put(t, bucket, k, "x", now.AddDate(-1, 0, 0))
	}
	removed, err := export.RemoveOldExports(context.Background(), f.client, bucket, "acteurs", now)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "removed", removed, []string{"acteurs/20250101000000.csv", "acteurs/20250102000000.csv"})
	equal(t, "kept", f.keys(t, bucket), []string{"acteurs/acteurs.csv", "acteursx/a.csv"})
}

// A large table streams to S3 in parts (memory stays bounded by one part)
// and arrives whole.
func TestExportStreamsLargeTableInParts(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, err := e.wh.Exec(e.ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{e.whSchema}.Sanitize()+`;
		CREATE TABLE `+pgx.Identifier{e.whSchema, "big"}.Sanitize()+` AS
		SELECT g AS identifiant, repeat(md5(g::text), 32) AS nom FROM generate_series(1, 13000) AS g`); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 9, 1, 5, 0, 0, 0, time.UTC)
	f := newFakeS3(t, "opendata", now)
	res, err := export.Export(e.ctx, export.Config{Warehouse: e.wh, Schema: e.whSchema, Table: "big", S3: f.client,
		Bucket: "opendata", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	parts := 0
	for _, r := range f.requests() {
		if strings.HasPrefix(r, "PUT ") && strings.Contains(r, "partNumber=") {
			parts++
		}
	}
	if parts < 3 {
		t.Errorf("%d parts for %d bytes", parts, res.Bytes)
	}
	body := f.get(t, "opendata", res.LatestKey)
	if int64(len(body)) != res.Bytes || bytes.Count(body, []byte("\n")) != 13001 || res.Rows != 13000 {
		t.Errorf("got %d bytes, %d lines; result %+v", len(body), bytes.Count(body, []byte("\n")), res)
	}
}

// Before compute_acteurs has built the open-data table, the export fails
// with a message saying so, and nothing is written to S3.
func TestExportWithoutTableSaysRunComputeFirst(t *testing.T) {
	t.Parallel()
	e := setup(t)
	now := time.Date(2025, 9, 1, 5, 0, 0, 0, time.UTC)
	f := newFakeS3(t, "opendata", now)
	_, err := export.Export(e.ctx, export.Config{Warehouse: e.wh, Schema: e.whSchema + "_missing", S3: f.client,
		Bucket: "opendata", Now: func() time.Time { return now }})
	if err == nil || !strings.Contains(err.Error(), "compute_acteurs") || !strings.Contains(err.Error(), "exposure_opendata_acteur") {
		t.Fatalf("error %v, want one naming the table and compute_acteurs", err)
	}
	if keys := f.keys(t, "opendata"); len(keys) != 0 {
		t.Errorf("objects written: %v", keys)
	}
}

// An empty open-data table is not published: the public acteurs.csv stays
// as it was (a header-only file would have replaced it), and the dated
// export goes.
func TestEmptyExportLeavesThePublicFile(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if _, err := e.wh.Exec(e.ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{e.whSchema}.Sanitize()+`;
		CREATE TABLE `+pgx.Identifier{e.whSchema, "empty"}.Sanitize()+` (identifiant text, nom text)`); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 9, 1, 5, 0, 0, 0, time.UTC)
	f := newFakeS3(t, "opendata", now)
	f.put(t, "opendata", "acteurs/acteurs.csv", "identifiant,nom\n1,Ressourcerie\n", now.Add(-7*24*time.Hour))
	_, err := export.Export(e.ctx, export.Config{Warehouse: e.wh, Schema: e.whSchema, Table: "empty", S3: f.client,
		Bucket: "opendata", Now: func() time.Time { return now }})
	if err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Fatalf("error %v, want one saying the table is empty", err)
	}
	if body := string(f.get(t, "opendata", "acteurs/acteurs.csv")); body != "identifiant,nom\n1,Ressourcerie\n" {
		t.Errorf("the public file changed: %q", body)
	}
	if keys := f.keys(t, "opendata"); len(keys) != 1 {
		t.Errorf("objects left: %v, want only acteurs/acteurs.csv", keys)
	}
}
