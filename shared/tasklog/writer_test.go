package tasklog

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lvao/dataplatform/shared/objectstore"
)

// s3Server starts a real S3 endpoint (gofakes3) on loopback with a bucket.
func s3Server(t *testing.T) *s3.Client {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	c := objectstore.NewClient(objectstore.Config{Endpoint: srv.URL, AccessKey: "k", SecretKey: "s"})
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("logs")}); err != nil {
		t.Fatal(err)
	}
	return c
}

func read(t *testing.T, c *s3.Client, key string) string {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return string(b)
}

func TestLogIsReadableWhileWrittenMaskedAndCapped(t *testing.T) {
	t.Parallel()
	c := s3Server(t)
	flushed := make(chan int, 100)
	key := Key("d", "manual__x", "t", 1)
	w := Open(Config{Client: c, Bucket: "logs", FlushInterval: 20 * time.Millisecond, MaxBytes: 400,
		Secrets: []string{"hunter2-secret", "pw"}, OnFlush: func(_ string, n int) { flushed <- n }}, key)
	fmt.Fprintf(w, "line 1 password=hunter2-secret pw\n")
	select {
	case <-flushed:
	case <-time.After(5 * time.Second):
		t.Fatal("no flush while the writer is open")
	}
	got := read(t, c, key)
	if got != "line 1 password=*** pw\n" {
		t.Fatalf("running log %q", got)
	}
	for i := 2; i <= 40; i++ {
		fmt.Fprintf(w, "line %d with some padding\n", i)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got = read(t, c, key)
	if !strings.Contains(got, "line 2 with") || !strings.HasSuffix(got, "later lines are dropped\n") || len(got) > 520 || strings.Contains(got, "line 40") {
		t.Fatalf("final log (%d bytes): %q", len(got), got)
	}
	fmt.Fprintf(w, "after close\n")
	if strings.Contains(read(t, c, key), "after close") {
		t.Error("write after close uploaded")
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	k := Key("eo-x", "manual__2025-08-01T00:00:00.000000Z", "download", 2)
	if k != "logs/dag_id=eo-x/run_id=manual__2025-08-01T00:00:00.000000Z/task_id=download/attempt=2.log" {
		t.Fatal(k)
	}
	if !ValidKey(k, "eo-x", "manual__2025-08-01T00:00:00.000000Z") {
		t.Error("own key rejected")
	}
	for _, bad := range []string{
		"logs/dag_id=eo-x/run_id=manual__2025-08-01T00:00:00.000000Z/task_id=../../etc/attempt=1.log",
		"logs/dag_id=eo-x/run_id=other/task_id=download/attempt=1.log",
		k + ".bak", "../" + k,
	} {
		if ValidKey(bad, "eo-x", "manual__2025-08-01T00:00:00.000000Z") {
			t.Errorf("accepted %q", bad)
		}
	}
	if Key("d", "r", "t", 0) != "" {
		t.Error("try 0 has no log")
	}
}

// A running attempt's first lines are uploaded within a second, whatever
// the flush interval; then at each interval.
func TestFirstLinesUploadedSoon(t *testing.T) {
	t.Parallel()
	c := s3Server(t)
	flushed := make(chan int, 10)
	key := Key("d", "manual__y", "t", 1)
	w := Open(Config{Client: c, Bucket: "logs", FlushInterval: time.Hour, OnFlush: func(_ string, n int) { flushed <- n }}, key)
	defer w.Close(context.Background())
	fmt.Fprintf(w, "starting\n")
	select {
	case <-flushed:
	case <-time.After(10 * time.Second):
		t.Fatal("the first lines were not uploaded before the (hour-long) interval")
	}
	if got := read(t, c, key); got != "starting\n" {
		t.Fatalf("running log %q", got)
	}
}
