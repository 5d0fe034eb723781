package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HTTPHandler returns the server's HTTP endpoints:
//
//	GET /metrics  the Prometheus metrics of Config.Metrics (404 without them)
//	GET /healthz  200 "ok" while Healthy, 503 with the reason otherwise
//	              (not serving yet, shutting down, the database's log failed)
//
// Serve it with an http.Server of the caller's on its own address; it is
// safe for concurrent use.
func (s *Server) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	if s.m != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{
			ErrorLog:      slogPrinter{s},
			ErrorHandling: promhttp.ContinueOnError,
			Registry:      s.m.reg,
		}))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := s.Healthy(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(err.Error() + "\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
	return mux
}

// slogPrinter adapts the server's logger to promhttp's ErrorLog.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) {
	p.s.log.Warn("server: metrics", "err", v)
}
