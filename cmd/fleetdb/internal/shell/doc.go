// Package shell is `fleetdb shell`: an interactive prompt on a server
// (line editing, history, completion of query and collection names,
// dot-commands), or a script runner when its input is not a terminal. It
// keeps one connection, so that per-connection settings typed in it hold.
package shell
