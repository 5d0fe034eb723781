package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/fleetdb-go/fleetdb/client"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/spf13/cobra"
)

// benchConfig is what `fleetdb bench` is told by its flags.
type benchConfig struct {
	conn       cliutil.ConnFlags // --host, --port, --password, TLS (as every client command)
	addrFlag   string            // --addr HOST:PORT (kept from before --host/--port)
	pwFlag     string            // -x (kept from before --password)
	addr       string            // resolved in RunE
	opts       []client.Option   // password, timeout, TLS
	conns      int
	duration   time.Duration
	pipeline   int
	typ        string
	records    int
	valueSize  int
	collection string
	asJSON     bool
}

// The operations a bench sends. mixed is 90% get, 10% insert.
const (
	opPing = iota
	opGet
	opInsert
	numOps
)

var opNames = [numOps]string{"ping", "get", "insert"}

// NewBenchCmd builds `fleetdb bench`.
func NewBenchCmd(stdout, stderr io.Writer) *cobra.Command {
	var cfg benchConfig
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a running server: throughput and latency",
		Long: `Load a running server from many connections for a fixed time, then report the
throughput and the latency (mean, p50, p99, p99.9, max) of each query type.

Each connection sends --pipeline requests in one write, then reads their
answers, and repeats; the latency of a request runs from that write to its
answer. It stops by itself after --duration. A request counts only if its
answer is the one expected ([0,1] for an insert, a get's record); any other
answer is counted as an error, with the first one's message.

Types: ping (["ping"]), get (["select", coll, {"where": ["=", "id", K]}] on
random preloaded ids), insert (a new record with a unique string id and a
--value-size string), mixed (90% get, 10% insert). get and mixed preload
--records records (ids 0..N-1) into --collection with pipelined batches of
put, skipped when they are already there. insert and mixed add records to
--collection: point it at a server you may write to.`,
		Example: `  fleetdb bench --type ping -c 64 -d 10s
  fleetdb bench --type ping --pipeline 32
  fleetdb bench --type get --records 1000000 --value-size 100
  fleetdb bench --type insert --port 3401 --json | jq '.ops[0].p99_ms'`,
		Args: cliutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.validate(); err != nil {
				return cliutil.Usagef(err)
			}
			if err := cfg.resolveConn(cmd); err != nil {
				return err
			}
			res, err := runBench(cmd.Context(), cfg, stderr)
			if err != nil {
				return err
			}
			if cfg.asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			printBench(stdout, res)
			return nil
		},
	}
	f := cmd.Flags()
	f.SortFlags = false
	f.StringVar(&cfg.addrFlag, "addr", "", "server address HOST:PORT (the same as --host and --port)")
	f.StringVarP(&cfg.pwFlag, "x", "x", "", "the same as --password")
	f.MarkHidden("x")
	f.IntVarP(&cfg.conns, "connections", "c", 64, "connections")
	f.DurationVarP(&cfg.duration, "duration", "d", 10*time.Second, "how long to run")
	f.IntVar(&cfg.pipeline, "pipeline", 1, "requests sent together on a connection before reading their answers")
	f.StringVar(&cfg.typ, "type", "ping", "query type: ping, get, insert or mixed")
	f.IntVar(&cfg.records, "records", 100000, "records to preload for get and mixed")
	f.IntVar(&cfg.valueSize, "value-size", 100, "bytes of the string value of each record written")
	f.StringVar(&cfg.collection, "collection", "fleetdb-bench", "collection the records go to")
	f.BoolVar(&cfg.asJSON, "json", false, "print the report as JSON")
	cfg.conn.Register(cmd)
	cmd.Long += "\n" + cliutil.ConnHelp
	return cmd
}

