package replication

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Operations of the forwarding protocol: what a member asks the leader.
const (
	opWrite     = 'W' // payload: a writes entry; answer: index and results
	opReadIndex = 'R' // payload: the asker's id (or empty) [, 0, its echo]; answer: the leader's read index [, its term to check [, the answer's number]] (askerindex.go, echo.go)
	opJoin      = 'J' // payload: id, raft address, client address
	opRemove    = 'X' // payload: id
	opMember    = 'M' // payload: a member entry to commit
	opPing      = 'P' // payload: empty; answer: empty (any member; proves the link authenticates)
	opConfirm   = 'C' // payload: none; answer: uvarint of the member's current term (any member; leadercheck.go)
)

// Statuses of a forwarding answer.
const (
	stOK        = 0 // done; the payload is the op's answer
	stNotLeader = 1 // the receiver is not the leader; nothing was done
	stUnknown   = 2 // the outcome is unknown; the payload is a message
	stFailed    = 3 // not done; the payload is a message
)

// fwdMagic is the first byte a forwarding connection sends on the Raft
// port (raft's own connections start with an RPC type byte, 0 to 4), then
// fwdVersion.
const (
	fwdMagic   = 'F'
	fwdVersion = 1
)

// maxFrame bounds a forwarding frame (a batch of up to MaxBatch requests
// of the protocol's 16 MiB each would be more; such a batch is refused by
// the leader's Raft anyway long before).
const maxFrame = 1 << 30

// handler answers one forwarded request on the leader: (op, payload) →
// (status, answer). It may block up to the node's ApplyTimeout; ctx ends
// when the requester goes away.
type handler func(ctx context.Context, op byte, payload []byte) (status byte, answer []byte)

// quickHandler answers a forwarded request at once, without blocking, if
// it can (ok); otherwise the handler answers it.
type quickHandler func(op byte, payload []byte) (status byte, answer []byte, ok bool)

// link sends forwarded requests to other members: the TCP link in
// production, the in-process network in tests.
type link interface {
	// call sends (op, payload) to the member at addr and returns its
	// answer. An error wraps errNotSent when the request surely did not
	// reach the member's handler, errLost otherwise.
	call(ctx context.Context, addr string, op byte, payload []byte) (status byte, answer []byte, err error)
	// start sends (op, payload) as call does without waiting: fn gets what
	// call would have returned, once, from another goroutine, within
	// timeout. It reports false, having sent nothing and without calling
	// fn, when it cannot send at once (no connection open): call then.
	start(addr string, op byte, payload []byte, timeout time.Duration, fn func(status byte, answer []byte, err error)) bool
	close() error
}

// errNotSent: the request did not reach the other member (dial or write
// failed); it may be sent again.
var errNotSent = errors.New("replication: request not sent")

// errLost: the request was sent but its answer did not come (the
// connection broke, or the caller's context ended).
var errLost = errors.New("replication: answer lost")

// writeFrame writes one frame: uvarint length | uvarint id | code byte |
// payload (code is the op of a request or the status of an answer).
func writeFrame(w *bufio.Writer, id uint64, code byte, payload []byte) error {
	var hdr [2*binary.MaxVarintLen64 + 1]byte
	idn := binary.PutUvarint(hdr[binary.MaxVarintLen64:], id)
	body := idn + 1 + len(payload)
	n := binary.PutUvarint(hdr[:], uint64(body))
	if _, err := w.Write(hdr[:n]); err != nil {
		return err
	}
	if _, err := w.Write(hdr[binary.MaxVarintLen64 : binary.MaxVarintLen64+idn]); err != nil {
		return err
	}
	if err := w.WriteByte(code); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// frameBuffered reports whether r holds a whole frame already, so that
// reading it will not wait for the network.
func frameBuffered(r *bufio.Reader) bool {
	b, _ := r.Peek(min(r.Buffered(), binary.MaxVarintLen64))
	n, k := binary.Uvarint(b)
	return k > 0 && uint64(r.Buffered()-k) >= n
}

// readFrame reads one frame written by writeFrame into a new buffer.
func readFrame(r *bufio.Reader) (id uint64, code byte, payload []byte, err error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, 0, nil, err
	}
	if n < 2 || n > maxFrame {
		return 0, 0, nil, fmt.Errorf("%w: frame of %d bytes", ErrCorrupt, n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, 0, nil, err
	}
	id, k := binary.Uvarint(buf)
	if k <= 0 || k >= len(buf) {
		return 0, 0, nil, fmt.Errorf("%w: bad frame id", ErrCorrupt)
	}
	return id, buf[k], buf[k+1:], nil
}

// statusOf maps the error of a leader-side operation to a status.
func statusOf(err error) (byte, []byte) {
	switch {
	case err == nil:
		return stOK, nil
	case errors.Is(err, ErrNotLeader):
		return stNotLeader, nil
	case errors.Is(err, ErrOutcomeUnknown):
		return stUnknown, []byte(err.Error())
	}
	return stFailed, []byte(err.Error())
}

// remoteError turns a non-OK answer back into an error.
func remoteError(status byte, answer []byte) error {
	switch status {
	case stNotLeader:
		return ErrNotLeader
	case stUnknown:
		return &unknownError{why: "the leader answered: " + string(answer)}
	}
	return fmt.Errorf("replication: the leader refused: %s", answer)
}
