package export

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// RemoveOldExports deletes the objects under prefix/ last modified before
// cutoff, except acteurs.csv (LVAO's remove_old_s3_opendata_csv), and
// returns their keys. Objects under other prefixes (another environment's
// "acteurs-preprod/") are left alone.
func RemoveOldExports(ctx context.Context, c *s3.Client, bucket, prefix string, cutoff time.Time) ([]string, error) {
	dir := strings.Trim(prefix, "/") + "/"
	var old []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(dir)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("error listing s3://%s/%s: %w", bucket, dir, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if path.Base(key) == LatestName || o.LastModified == nil || !o.LastModified.Before(cutoff) {
				continue
			}
			old = append(old, key)
		}
	}
	// One DeleteObject per key: a few files a week, and DeleteObjects needs
	// a Content-MD5 some S3-compatible stores insist on.
	for i, key := range old {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
			return old[:i], fmt.Errorf("error removing s3://%s/%s: %w", bucket, key, err)
		}
	}
	return old, nil
}
