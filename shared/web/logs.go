package web

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

// logTail is the end of an attempt's log.
type logTail struct {
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

// errLogsOff is returned when no S3 client is configured.
var errLogsOff = errors.New("task logs are not configured (S3)")

// readTail reads the last LogTail bytes of a log with one ranged GET.
func (s *server) readTail(ctx context.Context, key string) (logTail, error) {
	if s.cfg.S3 == nil {
		return logTail{}, errLogsOff
	}
	in := &s3.GetObjectInput{Bucket: aws.String(s.cfg.LogsBucket), Key: aws.String(key),
		Range: aws.String(fmt.Sprintf("bytes=-%d", s.cfg.LogTail))}
	out, err := s.cfg.S3.GetObject(ctx, in)
	if apiCode(err) == "InvalidRange" {
		// Some servers refuse a suffix longer than the object (S3 answers
		// the whole object): read it whole, keeping only the tail.
		in.Range = nil
		out, err = s.cfg.S3.GetObject(ctx, in)
	}
	if code := apiCode(err); code == "NoSuchKey" || code == "NotFound" {
		return logTail{Missing: true}, nil
	}
	if err != nil {
		return logTail{}, fmt.Errorf("error reading log %s: %w", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, 64<<20))
	if err != nil {
		return logTail{}, fmt.Errorf("error reading log %s: %w", key, err)
	}
	size := int64(len(b))
	if total, ok := rangeTotal(aws.ToString(out.ContentRange)); ok {
		size = total
	}
	t := logTail{Size: size}
	if len(b) > s.cfg.LogTail {
		b = b[len(b)-s.cfg.LogTail:]
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

// apiCode is the S3 error code of err ("" for none or another error).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// presignLog returns a short-lived GET link to the whole log.
func (s *server) presignLog(ctx context.Context, key string) (string, error) {
	if s.presign == nil {
		return "", errLogsOff
	}
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.cfg.LogsBucket), Key: aws.String(key),
		ResponseContentType: aws.String("text/plain; charset=utf-8")})
	if err != nil {
		return "", fmt.Errorf("error presigning log %s: %w", key, err)
	}
	return req.URL, nil
}
