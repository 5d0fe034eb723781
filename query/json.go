package query

import "github.com/tidwall/gjson"

// elems appends the elements of the JSON array r to dst (nothing if r is
// not an array). Callers pass a small stack buffer: gjson's Array
// allocates a large slice per call, the main cost of parsing a query.
func elems(r gjson.Result, dst []gjson.Result) []gjson.Result {
	if !r.IsArray() {
		return dst
	}
	r.ForEach(func(_, v gjson.Result) bool {
		dst = append(dst, v)
		return true
	})
	return dst
}
