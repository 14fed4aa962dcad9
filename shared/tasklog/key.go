// Package tasklog writes each task attempt's log to S3, in Airflow's
// remote-logging layout (DESIGN §7).
package tasklog

import (
	"fmt"
	"strings"
)

// Key is the S3 key of an attempt's log:
// logs/dag_id=<dag>/run_id=<run>/task_id=<task>/attempt=<n>.log
func Key(dagID, runID, taskID string, try int) string {
	if try < 1 {
		return ""
	}
	return fmt.Sprintf("logs/dag_id=%s/run_id=%s/task_id=%s/attempt=%d.log", dagID, runID, taskID, try)
}

// KeyPrefix is the prefix of every log of one run.
func KeyPrefix(dagID, runID string) string {
	return fmt.Sprintf("logs/dag_id=%s/run_id=%s/", dagID, runID)
}

// ValidKey reports whether key is exactly the log key of that run's task
// attempt (used to reject path tricks such as ../ in log requests).
func ValidKey(key, dagID, runID string) bool {
	if strings.Contains(key, "..") || !strings.HasPrefix(key, KeyPrefix(dagID, runID)) {
		return false
	}
	var task string
	var try int
	rest := strings.TrimPrefix(key, KeyPrefix(dagID, runID))
	n, err := fmt.Sscanf(strings.Replace(rest, "/attempt=", " ", 1), "task_id=%s %d.log", &task, &try)
	return err == nil && n == 2 && Key(dagID, runID, task, try) == key
}
