// Package protocol frames the FleetDB wire protocol: JSON lines over a byte
// stream, shared by the server and the client. It moves lines and response
// envelopes; it knows nothing about queries (package query parses those).
//
// # Wire format
//
// A request is one JSON value (a query array) on one line. A response is one
// line holding a two-element JSON array: a status and a value. Lines end with
// "\r\n"; a bare "\n" is accepted on input. Writers here always send "\r\n".
//
//	client                                     server
//	["ping"]\r\n                          ──►
//	                                     ◄──  [0,"pong"]\r\n
//	["insert","people",{"id":1}]\r\n      ──►
//	                                     ◄──  [0,1]\r\n
//	["select","people",{"limit":"x"}]\r\n ──►
//	                                     ◄──  [1,"Malformed query: ..."]\r\n
//
// Pipelined, the same exchange is one write each way:
//
//	["ping"]\r\n["insert",...]\r\n["select",...]\r\n  ──►
//	              ◄──  [0,"pong"]\r\n[0,1]\r\n[1,"Malformed query: ..."]\r\n
//
// Response line:
//
//	[ status , value ] \r\n
//	  │        │
//	  │        └─ status 0: the result, any JSON value
//	  │           status 1, 2: a message string (see the Prefix*/Msg* constants)
//	  └─ 0 ok, 1 refused (do not retry unchanged), 2 failed (may retry)
//
// # Pipelining
//
// A client may send many request lines without waiting; the server answers
// them in the order received. To pipeline efficiently a server reads with a
// Reader and writes with a Writer on the same connection and flushes only
// when the input it has already received is used up:
//
//	for {
//		line, err := r.ReadLine()
//		// ... handle err (a *TooLargeError is answered, then continue) ...
//		status, value := execute(line)
//		w.WriteResponse(status, value)
//		if r.Buffered() == 0 {
//			w.Flush() // about to block reading: send what we have
//		}
//	}
//
// so that a burst of requests costs one write system call per burst rather
// than one per response. A client that pipelines must read responses while
// it is still writing requests (or bound what it writes before reading):
// otherwise, once both directions' socket buffers fill, client and server
// both block on writes.
//
// # Limits
//
// A Reader returns lines up to MaxLineBytes (default 16 MiB), terminator
// excluded. A longer line is read to its end and discarded without being
// kept in memory (memory stays bounded by about the limit plus the buffer),
// and ReadLine returns a *TooLargeError; the next ReadLine returns the next
// line, so the connection stays usable. A server answers such a line with
// [1, RequestTooLargeMessage(limit)]. A client uses the same limit to bound
// the responses it accepts.
//
// Empty lines are returned by the Reader as they are; a server should skip
// them without answering.
//
// # Concurrency
//
// Reader and Writer are not safe for concurrent use. One goroutine owns a
// connection's Reader; one goroutine at a time uses its Writer (which may be
// a different goroutine from the reader's). ParseResponse and
// AppendJSONString are pure functions.
package protocol
