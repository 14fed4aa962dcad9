package topology

import (
	"context"
	"encoding/json"
	"fmt"

	function "github.com/scaleway/scaleway-sdk-go/api/function/v1beta1"
	"github.com/scaleway/scaleway-sdk-go/scw"
)

// FunctionsAPI is the part of the Scaleway Functions (v1beta1) API Check reads;
// *function.API implements it.
type FunctionsAPI interface {
	ListNamespaces(req *function.ListNamespacesRequest, opts ...scw.RequestOption) (*function.ListNamespacesResponse, error)
	ListFunctions(req *function.ListFunctionsRequest, opts ...scw.RequestOption) (*function.ListFunctionsResponse, error)
	ListTriggers(req *function.ListTriggersRequest, opts ...scw.RequestOption) (*function.ListTriggersResponse, error)
	ListCrons(req *function.ListCronsRequest, opts ...scw.RequestOption) (*function.ListCronsResponse, error)
}

// Check plans (see Plan) and also verifies what `serverless deploy` should have made:
// the stage's namespace, each function of the topology, a queue trigger from each queue to
// its function and each cron. Anything missing or in error is a Problem; a trigger still
// being created (status creating/pending) counts as present, since the plugin does not wait
// for it. Check makes no change.
func (p *Planner) Check(ctx context.Context) (*Plan, error) {
	plan, err := p.Plan(ctx)
	if err != nil {
		return nil, err
	}
	if p.Functions == nil {
		return nil, fmt.Errorf("check needs the Scaleway Functions API")
	}
	s := p.Stage
	region := scw.Region(s.Region)
	opts := []scw.RequestOption{scw.WithContext(ctx), scw.WithAllPages()}

	nsResp, err := p.Functions.ListNamespaces(&function.ListNamespacesRequest{Region: region, Name: &s.Namespace, ProjectID: &p.ProjectID}, opts...)
	if err != nil {
		return nil, fmt.Errorf("error listing function namespaces: %w", err)
	}
	var ns *function.Namespace
	for _, n := range nsResp.Namespaces {
		if n.Name == s.Namespace { // the API filter may match by prefix: keep the exact name
			ns = n
		}
	}
	nsResource := fmt.Sprintf("namespace %q", s.Namespace)
	if ns == nil {
		plan.Problems = append(plan.Problems, Problem{nsResource, "not found: run `serverless deploy --stage " + s.Name + "`"})
		return plan, nil
	}
	plan.UpToDate = append(plan.UpToDate, nsResource)

	fnResp, err := p.Functions.ListFunctions(&function.ListFunctionsRequest{Region: region, NamespaceID: ns.ID}, opts...)
	if err != nil {
		return nil, fmt.Errorf("error listing functions of namespace %s: %w", s.Namespace, err)
	}
	functions := map[string]*function.Function{}
	for _, f := range fnResp.Functions {
		functions[f.Name] = f
	}
	trResp, err := p.Functions.ListTriggers(&function.ListTriggersRequest{Region: region, NamespaceID: &ns.ID}, opts...)
	if err != nil {
		return nil, fmt.Errorf("error listing triggers of namespace %s: %w", s.Namespace, err)
	}

	for _, q := range s.Queues {
		resource := fmt.Sprintf("queue trigger %s -> %s", q.Name, q.Function)
		fn, ok := functions[q.Function]
		if !ok {
			plan.Problems = append(plan.Problems, Problem{resource, fmt.Sprintf("function %q not found in namespace %s", q.Function, s.Namespace)})
			continue
		}
		var found *function.Trigger
		for _, t := range trResp.Triggers {
			c := t.ScwSqsConfig
			if t.FunctionID == fn.ID && c != nil && c.Queue == q.Name && c.MnqRegion == s.Region && c.MnqProjectID == p.ProjectID {
				found = t
			}
		}
		switch {
		case found == nil:
			plan.Problems = append(plan.Problems, Problem{resource, "no SQS trigger on this queue: is the `sqs` event in serverless.yml, and was it deployed?"})
		case found.Status == function.TriggerStatusError:
			plan.Problems = append(plan.Problems, Problem{resource, "trigger in error: " + deref(found.ErrorMessage)})
		default:
			plan.UpToDate = append(plan.UpToDate, resource+" ("+string(found.Status)+")")
		}
	}

	for _, c := range s.Crons {
		resource := fmt.Sprintf("cron %q -> %s", c.Schedule, c.Function)
		fn, ok := functions[c.Function]
		if !ok {
			plan.Problems = append(plan.Problems, Problem{resource, fmt.Sprintf("function %q not found in namespace %s", c.Function, s.Namespace)})
			continue
		}
		crons, err := p.Functions.ListCrons(&function.ListCronsRequest{Region: region, FunctionID: fn.ID}, opts...)
		if err != nil {
			return nil, fmt.Errorf("error listing crons of function %s: %w", c.Function, err)
		}
		var found *function.Cron
		for _, cr := range crons.Crons {
			if cr.Schedule == c.Schedule && sameJSON(cr.Args, c.Args) {
				found = cr
			}
		}
		switch {
		case found == nil:
			plan.Problems = append(plan.Problems, Problem{resource, "no cron with this schedule and args: is the `schedule` event in serverless.yml, and was it deployed?"})
		case found.Status == function.CronStatusError:
			plan.Problems = append(plan.Problems, Problem{resource, "cron in error"})
		default:
			plan.UpToDate = append(plan.UpToDate, resource+" ("+string(found.Status)+")")
		}
	}
	return plan, nil
}

// sameJSON compares cron args as JSON documents (map key order does not matter, and a
// missing args object equals an empty one).
func sameJSON(got *scw.JSONObject, want map[string]any) bool {
	var g map[string]any
	if got != nil {
		g = *got
	}
	if len(g) == 0 && len(want) == 0 {
		return true
	}
	gb, err1 := json.Marshal(g)
	wb, err2 := json.Marshal(want)
	return err1 == nil && err2 == nil && string(gb) == string(wb)
}

func deref(s *string) string {
	if s == nil {
		return "(no message)"
	}
	return *s
}
