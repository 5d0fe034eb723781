//go:build linux

package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
)

// niceThreads counts the process's threads with nice value n.
func niceThreads(n int) int {
	paths, _ := filepath.Glob("/proc/self/task/*/stat")
	count := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) > 16 && f[16] == strconv.Itoa(n) {
			count++
		}
	}
	return count
}

// TestServeLoopNice: --loop-nice reaches the event loops (their threads
// take the nice value) and the server answers as usual.
func TestServeLoopNice(t *testing.T) {
	const nice = 4
	before := niceThreads(nice)
	cfg := defaultServe()
	cfg.ephemeral = true
	cfg.loopNice = nice
	addr, stop := startServe(t, cfg)
	ctx := context.Background()
	c, err := client.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); niceThreads(nice) <= before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no thread with nice %d", nice)
		}
	}
	c.Close()
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
}
