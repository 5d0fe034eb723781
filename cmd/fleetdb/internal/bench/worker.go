package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// benchConn is one raw protocol connection of the bench: it writes request
// lines with a protocol.Writer and reads answers with a protocol.Reader, so
// that the pipelining depth is exactly what the bench asks for.
type benchConn struct {
	nc        net.Conn
	r         *protocol.Reader
	w         *protocol.Writer
	closeOnce sync.Once
}

func dialBench(ctx context.Context, cfg benchConfig) (*benchConn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, err
	}
	c := &benchConn{
		nc: nc,
		r:  protocol.NewReader(nc, protocol.ReaderOptions{MaxLineBytes: 256 << 20}),
		w:  protocol.NewWriter(nc),
	}
	if cfg.password != "" {
		req := append([]byte(`["auth",`), protocol.AppendJSONString(nil, cfg.password)...)
		status, value, err := c.roundTrip(append(req, ']'))
		if err != nil {
			c.close()
			return nil, fmt.Errorf("auth: %w", err)
		}
		if status != protocol.StatusOK {
			c.close()
			return nil, fmt.Errorf("auth: %s", value)
		}
	}
	return c, nil
}

// roundTrip sends one request and reads its answer (the value is copied).
func (c *benchConn) roundTrip(req []byte) (protocol.Status, []byte, error) {
	c.nc.SetDeadline(time.Now().Add(time.Minute))
	defer c.nc.SetDeadline(time.Time{})
	if err := c.w.WriteLine(req); err != nil {
		return 0, nil, err
	}
	if err := c.w.Flush(); err != nil {
		return 0, nil, err
	}
	line, err := c.r.ReadLine()
	if err != nil {
		return 0, nil, err
	}
	status, value, err := protocol.ParseResponse(line)
	return status, bytes.Clone(value), err
}

func (c *benchConn) close() { c.closeOnce.Do(func() { c.nc.Close() }) }

// okAnswer reports whether a response line has status 0, without parsing
// the value.
func okAnswer(line []byte) bool {
	return len(line) >= 3 && line[0] == '[' && line[1] == '0' && line[2] == ','
}

// worker is one bench connection and what it measured. Only its goroutine
// touches it while it runs.
type worker struct {
	*benchConn
	cfg   benchConfig
	rng   *rand.Rand
	kinds []int // the op of each request of the pipelined batch in flight
	req   []byte

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
	coll := protocol.AppendJSONString(nil, cfg.collection)
	w := &worker{
		benchConn: c,
		cfg:       cfg,
		rng:       rand.New(rand.NewPCG(uint64(id), 0x5eed)),
		kinds:     make([]int, cfg.pipeline),
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

// request appends the request line of op to dst.
func (w *worker) request(dst []byte, op int) []byte {
	switch op {
	case opGet:
		dst = append(dst, w.getPrefix...)
		dst = strconv.AppendInt(dst, int64(w.rng.IntN(w.cfg.records)), 10)
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
// of its batch to its answer. hard bounds every I/O.
func (w *worker) run(stop *atomic.Bool, hard time.Time) error {
	w.nc.SetDeadline(hard)
	for !stop.Load() {
		t0 := time.Now()
		for i := range w.kinds {
			op := w.pick()
			w.kinds[i] = op
			w.req = w.request(w.req[:0], op)
			if err := w.w.WriteLine(w.req); err != nil {
				return err
			}
		}
		if err := w.w.Flush(); err != nil {
			return err
		}
		for _, op := range w.kinds {
			line, err := w.r.ReadLine()
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
			if okAnswer(line) {
				w.hist[op].record(time.Since(t0))
				continue
			}
			w.errors[op]++
			if w.firstErr[op] == "" {
				w.firstErr[op] = string(line[:min(len(line), 200)])
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
	coll := protocol.AppendJSONString(nil, cfg.collection)
	c, err := dialBench(ctx, cfg)
	if err != nil {
		return nil, err
	}
	status, value, err := c.roundTrip(fmt.Appendf(nil, `["count",%s,{"where":[">=<","id",[0,%d]]}]`, coll, cfg.records))
	c.close()
	if err != nil {
		return nil, err
	}
	if status == protocol.StatusOK && string(value) == strconv.Itoa(cfg.records) {
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
			c.nc.SetDeadline(time.Now().Add(10 * time.Minute))
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
					if errs[i] = c.w.WriteLine(req); errs[i] != nil {
						return
					}
					sent++
				}
				if sent == 0 {
					return
				}
				if errs[i] = c.w.Flush(); errs[i] != nil {
					return
				}
				for range sent {
					line, err := c.r.ReadLine()
					if err != nil {
						errs[i] = err
						return
					}
					if !okAnswer(line) {
						errs[i] = fmt.Errorf("put refused: %s", line[:min(len(line), 200)])
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
