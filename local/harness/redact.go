package harness

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/lvao/dataplatform/shared/config"
)

func redact(err error) string {
	return config.RedactURL(err.Error())
}

// RedactURL masks the password of any URL or DSN in s (config.RedactURL).
func RedactURL(s string) string { return config.RedactURL(s) }

// maskHandler masks secret values in the harness's console log (the
// deployed functions mask their stdout; the harness logs through the
// logger its command gives it). The secrets are known once the
// environment is read: until then nothing is masked.
type maskHandler struct {
	inner slog.Handler
	r     *atomic.Pointer[strings.Replacer]
}

func newMaskHandler(inner slog.Handler) *maskHandler {
	return &maskHandler{inner: inner, r: &atomic.Pointer[strings.Replacer]{}}
}

// setSecrets starts masking r's secrets, in this handler and those derived
// from it (With, WithGroup).
func (h *maskHandler) setSecrets(r *strings.Replacer) { h.r.Store(r) }

func (h *maskHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *maskHandler) Handle(ctx context.Context, rec slog.Record) error {
	r := h.r.Load()
	if r == nil {
		return h.inner.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, r.Replace(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(r, a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *maskHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if r := h.r.Load(); r != nil {
		masked := make([]slog.Attr, len(attrs))
		for i, a := range attrs {
			masked[i] = maskAttr(r, a)
		}
		attrs = masked
	}
	return &maskHandler{inner: h.inner.WithAttrs(attrs), r: h.r}
}

func (h *maskHandler) WithGroup(name string) slog.Handler {
	return &maskHandler{inner: h.inner.WithGroup(name), r: h.r}
}

func maskAttr(r *strings.Replacer, a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, r.Replace(v.String()))
	case slog.KindGroup:
		group := v.Group()
		masked := make([]any, len(group))
		for i, g := range group {
			masked[i] = maskAttr(r, g)
		}
		return slog.Group(a.Key, masked...)
	case slog.KindAny:
		// An error or any other value: masked as its text when it holds
		// a secret.
		s := fmt.Sprint(v.Any())
		if m := r.Replace(s); m != s {
			return slog.String(a.Key, m)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
