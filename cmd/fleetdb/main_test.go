package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/clitest"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
	"go.uber.org/goleak"
)

// TestMain doubles as the fleetdb binary: with FLEETDB_TEST_MAIN=1 the test
// binary runs main with its arguments (the SIGTERM test starts it as a child
// process that way).
func TestMain(m *testing.M) {
	if os.Getenv("FLEETDB_TEST_MAIN") == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

// runCmd runs the fleetdb command line in-process and returns the exit
// status, stdout and stderr.
func runCmd(t testing.TB, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr clitest.SyncBuffer
	code := run(ctx, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// startServe runs runServe in a goroutine until the test ends (or stop is
// called) and returns the address it serves and a stop function that
// returns runServe's error.
func startServe(t testing.TB, cfg serveConfig) (addr string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	var stderr clitest.SyncBuffer
	go func() { done <- runServe(ctx, cfg, &stderr, func(a net.Addr) { ready <- a }) }()
	select {
	case a := <-ready:
		addr = a.String()
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not get ready")
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
			if t.Failed() {
				t.Logf("serve log:\n%s", stderr.String())
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return addr, stop
}

// defaultServe is serveConfig as the flags' defaults make it, on a free
// port.
func defaultServe() serveConfig {
	var cfg serveConfig
	cmd := newServeCmd(nil, nil)
	if err := cmd.ParseFlags(nil); err != nil {
		panic(err)
	}
	// Read the defaults back through the flag set.
	f := cmd.Flags()
	cfg.file, _ = f.GetString("file")
	cfg.fsync, _ = f.GetString("fsync")
	cfg.host, _ = f.GetString("addr")
	cfg.maxRequestBytes, _ = f.GetInt("max-request-bytes")
	cfg.maxConns, _ = f.GetInt("max-conns")
	cfg.readTimeout, _ = f.GetDuration("read-timeout")
	cfg.writeTimeout, _ = f.GetDuration("write-timeout")
	cfg.shutdownTimeout, _ = f.GetDuration("shutdown-timeout")
	cfg.logFormat, _ = f.GetString("log-format")
	cfg.logLevel, _ = f.GetString("log-level")
	cfg.port = 0
	return cfg
}

// TestHelpHasExamples: every command documents examples in --help.
func TestHelpHasExamples(t *testing.T) {
	root := newRootCmd(nil, nil)
	for _, cmd := range append(root.Commands(), root) {
		if cmd.Name() == "help" || cmd.Name() == "completion" {
			continue
		}
		if strings.TrimSpace(cmd.Example) == "" {
			t.Errorf("%s --help has no examples", cmd.Name())
		}
		code, out, _ := runCmd(t, context.Background(), strings.Fields(strings.TrimPrefix(cmd.CommandPath(), "fleetdb")+" --help")...)
		if code != 0 || !strings.Contains(out, "Examples:") {
			t.Errorf("%s --help: exit %d\n%s", cmd.CommandPath(), code, out)
		}
	}
}

// TestUsageErrors exit with status 2.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus"},
		{"nosuchcommand"},
		{"serve", "-e", "-f", "x.fdb"},
		{"serve", "-e", "--fsync", "sometimes"},
		{"serve", "-e", "--log-format", "xml"},
		{"serve", "-e", "-p", "70000"},
		{"serve", "-e", "--auto-compact", "0.5"},
		{"serve", "-e", "--log-preallocate", "-2"},
		{"serve", "-e", "--defrag-idle", "soon"},
		{"serve", "-e", "--max-conns", "-1"},
		{"serve", "-e", "--loop-nice", "20"},
		{"serve", "extra-arg"},
		{"check"},
		{"bench", "--type", "nope"},
		{"bench", "--type", "get", "--records", "0"},
		{"bench", "-c", "0"},
	} {
		code, _, stderr := runCmd(t, context.Background(), args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
}

// TestEveryCommandHasExamples walks the whole command tree: every command
// documents examples, and its --help shows them.
func TestEveryCommandHasExamples(t *testing.T) {
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		if cmd.Name() == "help" || cmd.Name() == "completion" {
			return
		}
		if strings.TrimSpace(cmd.Example) == "" {
			t.Errorf("%s has no examples", cmd.CommandPath())
		}
		args := append(strings.Fields(strings.TrimPrefix(cmd.CommandPath(), "fleetdb")), "--help")
		code, out, _ := runAdmin(t, adminRun{}, args...)
		if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "  fleetdb ") {
			t.Errorf("%s --help: exit %d\n%s", cmd.CommandPath(), code, out)
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(io.Discard, io.Discard))
	code, out, _ := runAdmin(t, adminRun{}, "--help")
	for _, want := range []string{"Exit status:", "3  the server refused", "4  the server could not", "5  the server could not be reached"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("fleetdb --help lacks %q", want)
		}
	}
}

// adminRun is how a test runs a command line.
type adminRun struct {
	stdin io.Reader
	tty   bool // stdout is a terminal
}

// runAdmin runs the fleetdb command line in-process with a fresh command
// tree, as main does, and returns the exit status, stdout and stderr.
func runAdmin(t testing.TB, r adminRun, args ...string) (int, string, string) {
	t.Helper()
	stdout := &clitest.TTYBuffer{TTY: r.tty}
	stderr := &clitest.TTYBuffer{}
	root := newRootCmd(stdout, stderr)
	if r.stdin == nil {
		r.stdin = strings.NewReader("")
	}
	root.SetIn(r.stdin)
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(stderr, cliutil.Message(err))
	}
	return cliutil.ExitStatus(err), stdout.String(), stderr.String()
}

var (
	testServer = clitest.Server
	freePort   = clitest.FreePort
)
