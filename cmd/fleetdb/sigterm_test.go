package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fleetdb-go/fleetdb"
	"github.com/fleetdb-go/fleetdb/client"
)

// TestServeSIGTERM runs `fleetdb serve -f` as a child process, writes to it
// from several connections, and SIGTERMs it mid-stream: it must exit 0, and
// every write it acknowledged must be in the log when it is opened again.
func TestServeSIGTERM(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sig.fdb")
	cmd := exec.Command(os.Args[0], "serve", "-f", path, "-p", "0", "--log-format", "json")
	cmd.Env = append(os.Environ(), "FLEETDB_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var logMu sync.Mutex
	var log []string
	addrc := make(chan string, 1)
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			log = append(log, sc.Text())
			logMu.Unlock()
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "fleetdb: ready" {
				addrc <- rec.Addr
			}
		}
	}()
	dump := func() string {
		logMu.Lock()
		defer logMu.Unlock()
		return strings.Join(log, "\n")
	}
	var addr string
	select {
	case addr = <-addrc:
	case <-time.After(30 * time.Second):
		t.Fatalf("the child did not get ready:\n%s", dump())
	}

	ctx := context.Background()
	c, err := client.Dial(ctx, addr, client.WithPoolSize(8))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var (
		mu    sync.Mutex
		acked []int
		wg    sync.WaitGroup
		errs  = make([]error, 8)
	)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * 1_000_000; ; i++ {
				if _, err := c.Insert(ctx, "acks", map[string]any{"id": i, "w": w}); err != nil {
					errs[w] = err
					return
				}
				mu.Lock()
				acked = append(acked, i)
				mu.Unlock()
			}
		}()
	}
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	<-logDone
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the child exited with %v:\n%s", err, dump())
	}
	if !strings.Contains(dump(), `"msg":"fleetdb: stopped"`) {
		t.Errorf("no stopped line:\n%s", dump())
	}
	// The writers stopped on the shutdown: "shutting down" or a closed
	// connection, never a refusal.
	for w, err := range errs {
		var ce *client.Error
		if errors.As(err, &ce) && !client.IsRetryable(err) {
			t.Errorf("writer %d: %v", w, err)
		}
	}

	db, err := fleetdb.Open(fleetdb.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out, err := db.Query(ctx, []byte(`["select","acks",{"only":"id"}]`))
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	if err := json.Unmarshal(out, &ids); err != nil {
		t.Fatal(err)
	}
	have := map[int]bool{}
	for _, id := range ids {
		have[id] = true
	}
	for _, id := range acked {
		if !have[id] {
			t.Fatalf("acknowledged write %d is not in the log (%d acknowledged, %d in the log)", id, len(acked), len(ids))
		}
	}
	t.Logf("%d writes acknowledged, %d in the log", len(acked), len(ids))
}
