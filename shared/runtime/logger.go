package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// newTaskLogger returns a logger writing each record both to base (JSON to
// stdout, with the attempt's attributes) and, when w is set, as one text
// line "time level message key=value…" to the attempt's log.
func newTaskLogger(base *slog.Logger, w LogWriter) *slog.Logger {
	if w == nil {
		return base
	}
	return slog.New(&teeHandler{base: base.Handler(), w: w, mu: &sync.Mutex{}})
}

type teeHandler struct {
	base  slog.Handler
	w     LogWriter
	mu    *sync.Mutex
	attrs []slog.Attr
}

func (h *teeHandler) Enabled(ctx context.Context, l slog.Level) bool { return l >= slog.LevelDebug }

func (h *teeHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.base.Enabled(ctx, r.Level) {
		_ = h.base.Handle(ctx, r)
	}
	var b strings.Builder
	b.WriteString(r.Time.UTC().Format(time.RFC3339Nano))
	b.WriteByte(' ')
	b.WriteString(r.Level.String())
	b.WriteByte(' ')
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value.Any())
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write([]byte(b.String()))
	return err
}

func (h *teeHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.base = h.base.WithAttrs(attrs)
	c.attrs = append(append([]slog.Attr{}, h.attrs...), attrs...)
	return &c
}

func (h *teeHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.base = h.base.WithGroup(name)
	return &c
}
