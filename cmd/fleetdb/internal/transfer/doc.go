// Package transfer holds the fleetdb commands that move whole collections
// between a server and files: export and import (JSON lines, one record a
// line) and backup and restore (every collection with its indexes, one
// file). They stream: an answer of any size is read record by record, and
// imports are sent in pipelined batches, with a progress bar on a terminal.
package transfer
