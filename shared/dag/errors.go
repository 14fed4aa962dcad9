package dag

import (
	"fmt"
	"strings"
)

// Error is one problem in a DAG file; it names the file, the DAG, the task
// and the field so the author can fix it without guessing.
type Error struct {
	File  string
	DagID string
	Task  string
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.DagID != "" {
		fmt.Fprintf(&b, ": dag %s", e.DagID)
	}
	if e.Task != "" {
		fmt.Fprintf(&b, ": task %s", e.Task)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found, one per line.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}
