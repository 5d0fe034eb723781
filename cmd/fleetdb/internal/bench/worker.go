package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/internal/jsontext"
)

// benchConn is one connection of the load: a client.Stream, on which the
// worker pipelines its requests.
type benchConn struct {
	*client.Stream
	closeOnce sync.Once
}

// dialBench connects and authenticates one connection.
func dialBench(ctx context.Context, cfg benchConfig) (*benchConn, error) {
	st, err := client.DialStream(ctx, cfg.addr, cfg.opts...)
	if err != nil {
		return nil, err
	}
	return &benchConn{Stream: st}, nil
}

// roundTrip sends one request and returns the value of its answer (a
// refusal or failure as a *client.Error), within a minute.
func (c *benchConn) roundTrip(req []byte) (json.RawMessage, error) {
	c.SetDeadline(time.Now().Add(time.Minute))
	defer c.SetDeadline(time.Time{})
	return c.Query(json.RawMessage(req))
}

func (c *benchConn) close() { c.closeOnce.Do(func() { c.Close() }) }

// answerError sorts the error of an answer: a *client.Error (the server
// refused or failed the request) is counted with its message, anything
// else stops the connection.
func answerError(err error) (msg string, fatal bool) {
	var ce *client.Error
	if errors.As(err, &ce) {
		return ce.Error()[:min(len(ce.Error()), 200)], false
	}
	return "", true
}

// worker is one bench connection and what it measured. Only its goroutine
// touches it while it runs.
type worker struct {
	*benchConn
	cfg    benchConfig
	rng    *rand.Rand
	kinds  []int           // the op of each request of the pipelined batch in flight
	keys   []int64         // the id each get of the batch asks for
	req    json.RawMessage // the request being built
	answer []byte          // the last answer's line

	// Request pieces, built once.
	getPrefix, insertPrefix, insertSuffix []byte
	seq                                   uint64

	hist     [numOps]histogram
	errors   [numOps]uint64
	firstErr [numOps]string
	err      error // the I/O error that stopped it, if any
}

func newWorker(ctx context.Context, cfg benchConfig, id int, runID string) (*worker, error) {
	c, err := dialBench(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connection %d: %w", id, err)
	}
	coll := jsontext.AppendString(nil, cfg.collection)
	w := &worker{
		benchConn: c,
		cfg:       cfg,
		rng:       rand.New(rand.NewPCG(uint64(id), 0x5eed)),
		kinds:     make([]int, cfg.pipeline),
		keys:      make([]int64, cfg.pipeline),
	}
	w.getPrefix = fmt.Appendf(nil, `["select",%s,{"where":["=","id",`, coll)
	w.insertPrefix = fmt.Appendf(nil, `["insert",%s,{"id":"%s-%d-`, coll, runID, id)
	w.insertSuffix = fmt.Appendf(nil, `","v":"%s"}]`, strings.Repeat("x", cfg.valueSize))
	return w, nil
}

// pick chooses the op of the next request.
func (w *worker) pick() int {
	switch w.cfg.typ {
	case "get":
		return opGet
	case "insert":
		return opInsert
	case "mixed":
		if w.rng.IntN(10) == 0 {
			return opInsert
		}
		return opGet
	}
	return opPing
}

// request appends the request line of op to dst, the i-th of the batch.
func (w *worker) request(dst []byte, op, i int) []byte {
	switch op {
	case opGet:
		w.keys[i] = int64(w.rng.IntN(w.cfg.records))
		dst = append(dst, w.getPrefix...)
		dst = strconv.AppendInt(dst, w.keys[i], 10)
		return append(dst, "]}]"...)
	case opInsert:
		w.seq++
		dst = append(dst, w.insertPrefix...)
		dst = strconv.AppendUint(dst, w.seq, 10)
		return append(dst, w.insertSuffix...)
	}
	return append(dst, `["ping"]`...)
}

