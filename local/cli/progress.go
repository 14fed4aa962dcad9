package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lvao/dataplatform/shared/engine"
)

// progress prints each task state change of a run, once, with the time
// since the command started and, for ended attempts, their duration.
type progress struct {
	w     io.Writer
	start time.Time
	run   string
	seen  map[string]string
}

func newProgress(w io.Writer, start time.Time) *progress {
	return &progress{w: w, start: start, seen: map[string]string{}}
}

func (p *progress) update(doc engine.RunDoc) {
	since := fmt.Sprintf("+%.1fs", time.Since(p.start).Seconds())
	defer func() { // the run's own change after its tasks'
		if doc.State != p.run {
			p.run = doc.State
			fmt.Fprintf(p.w, "%8s  run %s\n", since, doc.State)
		}
	}()
	for _, t := range doc.Tasks {
		key := fmt.Sprintf("%s/%d", t.State, t.TryNumber)
		if p.seen[t.TaskID] == key || (t.State == "none" && p.seen[t.TaskID] == "") {
			continue
		}
		p.seen[t.TaskID] = key
		line := fmt.Sprintf("%8s  %-*s %-16s", since, idWidth(doc), t.TaskID, t.State)
		if t.TryNumber > 0 {
			line += fmt.Sprintf(" try %d", t.TryNumber)
		}
		if d := taskDuration(t); d != "" {
			line += "  " + d
		}
		if t.Error != "" && (t.State == "failed" || t.State == "up_for_retry") {
			line += "  " + firstLine(t.Error)
		}
		fmt.Fprintln(p.w, strings.TrimRight(line, " "))
	}
}

func taskDuration(t engine.TaskDoc) string {
	if t.StartedAt == nil || t.EndedAt == nil {
		return ""
	}
	return t.EndedAt.Sub(*t.StartedAt).Round(time.Millisecond).String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// printSummary prints the run's outcome: one line, then the tasks unless
// the live progress has just shown them.
func printSummary(w io.Writer, doc engine.RunDoc, took time.Duration, tasks bool) {
	fmt.Fprintf(w, "dag %s run %s: %s in %s\n", doc.DagID, doc.RunID, doc.State, took.Round(time.Millisecond))
	if !tasks {
		return
	}
	for _, t := range doc.Tasks {
		line := fmt.Sprintf("  %-*s %-16s try %d", idWidth(doc), t.TaskID, t.State, t.TryNumber)
		if d := taskDuration(t); d != "" {
			line += "  " + d
		}
		if t.Error != "" {
			line += "  " + firstLine(t.Error)
		}
		fmt.Fprintln(w, line)
	}
}

// idWidth is the task id column's width: 24, or the longest id's.
func idWidth(doc engine.RunDoc) int {
	w := 24
	for _, t := range doc.Tasks {
		w = max(w, len(t.TaskID))
	}
	return w
}
