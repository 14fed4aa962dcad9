package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// natsFlushTimeout bounds the flush of a Publish whose context has no
// deadline (nats.go refuses to flush with such a context).
const natsFlushTimeout = 10 * time.Second

// NATSConfig configures the NATS publisher.
type NATSConfig struct {
	// URL of the NATS server(s), comma-separated, e.g. "nats://127.0.0.1:4222".
	// Required.
	URL string
	// Creds is the content (not the path) of a NATS .creds file: a user JWT
	// and its nkey seed. Optional: empty means no JWT authentication.
	Creds string
	// Prefix is prepended verbatim to the sanitized function name to form
	// the subject. It may contain dots to place subjects in a hierarchy
	// ("lvao.prod." + "noop"), but no whitespace, '*', '>', empty token
	// ("..") or leading dot. Default "" (no prefix).
	Prefix string
}

// NATS publishes message bodies to NATS subjects (Scaleway triggers
// functions from subjects). It is safe for concurrent use.
//
// Subject mapping: subject = Prefix + sanitized function name, where every
// rune of the function name that NATS gives a meaning to or forbids is
// replaced by '_': whitespace and control characters (forbidden), '.'
// (token separator: a function is always a single token) and '*', '>'
// (wildcards). So "noop" → "noop", "my task" → "my_task", "a.b" → "a_b".
// Names differing only in those runes share a subject; function names in
// serverless.yml are plain identifiers, so this does not happen in practice.
type NATS struct {
	nc     *nats.Conn
	prefix string

	// denied records subjects the server refused us to publish to. NATS
	// reports a permissions violation asynchronously (an -ERR line, not a
	// reply to the publish), so the error handler notes the subject and
	// Publish checks it once its flush has made the server answer.
	denied sync.Map // subject → struct{}

	// closed is closed by nats.go once the connection is closed, so Close
	// can wait for the end of the (asynchronous) drain.
	closed chan struct{}
}

// NewNATS connects to cfg.URL. The connection reconnects on its own
// (nats.go defaults); Close releases it.
func NewNATS(cfg NATSConfig) (*NATS, error) {
	if cfg.URL == "" {
		return nil, errors.New("nats queue: URL is required")
	}
	if err := checkNATSPrefix(cfg.Prefix); err != nil {
		return nil, err
	}
	n := &NATS{prefix: cfg.Prefix, closed: make(chan struct{})}
	opts := []nats.Option{
		nats.Name("lvao-dataplatform"),
		nats.ClosedHandler(func(*nats.Conn) { close(n.closed) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if subj, ok := deniedPublishSubject(err); ok {
				n.denied.Store(subj, struct{}{})
			}
		}),
	}
	if cfg.Creds != "" {
		opt, err := natsCredsOption(cfg.Creds)
		if err != nil {
			return nil, err
		}
		opts = append(opts, opt)
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		// The URL is not echoed: it may carry user:password.
		return nil, fmt.Errorf("nats queue: cannot connect: %w", err)
	}
	n.nc = nc
	return n, nil
}

// natsCredsOption authenticates with the JWT and seed of a .creds file
// held in memory, so no secret is ever written to disk. Errors never
// quote the content.
func natsCredsOption(creds string) (nats.Option, error) {
	jwt, err := nkeys.ParseDecoratedJWT([]byte(creds))
	// ParseDecoratedJWT returns the whole input when it finds no JWT
	// block; refuse that rather than send a seed to the server as a JWT.
	if err != nil || strings.Count(jwt, ".") != 2 || strings.ContainsAny(jwt, " \n") {
		return nil, errors.New("nats queue: NATS creds hold no user JWT (expected the content of a .creds file)")
	}
	kp, err := nkeys.ParseDecoratedUserNKey([]byte(creds))
	if err != nil {
		return nil, fmt.Errorf("nats queue: NATS creds hold no valid user seed: %w", err)
	}
	return nats.UserJWT(
		func() (string, error) { return jwt, nil },
		func(nonce []byte) ([]byte, error) { return kp.Sign(nonce) },
	), nil
}

