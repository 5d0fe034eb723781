package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/fleetdb-go/fleetdb"
	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
	"github.com/fleetdb-go/fleetdb/server"
	"github.com/spf13/cobra"
)

// serveMaxBatch is the most writes a standalone server commits with one
// fsync (fleetdb.Options.MaxBatch; the library's default is 256). An event
// loop commits the writes of its turn together, up to 64 pipelined ones per
// connection: 64 connections pipelining 32 inserts each bring ~2,048 per
// turn, which took 8 fsyncs at 256 (fleetdb bench --pipeline 32: ahead in
// each of 11 A/B pairs, median +28 %, most when fsyncs are slow; docs/
// performance-history.md, round 5). One request in flight per connection never fills 256.
const serveMaxBatch = 4096

// serveConfig is what `fleetdb serve` is told by its flags.
type serveConfig struct {
	// Storage (docs/durability.md).
	file        string
	ephemeral   bool
	fsync       string
	autoCompact float64
	preallocate int64
	defragIdle  time.Duration

	// The protocol server (docs/protocol.md).
	host            string
	port            int
	password        string
	passwordFile    string
	maxRequestBytes int
	maxConns        int
	readTimeout     time.Duration
	idleTimeout     time.Duration
	writeTimeout    time.Duration
	shutdownTimeout time.Duration
	tlsCert         string
	tlsKey          string
	tlsClientCA     string
	loopNice        int

	// Change feeds and pinned snapshots (docs/changefeeds.md).
	watchHistory int64
	watchBuffer  int64
	maxSnapshots int

	// Observability.
	metrics   string
	pprof     bool
	logFormat string
	logLevel  string

	// The collector (serve_gc.go).
	gc gcFlags

	// The cluster flags (--node-id, --raft-addr, --data-dir, --bootstrap,
	// --join, --snapshot-*), registered by clusterFlags.register.
	cluster clusterFlags
}

