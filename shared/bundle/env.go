package bundle

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/lvao/dataplatform/shared/config"
)

var stdout = os.Stdout

// FromEnv returns the handler of a deployed function: its dependencies
// are built from the environment on the first request (once per
// instance). A configuration error answers 500 with the list of problems
// (names only, never values) and is retried on the next request.
func FromEnv(name string) http.Handler {
	f, ok := Lookup(name)
	if !ok {
		panic("bundle: unknown function " + name)
	}
	var mu sync.Mutex
	var h http.Handler
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if h == nil {
			ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
			built, err := buildFromEnv(ctx, f)
			cancel()
			if err != nil {
				mu.Unlock()
				slog.New(slog.NewJSONHandler(stdout, nil)).Error("function cannot start", "function", name, "error", err.Error())
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				_ = json.NewEncoder(w).Encode(map[string]any{"error": "function cannot start", "detail": err.Error()})
				return
			}
			h = built
		}
		mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func buildFromEnv(ctx context.Context, f Function) (http.Handler, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	d, err := Build(ctx, cfg, Options{Secrets: config.SecretValues(os.LookupEnv)})
	if err != nil {
		return nil, err
	}
	return d.Handler(f), nil
}
