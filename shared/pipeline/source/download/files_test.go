package download

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"

	"github.com/lvao/dataplatform/shared/objectstore"
	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// pharmaciesCSV uses the columns of the pharmacies DAG's rules.
const pharmaciesCSV = "Numéro d'établissement;Raison sociale;Dénomination commerciale;Adresse;Code postal;Commune;Téléphone;Fax;Région;Département;Type établissement\r\n" +
	"0012345;SELARL Pharmacie du Centre;\"Pharmacie; du centre\";1 place de l’Église;01000;Bourg-en-Bresse;0474000000;0474000001;Auvergne-Rhône-Alpes;Ain;Officine\r\n" +
	"\r\n" +
	"0067890;Pharmacie Œuvre;NA;2 rue \"Haute\";75002;Paris;0140000000;;Île-de-France;Paris;Officine\r\n" +
	"0099999;Trop;de;champs;75003;Paris;0140000001;;Île-de-France;Paris;Officine;en trop\r\n" +
	"0055555;Pharmacie courte;;3 rue Basse;75004;Paris;0140000002\r\n"

func utf16LE(t *testing.T, s string, bom bool) []byte {
	t.Helper()
	policy := unicode.IgnoreBOM
	if bom {
		policy = unicode.UseBOM
	}
	b, err := unicode.UTF16(unicode.LittleEndian, policy).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func zipOf(t *testing.T, members map[string][]byte, order ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range order {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(members[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pharmaciesServer(t *testing.T, csv []byte) *server {
	archive := zipOf(t, map[string][]byte{
		"annuaire/activites.csv":         utf16LE(t, "a;b\r\n1;2\r\n", false),
		"annuaire/etablissements_v2.csv": csv,
	}, "annuaire/activites.csv", "annuaire/etablissements_v2.csv")
	return newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/zip")
		w.Write(archive)
	})
}

func TestPharmaciesZIP(t *testing.T) {
	t.Parallel()
	for name, bom := range map[string]bool{"no BOM": false, "BOM": true} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := pharmaciesServer(t, utf16LE(t, pharmaciesCSV, bom))
			cfg := testConfig(t, srv.URL+"/download/annuaire_csv.zip", ModePharmacies)
			cfg.RequiredColumns = []string{"Numéro d'établissement", "Code postal"}
			rows, st, err := collect(t, cfg)
			if err != nil {
				t.Fatalf("Download: %v", err)
			}
			if len(rows) != 3 || st.SkippedLines != 1 || st.Pages != 1 || len(st.Columns) != 11 {
				t.Fatalf("%d rows, stats %+v", len(rows), st)
			}
			if st.Columns[0] != "Numéro d'établissement" {
				t.Errorf("first column %q (BOM kept?)", st.Columns[0])
			}
			r := rows[0]
			// pandas typed these columns as int64, then the task cast them to str.
			wantValue(t, r, "Numéro d'établissement", transform.String("12345"))
			wantValue(t, r, "Code postal", transform.String("1000"))
			wantValue(t, r, "Téléphone", transform.String("474000000"))
			// Fax has empty cells: float64, then object after NaN→None.
			wantValue(t, r, "Fax", transform.Float(474000001))
			wantValue(t, r, "Dénomination commerciale", transform.String("Pharmacie; du centre"))
			wantValue(t, r, "Adresse", transform.String("1 place de l’Église"))
			wantValue(t, rows[1], "Raison sociale", transform.String("Pharmacie Œuvre"))
			wantValue(t, rows[1], "Dénomination commerciale", transform.Missing) // "NA"
			wantValue(t, rows[1], "Fax", transform.Missing)
			wantValue(t, rows[1], "Adresse", transform.String(`2 rue "Haute"`))
			wantValue(t, rows[2], "Région", transform.Missing) // short line
			wantValue(t, rows[2], "Numéro d'établissement", transform.String("55555"))
		})
	}
}

func TestPharmaciesUTF8Fails(t *testing.T) {
	t.Parallel()
	for name, data := range map[string][]byte{
		"UTF-8":     []byte(pharmaciesCSV),
		"UTF-8 BOM": append([]byte{0xEF, 0xBB, 0xBF}, pharmaciesCSV...),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := pharmaciesServer(t, data)
			rows, _, err := collect(t, testConfig(t, srv.URL+"/annuaire_csv.zip", ModePharmacies))
			if !errors.Is(err, ErrNotUTF16LE) || !strings.Contains(err.Error(), "not UTF-16-LE") ||
				!strings.Contains(err.Error(), "etablissements_v2.csv") {
				t.Fatalf("err = %v, want a not-UTF-16-LE error naming the file", err)
			}
			if len(rows) != 0 {
				t.Errorf("%d rows sent", len(rows))
			}
		})
	}
}

// A CSV ending with half a UTF-16 code unit fails, as Python's codec
// ("truncated data"): the lone byte became a line of U+FFFD whose empty
// cells typed the numeric columns as floats ("75002.0").
func TestPharmaciesOddByteCountFails(t *testing.T) {
	t.Parallel()
	for name, bom := range map[string]bool{"BOM": true, "no BOM": false} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := pharmaciesServer(t, append(utf16LE(t, pharmaciesCSV, bom), 'A'))
			rows, _, err := collect(t, testConfig(t, srv.URL+"/annuaire_csv.zip", ModePharmacies))
			if !errors.Is(err, ErrNotUTF16LE) || !strings.Contains(err.Error(), "odd number") ||
				!strings.Contains(err.Error(), "etablissements_v2.csv") {
				t.Fatalf("err = %v, want a not-UTF-16-LE error naming the file", err)
			}
			if len(rows) != 0 {
				t.Errorf("%d rows sent", len(rows))
			}
		})
	}
}

