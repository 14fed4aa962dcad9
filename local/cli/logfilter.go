package cli

import (
	"context"
	"log/slog"
)

// taskLogFilter drops the records a task attempt logs (those carrying a
// task_id): while `dag run` shows live progress on a terminal, each task's
// outcome and error are already on its progress line and its whole log is
// in S3, so repeating them as JSON would bury the progress. The harness's
// own warnings still show; --verbose shows everything.
type taskLogFilter struct {
	h    slog.Handler
	task bool // this logger is a task's (task_id among its attributes)
}

func (f *taskLogFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return !f.task && f.h.Enabled(ctx, l)
}

func (f *taskLogFilter) Handle(ctx context.Context, r slog.Record) error {
	if f.task {
		return nil
	}
	task := false
	r.Attrs(func(a slog.Attr) bool {
		task = a.Key == "task_id"
		return !task
	})
	if task {
		return nil
	}
	return f.h.Handle(ctx, r)
}

func (f *taskLogFilter) WithAttrs(as []slog.Attr) slog.Handler {
	task := f.task
	for _, a := range as {
		task = task || a.Key == "task_id"
	}
	return &taskLogFilter{h: f.h.WithAttrs(as), task: task}
}

func (f *taskLogFilter) WithGroup(name string) slog.Handler {
	return &taskLogFilter{h: f.h.WithGroup(name), task: f.task}
}
