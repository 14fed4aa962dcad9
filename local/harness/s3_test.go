package harness

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lvao/dataplatform/shared/objectstore"
)

func TestEmbeddedS3KeepsObjectsAcrossRestarts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	start := func() *s3.Client {
		h, err := NewS3Handler(dir)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return objectstore.NewClient(objectstore.Config{Endpoint: srv.URL, AccessKey: "k", SecretKey: "s"})
	}
	c := start()
	for i := 0; i < 2; i++ { // idempotent
		if err := EnsureBuckets(ctx, c, "logs", "data"); err != nil {
			t.Fatal(err)
		}
	}
	key := "logs/dag_id=d/run_id=manual__x/task_id=t/attempt=1.log"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("logs"), Key: aws.String(key), Body: strings.NewReader("hello\n")}); err != nil {
		t.Fatal(err)
	}
	c = start() // a new server on the same directory
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	if string(b) != "hello\n" {
		t.Fatalf("read %q", b)
	}
}
