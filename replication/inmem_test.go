package replication

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// InmemNetwork is the in-process network of this package's tests: nodes
// whose Config.network it is talk over raft's in-memory transport and
// forward requests by direct calls, and keep their Raft stores here (keyed
// by node id) unless they have a DataDir, so that a node closed and opened
// again resumes from its state. Faults are injected between addresses:
// blocked directions and lost answers.
//
// Its methods are safe for concurrent use.
type InmemNetwork struct {
	// mu guards every field below.
	mu      sync.Mutex
	nodes   map[string]*inmemNode // by Raft address
	stores  map[string]*inmemStores
	blocked map[[2]string]bool // from → to
	// connected mirrors which transports are connected (from → to).
	connected map[[2]string]bool
	loss      float64 // probability that a forwarded answer is lost
	rng       *rand.Rand
}

type inmemNode struct {
	addr   string
	trans  *raft.InmemTransport
	handle handler
}

type inmemStores struct {
	logs   *raft.InmemStore
	snaps  *memSnapshots
	stable *raft.InmemStore
}

// NewInmemNetwork returns an empty network; seed drives the random loss of
// answers.
func NewInmemNetwork(seed uint64) *InmemNetwork {
	return &InmemNetwork{
		nodes:     map[string]*inmemNode{},
		stores:    map[string]*inmemStores{},
		blocked:   map[[2]string]bool{},
		connected: map[[2]string]bool{},
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
}

// raftStores returns the node's stores, creating them the first time.
func (n *InmemNetwork) raftStores(id string) (raft.LogStore, raft.StableStore, raft.SnapshotStore) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.stores[id]
	if s == nil {
		s = &inmemStores{logs: raft.NewInmemStore(), snaps: &memSnapshots{}, stable: raft.NewInmemStore()}
		n.stores[id] = s
	}
	return s.logs, s.stable, s.snaps
}

// Wipe forgets a node's Raft state, as if its data directory was deleted.
// The node must be closed.
func (n *InmemNetwork) Wipe(nodeID string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.stores, nodeID)
}

// attach creates the transport of a node at addr and registers its
// forwarding handler; closing detaches it.
func (n *InmemNetwork) attach(addr string, h handler) (raft.Transport, link, func() error, error) {
	_, trans := raft.NewInmemTransportWithTimeout(raft.ServerAddress(addr), 2*time.Second)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nodes[addr] != nil {
		return nil, nil, nil, fmt.Errorf("replication: address %s is in use", addr)
	}
	n.nodes[addr] = &inmemNode{addr: addr, trans: trans, handle: h}
	n.rewireLocked()
	l := &inmemLink{net: n, from: addr}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	closer := func() error { l.close(); n.detach(addr); return trans.Close() }
	return trans, l, closer, nil
}

// detach removes a closed node from the network.
func (n *InmemNetwork) detach(addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.nodes, addr)
	n.rewireLocked()
}

// Block stops traffic from one address to another (one direction).
func (n *InmemNetwork) Block(from, to string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.blocked[[2]string{from, to}] = true
	n.rewireLocked()
}

// Isolate blocks all traffic to and from addr.
func (n *InmemNetwork) Isolate(addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for other := range n.nodes {
		if other != addr {
			n.blocked[[2]string{addr, other}] = true
			n.blocked[[2]string{other, addr}] = true
		}
	}
	n.rewireLocked()
}

// SetAnswerLoss makes each forwarded answer lost with probability p (the
// request was handled; the caller sees a broken connection).
func (n *InmemNetwork) SetAnswerLoss(p float64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.loss = p
}

// Heal removes every block and stops losing answers.
func (n *InmemNetwork) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.blocked)
	n.loss = 0
	n.rewireLocked()
}

// rewireLocked connects every pair of live transports that is not blocked
// and disconnects the rest. n.mu must be held.
func (n *InmemNetwork) rewireLocked() {
	for key := range n.connected {
		if n.nodes[key[0]] == nil || n.nodes[key[1]] == nil {
			if a := n.nodes[key[0]]; a != nil {
				a.trans.Disconnect(raft.ServerAddress(key[1]))
			}
			delete(n.connected, key)
		}
	}
	for _, a := range n.nodes {
		for _, b := range n.nodes {
			if a == b {
				continue
			}
			key := [2]string{a.addr, b.addr}
			want := !n.blocked[key]
			if want && !n.connected[key] {
				a.trans.Connect(raft.ServerAddress(b.addr), b.trans)
				n.connected[key] = true
			} else if !want && n.connected[key] {
				a.trans.Disconnect(raft.ServerAddress(b.addr))
				delete(n.connected, key)
			}
		}
	}
}

// inmemLink forwards by calling the target node's handler directly.
type inmemLink struct {
	net  *InmemNetwork
	from string
	// ctx ends when the link closes; wg counts the requests of start;
	// mu guards closed and wg's additions.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
}

// start runs call on a goroutine of its own (ended by close).
func (l *inmemLink) start(addr string, op byte, payload []byte, timeout time.Duration, fn func(byte, []byte, error)) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Go(func() {
		ctx, cancel := context.WithTimeout(l.ctx, timeout)
		defer cancel()
		fn(l.call(ctx, addr, op, payload))
	})
	return true
}

func (l *inmemLink) call(ctx context.Context, addr string, op byte, payload []byte) (byte, []byte, error) {
	n := l.net
	n.mu.Lock()
	target := n.nodes[addr]
	cut := n.blocked[[2]string{l.from, addr}]
	var handle handler
	if target != nil {
		handle = target.handle // under n.mu: a test may replace it
	}
	n.mu.Unlock()
	if target == nil || cut {
		return 0, nil, fmt.Errorf("%w: %s unreachable", errNotSent, addr)
	}
	done := make(chan answer, 1)
	go func() {
		st, data := handle(ctx, op, append([]byte(nil), payload...))
		done <- answer{st, data}
	}()
	select {
	case a := <-done:
		n.mu.Lock()
		lost := n.blocked[[2]string{addr, l.from}] || (n.loss > 0 && n.rng.Float64() < n.loss)
		n.mu.Unlock()
		if lost {
			return 0, nil, fmt.Errorf("%w: answer from %s lost", errLost, addr)
		}
		return a.status, a.data, nil
	case <-ctx.Done():
		return 0, nil, fmt.Errorf("%w: %w", errLost, ctx.Err())
	}
}

func (l *inmemLink) close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	l.wg.Wait()
	return nil
}
