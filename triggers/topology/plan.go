package topology

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	mnq "github.com/scaleway/scaleway-sdk-go/api/mnq/v1beta1"
	"github.com/scaleway/scaleway-sdk-go/scw"
)

// DefaultSQSEndpoint is used when neither the caller nor the Scaleway API names one.
const DefaultSQSEndpoint = "https://sqs.mnq.fr-par.scaleway.com"

// QueuesAdmin is the part of the Scaleway Queues (mnq v1beta1) API the tool uses;
// *mnq.SqsAPI implements it. ActivateSqs and UpdateSqsCredentials change things.
type QueuesAdmin interface {
	GetSqsInfo(req *mnq.SqsAPIGetSqsInfoRequest, opts ...scw.RequestOption) (*mnq.SqsInfo, error)
	ActivateSqs(req *mnq.SqsAPIActivateSqsRequest, opts ...scw.RequestOption) (*mnq.SqsInfo, error)
	ListSqsCredentials(req *mnq.SqsAPIListSqsCredentialsRequest, opts ...scw.RequestOption) (*mnq.ListSqsCredentialsResponse, error)
	UpdateSqsCredentials(req *mnq.SqsAPIUpdateSqsCredentialsRequest, opts ...scw.RequestOption) (*mnq.SqsCredentials, error)
}

// Planner compares a stage's topology with Scaleway. Every field is required unless noted.
type Planner struct {
	// Stage is the desired topology.
	Stage *Stage
	// ProjectID is the Scaleway project holding queues and functions.
	ProjectID string
	// Queues is the Scaleway Queues API (activation, credentials).
	Queues QueuesAdmin
	// NewQueueAPI returns the SQS client for an endpoint. It is called only once Queues is
	// known to be activated, so a fresh project is planned without SQS credentials.
	NewQueueAPI func(endpoint string) (QueueAPI, error)
	// SQSEndpoint overrides the endpoint the Scaleway API reports. Optional.
	SQSEndpoint string
	// Functions is the Functions API, used by Check only. Optional for Plan.
	Functions FunctionsAPI
}

// Change is one modification Apply would make.
type Change struct {
	// Op is "activate", "update", "create" or "set".
	Op string
	// Resource names what changes, e.g. `queue "lvao-preprod-noop"`.
	Resource string
	// Detail says how, e.g. "VisibilityTimeout 30 -> 90".
	Detail string

	apply func(ctx context.Context) error
}

// Problem is a difference the tool cannot fix by itself.
type Problem struct {
	Resource, Detail string
}

// Plan is the outcome of Planner.Plan (and Check).
type Plan struct {
	Stage    *Stage
	Changes  []Change
	Problems []Problem
	// UpToDate lists the resources found as wanted.
	UpToDate []string
}

// Plan reads the live state and returns what Apply would change. It makes no change.
func (p *Planner) Plan(ctx context.Context) (*Plan, error) {
	s := p.Stage
	plan := &Plan{Stage: s}
	region := scw.Region(s.Region)

	info, err := p.Queues.GetSqsInfo(&mnq.SqsAPIGetSqsInfoRequest{Region: region, ProjectID: p.ProjectID}, scw.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("error reading Scaleway Queues status of project %s: %w", p.ProjectID, err)
	}
	activated := info.Status == mnq.SqsInfoStatusEnabled
	resource := fmt.Sprintf("Scaleway Queues (project %s, %s)", p.ProjectID, s.Region)
	if activated {
		plan.UpToDate = append(plan.UpToDate, resource)
	} else {
		plan.Changes = append(plan.Changes, Change{Op: "activate", Resource: resource, Detail: "status " + string(info.Status),
			apply: func(ctx context.Context) error {
				_, err := p.Queues.ActivateSqs(&mnq.SqsAPIActivateSqsRequest{Region: region, ProjectID: p.ProjectID}, scw.WithContext(ctx))
				return err
			}})
	}

	if err := p.planCredentials(ctx, plan, activated); err != nil {
		return nil, err
	}

	endpoint := p.SQSEndpoint
	if endpoint == "" {
		endpoint = info.SqsEndpointURL
	}
	if endpoint == "" {
		endpoint = DefaultSQSEndpoint
	}
	if err := p.planQueues(ctx, plan, activated, endpoint); err != nil {
		return nil, err
	}
	return plan, nil
}