func newServeCmd(_, stderr io.Writer) *cobra.Command {
	var cfg serveConfig
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a FleetDB server",
		Long: `Run a FleetDB server: the JSON-lines protocol on TCP (one JSON query per
line, answered [status, value]), backed by an append-only log file (-f, the
default) or by memory only (-e).

It logs one line when it is ready. On SIGINT or SIGTERM it stops accepting
connections, finishes the queries in flight, answers later requests with
[2,"shutting down"], closes the database (syncing its log) and exits 0.

Fsync policies: always (a write is acknowledged once its log record is on
stable storage; concurrent writes share one fsync), everysec (a power cut
may lose about the last second), never (the OS decides; a power cut may lose
any recent writes). A process crash loses nothing under any policy.

Cluster mode (--node-id, --raft-addr, --data-dir): the server is a member of
a Raft cluster. Its state lives in --data-dir (-f, -e, --fsync and
--auto-compact do not apply); every write is committed by a majority before
it is acknowledged, writes sent to any member are forwarded to the leader,
and reads are linearizable unless a connection sends
["set-read-consistency", "local"]. The first member starts with --bootstrap,
the others with --join HOST:PORT, the client address (-a:-p) of any member.
A restarted member rejoins from its data dir: start it with the same flags.
-a:-p is published to the other members (fleetdb cluster status shows it), so
give -a an address they can reach; -x is also sent when joining, so every
member needs the same password. --password-file and --cluster-secret-file
read those secrets from files, out of the process's arguments (which every
user of the machine can read).`,
		Example: `  fleetdb serve                          # fleetdb.fdb, 127.0.0.1:3400, fsync always
  fleetdb serve -f /var/lib/fleetdb/app.fdb -a 0.0.0.0 -p 3400 --password-file /etc/fleetdb/password
  fleetdb serve -e -p 3401                # ephemeral: nothing on disk
  fleetdb serve --fsync everysec --auto-compact 2 --metrics 127.0.0.1:9340
  fleetdb serve --log-format json --idle-timeout 10m --max-conns 1000

  # a three-member cluster (one machine, three loopback addresses):
  fleetdb serve -a 127.0.0.1 --node-id n1 --raft-addr 127.0.0.1:4400 --data-dir n1 --bootstrap
  fleetdb serve -a 127.0.0.2 --node-id n2 --raft-addr 127.0.0.2:4400 --data-dir n2 --join 127.0.0.1:3400
  fleetdb serve -a 127.0.0.3 --node-id n3 --raft-addr 127.0.0.3:4400 --data-dir n3 --join 127.0.0.1:3400
  fleetdb cluster status

  # then, from another terminal:
  printf '["ping"]\r\n' | nc -q1 127.0.0.1 3400      # [0,"pong"]`,
		Args: cliutil.ExactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("file") && cfg.ephemeral {
				return cliutil.Usagef(errors.New("-f and -e exclude each other"))
			}
			if err := checkServeModes(cmd.Flags()); err != nil {
				return cliutil.Usagef(err)
			}
			cfg.gc.given(cmd.Flags())
			return runServe(cmd.Context(), cfg, stderr, nil)
		},
	}
	f := cmd.Flags()
	f.SortFlags = false
	f.StringVarP(&cfg.file, "file", "f", "fleetdb.fdb", "log file: every write is appended to it and it is replayed at start")
	f.BoolVarP(&cfg.ephemeral, "ephemeral", "e", false, "keep nothing on disk")
	f.IntVarP(&cfg.port, "port", "p", 3400, "TCP port (0: any free port, logged when ready)")
	f.StringVarP(&cfg.host, "addr", "a", "127.0.0.1", "address to listen on")
	f.StringVar(&cfg.host, "host", "127.0.0.1", "the same as -a (the client commands' spelling)")
	f.StringVarP(&cfg.password, "password", "x", "", "require [\"auth\", PASSWORD] as the first query of every connection")
	f.StringVar(&cfg.passwordFile, "password-file", "", "the same, with the password read from this file's first line (kept out of the process's arguments, which other users can read)")
	f.StringVar(&cfg.tlsCert, "tls-cert", "", "serve TLS only (1.2 or later) with this certificate (PEM), with --tls-key")
	f.StringVar(&cfg.tlsKey, "tls-key", "", "the key of --tls-cert (PEM)")
	f.StringVar(&cfg.tlsClientCA, "tls-client-ca", "", "require a client certificate signed by this CA (PEM)")
	f.StringVar(&cfg.fsync, "fsync", "always", "fsync policy of the log: always, everysec or never")
	f.Float64Var(&cfg.autoCompact, "auto-compact", 0, "compact the log when it grows past RATIO times its compacted size (0: off; else > 1)")
	f.DurationVar(&cfg.defragIdle, "defrag-idle", 0, "defragment the in-memory value once writes stopped this long after half the records changed (0: 1s; negative: never)")
	f.Int64Var(&cfg.preallocate, "log-preallocate", 0, "with --fsync always, bytes of zeros written ahead of the log's end at a time, so that an append's fsync commits no new file size (0: 262144; -1: off)")
	f.IntVar(&cfg.maxRequestBytes, "max-request-bytes", server.DefaultMaxRequestBytes, "longest request line; longer ones are answered \"Request too large\"")
	f.IntVar(&cfg.maxConns, "max-conns", server.DefaultMaxConns, "most connections at once; more are answered \"too many connections\"")
	f.DurationVar(&cfg.readTimeout, "read-timeout", server.DefaultReadTimeout, "time a request line may take to arrive once it began")
	f.DurationVar(&cfg.idleTimeout, "idle-timeout", 0, "close connections idle this long (0: never)")
	f.DurationVar(&cfg.writeTimeout, "write-timeout", server.DefaultWriteTimeout, "close connections whose answers cannot be sent for this long")
	f.IntVar(&cfg.loopNice, "loop-nice", 0, "nice value (-20 to 19) of the event loops' threads; negative needs CAP_SYS_NICE (0: FLEETDB_LOOP_NICE, else unchanged)")
	f.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGINT/SIGTERM, how long queries in flight may take before connections are closed by force")
	f.Int64Var(&cfg.watchHistory, "watch-history", fleetdb.DefaultWatchHistory, "bytes of recent changes kept so that a watch can resume from an earlier position")
	f.Int64Var(&cfg.watchBuffer, "watch-buffer", fleetdb.DefaultWatchBuffer, "bytes of unsent events a watcher may lag before its feed ends (\"Watch fell behind\")")
	f.IntVar(&cfg.maxSnapshots, "max-snapshots", fleetdb.DefaultMaxSnapshots, "most pinned snapshots open at once")
	f.StringVar(&cfg.metrics, "metrics", "", "serve HTTP /metrics (Prometheus) and /healthz on this address, e.g. 127.0.0.1:9340")
	f.BoolVar(&cfg.pprof, "pprof", false, "also serve Go's /debug/pprof/ profiles on the --metrics address")
	f.StringVar(&cfg.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.StringVar(&cfg.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	cfg.gc.register(f)
	cfg.cluster.register(f)
	return cmd
}

// newLogger returns the slog logger the flags ask for, writing to w.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, cliutil.Usagef(fmt.Errorf("--log-level %q: want debug, info, warn or error", level))
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, cliutil.Usagef(fmt.Errorf("--log-format %q: want text or json", format))
}

