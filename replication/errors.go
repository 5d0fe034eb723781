package replication

import (
	"errors"
	"fmt"
)

// ErrNoLeader: the cluster had no leader this node could reach within
// Config.ApplyTimeout. The write was not applied; the caller may retry.
var ErrNoLeader = errors.New("replication: no leader")

// ErrOutcomeUnknown: a write was handed to the leader, and then leadership
// was lost, the connection to the leader broke, the node shut down or the
// caller's context ended before the answer came. The write may or may not
// have been applied (it is either applied everywhere or nowhere): read
// before retrying it. Errors matching it have messages starting with
// "write outcome unknown: ".
var ErrOutcomeUnknown = errors.New("write outcome unknown")

// ErrClosed: the node was closed.
var ErrClosed = errors.New("replication: node is closed")

// ErrNotLeader: an operation that only the leader performs reached a node
// that is not the leader (internal; forwarding retries on it).
var ErrNotLeader = errors.New("replication: not the leader")

// ErrCorrupt: a log entry or a snapshot could not be decoded.
var ErrCorrupt = errors.New("replication: corrupt data")

// unknownError is a write whose outcome is unknown. It matches
// ErrOutcomeUnknown and wraps the cause.
type unknownError struct {
	why string
	err error
}

func (e *unknownError) Error() string {
	if e.err != nil {
		return "write outcome unknown: " + e.why + ": " + e.err.Error()
	}
	return "write outcome unknown: " + e.why
}
func (e *unknownError) Unwrap() error        { return e.err }
func (e *unknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

func outcomeUnknown(why string, err error) error { return &unknownError{why: why, err: err} }

// noLeader reports that no leader was reachable before the deadline.
func noLeader(wait string, last error) error {
	if last != nil {
		return fmt.Errorf("%w for %s (last error: %v)", ErrNoLeader, wait, last)
	}
	return fmt.Errorf("%w for %s", ErrNoLeader, wait)
}
