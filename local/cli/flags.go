package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/lvao/dataplatform/local/harness"
)

// listFlag collects a repeated flag (--dags A --dags B).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// rateFlag is a probability in [0, 1].
type rateFlag float64

func (r *rateFlag) String() string { return fmt.Sprint(float64(*r)) }
func (r *rateFlag) Set(v string) error {
	// ParseFloat takes the whole text ("0.5x" is refused); NaN is in no range.
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(f >= 0 && f <= 1) {
		return fmt.Errorf("%q is not a probability between 0 and 1", v)
	}
	*r = rateFlag(f)
	return nil
}

// platformFlags are the flags serve and dag run share.
type platformFlags struct {
	dags                   listFlag
	serverless, s3Dir      string
	s3Addr                 string
	tick, visibility       time.Duration
	grace                  time.Duration
	duplicate, drop, crash rateFlag
	seed                   uint64
	verbose                bool
}

func (p *platformFlags) register(fs *flag.FlagSet) {
	fs.Var(&p.dags, "dags", "extra DAG `DIR` (repeatable), on top of the embedded DAGs")
	fs.StringVar(&p.serverless, "serverless", "", "serverless.yml `FILE` (default: found from the working directory up)")
	fs.StringVar(&p.s3Dir, "s3-dir", harness.DefaultS3Dir, "`DIR` of the embedded S3's data (kept across restarts)")
	fs.StringVar(&p.s3Addr, "s3-addr", "", "`HOST:PORT` of the embedded S3 (default: the port after --addr's; unused when S3_ENDPOINT is set)")
	fs.DurationVar(&p.tick, "tick", 2*time.Second, "in-process coordinator tick interval, on top of serverless.yml's cron (negative: none; retries and zombies then wait for the cron)")
	fs.DurationVar(&p.visibility, "visibility-timeout", harness.DefaultVisibilityTimeout, "queue redelivery delay after a failed delivery")
	fs.DurationVar(&p.grace, "grace", 10*time.Second, "on Ctrl-C, how long tasks in flight get to finish before they are cut")
	fs.Var(&p.duplicate, "duplicate-rate", "chaos: deliver a message twice with probability `F`")
	fs.Var(&p.drop, "drop-rate", "chaos: lose a publish with probability `F`")
	fs.Var(&p.crash, "crash-rate", "chaos: kill a task attempt after its code ran, before its outcome is recorded, with probability `F`")
	fs.Uint64Var(&p.seed, "chaos-seed", 0, "seed of the chaos randomness (0: random)")
	fs.BoolVar(&p.verbose, "verbose", false, "log the functions' info lines too")
}

func (p *platformFlags) config(m *Main) harness.Config {
	return harness.Config{
		Env: m.Env, DagDirs: p.dags, Serverless: p.serverless, S3Dir: p.s3Dir, S3Addr: p.s3Addr,
		Tick: p.tick, VisibilityTimeout: p.visibility, ShutdownGrace: p.grace,
		Chaos: harness.Chaos{DuplicateRate: float64(p.duplicate), DropRate: float64(p.drop), CrashRate: float64(p.crash), Seed: p.seed},
	}
}

// command is a subcommand's flag set with its synopsis.
type command struct {
	*flag.FlagSet
	synopsis string
}

// newCommand returns a flag set whose errors go to stderr, one line, and
// whose help (asked for) goes to stdout.
func newCommand(name, synopsis string, stderr io.Writer) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // parse prints the help where it belongs
	return &command{FlagSet: fs, synopsis: synopsis}
}

// parse parses flags placed before, between or after positional
// arguments (dag run DAG_ID --json) and returns the positional ones.
// done is true when the command must return code at once (--help, or a
// bad flag that flag has already reported on stderr).
func (c *command) parse(args []string, stdout io.Writer) (pos []string, code int, done bool) {
	for {
		if err := c.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.help(stdout)
				return nil, ExitOK, true
			}
			fmt.Fprintf(c.Output(), "Run go run ./local %s --help for usage.\n", c.Name())
			return nil, ExitBadInput, true
		}
		args = c.Args()
		if len(args) == 0 {
			return pos, 0, false
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (c *command) help(w io.Writer) {
	out := c.Output()
	c.SetOutput(w)
	fmt.Fprintf(w, "Usage: go run ./local %s\n\nFlags:\n", c.synopsis)
	c.PrintDefaults()
	c.SetOutput(out)
}