// runServe opens the database, serves it until ctx ends, then shuts down
// gracefully and closes the database. ready, if not nil, is called with the
// protocol address once connections are accepted (tests use it to learn
// the port chosen for -p 0).
//
// The protocol port is listened on before the database is opened: a
// cluster member publishes its client address (with the port chosen for
// -p 0) when it opens, and a member joining through this one can connect
// while it is still opening (the connection waits in the backlog instead of
// being refused). A port in use also fails at once, before a long replay.
// dbOptions checks the storage, port and change-feed flags and returns
// the database's options, and what names the database in messages: the
// log file, "ephemeral", or the cluster member.
func (cfg serveConfig) dbOptions(log *slog.Logger) (fleetdb.Options, string, error) {
	policy, err := fleetdb.ParseSyncPolicy(cfg.fsync)
	if err != nil {
		return fleetdb.Options{}, "", cliutil.Usagef(fmt.Errorf("--fsync: %w", err))
	}
	if cfg.port < 0 || cfg.port > 65535 {
		return fleetdb.Options{}, "", cliutil.Usagef(fmt.Errorf("-p %d: not a TCP port", cfg.port))
	}
	if cfg.watchHistory < 0 || cfg.watchBuffer < 0 || cfg.maxSnapshots < 0 {
		return fleetdb.Options{}, "", cliutil.Usagef(errors.New("--watch-history, --watch-buffer and --max-snapshots must not be negative (0: the default)"))
	}
	// The server owns its process: it replays with a lazier collector
	// (about twice as fast on a large log).
	if cfg.preallocate < -1 {
		return fleetdb.Options{}, "", cliutil.Usagef(fmt.Errorf("--log-preallocate %d: bytes (0: the default, -1: off)", cfg.preallocate))
	}
	opts := fleetdb.Options{Sync: policy, AutoCompactRatio: cfg.autoCompact, Logger: log, ReplayGCPercent: 400,
		LogPreallocate: cfg.preallocate, DefragIdle: cfg.defragIdle,
		WatchHistory: cfg.watchHistory, WatchBuffer: cfg.watchBuffer, MaxSnapshots: cfg.maxSnapshots}
	what := "ephemeral"
	switch {
	case cfg.cluster.enabled():
		if cfg.ephemeral || cfg.autoCompact != 0 {
			return fleetdb.Options{}, "", cliutil.Usagef(errors.New("-e and --auto-compact cannot be used with the cluster flags: a cluster member keeps its state in --data-dir"))
		}
		opts.Cluster, err = cfg.cluster.options("", cfg.password, cfg.tlsCert != "")
		if err != nil {
			return fleetdb.Options{}, "", cliutil.Usagef(err)
		}
		what = fmt.Sprintf("cluster member %s (data dir %s)", cfg.cluster.nodeID, cfg.cluster.dataDir)
	case !cfg.ephemeral:
		opts.Path, what = cfg.file, cfg.file
	}
	if !cfg.cluster.enabled() {
		opts.MaxBatch = serveMaxBatch
	}
	if err := opts.Validate(); err != nil {
		return fleetdb.Options{}, "", cliutil.Usagef(err)
	}
	return opts, what, nil
}

