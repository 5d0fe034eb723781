package index

import (
	"errors"
	"strings"

	"github.com/tidwall/gjson"
)

// Path is a parsed attribute name (docs/query-language.md): a top-level key, or a dotted
// path into nested objects where `\.` stands for a literal dot in a key.
type Path struct {
	name  string   // the name as the user wrote it
	steps []string // unescaped keys
	esc   []string // the steps escaped for gjson
	gpath string   // the equivalent gjson path, every step escaped
}

// ParsePath parses an attribute name. An empty name or an empty step
// ("a..b", ".a", "a.") is an error; so is a backslash that escapes
// anything but a dot or a backslash.
func ParsePath(name string) (Path, error) {
	if name == "" {
		return Path{}, errors.New("empty attribute name")
	}
	var steps []string
	var cur strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch c {
		case '\\':
			if i+1 >= len(name) || (name[i+1] != '.' && name[i+1] != '\\') {
				return Path{}, errors.New("attribute name " + quote(name) + ": a backslash must escape '.' or '\\'")
			}
			i++
			cur.WriteByte(name[i])
		case '.':
			if cur.Len() == 0 {
				return Path{}, errors.New("attribute name " + quote(name) + " has an empty step")
			}
			steps = append(steps, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() == 0 {
		return Path{}, errors.New("attribute name " + quote(name) + " has an empty step")
	}
	steps = append(steps, cur.String())
	escaped := make([]string, len(steps))
	for i, s := range steps {
		escaped[i] = gjson.Escape(s)
	}
	return Path{name: name, steps: steps, esc: escaped, gpath: strings.Join(escaped, ".")}, nil
}

// MustPath is ParsePath for names known to be valid; it panics otherwise.
func MustPath(name string) Path {
	p, err := ParsePath(name)
	if err != nil {
		panic(err)
	}
	return p
}

// Name returns the attribute name as written.
func (p Path) Name() string { return p.name }

// IsID reports whether the path is the top-level "id" attribute.
func (p Path) IsID() bool { return len(p.steps) == 1 && p.steps[0] == "id" }

// Steps returns the unescaped keys of the path.
func (p Path) Steps() []string { return p.steps }

// Get reads the attribute from the JSON object rec. A missing attribute (or
// a missing step, or a step into a non-object) gives a Result whose Type is
// gjson.Null and whose Raw is empty.
func (p Path) Get(rec string) gjson.Result {
	if len(p.steps) == 1 {
		return gjson.Get(rec, p.gpath)
	}
	// Walk step by step so that a step into an array does not index it
	// (a nested name addresses object fields only).
	r := gjson.Parse(rec)
	for _, s := range p.esc {
		if !r.IsObject() {
			return gjson.Result{}
		}
		r = r.Get(s)
	}
	return r
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Key identifies the attribute the path addresses: two names that address
// the same attribute have the same Key. It is the name itself: a name is
// the steps with '.' and '\' escaped, so names and step lists correspond
// one to one. (Joining the steps with NUL would not: a key may contain a
// NUL byte, and "a\u0000b" would then address the same attribute as "a.b".)
func (p Path) Key() string { return p.name }