// checkNATSPrefix rejects prefixes that would make invalid subjects.
func checkNATSPrefix(p string) error {
	bad := strings.HasPrefix(p, ".") || strings.Contains(p, "..") ||
		strings.ContainsFunc(p, func(r rune) bool {
			return r == '*' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r)
		})
	if bad {
		return fmt.Errorf("nats queue: prefix %q is not a valid subject prefix (no spaces, '*', '>', empty tokens or leading dot)", p)
	}
	return nil
}

// Subject returns the NATS subject used for function (see NATS for the
// mapping). It returns "" for an empty function name.
func (n *NATS) Subject(function string) string {
	if function == "" {
		return ""
	}
	return n.prefix + strings.Map(func(r rune) rune {
		if r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, function)
}

// Publish sends body to the subject of function and flushes, so that a
// lost connection, a full buffer or a permissions violation is returned
// here instead of being dropped. A NATS subject keeps nothing: with no
// subscriber (or Scaleway trigger) the message is discarded.
func (n *NATS) Publish(ctx context.Context, function string, body []byte) error {
	subj := n.Subject(function)
	if subj == "" {
		return fmt.Errorf("error publishing to subject %s: empty function name", n.prefix)
	}
	if err := checkSize("subject", subj, body); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("error publishing to subject %s: %w", subj, err)
	}
	// A violation recorded by an earlier publish must not fail this one
	// (permissions may have changed since); the server answers afresh.
	n.denied.Delete(subj)
	if err := n.nc.Publish(subj, body); err != nil {
		return fmt.Errorf("error publishing to subject %s: %w", subj, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, natsFlushTimeout)
		defer cancel()
	}
	// The server processes a connection's input in order, so once the
	// PONG of this flush arrives, any -ERR about our publish has been read.
	if err := n.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("error publishing to subject %s: %w", subj, err)
	}
	if _, ok := n.denied.Load(subj); ok {
		return fmt.Errorf("error publishing to subject %s: %w", subj, nats.ErrPermissionViolation)
	}
	return nil
}

// deniedPublishSubject extracts the subject of a publish permissions
// violation, whose text is `... Permissions Violation for Publish to "subj"`.
func deniedPublishSubject(err error) (string, bool) {
	if !errors.Is(err, nats.ErrPermissionViolation) {
		return "", false
	}
	_, rest, ok := strings.Cut(err.Error(), `Publish to "`)
	if !ok {
		return "", false
	}
	subj, _, ok := strings.Cut(rest, `"`)
	return subj, ok && subj != ""
}

// Subscribe calls handle with the body of every message published for
// function, one message at a time, until unsubscribe is called. It is
// meant for local runs and tests; in Scaleway the platform's trigger
// consumes the subject.
//
// Subscribers join a queue group named after the subject, so, as with a
// queue, each message goes to one subscriber only. Subscribe returns once
// the server has registered the subscription: a message published after
// it returns is delivered. body belongs to handle: nats.go copies each
// payload into a fresh buffer.
func (n *NATS) Subscribe(function string, handle func(body []byte)) (unsubscribe func() error, err error) {
	subj := n.Subject(function)
	if subj == "" {
		return nil, errors.New("nats queue: subscribe: empty function name")
	}
	if handle == nil {
		return nil, errors.New("nats queue: subscribe: nil handler")
	}
	sub, err := n.nc.QueueSubscribe(subj, subj, func(m *nats.Msg) { handle(m.Data) })
	if err != nil {
		return nil, fmt.Errorf("nats queue: subscribe to %s: %w", subj, err)
	}
	// Without this round trip, a publish right after Subscribe could
	// reach the server before the SUB and be lost (tests would need sleeps).
	if err := n.nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("nats queue: subscribe to %s: %w", subj, err)
	}
	return sub.Unsubscribe, nil
}

// Close drains the connection and waits until it is closed: subscriptions
// stop, messages already received are handed to their handler, pending
// publishes are flushed. nats.go bounds the drain (30 s by default). Close
// is safe to call twice, but not from a Subscribe handler (it would wait
// for itself).
func (n *NATS) Close() error {
	err := n.nc.Drain()
	if err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		n.nc.Close()
		return fmt.Errorf("nats queue: close: %w", err)
	}
	<-n.closed
	return nil
}

// Compile-time check that NATS satisfies Publisher.
var _ Publisher = (*NATS)(nil)
