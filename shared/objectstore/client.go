// Package objectstore builds the S3 client of Scaleway Object Storage (or
// of the harness's embedded S3 endpoint) from the configuration.
package objectstore

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lvao/dataplatform/shared/config"
)

// Config is what an S3 client needs.
type Config struct {
	// Endpoint default https://s3.fr-par.scw.cloud.
	Endpoint string
	// Region default fr-par.
	Region               string
	AccessKey, SecretKey string
}

// FromConfig picks the S3 settings of the bundle configuration.
func FromConfig(c *config.Config) Config {
	return Config{Endpoint: c.S3Endpoint, Region: c.S3Region, AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey}
}

// NewClient returns an S3 client with path-style addressing, which both
// Scaleway and local S3 servers accept (no per-bucket DNS needed).
func NewClient(c Config) *s3.Client {
	if c.Endpoint == "" {
		c.Endpoint = "https://s3.fr-par.scw.cloud"
	}
	if c.Region == "" {
		c.Region = "fr-par"
	}
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(c.Endpoint),
		Region:       c.Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, ""),
		// Scaleway does not implement the newer default integrity checksums.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}
