package tasklog

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Config configures attempt log writers.
type Config struct {
	// Client is the S3 client. Required.
	Client *s3.Client
	// Bucket is LOGS_BUCKET. Required.
	Bucket string
	// FlushInterval is how often a running attempt's log is uploaded. Default 3s.
	FlushInterval time.Duration
	// MaxBytes caps a log; past it a truncation line ends the log. Default 5 MiB.
	MaxBytes int
	// Secrets are values replaced by *** in every line (secret env values).
	Secrets []string
	// Logger reports upload failures (never the log content). Default: discard.
	Logger *slog.Logger
	// OnFlush is called after each successful upload with the bytes
	// uploaded (a signal for tests and progress). Optional.
	OnFlush func(key string, size int)
}

// Writer streams one attempt's log to S3. S3 objects cannot be appended
// to, so each flush uploads the whole log so far: readers see a growing
// object while the task runs, complete once Close returns. Safe for
// concurrent use.
type Writer struct {
	cfg  Config
	key  string
	mask *strings.Replacer

	mu        sync.Mutex
	buf       bytes.Buffer
	dirty     bool
	truncated bool
	closed    bool

	flushMu sync.Mutex // one upload at a time, in order
	stop    chan struct{}
	done    chan struct{}
}

// Open starts a writer for key; its background flusher runs until Close.
func Open(cfg Config, key string) *Writer {
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 3 * time.Second
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 5 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Writer{cfg: cfg, key: key, mask: Masker(cfg.Secrets), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// Masker replaces each secret (longest first) by ***.
func Masker(secrets []string) *strings.Replacer {
	var pairs []string
	seen := map[string]bool{}
	for _, s := range secrets {
		if len(s) < 4 || seen[s] { // too short to mask without destroying the log
			continue
		}
		seen[s] = true
		pairs = append(pairs, s, "***")
	}
	// strings.Replacer picks the first match in argument order at a position;
	// longer secrets first so a secret containing another is masked whole.
	for i := 0; i < len(pairs); i += 2 {
		for j := i + 2; j < len(pairs); j += 2 {
			if len(pairs[j]) > len(pairs[i]) {
				pairs[i], pairs[j] = pairs[j], pairs[i]
			}
		}
	}
	return strings.NewReplacer(pairs...)
}

// Write appends masked text; past MaxBytes it writes one truncation line
// and drops the rest.
func (w *Writer) Write(p []byte) (int, error) {
	text := w.mask.Replace(string(p))
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.truncated || w.closed {
		return len(p), nil
	}
	if w.buf.Len()+len(text) > w.cfg.MaxBytes {
		fmt.Fprintf(&w.buf, "%s WARN log truncated: it exceeded %d bytes; later lines are dropped\n",
			time.Now().UTC().Format(time.RFC3339Nano), w.cfg.MaxBytes)
		w.truncated, w.dirty = true, true
		return len(p), nil
	}
	w.buf.WriteString(text)
	w.dirty = true
	return len(p), nil
}

// firstFlush is when a running attempt's log is first uploaded (unless
// FlushInterval is shorter): its first lines show in the web within a
// second, not after a whole interval. A task that ends sooner uploads its
// log once, at Close.
const firstFlush = 500 * time.Millisecond

func (w *Writer) loop() {
	defer close(w.done)
	t := time.NewTimer(min(firstFlush, w.cfg.FlushInterval))
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			if err := w.Flush(context.Background()); err != nil {
				w.cfg.Logger.Warn("log upload failed; retrying at the next flush", "key", w.key, "error", err)
			}
			t.Reset(w.cfg.FlushInterval)
		}
	}
}

// Flush uploads the log so far if it changed.
func (w *Writer) Flush(ctx context.Context) error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	if !w.dirty {
		w.mu.Unlock()
		return nil
	}
	data := append([]byte(nil), w.buf.Bytes()...)
	w.dirty = false
	w.mu.Unlock()
	_, err := w.cfg.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(w.cfg.Bucket), Key: aws.String(w.key), Body: bytes.NewReader(data),
		ContentType: aws.String("text/plain; charset=utf-8"),
	})
	if err != nil {
		w.mu.Lock()
		w.dirty = true
		w.mu.Unlock()
		return fmt.Errorf("error uploading log %s: %w", w.key, err)
	}
	if w.cfg.OnFlush != nil {
		w.cfg.OnFlush(w.key, len(data))
	}
	return nil
}

// Close stops the flusher and uploads the complete log. Call it with a
// context that is not the cancelled request's (context.WithoutCancel).
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	// The attempt's outcome is recorded after Close: an unreachable S3
	// delays it by closeTimeout at most, never until the function dies.
	ctx, cancel := context.WithTimeout(ctx, closeTimeout)
	defer cancel()
	var err error
	for i := 0; i < 3 && ctx.Err() == nil; i++ { // the final flush matters: a few tries
		if err = w.Flush(ctx); err == nil {
			return nil
		}
	}
	return err
}

// closeTimeout bounds Close's final upload (its tries together).
const closeTimeout = 20 * time.Second
