package topology

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// QueueAPI is the part of the SQS API the tool uses; *sqs.Client implements it.
// GetQueueUrl, GetQueueAttributes read; CreateQueue and SetQueueAttributes change.
type QueueAPI interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	CreateQueue(ctx context.Context, in *sqs.CreateQueueInput, opts ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	SetQueueAttributes(ctx context.Context, in *sqs.SetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error)
}

// SQSConfig configures NewSQSClient.
type SQSConfig struct {
	// Endpoint is the SQS endpoint, e.g. https://sqs.mnq.fr-par.scaleway.com. Required.
	Endpoint string
	// Region signs requests; Scaleway expects its region name ("fr-par"). Required.
	Region string
	// AccessKey and SecretKey are Scaleway Queues credentials with the manage permission.
	AccessKey, SecretKey string
	// HTTPClient defaults to http.DefaultClient.
	HTTPClient *http.Client
}

// NewSQSClient returns an SQS client for Scaleway Queues. It reads nothing from the
// environment or ~/.aws: the caller passes everything, so a CI runner's AWS settings
// cannot leak in.
func NewSQSClient(c SQSConfig) (*sqs.Client, error) {
	if c.Endpoint == "" || c.Region == "" {
		return nil, errors.New("SQS endpoint and region are required")
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return nil, errors.New("SQS_ACCESS_KEY, SQS_SECRET_KEY: missing (Scaleway Queues credentials with the manage permission)")
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	return sqs.New(sqs.Options{
		Region:       c.Region,
		BaseEndpoint: aws.String(c.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, ""),
		HTTPClient:   hc,
	}), nil
}

// SQS attribute names the tool manages.
const (
	attrVisibility = string(types.QueueAttributeNameVisibilityTimeout)
	attrRetention  = string(types.QueueAttributeNameMessageRetentionPeriod)
	attrRedrive    = string(types.QueueAttributeNameRedrivePolicy)
	attrArn        = string(types.QueueAttributeNameQueueArn)
)

// managedAttributes are read back to compare with the topology.
var managedAttributes = []types.QueueAttributeName{
	types.QueueAttributeNameQueueArn,
	types.QueueAttributeNameVisibilityTimeout,
	types.QueueAttributeNameMessageRetentionPeriod,
	types.QueueAttributeNameRedrivePolicy,
}

// attributes returns the SQS attributes a queue must have. dlqArn is the dead-letter
// queue's ARN, or "" for the dead-letter queue itself (no redrive policy).
func (q Queue) attributes(dlqArn string) map[string]string {
	a := map[string]string{
		attrVisibility: strconv.FormatInt(q.VisibilityTimeout.Seconds(), 10),
		attrRetention:  strconv.FormatInt(q.MessageRetention.Seconds(), 10),
	}
	if dlqArn != "" {
		a[attrRedrive] = redrivePolicy(dlqArn, q.MaxReceiveCount)
	}
	return a
}

func redrivePolicy(dlqArn string, maxReceive int) string {
	b, _ := json.Marshal(struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     int    `json:"maxReceiveCount"`
	}{dlqArn, maxReceive})
	return string(b)
}

// sameAttribute compares a wanted attribute with the live one. Redrive policies are
// compared as JSON, since SQS may return maxReceiveCount as a number or a string.
func sameAttribute(name, want, got string) bool {
	if name != attrRedrive {
		return want == got
	}
	type policy struct {
		Arn string
		Max string
	}
	parse := func(s string) (policy, bool) {
		var raw struct {
			DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
			MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
		}
		if json.Unmarshal([]byte(s), &raw) != nil {
			return policy{}, false
		}
		max, err := strconv.Unquote(string(raw.MaxReceiveCount))
		if err != nil {
			max = string(raw.MaxReceiveCount)
		}
		return policy{raw.DeadLetterTargetArn, max}, true
	}
	w, okW := parse(want)
	g, okG := parse(got)
	return okW && okG && w == g
}

// isNoSuchQueue reports whether err says the queue does not exist. SQS's JSON protocol
// names the error QueueDoesNotExist; the query protocol (and some SQS-compatible
// services) AWS.SimpleQueueService.NonExistentQueue.
func isNoSuchQueue(err error) bool {
	var nf *types.QueueDoesNotExist
	if errors.As(err, &nf) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "NonExistentQueue":
			return true
		}
	}
	return false
}

// liveQueue is what the SQS API says about one queue.
type liveQueue struct {
	exists bool
	url    string
	attrs  map[string]string
}

// readQueue looks a queue up by name and reads its managed attributes.
func readQueue(ctx context.Context, api QueueAPI, name string) (liveQueue, error) {
	u, err := api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if isNoSuchQueue(err) {
		return liveQueue{}, nil
	}
	if err != nil {
		return liveQueue{}, fmt.Errorf("error looking up queue %s: %w", name, err)
	}
	url := aws.ToString(u.QueueUrl)
	a, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: managedAttributes,
	})
	if err != nil {
		return liveQueue{}, fmt.Errorf("error reading attributes of queue %s: %w", name, err)
	}
	return liveQueue{exists: true, url: url, attrs: a.Attributes}, nil
}

// lazyQueueAPI defers making the SQS client until a change needs it (a project whose
// Queues are not activated yet has no endpoint to plan against).
type lazyQueueAPI struct {
	newAPI func() (QueueAPI, error)
	api    QueueAPI
}

func (l *lazyQueueAPI) get() (QueueAPI, error) {
	if l.api == nil {
		api, err := l.newAPI()
		if err != nil {
			return nil, err
		}
		l.api = api
	}
	return l.api, nil
}

func (l *lazyQueueAPI) GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, o ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	api, err := l.get()
	if err != nil {
		return nil, err
	}
	return api.GetQueueUrl(ctx, in, o...)
}

func (l *lazyQueueAPI) CreateQueue(ctx context.Context, in *sqs.CreateQueueInput, o ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error) {
	api, err := l.get()
	if err != nil {
		return nil, err
	}
	return api.CreateQueue(ctx, in, o...)
}

func (l *lazyQueueAPI) GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, o ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	api, err := l.get()
	if err != nil {
		return nil, err
	}
	return api.GetQueueAttributes(ctx, in, o...)
}

func (l *lazyQueueAPI) SetQueueAttributes(ctx context.Context, in *sqs.SetQueueAttributesInput, o ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error) {
	api, err := l.get()
	if err != nil {
		return nil, err
	}
	return api.SetQueueAttributes(ctx, in, o...)
}
