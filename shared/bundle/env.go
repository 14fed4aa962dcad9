package bundle

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/lvao/dataplatform/shared/config"
)

var stdout io.Writer = os.Stdout

// FromEnv returns the handler of a deployed function: its dependencies
// are built from the environment on the first request (once per
// instance). A configuration error answers 500 and is retried on the next
// request; the log line says what is wrong (names only, never values), and
// so does the answer of a private function. A public one (web) answers
// without the detail: the configuration, database hosts and users are not
// for anyone on the Internet.
func FromEnv(name string) http.Handler { return fromEnv(name, os.LookupEnv, stdout) }

func fromEnv(name string, lookup func(string) (string, bool), stdout io.Writer) http.Handler {
	f, ok := Lookup(name)
	if !ok {
		// A panic here would be in the package's init: a stack trace and
		// every request failing. Say what to do instead.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			slog.New(slog.NewJSONHandler(stdout, nil)).Error("function cannot start", "function", name,
				"error", "no function "+name+" in shared/bundle (Functions): add it there, as serverless.yml names it")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": "function cannot start (see its logs)"})
		})
	}
	var mu sync.Mutex
	var h http.Handler
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if h == nil {
			ctx, cancel := context.WithTimeout(r.Context(), 60*time.Second)
			built, err := buildFromEnv(ctx, f, lookup)
			cancel()
			if err != nil {
				mu.Unlock()
				slog.New(slog.NewJSONHandler(stdout, nil)).Error("function cannot start", "function", name, "error", err.Error())
				answer := map[string]any{"error": "function cannot start (see its logs)"}
				if f.Private {
					answer["detail"] = err.Error()
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				_ = json.NewEncoder(w).Encode(answer)
				return
			}
			h = built
		}
		mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func buildFromEnv(ctx context.Context, f Function, lookup func(string) (string, bool)) (http.Handler, error) {
	cfg, err := config.Load(lookup)
	if err != nil {
		return nil, err
	}
	d, err := Build(ctx, cfg, Options{Secrets: config.SecretValues(lookup)})
	if err != nil {
		return nil, err
	}
	return d.Handler(f), nil
}
