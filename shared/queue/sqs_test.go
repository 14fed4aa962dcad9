package queue

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

const (
	testAccessKey = "SCWTESTACCESSKEY0000"
	testSecretKey = "test-secret-7f1c9a55-do-not-leak"
)

func TestSQSPublishRequests(t *testing.T) {
	t.Parallel()
	f := newFakeSQS(t, "lvao-test-noop", "lvao-test-other")
	s := newTestSQS(t, f, "lvao-test-")
	ctx := context.Background()
	bodies := []struct{ function, body string }{
		{"noop", string(Message{RunID: "r1", DagID: "d", TaskID: "t", TryNumber: 1}.Encode())},
		{"noop", `{"run_id":"r2","note":"héllo ✓"}`},
		{"other", `{"run_id":"r3"}`},
	}
	for _, b := range bodies {
		if err := s.Publish(ctx, b.function, []byte(b.body)); err != nil {
			t.Fatalf("Publish(%s): %v", b.function, err)
		}
	}

	reqs := f.requests()
	want := []struct{ target, queue, body string }{
		{"AmazonSQS.GetQueueUrl", "lvao-test-noop", ""},
		{"AmazonSQS.SendMessage", "lvao-test-noop", bodies[0].body},
		{"AmazonSQS.SendMessage", "lvao-test-noop", bodies[1].body},
		{"AmazonSQS.GetQueueUrl", "lvao-test-other", ""},
		{"AmazonSQS.SendMessage", "lvao-test-other", bodies[2].body},
	}
	if len(reqs) != len(want) {
		t.Fatalf("got %d requests, want %d (GetQueueUrl must be cached per function)", len(reqs), len(want))
	}
	for i, w := range want {
		r := reqs[i]
		if r.Method != http.MethodPost || r.target() != w.target {
			t.Fatalf("request %d: %s %s, want POST %s", i, r.Method, r.target(), w.target)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
			t.Errorf("request %d: Content-Type %q", i, ct)
		}
		if _, ok := r.Body["DelaySeconds"]; ok {
			t.Errorf("request %d: DelaySeconds sent (unsupported by Scaleway): %s", i, r.Raw)
		}
		if strings.Contains(string(r.Raw), testSecretKey) || strings.Contains(strings.Join(flatten(r.Header), "\n"), testSecretKey) {
			t.Errorf("request %d: secret key sent in clear", i)
		}
		checkSignature(t, r)
		switch w.target {
		case "AmazonSQS.GetQueueUrl":
			if r.Body["QueueName"] != w.queue {
				t.Errorf("request %d: QueueName %v, want %s", i, r.Body["QueueName"], w.queue)
			}
		case "AmazonSQS.SendMessage":
			if u := f.srv.URL + "/project-1/" + w.queue; r.Body["QueueUrl"] != u {
				t.Errorf("request %d: QueueUrl %v, want %s", i, r.Body["QueueUrl"], u)
			}
			if r.Body["MessageBody"] != w.body {
				t.Errorf("request %d: MessageBody %v, want %s", i, r.Body["MessageBody"], w.body)
			}
		}
	}
}

func TestSQSQueueDoesNotExist(t *testing.T) {
	t.Parallel()
	f := newFakeSQS(t)
	s := newTestSQS(t, f, "lvao-test-")
	err := s.Publish(context.Background(), "missing", []byte(`{}`))
	if err == nil {
		t.Fatal("Publish to a missing queue succeeded")
	}
	if !strings.Contains(err.Error(), "error publishing to queue lvao-test-missing:") {
		t.Errorf("error does not name the queue: %v", err)
	}
	var dne *types.QueueDoesNotExist
	if !errors.As(err, &dne) {
		t.Errorf("error does not wrap *types.QueueDoesNotExist: %v", err)
	}
	if strings.Contains(err.Error(), testSecretKey) {
		t.Errorf("error leaks the secret key: %v", err)
	}

	// A failed resolution is not cached: once the queue exists, it works.
	f.setQueue("lvao-test-missing", true)
	if err := s.Publish(context.Background(), "missing", []byte(`{}`)); err != nil {
		t.Fatalf("Publish after queue creation: %v", err)
	}
	if n := f.count("AmazonSQS.GetQueueUrl"); n != 2 {
		t.Errorf("GetQueueUrl called %d times, want 2", n)
	}
}