func runServe(ctx context.Context, cfg serveConfig, stderr io.Writer, ready func(addr net.Addr)) error {
	log, err := newLogger(stderr, cfg.logFormat, cfg.logLevel)
	if err != nil {
		return err
	}
	if err := cfg.loadSecrets(log); err != nil {
		return cliutil.Usagef(err)
	}
	opts, what, err := cfg.dbOptions(log)
	if err != nil {
		return err
	}
	gc, restoreGC, err := cfg.gc.apply()
	if err != nil {
		return cliutil.Usagef(err)
	}
	defer restoreGC()
	var metrics *server.Metrics
	if cfg.metrics != "" {
		metrics = server.NewMetrics()
	}
	scfg := server.Config{
		Addr:            net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port)),
		Password:        cfg.password,
		MaxRequestBytes: cfg.maxRequestBytes,
		MaxConns:        cfg.maxConns,
		ReadTimeout:     cfg.readTimeout,
		IdleTimeout:     cfg.idleTimeout,
		WriteTimeout:    cfg.writeTimeout,
		Logger:          log,
		Metrics:         metrics,
		LoopNice:        cfg.loopNice,
	}
	if cfg.tlsCert != "" || cfg.tlsKey != "" || cfg.tlsClientCA != "" {
		scfg.TLS, err = server.LoadTLS(cfg.tlsCert, cfg.tlsKey, cfg.tlsClientCA)
		if err != nil {
			return cliutil.Usagef(err)
		}
	}
	if err := scfg.Validate(); err != nil {
		return cliutil.Usagef(err)
	}
	if cfg.pprof && cfg.metrics == "" {
		return cliutil.Usagef(errors.New("--pprof needs --metrics ADDR"))
	}

	start := time.Now()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", scfg.Addr)
	if err != nil {
		return err
	}
	if co := opts.Cluster; co != nil {
		co.ClientAddr = net.JoinHostPort(cfg.host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		if wildcardHost(cfg.host) {
			log.Warn("fleetdb: -a is a wildcard address: the client address published to the other members cannot be dialed; give -a the address they reach this member at",
				"client_addr", co.ClientAddr)
		}
		args := []any{"node_id", co.NodeID, "raft_addr", co.RaftAddr, "data_dir", co.DataDir, "client_addr", co.ClientAddr}
		if co.Join != "" {
			args = append(args, "join", co.Join)
		}
		log.Info("fleetdb: opening the cluster member", args...)
	}
	db, err := fleetdb.OpenContext(ctx, opts) // SIGTERM ends a join that is still waiting
	if err != nil {
		ln.Close()
		return fmt.Errorf("open %s: %w", what, err)
	}
	srv, err := server.New(db, scfg) // *fleetdb.DB is a server.StatsSource
	if err != nil {
		ln.Close()
		db.Close()
		return err
	}
	var web *http.Server
	var webDone chan error
	if cfg.metrics != "" {
		wln, err := lc.Listen(ctx, "tcp", cfg.metrics)
		if err != nil {
			ln.Close()
			db.Close()
			return fmt.Errorf("--metrics: %w", err)
		}
		web = &http.Server{Handler: webHandler(srv, cfg.pprof), ReadHeaderTimeout: 10 * time.Second}
		webDone = make(chan error, 1)
		go func() { webDone <- web.Serve(wln) }()
		log.Info("fleetdb: serving /metrics and /healthz", "addr", wln.Addr().String())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	// A cluster member serves at once (queries wait for the catch-up) but
	// says ready only once it has caught up with the cluster (docs/clustering.md).
	wctx, wcancel := context.WithCancel(ctx)
	go func() {
		select {
		case err := <-served:
			served <- err
			wcancel()
		case <-wctx.Done():
		}
	}()
	werr := db.WaitReady(wctx)
	wcancel()
	args := []any{"addr", ln.Addr().String()}
	if st, ok := db.ClusterStatus(); ok {
		args = append(args, "mode", "cluster", "node_id", st.NodeID, "raft_addr", st.RaftAddr, "data_dir", cfg.cluster.dataDir)
	} else {
		args = append(args, "mode", "standalone", "file", what)
		if !cfg.ephemeral {
			args = append(args, "fsync", opts.Sync.String())
		}
	}
	args = append(args, "auth", cfg.password != "", "tls", scfg.TLS != nil, "gc_percent", gc.percent, "memory_limit", gc.limitText(),
		"started_in", time.Since(start).Round(time.Millisecond))
	if werr == nil {
		log.Info("fleetdb: ready", args...)
		notify(log, "READY=1\nSTATUS=serving on "+ln.Addr().String())
		if ready != nil {
			ready(ln.Addr())
		}
	}

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("fleetdb: stopping", "cause", context.Cause(ctx))
	case serveErr = <-served:
		served <- serveErr
		log.Error("fleetdb: the listener failed; stopping", "err", serveErr)
	}
	notify(log, "STOPPING=1")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.shutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown: %w", err))
	}
	if err := <-served; !errors.Is(err, server.ErrServerClosed) {
		errs = append(errs, err)
	}
	if web != nil {
		if err := web.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("metrics: %w", err))
		}
		if err := <-webDone; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("metrics: %w", err))
		}
	}
	if err := db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close %s: %w", what, err))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if opts.Cluster != nil {
		log.Info("fleetdb: stopped", "node_id", opts.Cluster.NodeID, "data_dir", opts.Cluster.DataDir)
	} else {
		log.Info("fleetdb: stopped", "file", what)
	}
	return nil
}

// webHandler is the --metrics address's handler: the server's /metrics and
// /healthz, and with --pprof the runtime profiles.
func webHandler(srv *server.Server, withPprof bool) http.Handler {
	if !withPprof {
		return srv.HTTPHandler()
	}
	mux := http.NewServeMux()
	mux.Handle("/", srv.HTTPHandler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
