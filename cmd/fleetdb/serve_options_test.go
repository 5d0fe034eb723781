package main

import (
	"strings"
	"testing"

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
		{func(c *serveConfig) { c.cluster = member.cluster; c.ephemeral = true }, "-e and --auto-compact cannot be used with the cluster flags"},
	} {
		cfg := base
		c.change(&cfg)
		if _, _, err := cfg.dbOptions(nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error with %q", err, c.want)
		}
	}
}
