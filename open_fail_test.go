package fleetdb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// TestFailedOpenReleasesEverything: every way Open can fail returns a clear
// error and leaves nothing behind: no goroutine (goleak), no open file, no
// lock (the same path or data directory opens right after), no listener
// (the same Raft address can be listened on again).
func TestFailedOpenReleasesEverything(t *testing.T) {
	corrupt := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "db.fdb")
		db := openAt(t, Options{Path: path})
		for i := range 20 {
			mustQuery(t, db, fmt.Sprintf(`["insert","p",{"id":%d,"pad":"%050d"}]`, i, i))
		}
		db.Close()
		data, _ := os.ReadFile(path)
		data[len(data)/2] ^= 0x40
		os.WriteFile(path, data, 0o644)
		return path
	}
	notALog := func(t *testing.T) string {
		path := filepath.Join(t.TempDir(), "db.fdb")
		os.WriteFile(path, []byte(`{"not":"a log file"}`+"\n"), 0o644)
		return path
	}
	// busyAddr returns an address some listener holds until the test ends.
	busyAddr := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		return ln.Addr().String()
	}
	for _, tc := range []struct {
		name string
		opts func(t *testing.T) Options
		want string // in the error
	}{
		{"bad file", func(t *testing.T) Options { return Options{Path: notALog(t)} }, "not a fleetdb log file"},
		{"corrupt log", func(t *testing.T) Options { return Options{Path: corrupt(t)} }, "offset"},
		{"bad options", func(t *testing.T) Options { return Options{MaxBatch: -1} }, "must not be negative"},
		{"bad cluster options", func(t *testing.T) Options {
			return Options{Cluster: &ClusterOptions{NodeID: "x", RaftAddr: "127.0.0.1:0"}}
		}, "DataDir is required"},
		{"busy Raft address", func(t *testing.T) Options {
			return Options{Cluster: &ClusterOptions{NodeID: "x", RaftAddr: busyAddr(t), DataDir: t.TempDir(), Bootstrap: true}}
		}, "address already in use"},
		{"wildcard Raft address", func(t *testing.T) Options {
			return Options{Cluster: &ClusterOptions{NodeID: "x", RaftAddr: "0.0.0.0:0", DataDir: t.TempDir(), Bootstrap: true}}
		}, "not one other members can dial"},
		{"unreachable join", func(t *testing.T) Options {
			return Options{Cluster: &ClusterOptions{NodeID: "y", RaftAddr: "127.0.0.1:0", DataDir: t.TempDir(), Join: "127.0.0.1:1"}}
		}, "deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tc.opts(t)
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			fds := openFDs(t)
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			db, err := OpenContext(ctx, opts)
			if err == nil || db != nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, %v; want an error with %q", db, err, tc.want)
			}
			if got := openFDs(t); got > fds { // fewer is fine: an earlier test's connection may close meanwhile
				t.Errorf("%d file descriptors open after the failed Open, %d before", got, fds)
			}
			if opts.Path != "" {
				unlock, err := lockFile(opts.Path)
				if err != nil {
					t.Fatalf("the lock file is still held: %v", err)
				}
				unlock()
			}
			if c := opts.Cluster; c != nil && c.DataDir != "" && c.RaftAddr == "127.0.0.1:0" {
				// The data directory (bolt's file lock) is free again.
				c.Join, c.Bootstrap = "", true
				db, err := Open(opts)
				if err != nil {
					t.Fatalf("reopen on the same data directory: %v", err)
				}
				db.Close()
			}
		})
	}
}

// TestClusterWriteStats: a cluster member's write path is Raft's alone (no
// standalone write queue), and its write statistics count its writes.
func TestClusterWriteStats(t *testing.T) {
	dbs := openTestCluster(t, 1, nil)
	db := dbs[0]
	if db.queue != nil || db.writer != nil {
		t.Fatal("a cluster member started the standalone write queue")
	}
	for i := range 5 {
		mustQuery(t, db, fmt.Sprintf(`["insert","t",{"id":%d}]`, i))
	}
	m := db.MetricsSnapshot()
	if m["writes_total"] != 5 || m["write_batches_total"] < 1 || m["write_batches_total"] > 5 || m["persistent"] != 1 {
		t.Fatalf("cluster metrics = %v", m)
	}
	if _, err := db.Compact(context.Background()); err != nil {
		t.Fatalf("compact on a cluster member: %v", err)
	}
	if err := db.TransferLeadership(context.Background()); err == nil || errors.Is(err, ErrRefused) {
		t.Fatalf("transfer leadership with no other voter: %v", err)
	}
}
