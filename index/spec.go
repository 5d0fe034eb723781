package index

import (
	"errors"
	"strconv"
	"strings"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
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
	return string(jsontext.AppendCompact(nil, r.Raw))
}
