// Package fakescw is an in-memory stand-in for the Scaleway endpoints the triggers tool
// calls — the SQS JSON protocol of Scaleway Queues, the Queues (mnq v1beta1) API and the
// Functions (v1beta1) API — for tests. It records every request, so a test can assert which
// calls were made and that a read-only command made no mutating one.
package fakescw

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Call is one recorded request.
type Call struct {
	// Op is the SQS action ("CreateQueue") or "METHOD /path" for the Scaleway API.
	Op string
	// Queue is the queue an SQS action is about, "" for the Scaleway API.
	Queue string
	// Mutating is true for calls that change state.
	Mutating bool
}

// String is "Op" or "Op queue".
func (c Call) String() string {
	if c.Queue == "" {
		return c.Op
	}
	return c.Op + " " + c.Queue
}

// Credential is a Queues credential as the fake stores it.
type Credential struct {
	ID, Name                          string
	CanPublish, CanReceive, CanManage bool
}

// Trigger is a function's SQS trigger.
type Trigger struct {
	ID, FunctionID, Queue, Status string
}

// Cron is a function's schedule trigger.
type Cron struct {
	ID, FunctionID, Schedule string
	Args                     map[string]any
}

// Server holds the fake state; fields may be set before the first request and changed
// between commands (under Lock/Unlock when requests may run concurrently).
type Server struct {
	*httptest.Server
	sync.Mutex

	// ProjectID and Region are what the fake accepts and reports.
	ProjectID, Region string
	// SecretKey is the expected X-Auth-Token; SQSAccessKey the expected SigV4 access key.
	SecretKey, SQSAccessKey string
	// SQSEnabled is the Queues activation status.
	SQSEnabled bool
	// Queues maps a queue name to its attributes.
	Queues      map[string]map[string]string
	Credentials []Credential
	// Namespaces maps namespace name to ID; Functions maps "namespace ID/function name" to ID.
	Namespaces map[string]string
	Functions  map[string]string
	Triggers   []Trigger
	Crons      []Cron
	// BeforeCall, if set, runs (holding the lock) before each request is served, so a test
	// can change the state between two calls of one command.
	BeforeCall func(op string)

	calls []Call
	t     testing.TB
}

// New starts a fake server, closed when the test ends.
func New(t testing.TB) *Server {
	s := &Server{
		Region: "fr-par", Queues: map[string]map[string]string{},
		Namespaces: map[string]string{}, Functions: map[string]string{}, t: t,
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Calls returns the calls recorded so far, and forgets them.
func (s *Server) Calls() []Call {
	s.Lock()
	defer s.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

// QueueURL is the URL the fake gives a queue.
func (s *Server) QueueURL(name string) string { return s.URL + "/" + s.ProjectID + "/" + name }

// QueueArn is the ARN the fake gives a queue (Scaleway's format).
func (s *Server) QueueArn(name string) string {
	return fmt.Sprintf("arn:scw:sqs:%s:project-%s:%s", s.Region, s.ProjectID, name)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.Lock()
	defer s.Unlock()
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		s.serveSQS(w, r, strings.TrimPrefix(target, "AmazonSQS."))
		return
	}
	if r.Header.Get("X-Auth-Token") != s.SecretKey {
		s.t.Errorf("fakescw: %s %s without the expected X-Auth-Token", r.Method, r.URL.Path)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "authentication is denied"})
		return
	}
	s.serveScaleway(w, r)
}

func (s *Server) record(op string, mutating bool) { s.recordQueue(op, "", mutating) }

func (s *Server) recordQueue(op, queue string, mutating bool) {
	if s.BeforeCall != nil {
		s.BeforeCall(op)
	}
	s.calls = append(s.calls, Call{Op: op, Queue: queue, Mutating: mutating})
}

// serveSQS emulates the SQS JSON 1.0 protocol for the four actions the tool uses.
func (s *Server) serveSQS(w http.ResponseWriter, r *http.Request, op string) {
	if !strings.Contains(r.Header.Get("Authorization"), "Credential="+s.SQSAccessKey+"/") {
		s.t.Errorf("fakescw: SQS %s not signed with the SQS access key", op)
	}
	var in struct {
		QueueName      string
		QueueUrl       string
		Attributes     map[string]string
		AttributeNames []string
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil {
		sqsError(w, "InvalidParameterValue", "bad JSON body")
		return
	}
	name := in.QueueName
	if in.QueueUrl != "" {
		name = in.QueueUrl[strings.LastIndex(in.QueueUrl, "/")+1:]
	}
	switch op {
	case "GetQueueUrl":
		s.recordQueue(op, name, false)
		if _, ok := s.Queues[name]; !ok {
			sqsError(w, "QueueDoesNotExist", "The specified queue does not exist.")
			return
		}
		writeSQS(w, map[string]string{"QueueUrl": s.QueueURL(name)})
	case "CreateQueue":
		s.recordQueue(op, name, true)
		if _, ok := s.Queues[name]; !ok {
			attrs := map[string]string{"VisibilityTimeout": "30", "MessageRetentionPeriod": "345600"}
			for k, v := range in.Attributes {
				attrs[k] = v
			}
			attrs["QueueArn"] = s.QueueArn(name)
			s.Queues[name] = attrs
		}
		writeSQS(w, map[string]string{"QueueUrl": s.QueueURL(name)})
	case "GetQueueAttributes":
		s.recordQueue(op, name, false)
		attrs, ok := s.Queues[name]
		if !ok {
			sqsError(w, "QueueDoesNotExist", "The specified queue does not exist.")
			return
		}
		out := map[string]string{}
		for _, n := range in.AttributeNames {
			if v, ok := attrs[n]; ok {
				out[n] = v
			}
		}
		writeSQS(w, map[string]any{"Attributes": out})
	case "SetQueueAttributes":
		s.recordQueue(op, name, true)
		attrs, ok := s.Queues[name]
		if !ok {
			sqsError(w, "QueueDoesNotExist", "The specified queue does not exist.")
			return
		}
		for k, v := range in.Attributes {
			attrs[k] = v
		}
		writeSQS(w, map[string]any{})
	default:
		s.recordQueue(op, name, true)
		sqsError(w, "UnsupportedOperation", op+" is not emulated")
	}
}

func sqsError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
}

