package harness

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/lvao/dataplatform/shared/queue"
)

// functionsAsSent gives the functions their paths as the client sent them:
// ServeMux answers a path with an empty, . or .. segment
// (/api/v1/dags//dagRuns) with a bodyless redirect to another path, which
// a client follows with its POST; the platform's gateway passes the path
// on, and the function answers it (the coordinator with a JSON 404).
func functionsAsSent(mux http.Handler, functions func() http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := functions(); f != nil && strings.HasPrefix(r.URL.Path, "/functions/") {
			f.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// routes mounts the functions and the harness's own pages. The harness's
// pages need no token: they only exist on the developer's loopback.
func (p *Platform) routes(mux *http.ServeMux) {
	mux.Handle("/functions/", p.Emulator)
	mux.HandleFunc("GET /harness/dead-letters", func(w http.ResponseWriter, r *http.Request) {
		dead := p.Queue.DeadLetters()
		if dead == nil {
			dead = []queue.DeadLetter{}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(dead)
	})
	mux.HandleFunc("GET /harness/stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"queue": p.Queue.Stats(), "crashes": p.Crashes()})
	})
	mux.HandleFunc("GET /harness/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(p.Summary()))
	})
}

// Summary lists the URLs of the platform (printed by serve, served at /).
func (p *Platform) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "LVAO local harness on %s\n\nFunctions (X-Auth-Token on private ones):\n", p.URL)
	width := 0
	for _, f := range p.Functions {
		width = max(width, len(f.Name))
	}
	for _, f := range p.Functions {
		var notes []string
		if f.Private {
			notes = append(notes, "private")
		}
		notes = append(notes, fmt.Sprintf("timeout %s", f.Timeout), fmt.Sprintf("maxScale %d", f.MaxScale))
		for _, s := range f.Schedules {
			notes = append(notes, fmt.Sprintf("cron %q", s.Rate))
		}
		if len(f.Queues) > 0 {
			notes = append(notes, "queue")
		}
		fmt.Fprintf(&b, "  %-*s %s%s  (%s)\n", width, f.Name, p.URL, FunctionPath(f.Name), strings.Join(notes, ", "))
	}
	for _, f := range p.Functions {
		if f.Name == "web" {
			fmt.Fprintf(&b, "\nWeb:           %s%s\n", p.URL, FunctionPath("web"))
		}
	}
	fmt.Fprintf(&b, "\nCoordinator:   %s%s\n", p.URL, FunctionPath("coordinator"))
	if p.EmbeddedS3 {
		fmt.Fprintf(&b, "S3:            %s (embedded, data in %s; buckets %s, %s)\n", p.S3Endpoint, p.S3Dir, p.Config.LogsBucket, p.Config.DataBucket)
	} else {
		fmt.Fprintf(&b, "S3:            %s (S3_ENDPOINT; buckets %s, %s)\n", p.S3Endpoint, p.Config.LogsBucket, p.Config.DataBucket)
	}
	fmt.Fprintf(&b, "Dead letters:  %s/harness/dead-letters\n", p.URL)
	fmt.Fprintf(&b, "Database:      %s (schema %s)\n", RedactURL(p.Config.DatabaseURL), p.Config.DatabaseSchema)
	return b.String()
}
