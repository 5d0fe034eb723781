package query

import (
	"encoding/json"
	"math"

	"github.com/fleetdb-go/fleetdb/index"
	"github.com/tidwall/gjson"
)

// findKind says which find-options a query accepts.
type findKind int

const (
	findSelect findKind = iota // every option
	findCount                  // no only
	findWrite                  // update, delete: no only, no distinct
)

// parseFind parses the optional find-options argument of query q.
func parseFind(q string, args []gjson.Result, kind findKind) (Find, error) {
	f := Find{Limit: -1}
	if len(args) == 0 {
		return f, nil
	}
	opts := args[0]
	if !opts.IsObject() {
		return f, malformed("%s: find options must be an object, got %s", q, kindOf(opts))
	}
	var err error
	seen := map[string]bool{}
	opts.ForEach(func(k, v gjson.Result) bool {
		if seen[k.Str] {
			err = malformed("%s: option %s appears twice", q, k.Raw)
			return false
		}
		seen[k.Str] = true
		switch k.Str {
		case "where":
			f.Where, err = parseCond(q, v, 0)
			f.whereRaw = v.Raw // compacted when explained
		case "order":
			f.Order, err = parseOrder(q, v)
			f.orderRaw = v.Raw
		case "offset":
			f.Offset, err = parseNonNegative(q, "offset", v)
		case "limit":
			f.Limit, err = parseNonNegative(q, "limit", v)
		case "only":
			if kind != findSelect {
				err = malformed("%s: only is not allowed in %s", q, q)
				return false
			}
			f.Only, f.OnlyOne, err = parseOnly(q, v)
			f.onlyRaw = v.Raw
		case "distinct":
			if kind == findWrite {
				err = malformed("%s: distinct is not allowed in %s", q, q)
				return false
			}
			if v.Type != gjson.True && v.Type != gjson.False {
				err = malformed("%s: distinct must be true or false, got %s", q, kindOf(v))
				return false
			}
			f.Distinct = v.Type == gjson.True
		default:
			err = malformed("%s: unknown option %s", q, k.Raw)
		}
		return err == nil
	})
	return f, err
}

func parseNonNegative(q, name string, v gjson.Result) (int, error) {
	if v.Type != gjson.Number {
		return 0, malformed("%s: %s must be a non-negative integer, got %s", q, name, kindOf(v))
	}
	n := index.ParseNumber(v.Raw, v.Num)
	if !n.IsInt && n.Float >= 1<<53 && !math.IsInf(n.Float, 1) && n.Float == math.Trunc(n.Float) {
		// An integer beyond int64 (1e20, 99999999999999999999) is still a
		// non-negative integer; it is capped below like any large value.
		n = index.Number{IsInt: true, Int: 1 << 53}
	}
	if !n.IsInt || n.Int < 0 {
		return 0, malformed("%s: %s must be a non-negative integer, got %s", q, name, v.Raw)
	}
	if n.Int > 1<<53 {
		n.Int = 1 << 53
	}
	return int(n.Int), nil
}

func parsePathArg(q string, v gjson.Result) (index.Path, error) {
	if v.Type != gjson.String {
		return index.Path{}, malformed("%s: attribute name must be a string, got %s", q, kindOf(v))
	}
	p, err := index.ParsePath(v.Str)
	if err != nil {
		return p, malformed("%s: %v", q, err)
	}
	return p, nil
}

