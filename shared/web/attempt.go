package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lvao/dataplatform/shared/store"
	"github.com/lvao/dataplatform/shared/tasklog"
)

// taskData is a task instance of a run with its attempts, oldest first.
type taskData struct {
	Run      store.Run
	TI       store.TaskInstance
	Attempts []store.Attempt
}

func (s *server) loadTask(ctx context.Context, dagID, runID, taskID string) (*taskData, error) {
	var d taskData
	err := s.cfg.Store.Read(ctx, func(tx *store.Tx) (err error) {
		if d.Run, err = tx.RunGet(ctx, dagID, runID); errors.Is(err, store.ErrNotFound) {
			return notFound("Run %s of DAG %s", runID, dagID)
		} else if err != nil {
			return err
		}
		if d.TI, err = tx.TaskInstanceGet(ctx, dagID, runID, taskID); errors.Is(err, store.ErrNotFound) {
			return notFound("Task %s of run %s", taskID, runID)
		} else if err != nil {
			return err
		}
		d.Attempts, err = tx.TaskAttemptList(ctx, d.Run.PK, taskID)
		return err
	})
	return &d, err
}

// logKey is the attempt's log key, only if it is exactly the key of
// that run's task attempt.
func logKey(dagID, runID, taskID string, a store.Attempt) string {
	key := a.LogKey
	if key == "" {
		key = tasklog.Key(dagID, runID, taskID, a.TryNumber)
	}
	if !tasklog.ValidKey(key, dagID, runID) {
		return ""
	}
	return key
}

// attemptView is the attempt page's data.
type attemptView struct {
	DagID, RunID, TaskID string
	TI                   store.TaskInstance
	Attempts             []attemptRow
	Selected             *attemptRow
	Log                  logTail
	LogError             string
	LogAPI               string
	DownloadLink         string
	LinkValidity         string // how long the presigned log link lasts, for people
	Refresh              int    // milliseconds; 0: the log is final
	// Reload (ms) reloads the page while the task waits for an attempt.
	Reload              int
	RunLink, GridLink   string
	ClearLink, MarkLink string
}

type attemptRow struct {
	store.Attempt
	Duration time.Duration
	Link     string
	Current  bool
}

func (s *server) attempt(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	dagID, runID, taskID := r.PathValue("dag_id"), r.PathValue("run_id"), r.PathValue("task_id")
	d, err := s.loadTask(r.Context(), dagID, runID, taskID)
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	self := rc.link("dags", dagID, "runs", runID, "tasks", taskID)
	v := attemptView{DagID: dagID, RunID: runID, TaskID: taskID, TI: d.TI,
		RunLink: rc.link("dags", dagID, "runs", runID), GridLink: rc.link("dags", dagID),
		ClearLink: rc.link("dags", dagID, "runs", runID, "clear"), MarkLink: self + "/mark"}
	want, ok := tryParam(r)
	if !ok {
		s.errorPage(w, r, rc, http.StatusBadRequest, "Bad request", "try must be an attempt number (1, 2, …).")
		return
	}
	now := s.cfg.Now()
	for _, a := range d.Attempts {
		row := attemptRow{Attempt: a, Link: withQuery(self, url.Values{"try": {strconv.Itoa(a.TryNumber)}})}
		end := a.EndedAt
		if end.IsZero() {
			end = now
		}
		row.Duration = end.Sub(a.StartedAt)
		v.Attempts = append(v.Attempts, row)
	}
	for i := range v.Attempts {
		if v.Attempts[i].TryNumber == want || (want == 0 && i == len(v.Attempts)-1) {
			v.Attempts[i].Current = true
			v.Selected = &v.Attempts[i]
		}
	}
	if want != 0 && v.Selected == nil {
		s.errorPage(w, r, rc, http.StatusNotFound, "Not found", "This task has no attempt "+strconv.Itoa(want)+".")
		return
	}
	if v.Selected != nil {
		if key := logKey(dagID, runID, taskID, v.Selected.Attempt); key != "" {
			q := url.Values{"key": {key}}
			v.LogAPI = withQuery(rc.link("api", "v1", "dags", dagID, "dagRuns", runID, "logs"), q)
			v.DownloadLink = withQuery(rc.link("dags", dagID, "runs", runID, "log"), q)
			v.LinkValidity = humanDuration(s.cfg.PresignExpiry)
			if v.Log, err = s.readTail(r.Context(), key); err != nil {
				s.log.WarnContext(r.Context(), "web: log unavailable", "key", key, "error", err.Error())
				v.LogError = "The log cannot be read right now."
			}
			if v.Selected.State == "running" {
				v.Refresh = int(s.cfg.RefreshInterval.Milliseconds())
			}
		}
	}
	switch d.TI.State {
	case "scheduled", "queued", "up_for_retry":
		v.Reload = int(s.cfg.RefreshInterval.Milliseconds())
	case "running":
		if v.Refresh == 0 {
			v.Reload = int(s.cfg.RefreshInterval.Milliseconds())
		}
	}
	s.render(w, r, rc, http.StatusOK, "attempt", taskID+" · "+runID, v)
}

