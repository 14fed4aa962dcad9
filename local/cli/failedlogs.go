package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lvao/dataplatform/shared/engine"
	"github.com/lvao/dataplatform/shared/tasklog"
)

// failedLogLines is how many lines of a failed task's log dag run shows.
const failedLogLines = 12

// printFailedLogs shows the end of each failed task's log (the last
// attempt's), so that "why did it fail" is answered without opening S3.
func printFailedLogs(ctx context.Context, w io.Writer, client *s3.Client, bucket string, doc engine.RunDoc) {
	for _, t := range doc.Tasks {
		if t.State != "failed" || t.LogKey == "" || client == nil {
			continue
		}
		tail, err := tasklog.ReadTail(ctx, client, bucket, t.LogKey, 16<<10)
		if err != nil || tail.Missing {
			continue // the error line above says enough
		}
		lines := strings.Split(strings.TrimRight(tail.Text, "\n"), "\n")
		if len(lines) > failedLogLines {
			lines = lines[len(lines)-failedLogLines:]
		}
		fmt.Fprintf(w, "\nlog of %s (try %d), last %d lines:\n", t.TaskID, t.TryNumber, len(lines))
		for _, l := range lines {
			fmt.Fprintf(w, "  | %s\n", l)
		}
	}
}
