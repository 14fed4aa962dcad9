package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/spf13/afero"
)

// DefaultS3Dir keeps the embedded S3's objects across restarts.
const DefaultS3Dir = ".local/s3"

// NewS3Handler returns a real S3 endpoint (gofakes3) whose buckets and
// objects are files under dir, so logs and artifacts survive a restart.
// It does not check request signatures: any credentials work locally.
func NewS3Handler(dir string) (http.Handler, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("error creating the S3 directory %s: %w", dir, err)
	}
	// s3afero insists on a base-path filesystem: it owns everything under it.
	backend, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), dir))
	if err != nil {
		return nil, fmt.Errorf("error opening the S3 directory %s: %w", dir, err)
	}
	return gofakes3.New(backend).Server(), nil
}

// EnsureBuckets creates the buckets that do not exist yet.
func EnsureBuckets(ctx context.Context, client *s3.Client, buckets ...string) error {
	for _, b := range buckets {
		if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)}); err == nil {
			continue
		}
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode() == "BucketAlreadyOwnedByYou" || apiErr.ErrorCode() == "BucketAlreadyExists") {
			continue // created meanwhile by another harness
		}
		if err != nil {
			return fmt.Errorf("error creating bucket %s: %w", b, err)
		}
	}
	return nil
}

// startS3 serves the embedded S3 on its own listener.
func (p *Platform) startS3(main *net.TCPAddr) error {
	addr := p.cfg.S3Addr
	if addr == "" {
		port := 0
		if main.Port != 0 && p.cfg.Addr != "127.0.0.1:0" && !strings.HasSuffix(p.cfg.Addr, ":0") {
			port = main.Port + 1
		}
		addr = net.JoinHostPort(main.IP.String(), strconv.Itoa(port))
	}
	h, err := NewS3Handler(p.cfg.S3Dir)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("error listening on %s for the embedded S3 (--s3-addr): %w", addr, err)
	}
	p.EmbeddedS3, p.S3Dir = true, p.cfg.S3Dir
	p.S3Endpoint = listenURL(ln.Addr())
	p.s3server = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := p.s3server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.log.Error("embedded S3 stopped", "error", err.Error())
		}
	}()
	return nil
}
