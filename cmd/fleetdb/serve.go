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
	"github.com/fleetdb-go/fleetdb/server"
	"github.com/spf13/cobra"
)

// serveConfig is what `fleetdb serve` is told by its flags.
type serveConfig struct {
	// Storage (SPEC §6).
	file        string
	ephemeral   bool
	fsync       string
	autoCompact float64

	// The protocol server (SPEC §3).
	host            string
	port            int
	password        string
	maxRequestBytes int
	maxConns        int
	readTimeout     time.Duration
	idleTimeout     time.Duration
	writeTimeout    time.Duration
	shutdownTimeout time.Duration

	// Observability.
	metrics   string
	pprof     bool
	logFormat string
	logLevel  string

	// The cluster flags (--node-id, --raft-addr, --data-dir, --bootstrap,
	// --join) join here, registered by their own function.
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
any recent writes). A process crash loses nothing under any policy.`,
		Example: `  fleetdb serve                          # fleetdb.fdb, 127.0.0.1:3400, fsync always
  fleetdb serve -f /var/lib/fleetdb/app.fdb -a 0.0.0.0 -p 3400 -x s3cret
  fleetdb serve -e -p 3401                # ephemeral: nothing on disk
  fleetdb serve --fsync everysec --auto-compact 2 --metrics 127.0.0.1:9340
  fleetdb serve --log-format json --idle-timeout 10m --max-conns 1000

  # then, from another terminal:
  printf '["ping"]\r\n' | nc -q1 127.0.0.1 3400      # [0,"pong"]`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("file") && cfg.ephemeral {
				return usagef(errors.New("-f and -e exclude each other"))
			}
			return runServe(cmd.Context(), cfg, stderr, nil)
		},
	}
	f := cmd.Flags()
	f.SortFlags = false
	f.StringVarP(&cfg.file, "file", "f", "fleetdb.fdb", "log file: every write is appended to it and it is replayed at start")
	f.BoolVarP(&cfg.ephemeral, "ephemeral", "e", false, "keep nothing on disk")
	f.IntVarP(&cfg.port, "port", "p", 3400, "TCP port (0: any free port, logged when ready)")
	f.StringVarP(&cfg.host, "addr", "a", "127.0.0.1", "address to listen on")
	f.StringVarP(&cfg.password, "password", "x", "", "require [\"auth\", PASSWORD] as the first query of every connection")
	f.StringVar(&cfg.fsync, "fsync", "always", "fsync policy of the log: always, everysec or never")
	f.Float64Var(&cfg.autoCompact, "auto-compact", 0, "compact the log when it grows past RATIO times its compacted size (0: off; else > 1)")
	f.IntVar(&cfg.maxRequestBytes, "max-request-bytes", server.DefaultMaxRequestBytes, "longest request line; longer ones are answered \"Request too large\"")
	f.IntVar(&cfg.maxConns, "max-conns", server.DefaultMaxConns, "most connections at once; more are answered \"too many connections\"")
	f.DurationVar(&cfg.readTimeout, "read-timeout", server.DefaultReadTimeout, "time a request line may take to arrive once it began")
	f.DurationVar(&cfg.idleTimeout, "idle-timeout", 0, "close connections idle this long (0: never)")
	f.DurationVar(&cfg.writeTimeout, "write-timeout", server.DefaultWriteTimeout, "close connections whose answers cannot be sent for this long")
	f.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGINT/SIGTERM, how long queries in flight may take before connections are closed by force")
	f.StringVar(&cfg.metrics, "metrics", "", "serve HTTP /metrics (Prometheus) and /healthz on this address, e.g. 127.0.0.1:9340")
	f.BoolVar(&cfg.pprof, "pprof", false, "also serve Go's /debug/pprof/ profiles on the --metrics address")
	f.StringVar(&cfg.logFormat, "log-format", "text", "log format on stderr: text or json")
	f.StringVar(&cfg.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return cmd
}

// newLogger returns the slog logger the flags ask for, writing to w.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef(fmt.Errorf("--log-level %q: want debug, info, warn or error", level))
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef(fmt.Errorf("--log-format %q: want text or json", format))
}

// runServe opens the database, serves it until ctx ends, then shuts down
// gracefully and closes the database. ready, if not nil, is called with the
// protocol address once connections are accepted (tests use it to learn
// the port chosen for -p 0).
func runServe(ctx context.Context, cfg serveConfig, stderr io.Writer, ready func(addr net.Addr)) error {
	log, err := newLogger(stderr, cfg.logFormat, cfg.logLevel)
	if err != nil {
		return err
	}
	policy, err := fleetdb.ParseSyncPolicy(cfg.fsync)
	if err != nil {
		return usagef(fmt.Errorf("--fsync: %w", err))
	}
	if cfg.port < 0 || cfg.port > 65535 {
		return usagef(fmt.Errorf("-p %d: not a TCP port", cfg.port))
	}
	opts := fleetdb.Options{Sync: policy, AutoCompactRatio: cfg.autoCompact, Logger: log}
	file := "ephemeral"
	if !cfg.ephemeral {
		opts.Path, file = cfg.file, cfg.file
	}
	if err := opts.Validate(); err != nil {
		return usagef(err)
	}
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
	}
	if err := scfg.Validate(); err != nil {
		return usagef(err)
	}
	if cfg.pprof && cfg.metrics == "" {
		return usagef(errors.New("--pprof needs --metrics ADDR"))
	}

	start := time.Now()
	db, err := fleetdb.Open(opts)
	if err != nil {
		return fmt.Errorf("open %s: %w", file, err)
	}
	srv, err := server.New(db, scfg) // *fleetdb.DB is a server.StatsSource
	if err != nil {
		db.Close()
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", scfg.Addr)
	if err != nil {
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

	args := []any{"addr", ln.Addr().String(), "file", file}
	if !cfg.ephemeral {
		args = append(args, "fsync", policy.String())
	}
	args = append(args, "auth", cfg.password != "", "started_in", time.Since(start).Round(time.Millisecond))
	log.Info("fleetdb: ready", args...)
	if ready != nil {
		ready(ln.Addr())
	}

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("fleetdb: stopping", "cause", context.Cause(ctx))
	case serveErr = <-served:
		served <- serveErr
		log.Error("fleetdb: the listener failed; stopping", "err", serveErr)
	}
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
		errs = append(errs, fmt.Errorf("close %s: %w", file, err))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Info("fleetdb: stopped", "file", file)
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