func (p *Planner) planCredentials(ctx context.Context, plan *Plan, activated bool) error {
	region := scw.Region(p.Stage.Region)
	var live []*mnq.SqsCredentials
	if activated {
		resp, err := p.Queues.ListSqsCredentials(&mnq.SqsAPIListSqsCredentialsRequest{Region: region, ProjectID: &p.ProjectID},
			scw.WithContext(ctx), scw.WithAllPages())
		if err != nil {
			return fmt.Errorf("error listing Scaleway Queues credentials: %w", err)
		}
		live = resp.SqsCredentials
	}
	for _, want := range p.Stage.Credentials {
		resource := fmt.Sprintf("credentials %q", want.Name)
		var found []*mnq.SqsCredentials
		for _, c := range live {
			if c.Name == want.Name {
				found = append(found, c)
			}
		}
		switch {
		case len(found) == 0:
			plan.Problems = append(plan.Problems, Problem{resource,
				"not found: create it (Scaleway console > Queues > Credentials) with the permissions of triggers/topology.yaml and store its keys as CI secrets; the tool never creates credentials since their secret is shown only once"})
			continue
		case len(found) > 1:
			plan.Problems = append(plan.Problems, Problem{resource, fmt.Sprintf("%d credentials share this name: delete the extra ones", len(found))})
			continue
		}
		got := permissionsOf(found[0])
		wantPerm := mnq.SqsPermissions{CanPublish: &want.CanPublish, CanReceive: &want.CanReceive, CanManage: &want.CanManage}
		if got == describePermissions(&wantPerm) {
			plan.UpToDate = append(plan.UpToDate, resource)
			continue
		}
		id := found[0].ID
		plan.Changes = append(plan.Changes, Change{Op: "update", Resource: resource,
			Detail: fmt.Sprintf("permissions %s -> %s", got, describePermissions(&wantPerm)),
			apply: func(ctx context.Context) error {
				_, err := p.Queues.UpdateSqsCredentials(&mnq.SqsAPIUpdateSqsCredentialsRequest{
					Region: region, SqsCredentialsID: id, Permissions: &wantPerm,
				}, scw.WithContext(ctx))
				return err
			}})
	}
	return nil
}

func permissionsOf(c *mnq.SqsCredentials) string {
	if c.Permissions == nil {
		return describePermissions(&mnq.SqsPermissions{})
	}
	return describePermissions(c.Permissions)
}

func describePermissions(p *mnq.SqsPermissions) string {
	b := func(v *bool) bool { return v != nil && *v }
	return fmt.Sprintf("publish=%t receive=%t manage=%t", b(p.CanPublish), b(p.CanReceive), b(p.CanManage))
}

// dlqState carries the dead-letter queue's ARN from the plan (or from its creation during
// Apply) to the redrive policies of the other queues.
type dlqState struct {
	api  QueueAPI
	name string
	arn  string
}

// arnFor returns the dead-letter queue's ARN, reading it once it exists.
func (d *dlqState) arnFor(ctx context.Context) (string, error) {
	if d.arn != "" {
		return d.arn, nil
	}
	live, err := readQueue(ctx, d.api, d.name)
	if err != nil {
		return "", err
	}
	if !live.exists || live.attrs[attrArn] == "" {
		return "", fmt.Errorf("dead-letter queue %s has no QueueArn yet", d.name)
	}
	d.arn = live.attrs[attrArn]
	return d.arn, nil
}

