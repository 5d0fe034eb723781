package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/fleetdb-go/fleetdb/client"
)

// TestServeLogPreallocate: with --fsync always a running server's log file
// holds zeros ahead of its end (the default, or --log-preallocate N), none
// with --log-preallocate -1; either way a clean stop leaves the file where
// the log ends and the records are there after a restart.
func TestServeLogPreallocate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		bytes     int64
		zerosGoTo int64 // the least size of the running file
	}{
		{"default", 0, 256 << 10},
		{"1MiB", 1 << 20, 1 << 20},
		{"off", -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.fdb")
			cfg := defaultServe()
			cfg.file = path
			cfg.preallocate = tc.bytes
			addr, stop := startServe(t, cfg)
			c, err := client.Dial(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 20 {
				if _, err := c.Insert(ctx, "items", map[string]any{"id": i}); err != nil {
					t.Fatal(err)
				}
			}
			info, err := c.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if tc.zerosGoTo > 0 && st.Size() < tc.zerosGoTo {
				t.Fatalf("running with --log-preallocate %d: file %d bytes, want at least %d", tc.bytes, st.Size(), tc.zerosGoTo)
			}
			if tc.zerosGoTo == 0 && st.Size() != info.DBFileSize {
				t.Fatalf("running with --log-preallocate -1: file %d bytes, the log %d", st.Size(), info.DBFileSize)
			}
			if err := stop(); err != nil {
				t.Fatalf("serve: %v", err)
			}
			if st, err = os.Stat(path); err != nil || st.Size() >= 64<<10 {
				t.Fatalf("after a clean stop: %v, %v bytes (the zeros must be cut)", err, st.Size())
			}
			addr, stop = startServe(t, cfg)
			c, err = client.Dial(ctx, addr)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := c.Count(ctx, "items", nil); err != nil || n != 20 {
				t.Fatalf("after a restart: count %d, %v", n, err)
			}
			c.Close()
			if err := stop(); err != nil {
				t.Fatalf("serve: %v", err)
			}
		})
	}
}
