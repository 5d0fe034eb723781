package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
)

func main() {
	// SIGINT and SIGTERM cancel the ctx of the running command (serve shuts
	// down gracefully). A second signal kills the process: once ctx is
	// done the handler is removed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, cliutil.Message(err))
	code := cliutil.ExitStatus(err)
	if code == cliutil.ExitUsage {
		fmt.Fprintln(stderr, "Run 'fleetdb help' (or 'fleetdb <command> --help') for usage.")
	}
	return code
}
