package index

import (
	"errors"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Component is one attribute of an index, with its direction.
type Component struct {
	Path Path
	Desc bool
}

// Spec describes an index: one or more components. Specs that differ only
// in how they were written ("a", ["a"], [["a","asc"]]) have the same Key.
type Spec struct {
	Components []Component
	raw        string // the spec as given at creation, compact JSON
	key        string // canonical form
}

// ErrEmptySpec is returned for an index spec without components.
var ErrEmptySpec = errors.New("empty index spec")

// ParseSpec parses an index spec (docs/query-language.md): "a", or an array whose elements
// are "a" or ["a", "asc"|"desc"]. raw is kept as the spec's Raw form.
func ParseSpec(r gjson.Result) (Spec, error) {
	var comps []Component
	switch {
	case r.Type == gjson.String:
		p, err := ParsePath(r.Str)
		if err != nil {
			return Spec{}, err
		}
		comps = append(comps, Component{Path: p})
	case r.IsArray():
		var err error
		r.ForEach(func(_, c gjson.Result) bool {
			var comp Component
			comp, err = parseComponent(c)
			comps = append(comps, comp)
			return err == nil
		})
		if err != nil {
			return Spec{}, err
		}
		if len(comps) == 0 {
			return Spec{}, ErrEmptySpec
		}
	default:
		return Spec{}, errors.New("index spec must be an attribute name or an array of components, got " + kindName(r))
	}
	return newSpec(comps, compactRaw(r)), nil
}

func parseComponent(c gjson.Result) (Component, error) {
	if c.Type == gjson.String {
		p, err := ParsePath(c.Str)
		return Component{Path: p}, err
	}
	if !c.IsArray() {
		return Component{}, errors.New("index component must be a name or [name, \"asc\"|\"desc\"], got " + kindName(c))
	}
	parts := c.Array()
	if len(parts) != 2 || parts[0].Type != gjson.String || parts[1].Type != gjson.String {
		return Component{}, errors.New("index component must be [name, \"asc\"|\"desc\"], got " + compactRaw(c))
	}
	p, err := ParsePath(parts[0].Str)
	if err != nil {
		return Component{}, err
	}
	switch parts[1].Str {
	case "asc":
		return Component{Path: p}, nil
	case "desc":
		return Component{Path: p, Desc: true}, nil
	}
	return Component{}, errors.New("index direction must be \"asc\" or \"desc\", got " + quote(parts[1].Str))
}

// NewSpec builds a spec from components; raw is how it was written.
func NewSpec(comps []Component, raw string) Spec { return newSpec(comps, raw) }

func newSpec(comps []Component, raw string) Spec {
	// Each name is quoted so that the key is unambiguous even for names
	// that contain NUL or other control bytes: ["a","b"] and "a\u0000b"
	// are different indexes.
	var b strings.Builder
	for i, c := range comps {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(c.Path.Name()))
		if c.Desc {
			b.WriteString(" desc")
		}
	}
	return Spec{Components: comps, raw: raw, key: b.String()}
}

// Key is the canonical identity of the spec.
func (s Spec) Key() string { return s.key }

// Raw is the spec as given at creation (compact JSON).
func (s Spec) Raw() string { return s.raw }

func kindName(r gjson.Result) string {
	switch r.Type {
	case gjson.Null:
		if r.Raw == "" {
			return "nothing"
		}
		return "null"
	case gjson.False, gjson.True:
		return "a boolean"
	case gjson.Number:
		return "a number"
	case gjson.String:
		return "a string"
	}
	if r.IsArray() {
		return "an array"
	}
	return "an object"
}

// compactRaw returns r's raw JSON without insignificant white space.
func compactRaw(r gjson.Result) string {
	return string(AppendCompact(nil, r.Raw))
}

// AppendCompact appends the JSON text js without insignificant white space.
// js must be valid JSON.
func AppendCompact(dst []byte, js string) []byte {
	for {
		i := nextSpace(js)
		if i < 0 {
			return append(dst, js...)
		}
		dst = append(dst, js[:i]...)
		js = js[i+1:]
	}
}

// CompactString returns the JSON text js without insignificant white space,
// in a string of its own (never sharing js's bytes). js must be valid JSON.
func CompactString(js string) string {
	i := nextSpace(js)
	if i < 0 {
		return strings.Clone(js)
	}
	var b strings.Builder
	b.Grow(len(js) - 1)
	for i >= 0 {
		b.WriteString(js[:i])
		js = js[i+1:]
		i = nextSpace(js)
	}
	b.WriteString(js)
	return b.String()
}

// nextSpace returns the index of the first white space byte of valid JSON
// text js that is outside strings, or -1. It jumps over strings with
// IndexByte, so string-heavy text costs little.
func nextSpace(js string) int {
	for i := 0; i < len(js); i++ {
		switch js[i] {
		case ' ', '\t', '\n', '\r':
			return i
		case '"':
			end := StringEnd(js, i+1)
			if end < 0 {
				return -1
			}
			i = end
		}
	}
	return -1
}

// StringEnd returns the index of the quote that closes the JSON string
// whose contents start at i, or -1.
func StringEnd(js string, i int) int {
	for {
		j := strings.IndexByte(js[i:], '"')
		if j < 0 {
			return -1
		}
		q := i + j
		bs := 0
		for k := q - 1; k >= i && js[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			return q
		}
		i = q + 1
	}
}
