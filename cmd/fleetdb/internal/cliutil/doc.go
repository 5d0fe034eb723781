// Package cliutil is what the fleetdb commands share: the connection
// flags every command that talks to a server has (ConnFlags, AdminFlags:
// --host, --port, --password, --connect-timeout, FLEETDB_ADDR,
// FLEETDB_PASSWORD, --json), the errors and the exit statuses they map to
// (ExitStatus), and the output of results as tables or JSON (Output).
//
// A new flag for reaching a server (TLS, for instance) belongs in
// ConnFlags: register adds it, Dial uses it, and every command has it.
package cliutil