// attemptByKey checks a requested log key: it must be exactly the log key
// of an attempt of that run (../, another run's key → 400 or 404).
func (s *server) attemptByKey(ctx context.Context, dagID, runID, key string) (string, store.Attempt, int, error) {
	if key == "" || !tasklog.ValidKey(key, dagID, runID) {
		return "", store.Attempt{}, http.StatusBadRequest, errors.New("the key is not a log key of this run")
	}
	var taskID string
	var a store.Attempt
	err := s.cfg.Store.Read(ctx, func(tx *store.Tx) error {
		run, err := tx.RunGet(ctx, dagID, runID)
		if err != nil {
			return err
		}
		taskID, a, err = tx.TaskAttemptGetByLogKey(ctx, &store.TaskAttemptGetByLogKeyParams{RunPK: run.PK, LogKey: key})
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", a, http.StatusNotFound, errors.New("no attempt of this run has that log")
	}
	if err != nil {
		return "", a, http.StatusInternalServerError, err
	}
	return taskID, a, http.StatusOK, nil
}

func (s *server) apiLog(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	dagID, runID, key := r.PathValue("dag_id"), r.PathValue("run_id"), r.URL.Query().Get("key")
	taskID, a, code, err := s.attemptByKey(r.Context(), dagID, runID, key)
	if code == http.StatusInternalServerError {
		s.fail(w, r, rc, err)
		return
	}
	if err != nil {
		writeError(w, code, err.Error(), map[string]string{"key": key})
		return
	}
	t, err := s.readTail(r.Context(), key)
	if err != nil {
		s.log.WarnContext(r.Context(), "web: log unavailable", "key", key, "error", err.Error())
		writeError(w, http.StatusBadGateway, "the log cannot be read right now", nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dag_id": dagID, "run_id": runID, "task_id": taskID,
		"try_number": a.TryNumber, "key": key, "state": a.State, "running": a.State == "running",
		"text": t.Text, "size": t.Size, "truncated": t.Truncated, "missing": t.Missing})
}

// logDownload answers with a presigned link (5 minutes) to the whole log,
// made at the click so it is fresh.
func (s *server) logDownload(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	dagID, runID, key := r.PathValue("dag_id"), r.PathValue("run_id"), r.URL.Query().Get("key")
	_, _, code, err := s.attemptByKey(r.Context(), dagID, runID, key)
	switch {
	case code == http.StatusInternalServerError:
		s.fail(w, r, rc, err)
		return
	case err != nil:
		s.errorPage(w, r, rc, code, "No such log", "This link does not name a log of this run.")
		return
	}
	// S3 would answer its raw NoSuchKey XML for a log not written yet.
	if s.cfg.S3 != nil {
		if _, err := s.cfg.S3.HeadObject(r.Context(), &s3.HeadObjectInput{Bucket: aws.String(s.cfg.LogsBucket), Key: aws.String(key)}); err != nil {
			if code := tasklog.APICode(err); code == "NoSuchKey" || code == "NotFound" {
				s.errorPage(w, r, rc, http.StatusNotFound, "No log yet",
					"This attempt's log is not written yet: a running task's first lines reach S3 half a second after it starts. Try again in a moment.")
				return
			}
		}
	}
	link, err := s.presignLog(r.Context(), key)
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	w.Header().Set("Location", link)
	w.WriteHeader(http.StatusFound)
}

// apiAttempt is an attempt in the API.
type apiAttempt struct {
	TryNumber int       `json:"try_number"`
	State     string    `json:"state"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	Error     string    `json:"error,omitempty"`
	LogKey    string    `json:"log_key"`
}

func (s *server) apiTask(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	dagID, runID, taskID := r.PathValue("dag_id"), r.PathValue("run_id"), r.PathValue("task_id")
	d, err := s.loadTask(r.Context(), dagID, runID, taskID)
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	ti := d.TI
	want, ok := tryParam(r)
	if !ok {
		s.errorPage(w, r, rc, http.StatusBadRequest, "Bad request", "try must be an attempt number (1, 2, …).")
		return
	}
	attempts := make([]apiAttempt, 0, len(d.Attempts))
	for _, a := range d.Attempts {
		if want != 0 && a.TryNumber != want {
			continue
		}
		attempts = append(attempts, apiAttempt{TryNumber: a.TryNumber, State: a.State, StartedAt: a.StartedAt.UTC(),
			EndedAt: a.EndedAt.UTC(), Error: a.Error, LogKey: logKey(dagID, runID, taskID, a)})
	}
	if want != 0 && len(attempts) == 0 {
		s.errorPage(w, r, rc, http.StatusNotFound, "Not found", "This task has no attempt "+strconv.Itoa(want)+".")
		return
	}
	var result json.RawMessage
	if len(ti.Result) > 0 {
		result = ti.Result
	}
	writeJSON(w, http.StatusOK, map[string]any{"dag_id": dagID, "run_id": runID, "task_id": taskID,
		"function": ti.Function, "state": ti.State, "try_number": ti.TryNumber, "max_tries": ti.MaxTries,
		"queued_at": nilTime(ti.QueuedAt), "started_at": nilTime(ti.StartedAt), "ended_at": nilTime(ti.EndedAt),
		"next_retry_at": nilTime(ti.NextRetryAt), "error": ti.Error, "result": result, "attempts": attempts})
}

// tryParam reads ?try=N (0 when absent: the latest attempt); ok is false
// when it is not a positive number.
func tryParam(r *http.Request) (int, bool) {
	v := r.URL.Query().Get("try")
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n > 0
}

func nilTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// humanDuration writes a link's validity for people: "5 minutes", "1 hour",
// "90 seconds".
func humanDuration(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	default:
		return unit(int64(d.Round(time.Second)/time.Second), "second")
	}
}
