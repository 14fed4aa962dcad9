package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lvao/dataplatform/shared/objectstore"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	c := objectstore.NewClient(objectstore.Config{Endpoint: srv.URL, AccessKey: "k", SecretKey: "s"})
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("data")}); err != nil {
		t.Fatal(err)
	}
	return &Store{Client: c, Bucket: "data"}
}

type row struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func TestJSONLGzipRoundTripOverSeveralParts(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	ref := Ref{DagID: "eo-x", RunID: "manual__1", TaskID: "normalize", Name: "rows.jsonl.gz"}
	w, err := s.Create(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	jw := NewJSONLWriter(w)
	// Random names defeat compression so the upload spans several parts.
	rnd := rand.New(rand.NewPCG(1, 2))
	const n = 200000
	for i := 0; i < n; i++ {
		if err := jw.Write(row{ID: i, Name: fmt.Sprintf("%016x%016x%016x", rnd.Uint64(), rnd.Uint64(), rnd.Uint64())}); err != nil {
			t.Fatal(err)
		}
	}
	if err := jw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if len(w.parts) < 2 {
		t.Errorf("%d parts: the test meant to exercise multipart", len(w.parts))
	}
	r, err := s.Open(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	jr := NewJSONLReader(r)
	count := 0
	for {
		var got row
		err := jr.Next(&got)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != count {
			t.Fatalf("row %d has id %d", count, got.ID)
		}
		count++
	}
	if count != n {
		t.Fatalf("%d rows read, want %d", count, n)
	}
}

func TestCSVAndErrors(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	ref := Ref{DagID: "d", RunID: "r", TaskID: "t", Name: "out.csv"}
	w, _ := s.Create(ctx, ref)
	cw := NewCSVWriter(w, ';')
	_ = cw.Write([]string{"identifiant_unique", "nom"})
	_ = cw.Write([]string{"a1", "Répar'Café; Paris"})
	cw.Flush()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, _ := s.Open(ctx, ref)
	recs, err := NewCSVReader(r, ';').Read()
	if err != nil || recs[0] != "identifiant_unique" {
		t.Fatalf("%v %v", recs, err)
	}
	r.Close()
	if _, err := s.Open(ctx, Ref{DagID: "d", RunID: "r", TaskID: "t", Name: "missing.csv"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	if _, err := s.Create(ctx, Ref{DagID: "d", RunID: "../x", TaskID: "t", Name: "a"}); err == nil {
		t.Error("path trick accepted")
	}
	// An aborted artifact leaves nothing behind.
	w, _ = s.Create(ctx, Ref{DagID: "d", RunID: "r", TaskID: "t", Name: "partial.csv"})
	_, _ = w.Write([]byte("half"))
	w.Abort()
	if _, err := s.Open(ctx, Ref{DagID: "d", RunID: "r", TaskID: "t", Name: "partial.csv"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("aborted artifact visible: %v", err)
	}
}
