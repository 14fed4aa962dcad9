package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lvao/dataplatform/shared/store"
	"github.com/lvao/dataplatform/shared/tasklog"
)

func TestLogRequestsAcceptOnlyTheRunsAttemptKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	run := f.trigger(demoDag)
	f.pump()
	other := f.trigger(demoDag)
	f.pump()
	key := tasklog.Key(demoDag, run, "extract", 1)
	logURL := func(runID, key string) string {
		return "/api/v1/dags/demo/dagRuns/" + url.PathEscape(runID) + "/logs?key=" + url.QueryEscape(key)
	}
	resp := f.get(logURL(run, key))
	var body struct {
		Text    string `json:"text"`
		TaskID  string `json:"task_id"`
		Running bool   `json:"running"`
		State   string `json:"state"`
	}
	if resp.code != http.StatusOK || json.Unmarshal([]byte(resp.body), &body) != nil || !strings.Contains(body.Text, logLine) ||
		body.TaskID != "extract" || body.Running || body.State != "success" {
		t.Fatalf("log: %d %s", resp.code, resp.body)
	}
	cases := map[string]int{
		"":                 http.StatusBadRequest,
		"../../etc/passwd": http.StatusBadRequest,
		"logs/dag_id=demo/run_id=" + run + "/task_id=../../x/attempt=1.log":                  http.StatusBadRequest,
		"logs/dag_id=demo/run_id=" + run + "/../" + other + "/task_id=extract/attempt=1.log": http.StatusBadRequest,
		tasklog.Key(demoDag, other, "extract", 1) + "/../../x":                               http.StatusBadRequest,
		tasklog.Key(demoDag, other, "extract", 1):                                            http.StatusBadRequest, // another run's key
		tasklog.Key("nightly", run, "extract", 1):                                            http.StatusBadRequest,
		tasklog.Key(demoDag, run, "extract", 2):                                              http.StatusNotFound, // no such attempt
		tasklog.Key(demoDag, run, "nope", 1):                                                 http.StatusNotFound,
	}
	for k, code := range cases {
		if resp := f.get(logURL(run, k)); resp.code != code || !strings.Contains(resp.body, `"error"`) {
			t.Errorf("key %q: %d %s, want %d", k, resp.code, resp.body, code)
		}
		if resp := f.get("/dags/demo/runs/" + run + "/log?key=" + url.QueryEscape(k)); resp.code != code {
			t.Errorf("download of %q: %d, want %d", k, resp.code, code)
		}
	}
	// The other run's key is fine on its own run.
	if resp := f.get(logURL(other, tasklog.Key(demoDag, other, "extract", 1))); resp.code != http.StatusOK {
		t.Errorf("other run's own key: %d", resp.code)
	}
	// Path tricks in the route itself do not reach another run.
	if resp := f.get("/api/v1/dags/demo/dagRuns/" + url.PathEscape("../"+other) + "/logs?key=" + url.QueryEscape(key)); resp.code == http.StatusOK {
		t.Errorf("escaped run id: %d", resp.code)
	}

	// The download is a presigned S3 link valid 5 minutes.
	resp = f.get("/dags/demo/runs/" + run + "/log?key=" + url.QueryEscape(key))
	loc := resp.header.Get("Location")
	if resp.code != http.StatusFound || !strings.Contains(loc, "X-Amz-Expires=300") || !strings.Contains(loc, "X-Amz-Signature=") {
		t.Fatalf("download: %d %q", resp.code, loc)
	}
	dl, err := http.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Body.Close()
	if b, _ := io.ReadAll(dl.Body); dl.StatusCode != http.StatusOK || !strings.Contains(string(b), logLine) {
		t.Fatalf("presigned GET: %d %s", dl.StatusCode, b)
	}
}

func TestLogTailIsTheEndOfALongLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	run := f.trigger(demoDag)
	f.pump()
	key := tasklog.Key(demoDag, run, "extract", 1)
	var big bytes.Buffer
	for i := 0; big.Len() < 200<<10; i++ {
		big.WriteString(strings.Repeat("x", 90) + " line\n")
	}
	big.WriteString("the very last line\n")
	if _, err := f.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(logsBucket), Key: aws.String(key),
		Body: bytes.NewReader(big.Bytes())}); err != nil {
		t.Fatal(err)
	}
	resp := f.get("/api/v1/dags/demo/dagRuns/" + run + "/logs?key=" + url.QueryEscape(key))
	var body struct {
		Text      string `json:"text"`
		Size      int    `json:"size"`
		Truncated bool   `json:"truncated"`
	}
	if err := json.Unmarshal([]byte(resp.body), &body); err != nil {
		t.Fatal(err)
	}
	if !body.Truncated || body.Size != big.Len() || len(body.Text) > 64<<10 || len(body.Text) < 60<<10 ||
		!strings.HasSuffix(body.Text, "the very last line\n") || !strings.HasPrefix(body.Text, "xxxx") {
		t.Fatalf("tail: truncated=%v size=%d len=%d", body.Truncated, body.Size, len(body.Text))
	}
	page := f.get("/dags/demo/runs/" + run + "/tasks/extract")
	if !strings.Contains(page.body, "the very last line") || !strings.Contains(page.body, "beginning is cut") {
		t.Fatal("attempt page does not show the tail")
	}
}

func TestRunningAttemptLogRefreshes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.login()
	run := f.trigger(demoDag)
	key := tasklog.Key(demoDag, run, "extract", 1)
	now := time.Now().UTC()
	err := f.st.InTx(context.Background(), func(tx *store.Tx) error {
		_, ok, err := tx.TaskClaim(context.Background(), &store.TaskClaimParams{DagID: demoDag, RunID: run, TaskID: "extract",
			TryNumber: 1, Now: now, LeaseUntil: now.Add(time.Minute), RequestID: "r", LogKey: key})
		if err == nil && !ok {
			t.Fatal("not claimed")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	page := f.get("/dags/demo/runs/" + run + "/tasks/extract")
	if !strings.Contains(page.body, `data-refresh="3000"`) || !strings.Contains(page.body, "(no log yet)") ||
		!strings.Contains(page.body, "link valid 5 minutes") {
		t.Fatalf("running attempt page:\n%s", page.body)
	}
	// The whole-log link before the log exists: a page saying so, not
	// S3's NoSuchKey XML.
	if resp := f.get("/dags/demo/runs/" + run + "/log?key=" + url.QueryEscape(key)); resp.code != http.StatusNotFound ||
		!strings.Contains(resp.body, "not written yet") {
		t.Fatalf("download before the log exists: %d %s", resp.code, resp.body)
	}
	if _, err := f.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(logsBucket), Key: aws.String(key),
		Body: strings.NewReader("first line\n")}); err != nil {
		t.Fatal(err)
	}
	resp := f.get("/api/v1/dags/demo/dagRuns/" + run + "/logs?key=" + url.QueryEscape(key))
	if !strings.Contains(resp.body, `"running":true`) || !strings.Contains(resp.body, `"text":"first line\n"`) {
		t.Fatalf("running log: %s", resp.body)
	}
}
