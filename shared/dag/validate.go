package dag

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/adhocore/gronx"

	"github.com/lvao/dataplatform/shared/planner"
)

// ValidateOptions are what validation checks references against.
type ValidateOptions struct {
	// Functions is the set of deployed function names; nil skips the check.
	Functions map[string]bool
	// ArgChecks check a function's args as written in the file (values
	// holding a {{ template }} are only known at run time: checks skip
	// them); each problem names its arg ("url: required"). Optional.
	ArgChecks map[string]func(args map[string]any) []string
	// DagRefs names, by function, the arg that names another DAG of the
	// set (trigger-dag's dag_id): Load checks the DAG exists, unless the
	// value is a {{ template }}. Optional.
	DagRefs map[string]string
	// ConfRefs names, by function, the arg holding the conf of the DAG its
	// DagRefs arg names (trigger-dag's conf): Load checks it against that
	// DAG's params, unless it holds a {{ template }}. Optional.
	ConfRefs map[string]string
}

// MaxIDLength bounds DAG and task ids (Airflow's ID_LEN): both go into
// every log key, which S3 caps at 1024 bytes, and into Postgres indexes.
const MaxIDLength = 250

var (
	dagIDPattern  = regexp.MustCompile(`^[a-z0-9_-]+$`)
	taskIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

// Validate checks one spec and returns every problem found.
func Validate(s *Spec, opts ValidateOptions) Errors {
	var errs Errors
	add := func(task, field, format string, a ...any) {
		errs = append(errs, &Error{File: s.File, DagID: s.DagID, Task: task, Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	switch {
	case s.DagID == "":
		add("", "dag_id", "missing (required)")
	case !dagIDPattern.MatchString(s.DagID):
		add("", "dag_id", "%q must match [a-z0-9_-]+", s.DagID)
	case len(s.DagID) > MaxIDLength:
		add("", "dag_id", "%d characters, at most %d", len(s.DagID), MaxIDLength)
	}
	if s.Schedule != "" {
		if err := CheckCron(s.Schedule); err != nil {
			add("", "schedule", "%v", err)
		}
		if s.StartDate == nil {
			add("", "start_date", "required when a schedule is set")
		}
	}
	if s.MaxActiveRuns < 0 {
		add("", "max_active_runs", "must be >= 1 (default %d)", DefaultMaxActiveRuns)
	}
	validateArgs(s.DefaultArgs, func(field, format string, a ...any) { add("", "default_args."+field, format, a...) })
	for _, p := range s.Params {
		field := "params." + p.Name
		switch {
		case p.Type == "":
			add("", field+".type", "missing: a param without a default needs a type (one of %s)", strings.Join(ParamTypes, ", "))
			continue
		case !validParamType(p.Type):
			add("", field+".type", "%q is not one of %s", p.Type, strings.Join(ParamTypes, ", "))
			continue
		}
		if p.Default == nil && s.Schedule != "" {
			// A scheduled run has no conf: it could not be created, and
			// the tick would fail for every DAG (Airflow refuses it too).
			add("", field+".default", "required: the DAG has a schedule, and scheduled runs take every param's default")
		}
		if p.Default != nil {
			if err := CheckValue(p.Type, p.Default); err != nil {
				add("", field+".default", "does not match type: %v", err)
			} else if len(p.Enum) > 0 && !inEnum(p.Enum, p.Default) {
				// Every run without this key in its conf would be refused.
				add("", field+".default", "%s is not one of the enum values", describe(p.Default))
			}
		}
		for _, e := range p.Enum {
			if err := CheckValue(p.Type, normalize(e)); err != nil {
				add("", field+".enum", "value does not match type: %v", err)
			}
		}
	}
	if len(s.Tasks) == 0 {
		add("", "tasks", "at least one task is required")
	}
	ids := map[string]bool{}
	for i, t := range s.Tasks {
		name := t.ID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
			add(name, "id", "missing (required)")
		} else if !taskIDPattern.MatchString(t.ID) {
			add(name, "id", "%q must match [A-Za-z0-9_.-]+", t.ID)
		} else if t.ID == "." || t.ID == ".." {
			// A URL path segment "." or ".." is resolved away: the task's
			// page and its API paths would be out of reach.
			add(name, "id", "%q cannot be a task id (it is a relative path in URLs)", t.ID)
		} else if len(t.ID) > MaxIDLength {
			add(name[:32]+"…", "id", "%d characters, at most %d", len(t.ID), MaxIDLength)
		} else if ids[t.ID] {
			add(name, "id", "duplicate task id")
		}
		ids[t.ID] = true
		switch {
		case t.Function == "":
			add(name, "function", "missing (required)")
		case opts.Functions != nil && !opts.Functions[t.Function]:
			add(name, "function", "unknown function %q (declared: %s)", t.Function, strings.Join(sortedKeys(opts.Functions), ", "))
		}
		if t.TriggerRule != "" && !planner.TriggerRule(t.TriggerRule).Known() {
			var known []string
			for _, r := range planner.TriggerRules {
				known = append(known, string(r))
			}
			add(name, "trigger_rule", "unknown trigger rule %q (known: %s)", t.TriggerRule, strings.Join(known, ", "))
		}
		validateArgs(t.TaskArgs, func(field, format string, a ...any) { add(name, field, format, a...) })
		if check := opts.ArgChecks[t.Function]; check != nil {
			for _, p := range check(t.Args) {
				add(name, "args", "%s", p)
			}
		}
		for _, ref := range templateRefs(t.Args) {
			if err := checkTemplateRef(s, ref); err != nil {
				add(name, "args", "%v", err)
			}
		}
		for _, str := range unsupportedTemplates(t.Args) {
			add(name, "args", "%q: unsupported template: only {{ name }} placeholders are rendered (params.<name>, %s), no filters, expressions nor {%% %%} blocks", str, strings.Join(templateVars, ", "))
		}
	}
	for _, t := range s.Tasks {
		seen := map[string]bool{}
		for _, up := range t.DependsOn {
			switch {
			case up == t.ID:
				add(t.ID, "depends_on", "a task cannot depend on itself")
			case !ids[up]:
				add(t.ID, "depends_on", "unknown task %q", up)
			case seen[up]:
				add(t.ID, "depends_on", "%q listed twice", up)
			}
			seen[up] = true
		}
	}
	// Checked whatever else is wrong, so one pass shows every problem
	// (self-dependencies are reported above, unknown tasks have no edges).
	if cycle := findCycle(s); cycle != nil {
		add(cycle[0], "depends_on", "cycle: %s", strings.Join(cycle, " -> "))
	}
	return errs
}

func validateArgs(a TaskArgs, add func(field, format string, a ...any)) {
	if a.Retries != nil && *a.Retries < 0 {
		add("retries", "must be >= 0, got %d", *a.Retries)
	}
	if a.RetryDelay != nil && a.MaxRetryDelay != nil && a.MaxRetryDelay.D() == 0 {
		add("max_retry_delay", "must be > 0")
	}
	if a.ExecutionTimeout != nil && a.ExecutionTimeout.D() == 0 {
		add("execution_timeout", "must be > 0")
	}
}

func validParamType(t string) bool {
	for _, k := range ParamTypes {
		if t == k {
			return true
		}
	}
	return false
}

// findCycle returns one dependency cycle as a list of task ids, or nil.
func findCycle(s *Spec) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	up := map[string][]string{}
	declared := map[string]int{}
	for i, t := range s.Tasks {
		up[t.ID] = t.DependsOn
		declared[t.ID] = i
	}
	var stack []string
	var visit func(id string) []string
	visit = func(id string) []string {
		color[id] = grey
		stack = append(stack, id)
		for _, u := range up[id] {
			if u == id {
				continue // "cannot depend on itself", reported apart
			}
			switch color[u] {
			case grey:
				for i, x := range stack {
					if x == u {
						cycle := append([]string{}, stack[i:]...)
						// Present it in execution order (upstream first),
						// from the task declared first.
						for l, r := 0, len(cycle)-1; l < r; l, r = l+1, r-1 {
							cycle[l], cycle[r] = cycle[r], cycle[l]
						}
						first := 0
						for k, id := range cycle {
							if declared[id] < declared[cycle[first]] {
								first = k
							}
						}
						cycle = append(cycle[first:], cycle[:first]...)
						return append(cycle, cycle[0])
					}
				}
			case white:
				if c := visit(u); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[id] = black
		return nil
	}
	for _, t := range s.Tasks {
		if color[t.ID] == white {
			if c := visit(t.ID); c != nil {
				return c
			}
		}
	}
	return nil
}

var cronFieldPattern = regexp.MustCompile(`^[0-9*,/-]+$`)

// cronPresets are Airflow's cron presets and the 5-field cron each means.
var cronPresets = map[string]string{"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
	"@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"}

// CheckCron accepts the 5-field, UTC cron of Scaleway's cron triggers in
// the form the serverless plugin accepts: no `*/n` steps (write `0/n`, or
// `1/n` in day-of-month and month), no day or month names, no @macros.
func CheckCron(expr string) error {
	fields := strings.Fields(expr)
	if preset, ok := cronPresets[strings.TrimSpace(expr)]; ok {
		return fmt.Errorf("%q: presets (Airflow's @daily…) are not accepted, a cron needs 5 fields (minute hour day-of-month month day-of-week, UTC): write %q", expr, preset)
	}
	if len(fields) != 5 {
		return fmt.Errorf("%q: cron needs 5 fields (minute hour day-of-month month day-of-week), got %d", expr, len(fields))
	}
	names := []string{"minute", "hour", "day-of-month", "month", "day-of-week"}
	for i, f := range fields {
		if !cronFieldPattern.MatchString(f) {
			return fmt.Errorf("%q: %s field %q: only digits and * , / - are accepted (no names such as MON or JAN)", expr, names[i], f)
		}
		if strings.Contains(f, "*/") {
			// */n starts at the field's first value: 1 for days of the
			// month and months (0/n is no valid day nor month), else 0.
			first := "0/"
			if i == 2 || i == 3 {
				first = "1/"
			}
			return fmt.Errorf("%q: %s field %q: the serverless plugin rejects */n steps, write %s", expr, names[i], f, strings.ReplaceAll(f, "*/", first))
		}
	}
	if !gronx.New().IsValid(expr) {
		return fmt.Errorf("%q: not a valid cron expression", expr)
	}
	// A date that never exists (February 30, April 31) passes the syntax
	// check but has no tick: the coordinator's tick could never schedule
	// the DAG. Any year has every (day-of-month, month) pair that any year
	// has within a leap cycle, so one reference time decides.
	if _, err := gronx.NextTickAfter(expr, cronProbe, false); err != nil {
		return fmt.Errorf("%q: never fires (no date matches its day-of-month and month, e.g. February 30)", expr)
	}
	return nil
}

// cronProbe is where CheckCron looks for a first tick (a leap year's start).
var cronProbe = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