func TestPharmaciesErrors(t *testing.T) {
	t.Parallel()
	noMember := zipOf(t, map[string][]byte{"activites.csv": utf16LE(t, "a;b\r\n", false)}, "activites.csv")
	cases := []struct {
		name     string
		body     []byte
		required []string
		want     error
	}{
		{"no etablissements member", noMember, nil, ErrUnexpectedResponse},
		{"not a zip", []byte("<html>maintenance</html>"), nil, ErrUnexpectedResponse},
		{"header only", zipOf(t, map[string][]byte{"etablissements.csv": utf16LE(t, "a;b\r\n", false)}, "etablissements.csv"), nil, ErrNoData},
		{"missing column", zipOf(t, map[string][]byte{"etablissements.csv": utf16LE(t, pharmaciesCSV, false)}, "etablissements.csv"),
			[]string{"identifiant_externe"}, ErrMissingColumn},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(s *server, w http.ResponseWriter, r *http.Request) { w.Write(c.body) })
			cfg := testConfig(t, srv.URL+"/annuaire_csv.zip", ModePharmacies)
			cfg.RequiredColumns = c.required
			rows, _, err := collect(t, cfg)
			if !errors.Is(err, c.want) || len(rows) != 0 {
				t.Fatalf("err = %v, %d rows; want %v and none", err, len(rows), c.want)
			}
		})
	}
}

func TestCheckUTF16LE(t *testing.T) {
	t.Parallel()
	if err := checkUTF16LE(utf16LE(t, "Raison sociale;Adresse", false), true); err != nil {
		t.Errorf("UTF-16-LE: %v", err)
	}
	if err := checkUTF16LE(utf16LE(t, "中文;漢字", true), true); err != nil {
		t.Errorf("UTF-16-LE with BOM: %v", err)
	}
	for _, bad := range [][]byte{[]byte("Raison sociale;Adresse"), []byte("Raison sociale;Adresse!"), {0xFE, 0xFF, 0, 'a'}} {
		if err := checkUTF16LE(bad, true); !errors.Is(err, ErrNotUTF16LE) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

// s3Client is an S3 client of a gofakes3 server holding bucket.
func s3Client(t *testing.T, bucket string) *s3.Client {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	c := objectstore.NewClient(objectstore.Config{Endpoint: srv.URL, AccessKey: "k", SecretKey: "s"})
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return c
}

// sourceS3Workbook has columns of the source-s3 DAG's rules.
func sourceS3Workbook(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows := [][]any{
		{"identifiant_externe", "nom", "adresse", "code_postal", "ville", "latitude", "longitude", "siret", "uniquement_sur_rdv", "nom", ""},
		{"ext-1", "Recyclerie", "1 rue A", 75001, "Paris", 48.8566, 2.3522, "12345678901234", true, "bis", "x"},
		{"ext-2", "Ressourcerie", nil, 69001, "Lyon", 45.75, nil, "NA", false, nil, nil},
		{},
		{"ext-3", "Repair café", "3 rue C", 13001, "Marseille", 43.3, 5.4, nil, true, nil, nil, "wider"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.NewSheet("second"); err != nil {
		t.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestS3XLSX(t *testing.T) {
	t.Parallel()
	client := s3Client(t, "lvao-data-source")
	_, err := client.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket: aws.String("lvao-data-source"), Key: aws.String("unique/unique_20250310.xlsx"),
		Body: bytes.NewReader(sourceS3Workbook(t)),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, "s3://lvao-data-source/unique/unique_20250310.xlsx", "")
	cfg.S3 = client
	rows, st, err := collect(t, cfg)
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	wantCols := []string{"identifiant_externe", "nom", "adresse", "code_postal", "ville", "latitude",
		"longitude", "siret", "uniquement_sur_rdv", "nom.1", "Unnamed: 10", "Unnamed: 11"}
	if len(rows) != 3 || st.Mode != ModeS3XLSX || strings.Join(st.Columns, "|") != strings.Join(wantCols, "|") {
		t.Fatalf("%d rows, stats %+v", len(rows), st)
	}
	wantValue(t, rows[0], "code_postal", transform.String("75001")) // int column → str
	wantValue(t, rows[0], "latitude", transform.String("48.8566"))  // float column → str
	wantValue(t, rows[0], "longitude", transform.Float(2.3522))     // float with NaN → float
	wantValue(t, rows[0], "siret", transform.Float(12345678901234)) // int with NaN → float
	wantValue(t, rows[1], "adresse", transform.Missing)             // empty cell
	wantValue(t, rows[1], "siret", transform.Missing)               // "NA"
	wantValue(t, rows[0], "nom.1", transform.String("bis"))         // duplicate header
	wantValue(t, rows[2], "Unnamed: 11", transform.String("wider")) // wider row
	wantValue(t, rows[0], "Unnamed: 11", transform.Missing)         // …NaN before it
	wantValue(t, rows[2], "nom", transform.String("Repair café"))   // text
	wantValue(t, rows[1], "identifiant_externe", transform.String("ext-2"))
	wantValue(t, rows[0], "uniquement_sur_rdv", transform.Bool(true)) // boolean cells
	wantValue(t, rows[1], "uniquement_sur_rdv", transform.Bool(false))
}

func TestS3XLSXMissingObject(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, "s3://lvao-data-source/absent.xlsx", ModeS3XLSX)
	cfg.S3 = s3Client(t, "lvao-data-source")
	if _, _, err := collect(t, cfg); err == nil || !strings.Contains(err.Error(), "s3://lvao-data-source/absent.xlsx") {
		t.Fatalf("err = %v, want an error naming the object", err)
	}
}
