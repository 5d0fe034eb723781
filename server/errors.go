package server

import "errors"

// ErrServerClosed is returned by Serve and ListenAndServe once Shutdown has
// been called: the server stopped accepting on purpose.
var ErrServerClosed = errors.New("server: closed")

// ErrInvalidConfig is wrapped by the errors of Config.Validate (and so of
// New) for a field out of range.
var ErrInvalidConfig = errors.New("server: invalid config")

// ErrMetricsInUse is returned by New when Config.Metrics is already used by
// another Server: a Metrics describes one server.
var ErrMetricsInUse = errors.New("server: metrics already used by another server")

// ErrNotServing is returned by Healthy while no listener is being served
// (before Serve, or after Shutdown began).
var ErrNotServing = errors.New("server: not serving")

// ErrUnhealthy is wrapped by the error of Healthy when the Executor reports
// itself unable to serve (its StatsSource says StatLogFailed).
var ErrUnhealthy = errors.New("server: executor unhealthy")
