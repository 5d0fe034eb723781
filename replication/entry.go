package replication

import (
	"encoding/binary"
	"fmt"

	"github.com/fleetdb-go/fleetdb/query"
)

// Entry types: the first byte of every Raft command entry (doc.go).
const (
	entryWrites = 'W' // a batch of writes
	entryMember = 'M' // a member's client address (or its removal)
	entryLeader = 'N' // a new leader's first entry of its term
)

// appendWrites appends a writes entry holding reqs to dst.
func appendWrites(dst []byte, reqs [][]byte) []byte {
	dst = append(dst, entryWrites)
	dst = binary.AppendUvarint(dst, uint64(len(reqs)))
	for _, r := range reqs {
		dst = appendString(dst, r)
	}
	return dst
}

// eachWrite calls fn with every write of a writes entry (without its type
// byte).
func eachWrite(body []byte, fn func(req []byte)) error {
	r := decoder{b: body}
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		req := r.bytes()
		if r.err == nil {
			fn(req)
		}
	}
	return r.finish("writes entry")
}

// countWrites returns the number of writes in a writes entry (without its
// type byte).
func countWrites(body []byte) (int, error) {
	r := decoder{b: body}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(body)) {
		return 0, fmt.Errorf("%w: writes entry: bad count", ErrCorrupt)
	}
	return int(n), nil
}

// appendMember appends a member entry: id's client address is addr, or id
// is forgotten when addr is "".
func appendMember(dst []byte, id, addr string) []byte {
	dst = append(dst, entryMember)
	dst = appendString(dst, []byte(id))
	return appendString(dst, []byte(addr))
}

func decodeMember(body []byte) (id, addr string, err error) {
	r := decoder{b: body}
	id = string(r.bytes())
	addr = string(r.bytes())
	return id, addr, r.finish("member entry")
}

// entryResult is the state machine's answer to one writes entry: one
// result per write, in order. A refused write has a *query.Error in errs
// and nil in outs; refusals are deterministic, so every node refuses the
// same writes.
type entryResult struct {
	outs [][]byte
	errs []error
}

// appendResult encodes a result for the forwarding protocol: the entry's
// Raft index, then per write a kind byte (0: success, else the
// query.Kind of the refusal) and the output or the message.
func appendResult(dst []byte, index uint64, res *entryResult) []byte {
	dst = binary.AppendUvarint(dst, index)
	dst = binary.AppendUvarint(dst, uint64(len(res.outs)))
	for i, out := range res.outs {
		if err := res.errs[i]; err != nil {
			kind, msg := byte(query.KindMalformedQuery), err.Error()
			if qe, ok := err.(*query.Error); ok {
				kind = byte(qe.Kind)
			}
			dst = append(dst, kind)
			dst = appendString(dst, []byte(msg))
			continue
		}
		dst = append(dst, 0)
		dst = appendString(dst, out)
	}
	return dst
}

func decodeResult(b []byte) (uint64, *entryResult, error) {
	r := decoder{b: b}
	index := r.uvarint()
	n := r.uvarint()
	if r.err != nil || n > uint64(len(b)) {
		return 0, nil, fmt.Errorf("%w: result: bad count", ErrCorrupt)
	}
	res := &entryResult{outs: make([][]byte, n), errs: make([]error, n)}
	for i := range res.outs {
		kind := r.byte()
		body := r.bytes()
		if kind == 0 {
			res.outs[i] = body
		} else {
			res.errs[i] = &query.Error{Kind: query.Kind(kind), Msg: string(body)}
		}
	}
	return index, res, r.finish("result")
}

func appendString(dst, s []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// decoder reads uvarints and length-prefixed strings, remembering the
// first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("%w: bad varint", ErrCorrupt)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = fmt.Errorf("%w: truncated", ErrCorrupt)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = fmt.Errorf("%w: truncated string", ErrCorrupt)
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) finish(what string) error {
	if d.err != nil {
		return fmt.Errorf("%s: %w", what, d.err)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: %s: %d trailing bytes", ErrCorrupt, what, len(d.b))
	}
	return nil
}
