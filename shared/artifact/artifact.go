// Package artifact lets tasks write and read large outputs on S3 under
// s3://$DATA_BUCKET/artifacts/<dag>/<run>/<task>/<name> (DESIGN §7), as
// streams: JSON lines or CSV, gzip-compressed when the name ends in .gz.
// Memory stays bounded by one multipart part whatever the size.
package artifact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/klauspost/compress/gzip"
	"io"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// PartSize is the multipart upload part size (S3's minimum is 5 MiB).
const PartSize = 5 << 20

// Store reads and writes artifacts in one bucket.
type Store struct {
	Client *s3.Client
	Bucket string
}

// Key is the S3 key of an artifact.
func Key(dagID, runID, taskID, name string) (string, error) {
	for _, p := range []struct{ field, v string }{{"dag_id", dagID}, {"run_id", runID}, {"task_id", taskID}, {"name", name}} {
		if p.v == "" || strings.Contains(p.v, "..") || strings.HasPrefix(p.v, "/") || (p.field != "name" && strings.Contains(p.v, "/")) {
			return "", fmt.Errorf("artifact %s %q is empty or not a plain path element", p.field, p.v)
		}
	}
	return path.Join("artifacts", dagID, runID, taskID, name), nil
}

// Ref names one artifact.
type Ref struct{ DagID, RunID, TaskID, Name string }

// Create starts writing an artifact; Close completes it, Abort discards it.
// Nothing is visible under the key until Close succeeds.
func (s *Store) Create(ctx context.Context, r Ref) (*Writer, error) {
	key, err := Key(r.DagID, r.RunID, r.TaskID, r.Name)
	if err != nil {
		return nil, err
	}
	w := &Writer{ctx: ctx, s: s, key: key}
	w.out = w.raw()
	if strings.HasSuffix(r.Name, ".gz") {
		// BestSpeed: artifacts are intermediate data read once by the next
		// task; default compression cost a pipeline more CPU than its steps'
		// own work on some of them, for ~10% smaller objects.
		w.gz, _ = gzip.NewWriterLevel(w.raw(), gzip.BestSpeed)
		w.out = w.gz
	}
	return w, nil
}

// Open reads an artifact (decompressed when its name ends in .gz).
func (s *Store) Open(ctx context.Context, r Ref) (io.ReadCloser, error) {
	key, err := Key(r.DagID, r.RunID, r.TaskID, r.Name)
	if err != nil {
		return nil, err
	}
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil, fmt.Errorf("artifact %s does not exist: %w", key, ErrNotFound)
		}
		return nil, fmt.Errorf("error reading artifact %s: %w", key, err)
	}
	if !strings.HasSuffix(r.Name, ".gz") {
		return out.Body, nil
	}
	zr, err := gzip.NewReader(out.Body)
	if err != nil {
		out.Body.Close()
		return nil, fmt.Errorf("artifact %s is not gzip: %w", key, err)
	}
	return readCloser{Reader: zr, close: func() error { zr.Close(); return out.Body.Close() }}, nil
}

// ErrNotFound is an artifact that does not exist.
var ErrNotFound = errors.New("not found")

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// Writer streams an artifact to S3 in parts.
type Writer struct {
	ctx      context.Context
	s        *Store
	key      string
	gz       *gzip.Writer
	out      io.Writer
	buf      bytes.Buffer
	uploadID *string
	parts    []types.CompletedPart
	err      error
	done     bool
}

type rawWriter struct{ w *Writer }

func (w *Writer) raw() io.Writer { return rawWriter{w} }

func (r rawWriter) Write(p []byte) (int, error) {
	w := r.w
	if w.err != nil {
		return 0, w.err
	}
	w.buf.Write(p)
	for w.buf.Len() >= PartSize {
		if err := w.uploadPart(w.buf.Next(PartSize)); err != nil {
			w.err = err
			return 0, err
		}
	}
	return len(p), nil
}

// Write writes (compressed) bytes of the artifact.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("artifact writer is closed")
	}
	return w.out.Write(p)
}

func (w *Writer) uploadPart(data []byte) error {
	if w.uploadID == nil {
		out, err := w.s.Client.CreateMultipartUpload(w.ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(w.s.Bucket), Key: aws.String(w.key)})
		if err != nil {
			return fmt.Errorf("error starting upload of artifact %s: %w", w.key, err)
		}
		w.uploadID = out.UploadId
	}
	n := int32(len(w.parts) + 1)
	out, err := w.s.Client.UploadPart(w.ctx, &s3.UploadPartInput{Bucket: aws.String(w.s.Bucket), Key: aws.String(w.key),
		UploadId: w.uploadID, PartNumber: aws.Int32(n), Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
	if err != nil {
		return fmt.Errorf("error uploading part %d of artifact %s: %w", n, w.key, err)
	}
	w.parts = append(w.parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	return nil
}

// Close completes the artifact. On error the upload is aborted.
func (w *Writer) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.gz != nil && w.err == nil {
		if err := w.gz.Close(); err != nil {
			w.err = err
		}
	}
	if w.err != nil {
		w.abort()
		return w.err
	}
	ctx := context.WithoutCancel(w.ctx)
	if w.uploadID == nil {
		_, err := w.s.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(w.s.Bucket), Key: aws.String(w.key), Body: bytes.NewReader(w.buf.Bytes())})
		if err != nil {
			w.err = fmt.Errorf("error writing artifact %s: %w", w.key, err)
		}
		return w.err
	}
	if w.buf.Len() > 0 {
		if err := w.uploadPart(w.buf.Bytes()); err != nil {
			w.err = err
			w.abort()
			return err
		}
	}
	_, err := w.s.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(w.s.Bucket),
		Key: aws.String(w.key), UploadId: w.uploadID, MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts}})
	if err != nil {
		w.err = fmt.Errorf("error completing artifact %s: %w", w.key, err)
		w.abort()
	}
	return w.err
}

// Abort discards the artifact; after a Close it does nothing.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.abort()
}

func (w *Writer) abort() {
	if w.uploadID != nil {
		_, _ = w.s.Client.AbortMultipartUpload(context.WithoutCancel(w.ctx), &s3.AbortMultipartUploadInput{
			Bucket: aws.String(w.s.Bucket), Key: aws.String(w.key), UploadId: w.uploadID})
	}
}
