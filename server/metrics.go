package server

import (
	"sort"
	"strings"
	"sync/atomic"

	"github.com/fleetdb-go/fleetdb/protocol"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the Prometheus metrics of one Server, on a registry of their
// own (never the global default one), with the Go runtime and process
// collectors. Give it to New in Config.Metrics and serve it with the
// Server's HTTPHandler.
//
// Server metrics (labels in braces):
//
//	fleetdb_server_queries_total{query,status}      answers by query name and status
//	fleetdb_server_query_duration_seconds{query}    time in the Executor (histogram)
//	fleetdb_server_connections                      connections open
//	fleetdb_server_connections_accepted_total       connections accepted
//	fleetdb_server_connections_rejected_total       refused over MaxConns
//	fleetdb_server_read_bytes_total                 bytes received
//	fleetdb_server_written_bytes_total              bytes sent
//	fleetdb_server_requests_too_large_total         lines over MaxRequestBytes
//	fleetdb_server_auth_failures_total{reason}      "rejected" (wrong password), "needed" (no auth)
//	fleetdb_server_timeouts_total{kind}             connections closed by "read" or "idle" timeout
//
// The query label is one of the query names of docs/query-language.md or "other"; status
// is "ok", "refused" or "failed". When the Executor is a StatsSource its
// figures are added at scrape time as fleetdb_db_<name>.
//
// The per-request counters are resolved once, here, so that counting an
// answer costs a few atomic additions and no label lookup.
type Metrics struct {
	reg *prometheus.Registry

	queries      [numNames][3]prometheus.Counter
	latency      [numNames]prometheus.Observer
	conns        prometheus.Gauge
	accepted     prometheus.Counter
	rejected     prometheus.Counter
	bytesIn      prometheus.Counter
	bytesOut     prometheus.Counter
	tooLarge     prometheus.Counter
	authRejected prometheus.Counter
	authNeeded   prometheus.Counter
	readTimeout  prometheus.Counter
	idleTimeout  prometheus.Counter
	watchMetrics

	// used is set by the Server that adopts these metrics.
	used atomic.Bool
}

// LatencyBuckets returns the upper bounds, in seconds, of the query
// duration histogram: 25 µs to about 3.7 s in steps of 2.5× (a new slice at
// each call).
func LatencyBuckets() []float64 { return prometheus.ExponentialBuckets(25e-6, 2.5, 14) }

// NewMetrics returns a fresh set of metrics on its own registry.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	queries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "fleetdb_server_queries_total",
		Help: "Queries answered, by query name (the names of the query language or \"other\") and status (ok, refused, failed).",
	}, []string{"query", "status"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "fleetdb_server_query_duration_seconds",
		Help:    "Time spent running queries in the executor, by query name.",
		Buckets: LatencyBuckets(),
	}, []string{"query"})
	auth := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "fleetdb_server_auth_failures_total",
		Help: "Connections closed for failed authentication: rejected (wrong password) or needed (first query not auth).",
	}, []string{"reason"})
	timeouts := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "fleetdb_server_timeouts_total",
		Help: "Connections closed by a timeout: read (a request line did not complete in time) or idle.",
	}, []string{"kind"})
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m.conns = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "fleetdb_server_connections",
		Help: "Connections open.",
	})
	m.accepted = counter("fleetdb_server_connections_accepted_total", "Connections accepted and served.")
	m.rejected = counter("fleetdb_server_connections_rejected_total", "Connections answered \"too many connections\" and closed.")
	m.bytesIn = counter("fleetdb_server_read_bytes_total", "Bytes received from clients.")
	m.bytesOut = counter("fleetdb_server_written_bytes_total", "Bytes sent to clients.")
	m.tooLarge = counter("fleetdb_server_requests_too_large_total", "Request lines longer than the limit.")

	for i, name := range queryNames {
		for s := protocol.StatusOK; s <= protocol.StatusFailed; s++ {
			m.queries[i][s] = queries.WithLabelValues(name, s.String())
		}
		m.latency[i] = latency.WithLabelValues(name)
	}
	m.authRejected = auth.WithLabelValues("rejected")
	m.authNeeded = auth.WithLabelValues("needed")
	m.readTimeout = timeouts.WithLabelValues("read")
	m.idleTimeout = timeouts.WithLabelValues("idle")

	m.reg.MustRegister(queries, latency, auth, timeouts, m.conns, m.accepted, m.rejected,
		m.bytesIn, m.bytesOut, m.tooLarge,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.watchMetrics = newWatchMetrics(m.reg)
	return m
}

// Registry returns the registry holding the metrics, for registering more
// collectors on it or for gathering in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// adopt binds m to one server and registers the Executor's figures.
func (m *Metrics) adopt(stats StatsSource) error {
	if !m.used.CompareAndSwap(false, true) {
		return ErrMetricsInUse
	}
	if stats != nil {
		return m.reg.Register(statsCollector{stats})
	}
	return nil
}

// answered counts one answer. m may be nil.
func (m *Metrics) answered(name int, status protocol.Status) {
	if m != nil {
		m.queries[name][status].Inc()
	}
}

// statsCollector exports a StatsSource at scrape time. It is an unchecked
// collector (Describe sends nothing) because the names are known only when
// the snapshot is taken.
type statsCollector struct{ src StatsSource }

func (statsCollector) Describe(chan<- *prometheus.Desc) {}

func (c statsCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.src.MetricsSnapshot()
	names := make([]string, 0, len(snap))
	for name := range snap {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		typ := prometheus.GaugeValue
		if strings.HasSuffix(name, "_total") {
			typ = prometheus.CounterValue
		}
		desc := prometheus.NewDesc("fleetdb_db_"+name, "FleetDB database figure "+name+" (from the executor's MetricsSnapshot).", nil, nil)
		m, err := prometheus.NewConstMetric(desc, typ, snap[name])
		if err != nil {
			m = prometheus.NewInvalidMetric(desc, err)
		}
		ch <- m
	}
}
