package web

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lvao/dataplatform/shared/tasklog"
)

// logTail is the end of an attempt's log.
type logTail = tasklog.Tail

// errLogsOff is returned when no S3 client is configured.
var errLogsOff = errors.New("task logs are not configured (S3)")

// readTail reads the last LogTail bytes of a log with one ranged GET.
func (s *server) readTail(ctx context.Context, key string) (logTail, error) {
	if s.cfg.S3 == nil {
		return logTail{}, errLogsOff
	}
	return tasklog.ReadTail(ctx, s.cfg.S3, s.cfg.LogsBucket, key, s.cfg.LogTail)
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
