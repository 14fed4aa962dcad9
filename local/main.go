// Command local is the developer harness: go run ./local --help.
// Everything is in local/cli (the commands) and local/harness (the
// emulation), so tests run the commands in-process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/lvao/dataplatform/local/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default: a second Ctrl-C
		// kills a shutdown that hangs.
		<-ctx.Done()
		stop()
	}()
	os.Exit(cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