// serveScaleway emulates the few REST endpoints of the Queues and Functions APIs.
func (s *Server) serveScaleway(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	mnqPrefix := "/mnq/v1beta1/regions/" + s.Region + "/"
	fnPrefix := "/functions/v1beta1/regions/" + s.Region + "/"
	op := r.Method + " " + r.URL.Path
	switch {
	case r.Method == http.MethodGet && r.URL.Path == mnqPrefix+"sqs-info":
		s.record(op, false)
		status := "disabled"
		if s.SQSEnabled {
			status = "enabled"
		}
		writeJSON(w, http.StatusOK, map[string]any{"project_id": s.ProjectID, "region": s.Region, "status": status, "sqs_endpoint_url": s.URL})
	case r.Method == http.MethodPost && r.URL.Path == mnqPrefix+"activate-sqs":
		s.record(op, true)
		s.SQSEnabled = true
		writeJSON(w, http.StatusOK, map[string]any{"project_id": s.ProjectID, "region": s.Region, "status": "enabled", "sqs_endpoint_url": s.URL})
	case r.Method == http.MethodGet && r.URL.Path == mnqPrefix+"sqs-credentials":
		s.record(op, false)
		list := []map[string]any{}
		for _, c := range s.Credentials {
			list = append(list, credentialJSON(s, c))
		}
		writeJSON(w, http.StatusOK, map[string]any{"sqs_credentials": list, "total_count": len(list)})
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, mnqPrefix+"sqs-credentials/"):
		s.record(op, true)
		id := strings.TrimPrefix(r.URL.Path, mnqPrefix+"sqs-credentials/")
		var in struct {
			Permissions struct {
				CanPublish *bool `json:"can_publish"`
				CanReceive *bool `json:"can_receive"`
				CanManage  *bool `json:"can_manage"`
			} `json:"permissions"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		for i := range s.Credentials {
			c := &s.Credentials[i]
			if c.ID != id {
				continue
			}
			set := func(dst *bool, v *bool) {
				if v != nil {
					*dst = *v
				}
			}
			p := in.Permissions
			set(&c.CanPublish, p.CanPublish)
			set(&c.CanReceive, p.CanReceive)
			set(&c.CanManage, p.CanManage)
			writeJSON(w, http.StatusOK, credentialJSON(s, *c))
			return
		}
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "resource is not found"})
	case r.Method == http.MethodGet && r.URL.Path == fnPrefix+"namespaces":
		s.record(op, false)
		list := []map[string]any{}
		for name, id := range s.Namespaces {
			if strings.HasPrefix(name, q.Get("name")) {
				list = append(list, map[string]any{"id": id, "name": name, "project_id": s.ProjectID, "status": "ready"})
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"namespaces": list, "total_count": len(list)})
	case r.Method == http.MethodGet && r.URL.Path == fnPrefix+"functions":
		s.record(op, false)
		list := []map[string]any{}
		for key, id := range s.Functions {
			ns, name, _ := strings.Cut(key, "/")
			if ns == q.Get("namespace_id") {
				list = append(list, map[string]any{"id": id, "name": name, "namespace_id": ns, "status": "ready"})
			}
		}
		sort.Slice(list, func(i, j int) bool { return list[i]["name"].(string) < list[j]["name"].(string) })
		writeJSON(w, http.StatusOK, map[string]any{"functions": list, "total_count": len(list)})
	case r.Method == http.MethodGet && r.URL.Path == fnPrefix+"triggers":
		s.record(op, false)
		list := []map[string]any{}
		for _, t := range s.Triggers {
			list = append(list, map[string]any{
				"id": t.ID, "name": t.Queue, "function_id": t.FunctionID, "input_type": "scw_sqs", "status": t.Status,
				"scw_sqs_config": map[string]any{"queue": t.Queue, "mnq_project_id": s.ProjectID, "mnq_region": s.Region},
			})
		}
		writeJSON(w, http.StatusOK, map[string]any{"triggers": list, "total_count": len(list)})
	case r.Method == http.MethodGet && r.URL.Path == fnPrefix+"crons":
		s.record(op, false)
		list := []map[string]any{}
		for _, c := range s.Crons {
			if c.FunctionID == q.Get("function_id") {
				list = append(list, map[string]any{"id": c.ID, "function_id": c.FunctionID, "schedule": c.Schedule, "args": c.Args, "status": "ready"})
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"crons": list, "total_count": len(list)})
	default:
		s.record(op, r.Method != http.MethodGet)
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "fakescw: " + op + " is not emulated"})
	}
}

func credentialJSON(s *Server, c Credential) map[string]any {
	return map[string]any{
		"id": c.ID, "name": c.Name, "project_id": s.ProjectID, "region": s.Region, "access_key": "AK" + c.ID,
		"permissions": map[string]bool{"can_publish": c.CanPublish, "can_receive": c.CanReceive, "can_manage": c.CanManage},
	}
}

// writeSQS answers an SQS JSON-protocol action.
func writeSQS(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
