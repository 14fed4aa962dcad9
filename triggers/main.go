// Command triggers plans, applies and checks the queue topology of a stage on Scaleway
// (triggers/topology.yaml): Scaleway Queues activation, Queues credentials' permissions,
// one queue per task function with its redrive policy to the dead-letter queue, and — with
// `check` — the function triggers `serverless deploy` made.
//
//	go run ./triggers plan  --stage preprod   # prints what apply would change; changes nothing
//	go run ./triggers apply --stage preprod   # makes those changes; a second run changes nothing
//	go run ./triggers check --stage preprod   # exit 1 on any drift or missing trigger (after deploy)
//
// It is a CI tool, not a function, so it reads the standard Scaleway variables
// SCW_ACCESS_KEY, SCW_SECRET_KEY and SCW_DEFAULT_PROJECT_ID (an IAM API key allowed to manage
// Queues and read Functions), and SQS_ACCESS_KEY/SQS_SECRET_KEY (Queues credentials with the
// manage permission). SQS_ENDPOINT and SCW_API_URL (or the flags) point it elsewhere, e.g. at
// a test server. Exit status: 0 done, 1 failure or drift, 2 bad usage.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"time"

	function "github.com/scaleway/scaleway-sdk-go/api/function/v1beta1"
	mnq "github.com/scaleway/scaleway-sdk-go/api/mnq/v1beta1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/lvao/dataplatform/triggers/topology"
)

// The topology is embedded so `go run ./triggers` works from any directory, and a binary
// built from a commit always applies that commit's topology.
//
//go:embed topology.yaml
var embeddedTopology []byte

const defaultAPIURL = "https://api.scaleway.com"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: triggers plan|apply|check [flags]

  plan   print what apply would change (read-only)
  apply  create/update queues, credentials' permissions, Queues activation
  check  like plan, plus the function triggers and crons; exit 1 on any difference

Environment: SCW_ACCESS_KEY, SCW_SECRET_KEY, SCW_DEFAULT_PROJECT_ID (Scaleway API),
SQS_ACCESS_KEY, SQS_SECRET_KEY (Queues credentials, manage permission),
SQS_ENDPOINT and SCW_API_URL (optional, as the flags).

