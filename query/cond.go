package query

import (
	"strings"

	"github.com/fleetdb-go/fleetdb/index"
	"github.com/fleetdb-go/fleetdb/internal/jsontext"
	"github.com/tidwall/gjson"
)

// Cond is a where condition. Match reports whether a record satisfies it.
type Cond interface {
	Match(rec string) bool
	// Raw is the condition as written (compact JSON), for explain.
	Raw() string
}

// Op is a comparison operator.
type Op int

// Comparison operators. The between forms are a Range with both bounds.
const (
	OpEq Op = iota
	OpNe
	OpLt
	OpLe
	OpGt
	OpGe
)

// Compare is `=`, `!=`, `<`, `<=`, `>` or `>=` on one attribute.
type Compare struct {
	Op    Op
	Path  index.Path
	Value gjson.Result // the literal, parsed from the query
	Enc   string       // its encoding
	num   index.Number // for numeric literals
	raw   string
}

// Range is a condition with a lower and/or upper bound within one type
// class: `<`, `<=`, `>`, `>=` and the between forms `><`, `>=<`, `><=`,
// `>=<=`. A record whose value is of another class (or missing) does not
// match.
type Range struct {
	Path   index.Path
	Class  index.Class
	Lo, Hi *index.Bound // nil: open
	lo, hi gjson.Result
	loNum  index.Number
	hiNum  index.Number
	raw    string
}

// In is `in` (or `not-in` when Negate) on one attribute.
type In struct {
	Path   index.Path
	Values []gjson.Result
	Encs   []string // sorted, distinct encodings
	set    map[string]struct{}
	Negate bool
	raw    string
}

// And is a conjunction; Or a disjunction.
type (
	And struct {
		Conds []Cond
		raw   string
	}
	Or struct {
		Conds []Cond
		raw   string
	}
)

func (c *Compare) Raw() string { return jsontext.CompactString(c.raw) }
func (c *Range) Raw() string   { return jsontext.CompactString(c.raw) }
func (c *In) Raw() string      { return jsontext.CompactString(c.raw) }
func (c *And) Raw() string     { return jsontext.CompactString(c.raw) }
func (c *Or) Raw() string      { return jsontext.CompactString(c.raw) }

// Match implements = and != (equality is deep, numbers by value, missing
// equals null).
func (c *Compare) Match(rec string) bool {
	eq := equalsLiteral(c.Path.Get(rec), c.Value, c.Enc, c.num)
	if c.Op == OpNe {
		return !eq
	}
	return eq
}

// equalsLiteral compares v with a literal without allocating for scalars.
func equalsLiteral(v, lit gjson.Result, enc string, num index.Number) bool {
	switch lit.Type {
	case gjson.Null:
		return v.Type == gjson.Null
	case gjson.False, gjson.True:
		return v.Type == lit.Type
	case gjson.Number:
		return v.Type == gjson.Number && compareNumbers(index.ParseNumber(v.Raw, v.Num), num) == 0
	case gjson.String:
		return v.Type == gjson.String && v.Str == lit.Str
	}
	if v.Type != gjson.JSON || v.Raw[0] != lit.Raw[0] {
		return false
	}
	var buf [64]byte
	return string(index.AppendValue(buf[:0], v)) == enc
}

// Match implements the range operators.
func (c *Range) Match(rec string) bool {
	v := c.Path.Get(rec)
	switch c.Class {
	case index.ClassNumber:
		if v.Type != gjson.Number {
			return false
		}
		n := index.ParseNumber(v.Raw, v.Num)
		if c.Lo != nil {
			if r := compareNumbers(n, c.loNum); r < 0 || (r == 0 && !c.Lo.Inclusive) {
				return false
			}
		}
		if c.Hi != nil {
			if r := compareNumbers(n, c.hiNum); r > 0 || (r == 0 && !c.Hi.Inclusive) {
				return false
			}
		}
		return true
	case index.ClassString:
		if v.Type != gjson.String {
			return false
		}
		return c.within(strings.Compare(v.Str, c.lo.Str), strings.Compare(v.Str, c.hi.Str))
	case index.ClassBool:
		if v.Type != gjson.True && v.Type != gjson.False {
			return false
		}
		return c.within(compareBools(v, c.lo), compareBools(v, c.hi))
	}
	return false
}

// within applies the bounds given the comparisons of the value with each.
func (c *Range) within(cmpLo, cmpHi int) bool {
	if c.Lo != nil && (cmpLo < 0 || (cmpLo == 0 && !c.Lo.Inclusive)) {
		return false
	}
	if c.Hi != nil && (cmpHi > 0 || (cmpHi == 0 && !c.Hi.Inclusive)) {
		return false
	}
	return true
}

func compareBools(a, b gjson.Result) int {
	x, y := a.Type == gjson.True, b.Type == gjson.True
	switch {
	case x == y:
		return 0
	case !x:
		return -1
	}
	return 1
}

// compareNumbers orders canonical numbers by value.
func compareNumbers(a, b index.Number) int {
	if a.IsInt && b.IsInt {
		switch {
		case a.Int < b.Int:
			return -1
		case a.Int > b.Int:
			return 1
		}
		return 0
	}
	var ba, bb [16]byte
	return strings.Compare(string(index.AppendNumber(ba[:0], a)), string(index.AppendNumber(bb[:0], b)))
}

// Match implements in and not-in.
func (c *In) Match(rec string) bool {
	v := c.Path.Get(rec)
	var buf [64]byte
	_, found := c.set[string(index.AppendValue(buf[:0], v))]
	return found != c.Negate
}

// Match implements and.
func (c *And) Match(rec string) bool {
	for _, x := range c.Conds {
		if !x.Match(rec) {
			return false
		}
	}
	return true
}

// Match implements or.
func (c *Or) Match(rec string) bool {
	for _, x := range c.Conds {
		if x.Match(rec) {
			return true
		}
	}
	return false
}
