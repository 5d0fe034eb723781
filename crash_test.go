package fleetdb

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Crash tests: the test binary re-executes itself as a child that writes to
// a persistent database from several goroutines and prints every
// acknowledged write; the parent SIGKILLs it at a random moment, reopens the
// log and checks that every acknowledged write is there, that nothing that
// was never attempted appears, and that multi-writes are whole or absent.
//
//	go test -run TestCrash -crash.iters 2000 .   # a longer soak
var crashIters = flag.Int("crash.iters", 200, "crash points for TestCrashRecovery")

const crashEnv = "FLEETDB_CRASH_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashEnv); spec != "" {
		crashChild(spec)
		return
	}
	os.Exit(m.Run())
}

// crashChild runs in the child process: spec is "path|sync|compact".
func crashChild(spec string) {
	parts := strings.Split(spec, "|")
	policy, _ := ParseSyncPolicy(parts[1])
	db, err := Open(Options{Path: parts[0], Sync: policy})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	ack := func(s string) {
		mu.Lock()
		out.WriteString(s)
		out.WriteByte('\n')
		out.Flush() // one write per ack: what the parent reads was acknowledged
		mu.Unlock()
	}
	ctx := context.Background()
	// A command registered after Open: its calls are logged as their
	// writes, so the parent reopens the log without it.
	db.Register("ins", func(tx *Tx, args []json.RawMessage) (any, error) {
		return tx.Query(`["insert","c",` + string(args[0]) + `]`)
	})
	// Which round of the test this is: ids of this run are above all
	// earlier ones.
	round, _ := strconv.Atoi(parts[3])
	for w := 0; w < 8; w++ {
		go func(w int) {
			for i := 0; ; i++ {
				id := crashID(round, w, i)
				var q string
				if i%5 == 4 {
					q = fmt.Sprintf(`["multi-write",[["insert","c",{"id":%d,"w":%d}],["insert","pair",{"id":%d,"pad":"%0200d"}]]]`, id, w, id, i)
				} else {
					q = fmt.Sprintf(`["insert","c",{"id":%d,"w":%d,"pad":"%0100d"}]`, id, w, i)
				}
				var err error
				switch i % 5 {
				case 2:
					_, err = db.Call(ctx, "ins", map[string]any{"id": id, "w": w, "via": "call"})
				case 3:
					err = db.Update(ctx, func(tx *Tx) error {
						_, err := tx.Insert("c", map[string]any{"id": id, "w": w, "via": "update"})
						return err
					})
				default:
					_, err = db.Query(ctx, []byte(q))
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "write:", err)
					os.Exit(4)
				}
				ack(strconv.Itoa(id))
			}
		}(w)
	}
	if parts[2] == "compact" {
		go func() {
			for {
				db.Compact(ctx)
				time.Sleep(3 * time.Millisecond)
			}
		}()
	}
	select {}
}

func crashID(round, w, i int) int { return round*100_000_000 + w*1_000_000 + i }

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash tests re-execute the test binary")
	}
	dir := t.TempDir()
	var path string
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var acked map[int]bool
	policies := []string{"always", "everysec", "never"}
	total := 0
	for round := 1; round <= *crashIters; round++ {
		if round%10 == 1 { // a fresh log now and then keeps replays short
			path = filepath.Join(dir, fmt.Sprintf("crash-%d.fdb", round))
			total += len(acked)
			acked = map[int]bool{}
		}
		policy := policies[round%3]
		mode := "plain"
		if round%2 == 0 {
			mode = "compact"
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path+"|"+policy+"|"+mode+"|"+strconv.Itoa(round))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		roundAcked := []int{}
		first := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				id, err := strconv.Atoi(sc.Text())
				if err == nil {
					mu.Lock()
					roundAcked = append(roundAcked, id)
					if len(roundAcked) == 1 {
						close(first)
					}
					mu.Unlock()
				}
			}
		}()
		// Kill at a random moment after the child started writing.
		select {
		case <-first:
		case <-time.After(5 * time.Second):
		}
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		wg.Wait()
		state, _ := cmd.Process.Wait()
		if ws, ok := state.Sys().(syscall.WaitStatus); ok && !ws.Signaled() {
			t.Fatalf("round %d: child exited on its own: %v\n%s", round, state, stderr.String())
		}
		for _, id := range roundAcked {
			acked[id] = true
		}
		crashVerify(t, path, round, acked, len(roundAcked), policy, mode)
	}
	t.Logf("%d crash points, %d acknowledged writes verified", *crashIters, total+len(acked))
}

// crashVerify reopens the log and checks it against the acknowledged ids.
func crashVerify(t *testing.T, path string, round int, acked map[int]bool, roundAcks int, policy, mode string) {
	t.Helper()
	if round%3 == 0 {
		// check --repair after a real crash cuts at most the torn tail,
		// keeping its bytes: nothing acknowledged is lost (checked below).
		before, _ := os.ReadFile(path)
		rep, err := RepairLog(path)
		if err != nil {
			t.Fatalf("round %d: repair: %v", round, err)
		}
		after, _ := os.ReadFile(path)
		var cut []byte
		if rep.CutBytes > 0 {
			cut, _ = os.ReadFile(rep.CutPath)
			os.Remove(rep.CutPath)
		}
		if !bytes.Equal(append(after, cut...), before) {
			t.Fatalf("round %d: repair kept %d and cut %d bytes of %d", round, len(after), len(cut), len(before))
		}
	}
	db, err := Open(Options{Path: path}) // no commands registered
	if err != nil {
		t.Fatalf("round %d (%s, %s): reopen: %v", round, policy, mode, err)
	}
	defer db.Close()
	if err := db.value().Check(); err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	present := map[int]bool{}
	for _, coll := range []string{"c"} {
		var ids []int
		if err := db.SelectInto(context.Background(), coll, Find{Pluck: "id"}, &ids); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			present[id] = true
		}
	}
	var pairs []int
	db.SelectInto(context.Background(), "pair", Find{Pluck: "id"}, &pairs)
	pairSet := map[int]bool{}
	for _, id := range pairs {
		pairSet[id] = true
	}
	for id := range acked {
		if !present[id] {
			t.Fatalf("round %d (%s, %s): acknowledged id %d lost", round, policy, mode, id)
		}
	}
	// Per writer and round, present ids are 0..k with k at most one past
	// the last acknowledged (the write in flight at the kill).
	maxPresent := map[[2]int]int{}
	count := map[[2]int]int{}
	for id := range present {
		r, w, i := id/100_000_000, (id%100_000_000)/1_000_000, id%1_000_000
		if r < 1 || r > round || w >= 8 {
			t.Fatalf("round %d: unknown id %d appeared", round, id)
		}
		k := [2]int{r, w}
		count[k]++
		if i > maxPresent[k] {
			maxPresent[k] = i
		}
		if i%5 == 4 && !pairSet[id] {
			t.Fatalf("round %d: multi-write %d half applied (pair missing)", round, id)
		}
	}
	for k, m := range maxPresent {
		if count[k] != m+1 {
			t.Fatalf("round %d: writer %v has %d ids up to %d: a gap", round, k, count[k], m)
		}
	}
	for id := range pairSet {
		if !present[id] {
			t.Fatalf("round %d: multi-write %d half applied (record missing)", round, id)
		}
	}
}
