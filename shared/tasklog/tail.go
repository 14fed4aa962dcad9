package tasklog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Tail is the end of an attempt's log.
type Tail struct {
	Text string `json:"text"`
	// Size is the whole log's size in bytes.
	Size int64 `json:"size"`
	// Truncated tells Text is only the end of the log (its first,
	// partial line dropped).
	Truncated bool `json:"truncated"`
	// Missing tells the log does not exist (yet: the task has not
	// flushed it, or never started).
	Missing bool `json:"missing"`
}

// ReadTail reads the last n bytes of a log with one ranged GET (the web's
// attempt page, `dag run`'s summary of a failed task).
func ReadTail(ctx context.Context, client *s3.Client, bucket, key string, n int) (Tail, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Range: aws.String(fmt.Sprintf("bytes=-%d", n))}
	out, err := client.GetObject(ctx, in)
	if APICode(err) == "InvalidRange" {
		// Some servers refuse a suffix longer than the object (S3 answers
		// the whole object): read it whole, keeping only the tail.
		in.Range = nil
		out, err = client.GetObject(ctx, in)
	}
	if code := APICode(err); code == "NoSuchKey" || code == "NotFound" {
		return Tail{Missing: true}, nil
	}
	if err != nil {
		return Tail{}, fmt.Errorf("error reading log %s: %w", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, 64<<20))
	if err != nil {
		return Tail{}, fmt.Errorf("error reading log %s: %w", key, err)
	}
	size := int64(len(b))
	if total, ok := rangeTotal(aws.ToString(out.ContentRange)); ok {
		size = total
	}
	t := Tail{Size: size}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	if int64(len(b)) < size {
		t.Truncated = true
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	t.Text = strings.ToValidUTF8(string(b), "\uFFFD")
	return t, nil
}

// rangeTotal reads the total of "bytes 100-199/200".
func rangeTotal(contentRange string) (int64, bool) {
	_, total, ok := strings.Cut(contentRange, "/")
	if !ok || total == "*" {
		return 0, false
	}
	n, err := strconv.ParseInt(total, 10, 64)
	return n, err == nil
}

// APICode is the S3 error code of err ("" for none or another error).
func APICode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
