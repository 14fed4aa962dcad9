package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestEnsureDatabaseCreatesItOnceUnderARace(t *testing.T) {
	t.Parallel()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		base = DefaultDatabaseURL
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	name := "lvao_harness_test_" + hex.EncodeToString(b)
	url := strings.Replace(base, "/"+cfg.Database+"?", "/"+name+"?", 1)
	if url == base {
		t.Skipf("cannot derive a database URL from %s", RedactURL(base))
	}
	t.Cleanup(func() {
		cfg.Database = "postgres"
		conn, err := pgx.ConnectConfig(context.Background(), cfg)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name)
	})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ { // four harnesses starting at once on an empty server
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- EnsureDatabase(context.Background(), url)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("the database was not created: %v", err)
	}
	conn.Close(context.Background())
}
