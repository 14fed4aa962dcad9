package queue

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// MaxMessageSize is the largest body, in bytes, that Publish accepts.
// Scaleway Queues refuse messages over 256 KB; the NATS adapter applies the
// same limit so that switching backends never changes what can be sent.
const MaxMessageSize = 256 << 10

// ErrMessageTooLarge is wrapped by Publish when a body exceeds
// MaxMessageSize. The check runs before anything is sent.
var ErrMessageTooLarge = errors.New("message body exceeds the 256 KB limit")

// Defaults used by NewSQS for empty SQSConfig fields (the same as
// shared/config, so a zero config still targets Scaleway fr-par).
const (
	DefaultSQSEndpoint = "https://sqs.mnq.fr-par.scaleway.com"
	DefaultSQSRegion   = "fr-par"
)

// sqsHTTPTimeout bounds one HTTP exchange when SQSConfig.HTTPClient is nil,
// so a Publish with a context without deadline cannot hang forever.
const sqsHTTPTimeout = 30 * time.Second

// checkSize rejects bodies the backends cannot carry, with an error that
// names the destination and the sizes (never the body itself).
func checkSize(kind, dest string, body []byte) error {
	if len(body) > MaxMessageSize {
		return fmt.Errorf("error publishing to %s %s: %w (%d bytes > %d)",
			kind, dest, ErrMessageTooLarge, len(body), MaxMessageSize)
	}
	return nil
}

// SQSConfig configures the Scaleway Queues (SQS protocol) publisher.
type SQSConfig struct {
	// Endpoint is the SQS endpoint URL. Default DefaultSQSEndpoint
	// (https://sqs.mnq.fr-par.scaleway.com).
	Endpoint string
	// Region is the SigV4 signing region. Default DefaultSQSRegion ("fr-par").
	Region string
	// AccessKey and SecretKey are Scaleway Queues credentials. Required.
	AccessKey, SecretKey string
	// Prefix is prepended to the function name to form the queue name,
	// e.g. "lvao-prod-" + "noop". Default "" (no prefix).
	Prefix string
	// HTTPClient sends the requests. Optional: default is a client of our
	// own (proxy from the environment, 30 s per request) whose idle
	// connections Close releases. A caller-provided client is never closed.
	HTTPClient *http.Client
}

// SQS publishes message bodies to Scaleway Queues through the SQS API.
// It is safe for concurrent use.
type SQS struct {
	client *sqs.Client
	prefix string
	// ownTransport is set when we built the HTTP client, so Close may
	// release its connections without touching a caller's client.
	ownTransport *http.Transport

	mu   sync.Mutex
	urls map[string]*queueURL // queue name → resolved URL
}

// queueURL caches one queue's URL. Its own mutex serialises resolution for
// that queue only: concurrent first publishes to one function make a single
// GetQueueUrl call, while other queues are not blocked meanwhile.
type queueURL struct {
	mu  sync.Mutex
	url string // "" until resolved; a failed resolution is retried next time
}

// NewSQS returns a publisher for the queues named cfg.Prefix+function.
// It reads no shared AWS config files, environment or instance metadata:
// everything comes from cfg, so behaviour is the same on laptops and in
// Scaleway functions.
func NewSQS(cfg SQSConfig) (*SQS, error) {
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("sqs queue: access key and secret key are required")
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = DefaultSQSEndpoint
	}
	if cfg.Region == "" {
		cfg.Region = DefaultSQSRegion
	}
	// Report a malformed endpoint now rather than at the first Publish.
	// The value is not echoed: a URL may carry user:password.
	if u, err := url.Parse(cfg.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("sqs queue: endpoint is not an http(s) URL (e.g. " + DefaultSQSEndpoint + ")")
	}
	s := &SQS{prefix: cfg.Prefix, urls: map[string]*queueURL{}}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			s.ownTransport = t.Clone()
		} else {
			s.ownTransport = &http.Transport{Proxy: http.ProxyFromEnvironment}
		}
		httpClient = &http.Client{Transport: s.ownTransport, Timeout: sqsHTTPTimeout}
	}
	s.client = sqs.New(sqs.Options{
		Region:       cfg.Region,
		BaseEndpoint: aws.String(cfg.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		HTTPClient:   httpClient,
	})
	return s, nil
}

// Publish sends body to the queue Prefix+function. The body must be valid
// UTF-8 (SQS bodies are strings; a JSON Message always is), non-empty and
// at most MaxMessageSize bytes. DelaySeconds is never set: Scaleway Queues
// do not support it.
func (s *SQS) Publish(ctx context.Context, function string, body []byte) error {
	name := s.prefix + function
	if function == "" {
		return fmt.Errorf("error publishing to queue %s: empty function name", name)
	}
	if err := checkSize("queue", name, body); err != nil {
		return err
	}
	if len(body) == 0 {
		return fmt.Errorf("error publishing to queue %s: empty message body", name)
	}
	// The SDK sends the body as a JSON string: invalid UTF-8 would be
	// silently replaced and the stored message would differ from ours.
	if !utf8.Valid(body) {
		return fmt.Errorf("error publishing to queue %s: message body is not valid UTF-8", name)
	}
	qurl, err := s.queueURL(ctx, name)
	if err != nil {
		return fmt.Errorf("error publishing to queue %s: %w", name, err)
	}
	_, err = s.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(qurl),
		MessageBody: aws.String(string(body)),
	})
	if err != nil {
		// The queue was deleted (and maybe recreated with another URL):
		// forget the cached URL so the next Publish resolves it again.
		var missing *types.QueueDoesNotExist
		if errors.As(err, &missing) {
			s.forget(name)
		}
		return fmt.Errorf("error publishing to queue %s: %w", name, err)
	}
	return nil
}

// queueURL returns the URL of the named queue, calling GetQueueUrl only
// the first time (per SQS value) it succeeds for that name.
func (s *SQS) queueURL(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	e := s.urls[name]
	if e == nil {
		e = &queueURL{}
		s.urls[name] = e
	}
	s.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.url != "" {
		return e.url, nil
	}
	out, err := s.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		return "", err
	}
	if out.QueueUrl == nil || *out.QueueUrl == "" {
		return "", errors.New("GetQueueUrl returned no queue URL")
	}
	e.url = *out.QueueUrl
	return e.url, nil
}

// forget drops the cached URL of the named queue.
func (s *SQS) forget(name string) {
	s.mu.Lock()
	delete(s.urls, name)
	s.mu.Unlock()
}

// Close releases idle HTTP connections of the client NewSQS built. It does
// nothing to a caller-provided HTTPClient. The SQS stays usable afterwards
// (new connections are opened on demand), so Close is safe to defer.
func (s *SQS) Close() error {
	if s.ownTransport != nil {
		s.ownTransport.CloseIdleConnections()
	}
	return nil
}

// Compile-time check that SQS satisfies Publisher.
var _ Publisher = (*SQS)(nil)