Flags:
`

// run is main without the process: tests call it with their own environment and writers.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if len(args) == 0 || (args[0] != "plan" && args[0] != "apply" && args[0] != "check") {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd := args[0]
	fs := flag.NewFlagSet("triggers "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	stage := fs.String("stage", "preprod", "stage of triggers/topology.yaml (preprod, prod)")
	topoPath := fs.String("topology", "", "topology file (default: the triggers/topology.yaml embedded at build)")
	sqsEndpoint := fs.String("sqs-endpoint", getenv("SQS_ENDPOINT"), "SQS endpoint (env SQS_ENDPOINT; default: the one the Scaleway API reports)")
	apiURL := fs.String("scw-api-url", orDefault(getenv("SCW_API_URL"), defaultAPIURL), "Scaleway API URL (env SCW_API_URL)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	wait := fs.Duration("wait", 0, "check: retry this long while problems remain (triggers the plugin is still creating)")
	fs.Usage = func() {} // printed below: on stdout when asked for, on stderr after an error
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, usage)
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return 0
		}
		printUsage(stderr)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "triggers %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return 2
	}

	if *timeout <= 0 || *wait < 0 {
		fmt.Fprintf(stderr, "triggers %s: --timeout must be positive and --wait not negative (got --timeout %s --wait %s)\n", cmd, *timeout, *wait)
		return 2
	}
	for _, u := range []struct{ flag, value string }{{"--scw-api-url (SCW_API_URL)", *apiURL}, {"--sqs-endpoint (SQS_ENDPOINT)", *sqsEndpoint}} {
		if p, err := url.Parse(u.value); u.value != "" && (err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "") {
			fmt.Fprintf(stderr, "triggers %s: %s: %q is not an http(s):// URL\n", cmd, u.flag, u.value)
			return 2
		}
	}

	planner, err := newPlanner(getenv, *topoPath, *stage, *apiURL, *sqsEndpoint)
	if err != nil {
		fmt.Fprintf(stderr, "triggers %s: %v\n", cmd, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout+*wait)
	defer cancel()

	if err := execute(ctx, cmd, planner, *wait, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "triggers %s --stage %s: %v\n", cmd, *stage, err)
		return 1
	}
	return 0
}

// checkPollInterval is how often `check --wait` looks again.
var checkPollInterval = 10 * time.Second

func execute(ctx context.Context, cmd string, p *topology.Planner, wait time.Duration, stdout, stderr io.Writer) error {
	switch cmd {
	case "check":
		deadline := time.Now().Add(wait)
		for {
			plan, err := p.Check(ctx)
			if err != nil {
				return err
			}
			if len(plan.Problems) > 0 && len(plan.Changes) == 0 && time.Now().Add(checkPollInterval).Before(deadline) {
				fmt.Fprintf(stderr, "%d problem(s) left, looking again in %s: %v\n", len(plan.Problems), checkPollInterval, plan.Err())
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(checkPollInterval):
				}
				continue
			}
			plan.Write(stdout)
			if len(plan.Changes) > 0 {
				return fmt.Errorf("%d change(s) to apply: run `go run ./triggers apply --stage %s`", len(plan.Changes), p.Stage.Name)
			}
			return plan.Err()
		}
	case "apply":
		plan, err := p.Plan(ctx)
		if err != nil {
			return err
		}
		plan.Write(stdout)
		if err := plan.Apply(ctx); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d change(s)\n", len(plan.Changes))
		// Fixable changes are made first; what needs a person still fails the run.
		return plan.Err()
	default: // plan
		plan, err := p.Plan(ctx)
		if err != nil {
			return err
		}
		plan.Write(stdout)
		return plan.Err()
	}
}

var (
	uuidRe      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	accessKeyRe = regexp.MustCompile(`^SCW[A-Z0-9]{17}$`)
)

// newPlanner wires the Scaleway and SQS clients from the environment. Credentials are
// checked here, with messages that never print a secret value.
func newPlanner(getenv func(string) string, topoPath, stageName, apiURL, sqsEndpoint string) (*topology.Planner, error) {
	var (
		file *topology.File
		err  error
	)
	if topoPath == "" {
		file, err = topology.Parse("triggers/topology.yaml", embeddedTopology)
	} else {
		file, err = topology.Load(topoPath)
	}
	if err != nil {
		return nil, err
	}
	stage, err := file.Stage(stageName)
	if err != nil {
		return nil, err
	}

	accessKey, secretKey, projectID := getenv("SCW_ACCESS_KEY"), getenv("SCW_SECRET_KEY"), getenv("SCW_DEFAULT_PROJECT_ID")
	var problems []error
	if !accessKeyRe.MatchString(accessKey) {
		problems = append(problems, errors.New("SCW_ACCESS_KEY: missing or not an access key (SCWXXXXXXXXXXXXXXXXX)"))
	}
	if !uuidRe.MatchString(secretKey) {
		problems = append(problems, errors.New("SCW_SECRET_KEY: missing or not a secret key (a UUID)"))
	}
	if !uuidRe.MatchString(projectID) {
		problems = append(problems, errors.New("SCW_DEFAULT_PROJECT_ID: missing or not a project ID (a UUID)"))
	}
	sqsAccess, sqsSecret := getenv("SQS_ACCESS_KEY"), getenv("SQS_SECRET_KEY")
	if sqsAccess == "" || sqsSecret == "" {
		problems = append(problems, errors.New("SQS_ACCESS_KEY, SQS_SECRET_KEY: missing (Scaleway Queues credentials with the manage permission)"))
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}

	client, err := scw.NewClient(
		scw.WithAuth(accessKey, secretKey),
		scw.WithDefaultProjectID(projectID),
		scw.WithDefaultRegion(scw.Region(stage.Region)),
		scw.WithAPIURL(apiURL),
		scw.WithUserAgent("lvao-dataplatform-triggers"),
	)
	if err != nil {
		return nil, fmt.Errorf("error creating the Scaleway client: %w", err)
	}
	return &topology.Planner{
		Stage:       stage,
		ProjectID:   projectID,
		Queues:      mnq.NewSqsAPI(client),
		Functions:   function.NewAPI(client),
		SQSEndpoint: sqsEndpoint,
		NewQueueAPI: func(endpoint string) (topology.QueueAPI, error) {
			return topology.NewSQSClient(topology.SQSConfig{
				Endpoint: endpoint, Region: stage.Region, AccessKey: sqsAccess, SecretKey: sqsSecret,
			})
		},
	}, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
