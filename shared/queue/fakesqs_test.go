package queue

// A fake Scaleway Queues server speaking the SQS AWS JSON 1.0 protocol,
// and a SigV4 checker, for sqs_test.go.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// sqsRequest is one request received by the fake SQS server.
type sqsRequest struct {
	Method, Path, Host string
	Header             http.Header
	Raw                []byte
	Body               map[string]any
}

// target returns the operation name from X-Amz-Target.
func (r sqsRequest) target() string { return r.Header.Get("X-Amz-Target") }

// fakeSQS answers the AWS JSON 1.0 protocol like SQS does for the two
// operations the adapter uses, and records every request.
type fakeSQS struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	queues map[string]bool // existing queue names
	reqs   []sqsRequest
}

func newFakeSQS(t *testing.T, queues ...string) *fakeSQS {
	f := &fakeSQS{t: t, queues: map[string]bool{}}
	for _, q := range queues {
		f.queues[q] = true
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSQS) setQueue(name string, exists bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queues[name] = exists
}

func (f *fakeSQS) requests() []sqsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sqsRequest(nil), f.reqs...)
}

func (f *fakeSQS) count(target string) int {
	n := 0
	for _, r := range f.requests() {
		if r.target() == target {
			n++
		}
	}
	return n
}

func (f *fakeSQS) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	rec := sqsRequest{Method: r.Method, Path: r.URL.Path, Host: r.Host, Header: r.Header.Clone(), Raw: raw}
	_ = json.Unmarshal(raw, &rec.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, rec)
	f.mu.Unlock()

	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-RequestId", "req-1")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	missing := map[string]string{
		"__type":  "com.amazonaws.sqs#QueueDoesNotExist",
		"message": "The specified queue does not exist.",
	}
	exists := func(name string) bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.queues[name]
	}
	str := func(k string) string { s, _ := rec.Body[k].(string); return s }

	switch rec.target() {
	case "AmazonSQS.GetQueueUrl":
		if !exists(str("QueueName")) {
			reply(http.StatusBadRequest, missing)
			return
		}
		reply(http.StatusOK, map[string]string{"QueueUrl": f.srv.URL + "/project-1/" + str("QueueName")})
	case "AmazonSQS.SendMessage":
		name := strings.TrimPrefix(str("QueueUrl"), f.srv.URL+"/project-1/")
		if !exists(name) {
			reply(http.StatusBadRequest, missing)
			return
		}
		sum := md5.Sum([]byte(str("MessageBody")))
		reply(http.StatusOK, map[string]string{"MessageId": "m-1", "MD5OfMessageBody": hex.EncodeToString(sum[:])})
	default:
		reply(http.StatusBadRequest, map[string]string{"__type": "com.amazonaws.sqs#InvalidAction", "message": "unknown"})
	}
}

func newTestSQS(t *testing.T, f *fakeSQS, prefix string) *SQS {
	t.Helper()
	s, err := NewSQS(SQSConfig{
		Endpoint: f.srv.URL, Region: "fr-par",
		AccessKey: testAccessKey, SecretKey: testSecretKey,
		Prefix: prefix, HTTPClient: f.srv.Client(),
	})
	if err != nil {
		t.Fatalf("NewSQS: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var authRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=` + testAccessKey +
	`/\d{8}/fr-par/sqs/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$`)

// checkSignature re-signs the recorded request with the test secret and
// the same date, and compares: this proves the secret key (not only the
// access key) signed the request, for region fr-par and service sqs.
func checkSignature(t *testing.T, r sqsRequest) {
	t.Helper()
	auth := r.Header.Get("Authorization")
	m := authRE.FindStringSubmatch(auth)
	if m == nil {
		t.Fatalf("%s: Authorization %q is not a SigV4 fr-par/sqs signature with access key %s", r.target(), auth, testAccessKey)
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatalf("%s: bad X-Amz-Date: %v", r.target(), err)
	}
	req, _ := http.NewRequest(r.Method, "http://"+r.Host+r.Path, bytes.NewReader(r.Raw))
	for _, h := range strings.Split(m[1], ";") {
		if h != "host" && h != "content-length" {
			req.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(r.Raw)
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sqs", "fr-par", when); err != nil {
		t.Fatalf("re-signing: %v", err)
	}
	if got := req.Header.Get("Authorization"); got != auth {
		t.Errorf("%s: signature does not match the secret key:\n got  %s\n want %s", r.target(), auth, got)
	}
}

func flatten(h http.Header) []string {
	var out []string
	for k, vs := range h {
		out = append(out, k+": "+strings.Join(vs, ","))
	}
	return out
}
