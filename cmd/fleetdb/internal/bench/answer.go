package bench

import (
	"bytes"
	"strconv"

	"github.com/fleetdb-go/fleetdb/client"
)

// The answers a bench expects, recognized by their bytes: an insert's
// [0,1], a ping's [0,"pong"], and a get's [0,[{...}]] holding the record
// asked for. Validating every answer as JSON (client.Stream.AppendReceive)
// was 18 % of the generator's CPU per pipelined get (perf), which on a
// 2-core machine is taken from the server; redis-benchmark likewise reads
// its replies by their framing. Anything else is parsed in full.
var (
	answerInsert = []byte(`[0,1]`)
	answerPing   = []byte(`[0,"pong"]`)
	answerGetPre = []byte(`[0,[{`)
	answerGetEnd = []byte(`}]]`)
)

// expected reports whether line is the answer expected for a request of
// op (key: the id a get asked for).
func expected(op int, key int64, line []byte) bool {
	switch op {
	case opInsert:
		return bytes.Equal(line, answerInsert)
	case opPing:
		return bytes.Equal(line, answerPing)
	case opGet:
		return bytes.HasPrefix(line, answerGetPre) && bytes.HasSuffix(line, answerGetEnd) &&
			hasID(line[len(answerGetPre)-1:len(line)-len(answerGetEnd)+1], key)
	}
	return false
}

// hasID reports whether the record rec (one JSON object) has the member
// "id":key.
func hasID(rec []byte, key int64) bool {
	var buf [32]byte
	needle := strconv.AppendInt(append(buf[:0], `"id":`...), key, 10)
	for rest := rec; ; {
		i := bytes.Index(rest, needle)
		if i < 0 {
			return false
		}
		if j := i + len(needle); j < len(rest) && (rest[j] == ',' || rest[j] == '}') {
			return true
		}
		rest = rest[i+1:]
	}
}

// sortAnswer says what an answer that is not the expected one is: an error
// to count (a refusal or failure of the server, with its message, or a
// success with another value than the request's), or a fatal one (not an
// answer of the protocol: the connection cannot go on).
func sortAnswer(line []byte) (msg string, fatal error) {
	_, err := client.ParseAnswer(line)
	if err == nil {
		return "unexpected answer: " + string(line[:min(len(line), 160)]), nil
	}
	if msg, fatal := answerError(err); !fatal {
		return msg, nil
	}
	return "", err
}
