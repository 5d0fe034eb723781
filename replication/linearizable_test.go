package replication

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

var (
	linSeeds  = flag.Int("lin.seeds", 3, "seeds of TestLinearizable (more for a soak)")
	linRounds = flag.Int("lin.rounds", 4, "fault rounds per seed of TestLinearizable")
)

// kvInput is an operation of the linearizability model: a put of a unique
// value, or a get.
type kvInput struct {
	put   bool
	key   int
	value string
}

// kvOutput is what the operation returned: the value read ("" for none).
type kvOutput struct {
	value string
}

// kvModel is a register per key, checked key by key.
var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[int][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(kvInput).key
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, ops := range byKey {
			out = append(out, ops)
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		in := input.(kvInput)
		if in.put {
			return true, in.value
		}
		return output.(kvOutput).value == state.(string), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(kvInput)
		if in.put {
			return fmt.Sprintf("put(%d, %s)", in.key, in.value)
		}
		return fmt.Sprintf("get(%d) → %q", in.key, output.(kvOutput).value)
	},
}

// TestLinearizable runs clients against every node while faults are
// injected (leader isolated, leader killed and restarted, follower
// isolated, forwarded answers lost) and checks the history with porcupine.
// Writes whose outcome is unknown count as maybe applied (they may take
// effect at any time after their call); writes that failed with
// ErrNoLeader count as not applied. After each round the faults are
// healed and every node must reach the same applied index and hash.
//
//	go test -run TestLinearizable -lin.seeds 20 ./replication/   # soak
//
// Odd clients use the asynchronous forms (StartWrite, StartReadBarrier),
// as a server's event loop does, even ones Write and ReadBarrier; every
// third client reads in batches (StartReadBarriers, as a loop's turn).
//
// The seeds run with the Raft log on disk in raft-wal (the default log
// store; a restarted leader reopens it), and seed 1 again with bolt.
func TestLinearizable(t *testing.T) {
	for seed := 1; seed <= *linSeeds; seed++ {
		t.Run(fmt.Sprint("wal-seed", seed), func(t *testing.T) { runLinearizable(t, uint64(seed), LogStoreWAL) })
	}
	t.Run("bolt-seed1", func(t *testing.T) { runLinearizable(t, 1, LogStoreBolt) })
}