func (c benchConfig) validate() error {
	switch {
	case c.conns < 1:
		return errors.New("-c must be at least 1")
	case c.duration <= 0:
		return errors.New("-d must be positive")
	case c.pipeline < 1:
		return errors.New("--pipeline must be at least 1")
	case c.valueSize < 0:
		return errors.New("--value-size must not be negative")
	case c.collection == "":
		return errors.New("--collection must not be empty")
	}
	switch c.typ {
	case "ping", "insert":
	case "get", "mixed":
		if c.records < 1 {
			return fmt.Errorf("--type %s needs --records of at least 1", c.typ)
		}
	default:
		return fmt.Errorf("--type %q: want ping, get, insert or mixed", c.typ)
	}
	if c.addrFlag != "" {
		if _, _, err := net.SplitHostPort(c.addrFlag); err != nil {
			return fmt.Errorf("--addr %q: want HOST:PORT: %w", c.addrFlag, err)
		}
	}
	return nil
}

// resolveConn finds the server and the client options the way every
// client command does (--host/--port/FLEETDB_ADDR, --password or
// FLEETDB_PASSWORD, TLS), with --addr and -x as older spellings, and
// checks that the server answers: an unreachable one is exit status 5.
func (c *benchConfig) resolveConn(cmd *cobra.Command) error {
	addr, err := c.conn.Addr()
	if err != nil {
		return err
	}
	if c.addrFlag != "" {
		addr = c.addrFlag
	}
	opts, err := c.conn.ClientOptions()
	if err != nil {
		return err
	}
	if cmd.Flags().Changed("x") {
		opts = append(opts, client.WithPassword(c.pwFlag))
	}
	c.addr, c.opts = addr, opts
	st, err := client.DialStream(cmd.Context(), addr, opts...)
	if err != nil {
		return cliutil.DialError(addr, err)
	}
	defer st.Close()
	if _, err := st.Query(json.RawMessage(`["ping"]`)); err != nil {
		return cliutil.WrapServer("bench", addr, err)
	}
	return nil
}

// benchResult is the report (the JSON of --json).
type benchResult struct {
	Addr        string     `json:"addr"`
	Type        string     `json:"type"`
	Connections int        `json:"connections"`
	Pipeline    int        `json:"pipeline"`
	Seconds     float64    `json:"seconds"`
	Requests    uint64     `json:"requests"`
	Errors      uint64     `json:"errors"`
	Throughput  float64    `json:"throughput"` // answered requests per second, all types
	Ops         []opResult `json:"ops"`
	Preload     *preload   `json:"preload,omitempty"`
}

