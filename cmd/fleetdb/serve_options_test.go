package main

import (
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb"
)

// TestServeOptions: the database options serve derives from its flags. A
// standalone server commits up to serveMaxBatch writes per fsync (the
// library's default is smaller); a cluster member keeps the default. Bad
// flags are refused with their message.
func TestServeOptions(t *testing.T) {
	base := serveConfig{file: "x.fdb", fsync: "always", port: 3400}
	opts, what, err := base.dbOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts.MaxBatch != serveMaxBatch || opts.Path != "x.fdb" || what != "x.fdb" || opts.Sync != fleetdb.SyncAlways {
		t.Fatalf("standalone: MaxBatch %d, Path %q, what %q, Sync %v", opts.MaxBatch, opts.Path, what, opts.Sync)
	}
	eph := base
	eph.ephemeral = true
	if opts, what, err = eph.dbOptions(nil); err != nil || opts.MaxBatch != serveMaxBatch || opts.Path != "" || what != "ephemeral" {
		t.Fatalf("ephemeral: MaxBatch %d, Path %q, what %q, %v", opts.MaxBatch, opts.Path, what, err)
	}
	member := base
	member.cluster = clusterFlags{nodeID: "n1", raftAddr: "127.0.0.1:4500", dataDir: t.TempDir(), bootstrap: true}
	if opts, _, err = member.dbOptions(nil); err != nil || opts.MaxBatch != 0 || opts.Cluster == nil {
		t.Fatalf("cluster member: MaxBatch %d, Cluster %v, %v", opts.MaxBatch, opts.Cluster != nil, err)
	}
	for _, c := range []struct {
		change func(*serveConfig)
		want   string
	}{
		{func(c *serveConfig) { c.fsync = "sometimes" }, "--fsync"},
		{func(c *serveConfig) { c.port = 70000 }, "-p 70000: not a TCP port"},
		{func(c *serveConfig) { c.watchBuffer = -1 }, "must not be negative"},
		{func(c *serveConfig) { c.preallocate = -2 }, "--log-preallocate -2: bytes (0: the default, -1: off)"},
		{func(c *serveConfig) { c.cluster = member.cluster; c.ephemeral = true }, "-e and --auto-compact cannot be used with the cluster flags"},
	} {
		cfg := base
		c.change(&cfg)
		if _, _, err := cfg.dbOptions(nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error with %q", err, c.want)
		}
	}
}

// TestServeStorageOptions: --log-preallocate and --defrag-idle reach the
// database's options as given (0 leaves each default, negative turns it
// off).
func TestServeStorageOptions(t *testing.T) {
	for _, c := range []struct {
		pre  int64
		idle time.Duration
	}{{0, 0}, {1 << 20, 20 * time.Millisecond}, {-1, -1}} {
		cfg := serveConfig{file: "x.fdb", fsync: "always", port: 3400, preallocate: c.pre, defragIdle: c.idle}
		opts, _, err := cfg.dbOptions(nil)
		if err != nil || opts.LogPreallocate != c.pre || opts.DefragIdle != c.idle {
			t.Fatalf("%+v: LogPreallocate %d, DefragIdle %v, %v", c, opts.LogPreallocate, opts.DefragIdle, err)
		}
	}
}
