package replication

import (
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
)

// endingPipeline wraps the append pipeline raft's transport hands the
// leader for one follower, to avoid a deadlock in hashicorp/raft v1.7.3
// that kept a node's Close waiting for good.
//
// Raft drives a pipeline with two goroutines: a sender
// (pipelineReplicate) that calls AppendEntries, and a consumer
// (pipelineDecode) that reads the answers from Consumer and returns at the
// first one that is not a success (a failed call, a rejected entry or a
// newer term). The transport's decoder hands each answer to that consumer
// on an unbuffered channel (a buffer of MaxRPCsInFlight-2) and only then
// takes the next request in flight, and AppendEntries waits for the
// decoder to take its request. Once the consumer has returned, the
// decoder blocks on the answer after the failing one, and a sender that
// calls AppendEntries again before it notices the consumer ended (its
// select may pick a new entry or the commit timeout over the consumer's
// end) blocks for ever: only the pipeline's Close releases it, and that
// is the sender's own deferred call. No deadline helps (neither goroutine
// is reading or writing), raft's shutdown waits for the sender, and so
// does Node.Close.
//
// Here a goroutine of ours reads the transport's answers and passes them
// on to raft. It looks at each one first: after passing on one that ends
// raft's consumer, it drops the answers still to come (so the decoder
// never waits for a reader that is gone), and AppendEntries refuses new
// requests with raft.ErrPipelineShutdown, which makes the sender leave its
// loop and Close the pipeline. Close stops the goroutine.
type endingPipeline struct {
	raft.AppendPipeline
	sending func(*raft.AppendEntriesRequest) // sees each request sent
	out     chan raft.AppendFuture
	stop    chan struct{}
	ended   atomic.Bool // raft's consumer was handed an answer that ends it
	wg      sync.WaitGroup
	once    sync.Once
}

func newEndingPipeline(p raft.AppendPipeline, sending func(*raft.AppendEntriesRequest)) *endingPipeline {
	e := &endingPipeline{AppendPipeline: p, sending: sending, out: make(chan raft.AppendFuture), stop: make(chan struct{})}
	e.wg.Add(1)
	go e.forward()
	return e
}

// endsConsumer reports whether raft's pipelineDecode returns after
// handling f: a failed call (whose response is left zero), a rejection or
// a newer term.
func endsConsumer(f raft.AppendFuture) bool {
	resp := f.Response()
	return f.Error() != nil || resp == nil || !resp.Success || resp.Term > f.Request().Term
}

func (e *endingPipeline) forward() {
	defer e.wg.Done()
	in := e.AppendPipeline.Consumer()
	for {
		var f raft.AppendFuture
		select {
		case f = <-in:
		case <-e.stop:
			return
		}
		if e.ended.Load() {
			continue // nobody reads any more
		}
		if endsConsumer(f) {
			e.ended.Store(true)
		}
		select {
		case e.out <- f:
		case <-e.stop:
			return
		}
	}
}

func (e *endingPipeline) AppendEntries(args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) (raft.AppendFuture, error) {
	if e.ended.Load() {
		return nil, raft.ErrPipelineShutdown
	}
	e.sending(args)
	return e.AppendPipeline.AppendEntries(args, resp)
}

func (e *endingPipeline) Consumer() <-chan raft.AppendFuture { return e.out }

func (e *endingPipeline) Close() error {
	err := e.AppendPipeline.Close()
	e.once.Do(func() { close(e.stop) })
	e.wg.Wait()
	return err
}