func (p *Planner) planQueues(ctx context.Context, plan *Plan, activated bool, endpoint string) error {
	s := p.Stage
	var api QueueAPI
	if activated {
		var err error
		if api, err = p.NewQueueAPI(endpoint); err != nil {
			return err
		}
	} else {
		// Nothing can exist before activation; the SQS client is made when applying.
		api = &lazyQueueAPI{newAPI: func() (QueueAPI, error) { return p.NewQueueAPI(endpoint) }}
	}
	dlq := &dlqState{api: api, name: s.DeadLetterQueue.Name}

	queues := append([]Queue{s.DeadLetterQueue}, s.Queues...)
	for i, q := range queues {
		isDLQ := i == 0
		live := liveQueue{}
		if activated {
			var err error
			if live, err = readQueue(ctx, api, q.Name); err != nil {
				return err
			}
		}
		if isDLQ && live.exists {
			dlq.arn = live.attrs[attrArn]
		}
		wantAttrs := func(ctx context.Context) (map[string]string, error) {
			if isDLQ {
				return q.attributes(""), nil
			}
			arn, err := dlq.arnFor(ctx)
			return q.attributes(arn), err
		}
		resource := fmt.Sprintf("queue %q", q.Name)
		if !live.exists {
			shown := q.attributes("")
			if !isDLQ {
				shown = q.attributes(fmt.Sprintf("<arn of %s>", dlq.name))
			}
			plan.Changes = append(plan.Changes, Change{Op: "create", Resource: resource, Detail: describeAttrs(shown),
				apply: func(ctx context.Context) error {
					attrs, err := wantAttrs(ctx)
					if err != nil {
						return err
					}
					_, err = api.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.Name), Attributes: attrs})
					return err
				}})
			continue
		}

		// The queue exists: compare with the ARN known now. An unknown ARN (dead-letter
		// queue still to create) means the redrive policy must be set anyway.
		var want map[string]string
		switch {
		case isDLQ:
			want = q.attributes("")
		case dlq.arn == "":
			want = q.attributes(fmt.Sprintf("<arn of %s>", dlq.name))
		default:
			want = q.attributes(dlq.arn)
		}
		var diffs []string
		names := sortedKeys(want)
		for _, name := range names {
			if got, ok := live.attrs[name]; !ok || !sameAttribute(name, want[name], got) {
				diffs = append(diffs, fmt.Sprintf("%s %s -> %s", name, orNone(got), want[name]))
			}
		}
		if len(diffs) == 0 {
			plan.UpToDate = append(plan.UpToDate, resource)
			continue
		}
		url := live.url
		plan.Changes = append(plan.Changes, Change{Op: "set", Resource: resource, Detail: strings.Join(diffs, ", "),
			apply: func(ctx context.Context) error {
				attrs, err := wantAttrs(ctx)
				if err != nil {
					return err
				}
				changed := map[string]string{}
				for name, v := range attrs {
					if got, ok := live.attrs[name]; !ok || !sameAttribute(name, v, got) {
						changed[name] = v
					}
				}
				_, err = api.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: changed})
				return err
			}})
	}
	return nil
}

// Apply makes the plan's changes in order (activation, credentials, dead-letter queue,
// queues). It stops at the first error, naming the change; re-running resumes.
func (pl *Plan) Apply(ctx context.Context) error {
	for _, c := range pl.Changes {
		if err := c.apply(ctx); err != nil {
			return fmt.Errorf("error applying %s %s: %w", c.Op, c.Resource, err)
		}
	}
	return nil
}

// Write prints the plan for people: one line per resource, then a summary.
func (pl *Plan) Write(w io.Writer) {
	fmt.Fprintf(w, "stage %s (region %s, namespace %s)\n", pl.Stage.Name, pl.Stage.Region, pl.Stage.Namespace)
	for _, c := range pl.Changes {
		fmt.Fprintf(w, "  %-8s %s: %s\n", c.Op, c.Resource, c.Detail)
	}
	for _, p := range pl.Problems {
		fmt.Fprintf(w, "  %-8s %s: %s\n", "PROBLEM", p.Resource, p.Detail)
	}
	for _, r := range pl.UpToDate {
		fmt.Fprintf(w, "  %-8s %s\n", "ok", r)
	}
	fmt.Fprintf(w, "%d change(s), %d problem(s), %d up to date\n", len(pl.Changes), len(pl.Problems), len(pl.UpToDate))
}

// Err returns an error listing the problems, or nil.
func (pl *Plan) Err() error {
	if len(pl.Problems) == 0 {
		return nil
	}
	msgs := make([]string, len(pl.Problems))
	for i, p := range pl.Problems {
		msgs[i] = p.Resource + ": " + p.Detail
	}
	return errors.New(strings.Join(msgs, "; "))
}

func describeAttrs(a map[string]string) string {
	parts := make([]string, 0, len(a))
	for _, k := range sortedKeys(a) {
		parts = append(parts, k+"="+a[k])
	}
	return strings.Join(parts, " ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
