// Command fleetdb is FleetDB for Go's one binary: `fleetdb serve` runs a
// server (README.md), `fleetdb check` checks a log file offline, `fleetdb
// bench` measures a running server. Run `fleetdb help` for the list.
//
// The commands are built by newRootCmd (no package-level flag state); each
// returns an error, which main maps to the exit status (cliutil.ExitStatus): 0
// success, 1 a failure (or a damaged log for check), 2 a usage error, 3 a
// query the server refused, 4 a query the server failed, 5 no server.
package main