func parseOrder(q string, v gjson.Result) ([]OrderKey, error) {
	if !v.IsArray() {
		return nil, malformed("%s: order must be [attribute, \"asc\"|\"desc\"] or an array of them, got %s", q, kindOf(v))
	}
	var partsBuf [4]gjson.Result
	parts := elems(v, partsBuf[:0])
	if len(parts) == 0 {
		return nil, malformed("%s: order is empty", q)
	}
	if parts[0].Type == gjson.String {
		k, err := parseOrderKey(q, v)
		return []OrderKey{k}, err
	}
	keys := make([]OrderKey, 0, len(parts))
	for _, p := range parts {
		k, err := parseOrderKey(q, p)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func parseOrderKey(q string, v gjson.Result) (OrderKey, error) {
	var partsBuf [4]gjson.Result
	parts := elems(v, partsBuf[:0])
	if !v.IsArray() || len(parts) != 2 || parts[1].Type != gjson.String {
		return OrderKey{}, malformed("%s: order key must be [attribute, \"asc\"|\"desc\"], got %s", q, compact(v))
	}
	p, err := parsePathArg(q, parts[0])
	if err != nil {
		return OrderKey{}, err
	}
	switch parts[1].Str {
	case "asc":
		return OrderKey{Path: p}, nil
	case "desc":
		return OrderKey{Path: p, Desc: true}, nil
	}
	return OrderKey{}, malformed("%s: order direction must be \"asc\" or \"desc\", got %s", q, parts[1].Raw)
}

func parseOnly(q string, v gjson.Result) ([]index.Path, bool, error) {
	if v.Type == gjson.String {
		p, err := parsePathArg(q, v)
		return []index.Path{p}, true, err
	}
	if !v.IsArray() {
		return nil, false, malformed("%s: only must be an attribute name or an array of names, got %s", q, kindOf(v))
	}
	var partsBuf [4]gjson.Result
	parts := elems(v, partsBuf[:0])
	if len(parts) == 0 {
		return nil, false, malformed("%s: only is an empty array", q)
	}
	paths := make([]index.Path, 0, len(parts))
	for _, x := range parts {
		p, err := parsePathArg(q, x)
		if err != nil {
			return nil, false, err
		}
		paths = append(paths, p)
	}
	return paths, false, nil
}

var rangeOps = map[string]struct {
	op           Op
	between      bool
	loInc, hiInc bool
}{
	"<": {op: OpLt}, "<=": {op: OpLe}, ">": {op: OpGt}, ">=": {op: OpGe},
	"><": {between: true}, ">=<": {between: true, loInc: true},
	"><=": {between: true, hiInc: true}, ">=<=": {between: true, loInc: true, hiInc: true},
}

// parseCond parses a where condition.
func parseCond(q string, v gjson.Result, depth int) (Cond, error) {
	if depth > MaxDepth {
		return nil, malformed("%s: where nesting exceeds %d", q, MaxDepth)
	}
	if !v.IsArray() {
		return nil, malformed("%s: where condition must be an array, got %s", q, kindOf(v))
	}
	var partsBuf [4]gjson.Result
	parts := elems(v, partsBuf[:0])
	if len(parts) == 0 || parts[0].Type != gjson.String {
		return nil, malformed("%s: where condition must start with an operator, got %s", q, compact(v))
	}
	op := parts[0].Str
	raw := v.Raw // compacted when explained
	switch op {
	case "and", "or":
		if len(parts) < 2 {
			return nil, malformed("%s: %s needs at least one condition", q, op)
		}
		conds := make([]Cond, 0, len(parts)-1)
		for _, p := range parts[1:] {
			c, err := parseCond(q, p, depth+1)
			if err != nil {
				return nil, err
			}
			conds = append(conds, c)
		}
		if op == "and" {
			return &And{Conds: conds, raw: raw}, nil
		}
		return &Or{Conds: conds, raw: raw}, nil
	}
	if len(parts) != 3 {
		if _, known := rangeOps[op]; !known && op != "=" && op != "!=" && op != "in" && op != "not-in" {
			return nil, malformed("%s: unknown operator %s", q, parts[0].Raw)
		}
		return nil, malformed("%s: %s takes an attribute and a value, got %s", q, op, raw)
	}
	path, err := parsePathArg(q, parts[1])
	if err != nil {
		return nil, err
	}
	val := parts[2]
	switch op {
	case "=", "!=":
		c := &Compare{Op: OpEq, Path: path, Value: val, Enc: index.EncodeValue(val), raw: raw}
		if op == "!=" {
			c.Op = OpNe
		}
		if val.Type == gjson.Number {
			c.num = index.ParseNumber(val.Raw, val.Num)
		}
		return c, nil
	case "in", "not-in":
		if !val.IsArray() {
			return nil, malformed("%s: %s takes an array of values, got %s", q, op, kindOf(val))
		}
		c := &In{Path: path, Negate: op == "not-in", set: map[string]struct{}{}, raw: raw}
		val.ForEach(func(_, x gjson.Result) bool {
			e := index.EncodeValue(x)
			if _, dup := c.set[e]; !dup {
				c.set[e] = struct{}{}
				c.Values = append(c.Values, x)
				c.Encs = append(c.Encs, e)
			}
			return true
		})
		return c, nil
	}
	r, ok := rangeOps[op]
	if !ok {
		return nil, malformed("%s: unknown operator %s", q, parts[0].Raw)
	}
	c := &Range{Path: path, raw: raw}
	if !r.between {
		if err := rangeValue(q, op, val); err != nil {
			return nil, err
		}
		c.Class = index.ClassOf(val)
		b := &index.Bound{Enc: index.EncodeValue(val), Inclusive: r.op == OpLe || r.op == OpGe}
		if r.op == OpLt || r.op == OpLe {
			c.Hi, c.hi = b, val
		} else {
			c.Lo, c.lo = b, val
		}
	} else {
		var boundsBuf [4]gjson.Result
		bounds := elems(val, boundsBuf[:0])
		if !val.IsArray() || len(bounds) != 2 {
			return nil, malformed("%s: %s takes [low, high], got %s", q, op, compact(val))
		}
		for _, b := range bounds {
			if err := rangeValue(q, op, b); err != nil {
				return nil, err
			}
		}
		if index.ClassOf(bounds[0]) != index.ClassOf(bounds[1]) {
			return nil, malformed("%s: %s bounds must be of one type, got %s", q, op, compact(val))
		}
		c.Class = index.ClassOf(bounds[0])
		c.Lo, c.lo = &index.Bound{Enc: index.EncodeValue(bounds[0]), Inclusive: r.loInc}, bounds[0]
		c.Hi, c.hi = &index.Bound{Enc: index.EncodeValue(bounds[1]), Inclusive: r.hiInc}, bounds[1]
	}
	if c.lo.Type == gjson.Number {
		c.loNum = index.ParseNumber(c.lo.Raw, c.lo.Num)
	}
	if c.hi.Type == gjson.Number {
		c.hiNum = index.ParseNumber(c.hi.Raw, c.hi.Num)
	}
	return c, nil
}

func rangeValue(q, op string, v gjson.Result) error {
	switch v.Type {
	case gjson.Number, gjson.String, gjson.True, gjson.False:
		return nil
	}
	return malformed("%s: %s compares numbers, strings or booleans, got %s", q, op, kindOf(v))
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