// run sends pipelined batches until stop is set: each batch is written at
// once, then its answers are read; a request's latency runs from the start
// of its batch to its answer. Only the answers expected (expected: status
// 0 and the value the request calls for) count as requests; the others are
// errors. hard bounds every I/O.
func (w *worker) run(stop *atomic.Bool, hard time.Time) error {
	w.SetDeadline(hard)
	for !stop.Load() {
		t0 := time.Now()
		for i := range w.kinds {
			op := w.pick()
			w.kinds[i] = op
			w.req = w.request(w.req[:0], op, i)
			if err := w.Send(&w.req); err != nil {
				return err
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
		var now time.Time
		for i, op := range w.kinds {
			var err error
			reads := w.Reads()
			if w.answer, err = w.AppendLine(w.answer[:0]); err != nil {
				return err
			}
			if i == 0 || w.Reads() != reads {
				// An answer read from the network now; one already
				// buffered arrived with the one before it.
				now = time.Now()
			}
			if expected(op, w.keys[i], w.answer) {
				w.hist[op].record(now.Sub(t0))
				continue
			}
			msg, fatal := sortAnswer(w.answer)
			if fatal != nil {
				return fatal
			}
			w.errors[op]++
			if w.firstErr[op] == "" {
				w.firstErr[op] = msg
			}
		}
	}
	return nil
}

// Preloading: batches of preloadBatch records per put, preloadDepth puts
// in flight per connection, on up to preloadConns connections.
const (
	preloadBatch = 1000
	preloadDepth = 4
	preloadConns = 4
)

// preloadRecords makes sure records with ids 0..records-1 exist in the
// collection, writing them with put (so a partial earlier preload is
// simply overwritten) unless they are all there already.
func preloadRecords(ctx context.Context, cfg benchConfig, stderr io.Writer) (*preload, error) {
	start := time.Now()
	p := &preload{Records: cfg.records}
	coll := jsontext.AppendString(nil, cfg.collection)
	c, err := dialBench(ctx, cfg)
	if err != nil {
		return nil, err
	}
	value, err := c.roundTrip(fmt.Appendf(nil, `["count",%s,{"where":[">=<","id",[0,%d]]}]`, coll, cfg.records))
	c.close()
	if _, fatal := answerError(err); err != nil && fatal {
		return nil, err
	}
	if err == nil && string(value) == strconv.Itoa(cfg.records) {
		p.Skipped = true
		return p, nil
	}
	fmt.Fprintf(stderr, "fleetdb bench: preloading %d records into %s...\n", cfg.records, coll)

	recValue := `"` + strings.Repeat("x", cfg.valueSize) + `"`
	batches := (cfg.records + preloadBatch - 1) / preloadBatch
	var next atomic.Int64
	errs := make([]error, min(preloadConns, cfg.conns, batches))
	var wg sync.WaitGroup
	for i := range errs {
		c, err := dialBench(ctx, cfg)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.close()
			stop := context.AfterFunc(ctx, c.close)
			defer stop()
			c.SetDeadline(time.Now().Add(10 * time.Minute))
			var req []byte
			for {
				sent := 0
				for range preloadDepth {
					b := int(next.Add(1) - 1)
					if b >= batches {
						break
					}
					req = fmt.Appendf(req[:0], `["put",%s,[`, coll)
					for id := b * preloadBatch; id < min((b+1)*preloadBatch, cfg.records); id++ {
						if id > b*preloadBatch {
							req = append(req, ',')
						}
						req = fmt.Appendf(req, `{"id":%d,"v":%s}`, id, recValue)
					}
					req = append(req, "]]"...)
					if errs[i] = c.Send(json.RawMessage(req)); errs[i] != nil {
						return
					}
					sent++
				}
				if sent == 0 {
					return
				}
				if errs[i] = c.Flush(); errs[i] != nil {
					return
				}
				var answer []byte
				for range sent {
					var err error
					if answer, err = c.AppendReceive(answer[:0]); err != nil {
						if msg, fatal := answerError(err); !fatal {
							err = fmt.Errorf("put refused: %s", msg)
						}
						errs[i] = err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	p.Seconds = time.Since(start).Seconds()
	return p, nil
}
