package records

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/fleetdb-go/fleetdb/internal/jsontext"
)

// Expand returns the records an insert or put was given: the elements of
// a single slice or array argument (a []byte or json.RawMessage is one
// record, not a list), or the arguments as they are.
func Expand(args []any) []any {
	if len(args) != 1 || !isList(args[0]) {
		return args
	}
	v := reflect.ValueOf(args[0])
	out := make([]any, v.Len())
	for i := range out {
		out[i] = v.Index(i).Interface()
	}
	return out
}

// isList reports whether a is a slice or an array other than bytes.
func isList(a any) bool {
	t := reflect.TypeOf(a)
	if t == nil {
		return false
	}
	k := t.Kind()
	return (k == reflect.Slice || k == reflect.Array) && t.Elem().Kind() != reflect.Uint8
}

// Prepare expands args (Expand) and wraps every struct record whose id is
// an untagged exported field ID or Id so that it marshals with the key
// "id". The slice returned is args itself when nothing needed a change.
func Prepare(args []any) []any {
	recs := Expand(args)
	copied := len(args) == 1 && isList(args[0]) // Expand made a new slice
	for i, r := range recs {
		key := bareIDKey(reflect.TypeOf(r))
		if key == "" {
			continue
		}
		if !copied {
			recs = append([]any(nil), recs...)
			copied = true
		}
		recs[i] = idRenamed{v: r, key: key}
	}
	return recs
}

// idKeys caches bareIDKey by type: most records are of a few types.
var idKeys sync.Map // reflect.Type → string

// bareIDKey returns the key encoding/json gives the id field of t (a struct
// or a pointer to one) when that field is an exported ID or Id without a
// json name, or "" when t has no such field or has a field named "id" in
// JSON already.
func bareIDKey(t reflect.Type) string {
	if t == nil {
		return ""
	}
	if k, ok := idKeys.Load(t); ok {
		return k.(string)
	}
	key := ""
	st := t
	for st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() == reflect.Struct && !t.Implements(marshalerType) {
		key = findBareID(st)
	}
	idKeys.Store(t, key)
	return key
}

var marshalerType = reflect.TypeOf((*json.Marshaler)(nil)).Elem()

func findBareID(st reflect.Type) string {
	found := ""
	for _, f := range reflect.VisibleFields(st) {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "id" {
			return "" // tagged already
		}
		if !f.IsExported() || len(f.Index) > 1 || tag == "-" || name != "" {
			continue
		}
		if f.Name == "ID" || f.Name == "Id" {
			found = f.Name
		}
	}
	return found
}

// idRenamed marshals v with its top-level key key written "id".
type idRenamed struct {
	v   any
	key string
}

func (r idRenamed) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(r.v)
	if err != nil {
		return nil, err
	}
	if i := topLevelKey(b, r.key); i >= 0 && topLevelKey(b, "id") < 0 {
		copy(b[i+1:], "id") // "ID" and "id" have the same length
	}
	return b, nil
}

// topLevelKey returns the index of the quote that opens key among the keys
// of the JSON object b (compact, as json.Marshal makes it), or -1.
func topLevelKey(b []byte, key string) int {
	if len(b) < 2 || b[0] != '{' {
		return -1
	}
	for i := jsontext.SkipSpace(b, 1); i < len(b) && b[i] == '"'; {
		end := jsontext.ValueEnd(b, i)
		if string(b[i+1:end-1]) == key {
			return i
		}
		i = jsontext.SkipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		i = jsontext.SkipSpace(b, i+1)
		i = jsontext.SkipSpace(b, jsontext.ValueEnd(b, i))
		if i >= len(b) || b[i] != ',' {
			return -1
		}
		i = jsontext.SkipSpace(b, i+1)
	}
	return -1
}

// Diagnose finds the first of recs (as Prepare returned them) that lacks a
// non-null "id" attribute and says what it has instead. ok is false when
// every record has an id (the refusal came from elsewhere).
func Diagnose(recs []any) (index int, why string, ok bool) {
	for i, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(b, &obj) != nil {
			continue // not an object: the query's own message says so
		}
		if id, has := obj["id"]; has && string(id) != "null" {
			continue
		}
		return i, explain(r, obj), true
	}
	return 0, "", false
}

// explain says why a record, whose marshaled attributes are obj, has no id.
func explain(r any, obj map[string]json.RawMessage) string {
	if id, has := obj["id"]; has && string(id) == "null" {
		return `its "id" is null`
	}
	if t := reflect.TypeOf(r); t != nil {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Struct {
			for _, f := range reflect.VisibleFields(t) {
				if !strings.EqualFold(f.Name, "id") {
					continue
				}
				tag := f.Tag.Get("json")
				name, _, _ := strings.Cut(tag, ",")
				switch {
				case !f.IsExported():
					return fmt.Sprintf("its struct field %s is unexported, so encoding/json leaves it out: export it and tag it json:\"id\"", f.Name)
				case tag == "-":
					return fmt.Sprintf("its struct field %s is tagged json:\"-\", so it is left out: tag it json:\"id\"", f.Name)
				case name != "":
					return fmt.Sprintf("its struct field %s marshals as %q: tag it json:\"id\"", f.Name, name)
				default:
					return fmt.Sprintf("its struct field %s marshals as %q: add a json:\"id\" tag", f.Name, f.Name)
				}
			}
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if strings.EqualFold(k, "id") {
			return fmt.Sprintf("it has the key %q: the id attribute is \"id\", in lower case", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 8 {
		keys = append(keys[:8], "...")
	}
	if len(keys) == 0 {
		return "it has no attributes"
	}
	return "its attributes are " + strings.Join(keys, ", ")
}