type opResult struct {
	Op         string  `json:"op"`
	Requests   uint64  `json:"requests"` // answered with status 0
	Errors     uint64  `json:"errors"`   // answered with status 1 or 2
	Throughput float64 `json:"throughput"`
	MeanMs     float64 `json:"mean_ms"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	P999Ms     float64 `json:"p999_ms"`
	MaxMs      float64 `json:"max_ms"`
	FirstError string  `json:"first_error,omitempty"`
}

type preload struct {
	Records int     `json:"records"`
	Skipped bool    `json:"skipped"` // already there
	Seconds float64 `json:"seconds"`
}

// runBench preloads if needed, runs the workers for the duration and
// merges their results.
func runBench(ctx context.Context, cfg benchConfig, stderr io.Writer) (*benchResult, error) {
	res := &benchResult{Addr: cfg.addr, Type: cfg.typ, Connections: cfg.conns, Pipeline: cfg.pipeline}
	if cfg.typ == "get" || cfg.typ == "mixed" {
		p, err := preloadRecords(ctx, cfg, stderr)
		if err != nil {
			return nil, fmt.Errorf("preload: %w", err)
		}
		res.Preload = p
	}

	workers := make([]*worker, cfg.conns)
	runID := strconv.FormatInt(time.Now().UnixNano(), 36) // keeps inserted ids unique across runs
	for i := range workers {
		w, err := newWorker(ctx, cfg, i, runID)
		if err != nil {
			for _, w := range workers[:i] {
				w.close()
			}
			return nil, err
		}
		workers[i] = w
	}
	// Stop at the end of the duration or when ctx ends (closing the
	// connections then, so that no worker stays blocked).
	var stop atomic.Bool
	start := time.Now()
	timer := time.AfterFunc(cfg.duration, func() { stop.Store(true) })
	defer timer.Stop()
	unhook := context.AfterFunc(ctx, func() {
		stop.Store(true)
		for _, w := range workers {
			w.close()
		}
	})
	defer unhook()

	var wg sync.WaitGroup
	finished := make([]time.Time, len(workers))
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.err = w.run(&stop, start.Add(cfg.duration+30*time.Second))
			finished[i] = time.Now()
		}()
	}
	wg.Wait()
	for _, w := range workers {
		w.close()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	var hist [numOps]histogram
	var errs, oks [numOps]uint64
	var firstErr [numOps]string
	var ioErrs []error
	end := start
	for i, w := range workers {
		for op := range numOps {
			hist[op].merge(&w.hist[op])
			errs[op] += w.errors[op]
			if firstErr[op] == "" {
				firstErr[op] = w.firstErr[op]
			}
		}
		if w.err != nil {
			ioErrs = append(ioErrs, fmt.Errorf("connection %d: %w", i, w.err))
		}
		if finished[i].After(end) {
			end = finished[i]
		}
	}
	if len(ioErrs) == len(workers) {
		return nil, errors.Join(ioErrs...)
	}
	for _, err := range ioErrs {
		fmt.Fprintf(stderr, "fleetdb bench: %v\n", err)
	}
	res.Seconds = end.Sub(start).Seconds()
	for op := range numOps {
		oks[op] = hist[op].n
		if oks[op] == 0 && errs[op] == 0 {
			continue
		}
		h := &hist[op]
		res.Ops = append(res.Ops, opResult{
			Op:         opNames[op],
			Requests:   oks[op],
			Errors:     errs[op],
			Throughput: float64(oks[op]) / res.Seconds,
			MeanMs:     cliutil.Millis(h.mean()),
			P50Ms:      cliutil.Millis(h.quantile(0.50)),
			P99Ms:      cliutil.Millis(h.quantile(0.99)),
			P999Ms:     cliutil.Millis(h.quantile(0.999)),
			MaxMs:      cliutil.Millis(h.max),
			FirstError: firstErr[op],
		})
		res.Requests += oks[op]
		res.Errors += errs[op]
	}
	res.Throughput = float64(res.Requests) / res.Seconds
	return res, nil
}

func printBench(w io.Writer, r *benchResult) {
	fmt.Fprintf(w, "fleetdb bench: %s against %s, %d connections, pipeline %d, %.1fs\n",
		r.Type, r.Addr, r.Connections, r.Pipeline, r.Seconds)
	if p := r.Preload; p != nil {
		if p.Skipped {
			fmt.Fprintf(w, "preload: %d records already present\n", p.Records)
		} else {
			fmt.Fprintf(w, "preload: %d records in %.1fs\n", p.Records, p.Seconds)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\trequests\terrors\treq/s\tmean\tp50\tp99\tp99.9\tmax\t")
	for _, o := range r.Ops {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n", o.Op, o.Requests, o.Errors, o.Throughput,
			fmtMs(o.MeanMs), fmtMs(o.P50Ms), fmtMs(o.P99Ms), fmtMs(o.P999Ms), fmtMs(o.MaxMs))
	}
	if len(r.Ops) > 1 {
		fmt.Fprintf(tw, "all\t%d\t%d\t%.0f\t\t\t\t\t\t\n", r.Requests, r.Errors, r.Throughput)
	}
	tw.Flush()
	for _, o := range r.Ops {
		if o.FirstError != "" {
			fmt.Fprintf(w, "first %s error: %s\n", o.Op, o.FirstError)
		}
	}
}

// fmtMs formats milliseconds readably: 87µs, 1.24ms, 2.1s.
func fmtMs(v float64) string {
	switch {
	case v < 1:
		return fmt.Sprintf("%.0fµs", v*1000)
	case v < 1000:
		return fmt.Sprintf("%.2fms", v)
	}
	return fmt.Sprintf("%.2fs", v/1000)
}