func TestSQSDeletedQueueIsResolvedAgain(t *testing.T) {
	t.Parallel()
	f := newFakeSQS(t, "q-noop")
	s := newTestSQS(t, f, "q-")
	ctx := context.Background()
	if err := s.Publish(ctx, "noop", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	f.setQueue("q-noop", false)
	if err := s.Publish(ctx, "noop", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "queue q-noop") {
		t.Fatalf("Publish to a deleted queue: %v, want an error naming q-noop", err)
	}
	f.setQueue("q-noop", true)
	if err := s.Publish(ctx, "noop", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if n := f.count("AmazonSQS.GetQueueUrl"); n != 2 {
		t.Errorf("GetQueueUrl called %d times, want 2 (URL forgotten after QueueDoesNotExist)", n)
	}
}

func TestSQSConcurrentPublishResolvesURLOnce(t *testing.T) {
	t.Parallel()
	f := newFakeSQS(t, "c-noop")
	s := newTestSQS(t, f, "c-")
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Publish(context.Background(), "noop", []byte(`{"i":1}`))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if g, m := f.count("AmazonSQS.GetQueueUrl"), f.count("AmazonSQS.SendMessage"); g != 1 || m != n {
		t.Errorf("GetQueueUrl %d times (want 1), SendMessage %d times (want %d)", g, m, n)
	}
}

func TestSQSRejectsInvalidBodies(t *testing.T) {
	t.Parallel()
	f := newFakeSQS(t, "b-noop")
	s := newTestSQS(t, f, "b-")
	ctx := context.Background()

	err := s.Publish(ctx, "noop", bytes.Repeat([]byte("x"), MaxMessageSize+1))
	if !errors.Is(err, ErrMessageTooLarge) || !strings.Contains(err.Error(), "queue b-noop") {
		t.Errorf("oversized body: %v, want ErrMessageTooLarge naming queue b-noop", err)
	}
	for name, c := range map[string]struct{ function, body string }{
		"empty body":    {"noop", ""},
		"invalid utf-8": {"noop", "\xff\xfe"},
		"no function":   {"", "{}"},
	} {
		if err := s.Publish(ctx, c.function, []byte(c.body)); err == nil {
			t.Errorf("%s: Publish succeeded", name)
		}
	}
	if reqs := f.requests(); len(reqs) != 0 {
		t.Fatalf("%d requests sent for rejected bodies", len(reqs))
	}
	// The limit itself is accepted.
	if err := s.Publish(ctx, "noop", bytes.Repeat([]byte("x"), MaxMessageSize)); err != nil {
		t.Errorf("body of exactly MaxMessageSize: %v", err)
	}
}

func TestNewSQSConfig(t *testing.T) {
	t.Parallel()
	if _, err := NewSQS(SQSConfig{AccessKey: testAccessKey}); err == nil {
		t.Error("NewSQS without secret key succeeded")
	}
	_, err := NewSQS(SQSConfig{Endpoint: "sqs.example", AccessKey: testAccessKey, SecretKey: testSecretKey})
	if err == nil || strings.Contains(err.Error(), testSecretKey) {
		t.Errorf("NewSQS with a bad endpoint: %v", err)
	}
	// Defaults (Scaleway endpoint and region) and our own HTTP client.
	s, err := NewSQS(SQSConfig{AccessKey: testAccessKey, SecretKey: testSecretKey})
	if err != nil {
		t.Fatal(err)
	}
	o := s.client.Options()
	if aws.ToString(o.BaseEndpoint) != DefaultSQSEndpoint || o.Region != DefaultSQSRegion {
		t.Errorf("defaults: endpoint %q region %q", aws.ToString(o.BaseEndpoint), o.Region)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

func TestSQSDefaultHTTPClient(t *testing.T) {
	t.Parallel()
	f := newFakeSQS(t, "d-noop")
	s, err := NewSQS(SQSConfig{Endpoint: f.srv.URL, AccessKey: testAccessKey, SecretKey: testSecretKey, Prefix: "d-"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Publish(context.Background(), "noop", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Still usable after Close (it only drops idle connections).
	if err := s.Publish(context.Background(), "noop", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
}
