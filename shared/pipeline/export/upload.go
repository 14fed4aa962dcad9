package export

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// MinPartSize is S3's smallest multipart part (all but the last).
const MinPartSize = 5 << 20

// objectWriter streams one object to S3: bytes collect in a buffer of one
// part, each full part is uploaded (multipart), so memory stays bounded by
// the part size whatever the object's size. Small objects are one
// PutObject. Nothing is visible under the key until Close succeeds.
type objectWriter struct {
	ctx         context.Context
	client      *s3.Client
	bucket, key string
	contentType string
	partSize    int

	buf      bytes.Buffer
	uploadID *string
	parts    []types.CompletedPart
	written  int64
	err      error
}

func newObjectWriter(ctx context.Context, c *s3.Client, bucket, key, contentType string, partSize int) *objectWriter {
	if partSize < MinPartSize {
		partSize = MinPartSize
	}
	return &objectWriter{ctx: ctx, client: c, bucket: bucket, key: key, contentType: contentType, partSize: partSize}
}

func (w *objectWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.buf.Write(p)
	w.written += int64(len(p))
	for w.buf.Len() >= w.partSize {
		if err := w.uploadPart(w.buf.Next(w.partSize)); err != nil {
			w.err = err
			return 0, err
		}
	}
	return len(p), nil
}

func (w *objectWriter) uploadPart(data []byte) error {
	if w.uploadID == nil {
		out, err := w.client.CreateMultipartUpload(w.ctx, &s3.CreateMultipartUploadInput{
			Bucket: aws.String(w.bucket), Key: aws.String(w.key), ContentType: aws.String(w.contentType)})
		if err != nil {
			return fmt.Errorf("error starting the upload of %s: %w", w.key, err)
		}
		w.uploadID = out.UploadId
	}
	n := int32(len(w.parts) + 1)
	out, err := w.client.UploadPart(w.ctx, &s3.UploadPartInput{Bucket: aws.String(w.bucket), Key: aws.String(w.key),
		UploadId: w.uploadID, PartNumber: aws.Int32(n), Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
	if err != nil {
		return fmt.Errorf("error uploading part %d of %s: %w", n, w.key, err)
	}
	w.parts = append(w.parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	return nil
}

// Close completes the object, or aborts the upload when writing failed.
func (w *objectWriter) Close() error {
	ctx := context.WithoutCancel(w.ctx)
	if w.err != nil {
		w.Abort()
		return w.err
	}
	if w.uploadID == nil {
		_, err := w.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(w.key),
			Body: bytes.NewReader(w.buf.Bytes()), ContentLength: aws.Int64(int64(w.buf.Len())), ContentType: aws.String(w.contentType)})
		if err != nil {
			return fmt.Errorf("error writing %s: %w", w.key, err)
		}
		return nil
	}
	if w.buf.Len() > 0 {
		if err := w.uploadPart(w.buf.Bytes()); err != nil {
			w.Abort()
			return err
		}
	}
	_, err := w.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(w.bucket),
		Key: aws.String(w.key), UploadId: w.uploadID, MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts}})
	if err != nil {
		w.Abort()
		return fmt.Errorf("error completing %s: %w", w.key, err)
	}
	return nil
}

// Abort discards a started multipart upload (no-op otherwise).
func (w *objectWriter) Abort() {
	if w.uploadID == nil {
		return
	}
	_, err := w.client.AbortMultipartUpload(context.WithoutCancel(w.ctx), &s3.AbortMultipartUploadInput{
		Bucket: aws.String(w.bucket), Key: aws.String(w.key), UploadId: w.uploadID})
	w.uploadID = nil
	if err != nil && w.err == nil {
		w.err = errors.Join(w.err, err)
	}
}