func runLinearizable(t *testing.T, seed uint64, store LogStore) {
	rng := rand.New(rand.NewPCG(seed, 7))
	dir := t.TempDir()
	c := newTestCluster(t, 3, func(cfg *Config) {
		cfg.ApplyTimeout = time.Second
		cfg.DataDir = filepath.Join(dir, cfg.NodeID)
		cfg.LogStore = store
	})
	c.net.rng = rand.New(rand.NewPCG(seed, 11))
	const (
		clients = 6
		keys    = 3
	)
	var (
		histMu  sync.Mutex
		history []porcupine.Operation
		start   = time.Now()
		pause   sync.RWMutex // clients hold it shared per operation
		stop    atomic.Bool
		unique  atomic.Int64
		wg      sync.WaitGroup
		counts  [4]atomic.Int64 // ok, unknown, failed writes; reads
		errSeen sync.Map
	)
	now := func() int64 { return int64(time.Since(start)) }
	for cl := range clients {
		crng := rand.New(rand.NewPCG(seed, uint64(100+cl)))
		write, read := c.write, c.read
		if cl%2 == 1 {
			write, read = c.writeAsync, c.readAsync
		}
		if cl%3 == 2 {
			// The gets of an event loop's turn: a batch of one to three
			// reads joining one round (StartReadBarriers).
			read = func(ctx context.Context, tn *testNode, req string) ([]byte, error) {
				return c.readBatch(ctx, tn, req, crng.IntN(3))
			}
		}
		wg.Go(func() {
			for !stop.Load() {
				pause.RLock()
				tn := c.nodes[crng.IntN(len(c.nodes))]
				key := crng.IntN(keys)
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				call := now()
				if crng.IntN(2) == 0 {
					v := fmt.Sprintf("v%d", unique.Add(1))
					_, err := write(tn, fmt.Sprintf(`["put","kv",{"id":%d,"v":%q}]`, key, v))
					op := porcupine.Operation{ClientId: cl, Input: kvInput{put: true, key: key, value: v}, Call: call, Output: kvOutput{}, Return: now()}
					switch {
					case err == nil:
						counts[0].Add(1)
					case errors.Is(err, ErrOutcomeUnknown):
						op.Return = math.MaxInt64 // maybe applied, at any time
						counts[1].Add(1)
					default:
						counts[2].Add(1)
						if testing.Verbose() {
							errSeen.Store(err.Error(), true)
						}
						op.Input = nil // surely not applied: not part of the history
					}
					if op.Input != nil {
						histMu.Lock()
						history = append(history, op)
						histMu.Unlock()
					}
				} else {
					out, err := read(ctx, tn, fmt.Sprintf(`["select","kv",{"where":["=","id",%d],"only":"v"}]`, key))
					if err == nil {
						var vs []string
						if err := json.Unmarshal(out, &vs); err != nil {
							t.Errorf("read %s: %v", out, err)
						}
						got := ""
						if len(vs) == 1 {
							got = vs[0]
						}
						histMu.Lock()
						history = append(history, porcupine.Operation{ClientId: cl, Input: kvInput{key: key}, Call: call, Output: kvOutput{value: got}, Return: now()})
						histMu.Unlock()
						counts[3].Add(1)
					}
				}
				cancel()
				pause.RUnlock()
			}
		})
	}
	for round := range *linRounds {
		leader := c.waitLeader()
		var fault string
		var stopped *testNode
		switch rng.IntN(5) {
		case 0:
			fault = "isolate leader " + leader.id
			c.net.Isolate(leader.addr)
		case 1:
			fault = "kill leader " + leader.id
			c.stop(leader)
			stopped = leader
		case 2:
			f := c.followers(leader)[rng.IntN(2)]
			fault = "isolate follower " + f.id
			c.net.Isolate(f.addr)
		case 3:
			fault = "lose 30% of forwarded answers"
			c.net.SetAnswerLoss(0.3)
		default:
			fault = "none"
		}
		time.Sleep(time.Duration(300+rng.IntN(400)) * time.Millisecond)
		pause.Lock() // wait for the operations in flight
		c.net.Heal()
		if stopped != nil {
			c.start(stopped, false)
		}
		c.waitLeader()
		hash := c.waitConverged()
		t.Logf("round %d: %s; converged at %x", round, fault, hash[:4])
		pause.Unlock()
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("writes ok %d, unknown %d, failed %d; reads %d", counts[0].Load(), counts[1].Load(), counts[2].Load(), counts[3].Load())
	errSeen.Range(func(k, _ any) bool { t.Logf("failed write: %s", k); return true })
	history, dropped := dropUnseenUnknown(history)
	checkStart := time.Now()
	res, info := porcupine.CheckOperationsVerbose(kvModel, history, time.Minute)
	t.Logf("porcupine: %d writes of unknown outcome whose value no read returned left out", dropped)
	t.Logf("porcupine: %d operations checked in %v: %v", len(history), time.Since(checkStart).Round(time.Millisecond), res)
	if res == porcupine.Illegal {
		path := filepath.Join(t.TempDir(), "history.html")
		if f, err := os.Create(path); err == nil {
			porcupine.Visualize(kvModel, info, f)
			f.Close()
		}
		t.Fatalf("history of %d operations is not linearizable (seed %d, visualization %s)", len(history), seed, path)
	}
	if res != porcupine.Ok {
		t.Fatalf("linearizability check: %s", res)
	}
	if counts[0].Load() == 0 || counts[3].Load() == 0 {
		t.Fatalf("no successful writes or reads")
	}
}

// dropUnseenUnknown returns history without the writes of unknown outcome
// whose value no read returned, and how many it left out. The check is as
// strong without them: values are unique, so such a write, if it took
// effect, was overwritten before any read saw it (a read after it and
// before the next write would have returned its value), and taking it out
// leaves a history that is linearizable exactly when the whole one is (a
// write whose answer never came may also be placed after everything). Each
// one kept would be an operation porcupine must try at every point after
// its call: with 60 of them (a leader isolated while 30 % of forwarded
// answers are lost) a check ran past its one minute once in ~75 seeds.
func dropUnseenUnknown(history []porcupine.Operation) ([]porcupine.Operation, int) {
	seen := map[string]bool{}
	for _, op := range history {
		if in := op.Input.(kvInput); !in.put {
			seen[op.Output.(kvOutput).value] = true
		}
	}
	kept := history[:0:0]
	for _, op := range history {
		if in := op.Input.(kvInput); in.put && op.Return == math.MaxInt64 && !seen[in.value] {
			continue
		}
		kept = append(kept, op)
	}
	return kept, len(history) - len(kept)
}
