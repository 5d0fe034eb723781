package clitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
)

// SyncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TTYBuffer is a buffer that says it is a terminal (or not), so that tests
// choose between table and JSON output.
type TTYBuffer struct {
	SyncBuffer
	TTY bool
}

func (b *TTYBuffer) IsTerminal() bool   { return b.TTY }
func (b *TTYBuffer) TerminalWidth() int { return 100 }

// Commands builds the commands a test runs, writing to stdout and stderr.
type Commands func(stdout, stderr io.Writer) []*cobra.Command

// Root is a fleetdb root command with cmds under it, as the real one
// treats errors: silenced (the caller prints them) and flag errors as
// usage errors.
func Root(stdout, stderr io.Writer, cmds ...*cobra.Command) *cobra.Command {
	root := &cobra.Command{Use: "fleetdb", SilenceUsage: true, SilenceErrors: true}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cliutil.Usagef(err) })
	root.AddCommand(cmds...)
	return root
}

// RunOpts says how a test runs a command line.
type RunOpts struct {
	Stdin     io.Reader
	TTY       bool // stdout is a terminal
	StderrTTY bool
}

// Run runs the command line args in-process with fresh commands, as main
// does, and returns the exit status, stdout and stderr.
func Run(t testing.TB, cmds Commands, r RunOpts, args ...string) (int, string, string) {
	t.Helper()
	stdout := &TTYBuffer{TTY: r.TTY}
	stderr := &TTYBuffer{TTY: r.StderrTTY}
	if r.Stdin == nil {
		r.Stdin = strings.NewReader("")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := RunIO(ctx, cmds, r.Stdin, stdout, stderr, args...)
	return code, stdout.String(), stderr.String()
}

// Runner returns Run for cmds.
func Runner(cmds Commands) func(t testing.TB, r RunOpts, args ...string) (int, string, string) {
	return func(t testing.TB, r RunOpts, args ...string) (int, string, string) {
		t.Helper()
		return Run(t, cmds, r, args...)
	}
}

// CmdRunner returns a function that runs a command line of cmds with
// stdout and stderr that are not terminals, and returns the exit status,
// stdout and stderr.
func CmdRunner(cmds Commands) func(t testing.TB, ctx context.Context, args ...string) (int, string, string) {
	return func(t testing.TB, ctx context.Context, args ...string) (int, string, string) {
		t.Helper()
		var stdout, stderr SyncBuffer
		code := RunIO(ctx, cmds, nil, &stdout, &stderr, args...)
		return code, stdout.String(), stderr.String()
	}
}

// RunIO runs the command line args with the caller's stdin, stdout and
// stderr and returns the exit status; errors are printed to stderr as
// main prints them.
func RunIO(ctx context.Context, cmds Commands, stdin io.Reader, stdout, stderr io.Writer, args ...string) int {
	root := Root(stdout, stderr, cmds(stdout, stderr)...)
	root.SetIn(stdin)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(stderr, cliutil.Message(err))
	}
	return cliutil.ExitStatus(err)
}

// Main runs the test binary as the fleetdb command with cmds when the
// environment has FLEETDB_TEST_MAIN=1 (tests start it as a child process
// that way, on a pseudo-terminal for instance), and reports whether it
// did. A TestMain calls it first.
func Main(cmds Commands) bool {
	if os.Getenv("FLEETDB_TEST_MAIN") != "1" {
		return false
	}
	os.Exit(RunIO(context.Background(), cmds, os.Stdin, os.Stdout, os.Stderr, os.Args[1:]...))
	return true
}
