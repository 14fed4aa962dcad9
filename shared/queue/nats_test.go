package queue

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// testNATSURL is the NATS server the tests use (CI runs one there);
// NATS_TEST_URL overrides it.
func testNATSURL() string {
	if u := os.Getenv("NATS_TEST_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

// uniquePrefix isolates a test's subjects from parallel tests and runs.
func uniquePrefix() string { return "qtest-" + rand.Text()[:12] + "-" }

func newTestNATS(t *testing.T, prefix string) *NATS {
	t.Helper()
	n, err := NewNATS(NATSConfig{URL: testNATSURL(), Prefix: prefix})
	if err != nil {
		t.Fatalf("NATS server not reachable at %s (these tests need a running nats-server; set NATS_TEST_URL to use another): %v", testNATSURL(), err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// collect subscribes to function and returns the channel of received bodies.
func collect(t *testing.T, n *NATS, function string) <-chan []byte {
	t.Helper()
	ch := make(chan []byte, 64)
	unsub, err := n.Subscribe(function, func(b []byte) { ch <- b })
	if err != nil {
		t.Fatalf("Subscribe(%s): %v", function, err)
	}
	t.Cleanup(func() { _ = unsub() })
	return ch
}

// receive waits for the next body. The timeout only bounds a failing test;
// success never waits for it.
func receive(t *testing.T, ch <-chan []byte) []byte {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(5 * time.Second):
		t.Fatal("no message received within 5s")
		return nil
	}
}

func TestNATSRoundTrip(t *testing.T) {
	t.Parallel()
	n := newTestNATS(t, uniquePrefix())
	ch := collect(t, n, "noop")
	bodies := [][]byte{
		Message{RunID: "r1", DagID: "d", TaskID: "t", TryNumber: 1}.Encode(),
		Message{RunID: "r2", DagID: "d", TaskID: "t", TryNumber: 2}.Encode(),
		[]byte(`{"note":"héllo ✓ \u0000"}`),
		{0, 1, 2, 0xff, '\n', '\r'},
		bytes.Repeat([]byte("z"), MaxMessageSize), // the limit itself is accepted
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i, b := range bodies {
		if err := n.Publish(ctx, "noop", b); err != nil {
			t.Fatalf("Publish #%d: %v", i, err)
		}
	}
	// One publisher, one subscriber: NATS keeps the order.
	for i, want := range bodies {
		if got := receive(t, ch); !bytes.Equal(got, want) {
			t.Errorf("message #%d: got %d bytes %.40q, want %d bytes %.40q", i, len(got), got, len(want), want)
		}
	}
	if m, err := Decode(bodies[0]); err != nil || m.RunID != "r1" {
		t.Errorf("Decode: %+v %v", m, err)
	}
}

func TestNATSRejectsOversizedBody(t *testing.T) {
	t.Parallel()
	prefix := uniquePrefix()
	n := newTestNATS(t, prefix)
	ch := collect(t, n, "noop")
	// A context without deadline is accepted (Publish bounds the flush).
	err := n.Publish(context.Background(), "noop", make([]byte, MaxMessageSize+1))
	if !errors.Is(err, ErrMessageTooLarge) || !strings.Contains(err.Error(), "subject "+prefix+"noop") {
		t.Fatalf("oversized body: %v, want ErrMessageTooLarge naming subject %snoop", err, prefix)
	}
	// Nothing was sent: the next message received is the sentinel.
	if err := n.Publish(context.Background(), "noop", []byte("sentinel")); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, ch); string(got) != "sentinel" {
		t.Errorf("received %d bytes before the sentinel", len(got))
	}
}

func TestNATSSubjectMapping(t *testing.T) {
	t.Parallel()
	prefix := uniquePrefix()
	n := newTestNATS(t, prefix)
	for function, want := range map[string]string{
		"noop":          "noop",
		"my task":       "my_task",
		"a.b":           "a_b",
		"wild*card>":    "wild_card_",
		"tab\tnl\n":     "tab_nl_",
		"dépôt-ok_1":    "dépôt-ok_1",
		"":              "",
		"trailing.dot.": "trailing_dot_",
	} {
		w := prefix + want
		if want == "" {
			w = ""
		}
		if got := n.Subject(function); got != w {
			t.Errorf("Subject(%q) = %q, want %q", function, got, w)
		}
	}
	// A sanitized name round-trips like any other.
	ch := collect(t, n, "my task.v2")
	if err := n.Publish(context.Background(), "my task.v2", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, ch); string(got) != "x" {
		t.Errorf("got %q", got)
	}
	if err := n.Publish(context.Background(), "", []byte("x")); err == nil {
		t.Error("Publish with an empty function name succeeded")
	}
}

func TestNATSPrefixValidation(t *testing.T) {
	t.Parallel()
	// Validation happens before connecting: no server needed.
	for _, p := range []string{"a b.", ".lvao.", "lvao..x", "lvao.*.", "lvao.>"} {
		if _, err := NewNATS(NATSConfig{URL: "nats://127.0.0.1:1", Prefix: p}); err == nil || !strings.Contains(err.Error(), "prefix") {
			t.Errorf("prefix %q: %v, want a prefix error", p, err)
		}
	}
	// Dotted prefixes build hierarchical subjects.
	prefix := "qtest." + rand.Text()[:12] + "."
	n := newTestNATS(t, prefix)
	ch := collect(t, n, "noop")
	if err := n.Publish(context.Background(), "noop", []byte("h")); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, ch); string(got) != "h" || n.Subject("noop") != prefix+"noop" {
		t.Errorf("got %q on %s", got, n.Subject("noop"))
	}
}

func TestNATSCreds(t *testing.T) {
	t.Parallel()
	user, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := user.Seed()
	for name, creds := range map[string]string{
		"garbage":        "not a creds file",
		"seed only":      string(seed),
		"jwt, bad seed":  "-----BEGIN NATS USER JWT-----\neyJ0.eyJ1.c2ln\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\nSUBAD\n------END USER NKEY SEED------\n",
		"jwt, no seed":   "-----BEGIN NATS USER JWT-----\neyJ0.eyJ1.c2ln\n------END NATS USER JWT------\n",
		"seed, then JWT": string(seed) + "\n-----BEGIN NATS USER JWT-----\n",
	} {
		_, err := NewNATS(NATSConfig{URL: "nats://127.0.0.1:1", Creds: creds})
		if err == nil {
			t.Errorf("%s: NewNATS succeeded", name)
			continue
		}
		if strings.Contains(err.Error(), string(seed)) || strings.Contains(err.Error(), creds) {
			t.Errorf("%s: error quotes the credentials: %v", name, err)
		}
	}
	// Well-formed creds are accepted (authentication itself needs a server
	// configured for JWTs, which CI does not run).
	good := fmt.Sprintf("-----BEGIN NATS USER JWT-----\neyJ0.eyJ1.c2ln\n------END NATS USER JWT------\n\n"+
		"-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n", seed)
	if _, err := natsCredsOption(good); err != nil {
		t.Errorf("valid creds rejected: %v", err)
	}
}

func TestNATSUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = NewNATS(NATSConfig{URL: "nats://user:s3cr3t-pw@" + addr})
	if err == nil {
		t.Fatal("NewNATS to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Errorf("error leaks the URL password: %v", err)
	}
}

func TestNATSClose(t *testing.T) {
	t.Parallel()
	n := newTestNATS(t, uniquePrefix())
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := n.Publish(context.Background(), "noop", []byte("x")); err == nil {
		t.Error("Publish after Close succeeded")
	}
	if _, err := n.Subscribe("noop", func([]byte) {}); err == nil {
		t.Error("Subscribe after Close succeeded")
	}
}

func TestDeniedPublishSubject(t *testing.T) {
	t.Parallel()
	// The text nats.go hands to the error handler for a server -ERR.
	err := fmt.Errorf("%w: %s", nats.ErrPermissionViolation, `Permissions Violation for Publish to "lvao.prod.noop"`)
	if s, ok := deniedPublishSubject(err); !ok || s != "lvao.prod.noop" {
		t.Errorf("got %q %v", s, ok)
	}
	sub := fmt.Errorf("%w: %s", nats.ErrPermissionViolation, `Permissions Violation for Subscription to "x"`)
	if _, ok := deniedPublishSubject(sub); ok {
		t.Error("subscription violation taken for a publish one")
	}
	if _, ok := deniedPublishSubject(errors.New(`Publish to "x"`)); ok {
		t.Error("non-permission error taken for a violation")
	}
}
