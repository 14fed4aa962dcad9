package cli

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/lvao/dataplatform/local/harness"
	"github.com/lvao/dataplatform/shared/bundle"
	"github.com/lvao/dataplatform/shared/dag"
)

// loadDags reads the embedded DAGs and those of dirs; on error it returns
// the message to print (every problem, one per line).
func loadDags(dirs []string) (*dag.Set, error) {
	set, err := bundle.LoadDags(dirs...)
	if err != nil {
		var es dag.Errors
		if errors.As(err, &es) {
			return nil, fmt.Errorf("invalid DAG files:\n%w", es)
		}
		return nil, err
	}
	return set, nil
}

// dagValidate checks every DAG file, and that each function a DAG uses is
// declared in serverless.yml with a queue event (without one, its tasks
// would wait forever for a delivery).
func (m *Main) dagValidate(args []string) int {
	var dirs listFlag
	var serverless string
	c := newCommand("dag validate", "dag validate [--dags DIR]...", m.Stderr)
	c.Var(&dirs, "dags", "extra DAG `DIR` (repeatable), on top of the embedded DAGs")
	c.StringVar(&serverless, "serverless", "", "serverless.yml `FILE` to check functions against (default: found from the working directory up)")
	pos, code, done := c.parse(args, m.Stdout)
	if done {
		return code
	}
	if len(pos) > 0 {
		return m.badInput("dag validate takes no argument (got %q)", pos[0])
	}
	// A --dags that is no directory is bad usage (2, as for dag list and
	// dag run), not a DAG file that fails validation (1).
	for _, d := range dirs {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return m.badInput("--dags %s: not a directory", d)
		}
	}
	set, err := loadDags(dirs)
	if err != nil {
		fmt.Fprintln(m.Stderr, err)
		return ExitFailed
	}
	problems := checkFunctions(set, serverless, m.Env, "")
	for _, p := range problems {
		fmt.Fprintln(m.Stderr, p)
	}
	if len(problems) > 0 {
		return ExitFailed
	}
	fmt.Fprintf(m.Stdout, "%d DAGs valid\n", len(set.All()))
	return ExitOK
}

// checkFunctions lists the tasks whose function serverless.yml does not
// declare with a queue event (of every DAG, or of dagID only).
func checkFunctions(set *dag.Set, serverless string, env harness.Env, dagID string) []string {
	if serverless == "" {
		p, err := harness.FindServerless(".")
		if err != nil {
			return nil // nothing to check against (outside the module)
		}
		serverless = p
	}
	specs, _, err := harness.LoadServerless(serverless, env)
	if err != nil {
		return []string{err.Error()}
	}
	queued := map[string]bool{}
	declared := map[string]bool{}
	for _, s := range specs {
		declared[s.Name] = true
		queued[s.Name] = len(s.Queues) > 0
	}
	var out []string
	for _, s := range set.All() {
		if dagID != "" && s.DagID != dagID {
			continue
		}
		for _, t := range s.Tasks {
			switch {
			case !declared[t.Function]:
				out = append(out, fmt.Sprintf("%s: dag %s: task %s: function: %q is not declared in %s", s.File, s.DagID, t.ID, t.Function, serverless))
			case !queued[t.Function]:
				out = append(out, fmt.Sprintf("%s: dag %s: task %s: function: %q has no sqs event in %s", s.File, s.DagID, t.ID, t.Function, serverless))
			}
		}
	}
	return out
}

// dagList prints the DAGs of the files (the pause state shown is the
// file's initial one; the database's is the web function's business).
func (m *Main) dagList(args []string) int {
	var dirs listFlag
	c := newCommand("dag list", "dag list [--dags DIR]...", m.Stderr)
	c.Var(&dirs, "dags", "extra DAG `DIR` (repeatable), on top of the embedded DAGs")
	pos, code, done := c.parse(args, m.Stdout)
	if done {
		return code
	}
	if len(pos) > 0 {
		return m.badInput("dag list takes no argument (got %q)", pos[0])
	}
	set, err := loadDags(dirs)
	if err != nil {
		fmt.Fprintln(m.Stderr, err)
		return ExitBadInput
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DAG_ID\tSCHEDULE\tPAUSED\tTASKS\tTAGS\tFILE")
	for _, s := range set.All() {
		sched := s.Schedule
		if sched == "" {
			sched = "-"
		}
		tags := append([]string(nil), s.Tags...)
		sort.Strings(tags)
		fmt.Fprintf(tw, "%s\t%s\t%v\t%d\t%s\t%s\n", s.DagID, sched, s.Paused, len(s.Tasks), strings.Join(tags, ","), s.File)
	}
	_ = tw.Flush()
	return ExitOK
}
