package query

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/fleetdb-go/fleetdb/dbvalue"
	"github.com/fleetdb-go/fleetdb/index"
)

// AppendID appends the encoded id (the record map's key) of a Go value
// given as an id, for the Go values whose JSON text (as encoding/json
// writes it) is a number or a string with the same value: the integer
// types, finite float64 and valid UTF-8 strings. For any other value it
// reports false, and the caller takes the general path (marshal and
// parse), which gives that value's meaning and errors.
func AppendID(dst []byte, id any) ([]byte, bool) {
	var i int64
	switch x := id.(type) {
	case string:
		if !utf8.ValidString(x) { // encoding/json would replace the bad bytes
			return dst, false
		}
		return index.AppendString(dst, x), true
	case int:
		i = int64(x)
	case int64:
		i = x
	case int32:
		i = int64(x)
	case int16:
		i = int64(x)
	case int8:
		i = int64(x)
	case uint:
		return appendUintID(dst, uint64(x)), true
	case uint64:
		return appendUintID(dst, x), true
	case uint32:
		i = int64(x)
	case uint16:
		i = int64(x)
	case uint8:
		i = int64(x)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return dst, false // encoding/json refuses them
		}
		// The text matters only to tell integer text from the rest
		// (index.ParseNumber): write it as encoding/json does, shortest
		// digits in 'f' form between 1e-6 and 1e21, else 'e' form.
		format := byte('f')
		if abs := math.Abs(x); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
			format = 'e'
		}
		var buf [40]byte
		text := strconv.AppendFloat(buf[:0], x, format, -1, 64)
		return index.AppendNumber(dst, index.ParseNumber(string(text), x)), true
	default:
		return dst, false
	}
	return index.AppendNumber(dst, index.Number{IsInt: true, Int: i}), true
}

func appendUintID(dst []byte, u uint64) []byte {
	var buf [24]byte
	text := strconv.AppendUint(buf[:0], u, 10)
	f, _ := strconv.ParseFloat(string(text), 64) // as gjson computes Num
	return index.AppendNumber(dst, index.ParseNumber(string(text), f))
}

// Get returns the record of collection coll in v whose encoded id is id
// (see AppendID): the answer of a select with the one condition ["=",
// "id", …], without building the query.
func Get(v *dbvalue.Value, coll, id string) (string, bool) {
	return v.Collection(coll).Get(id)
}
