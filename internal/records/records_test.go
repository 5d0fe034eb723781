package records

import (
	"encoding/json"
	"strings"
	"testing"
)

type bare struct {
	ID   int
	Name string
}

type tagged struct {
	Key  int    `json:"id"`
	Name string `json:"name"`
}

type upperTag struct {
	ID int `json:"ID"`
}

type hidden struct {
	ID   int `json:"-"`
	Name string
}

type lower struct {
	id   int
	Name string
}

type nested struct {
	ID    int
	Inner map[string]any
}

func marshal(t *testing.T, recs []any) string {
	t.Helper()
	b, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExpand(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []any
		want string
	}{
		{"slice of structs", []any{[]tagged{{1, "a"}, {2, "b"}}}, `[{"id":1,"name":"a"},{"id":2,"name":"b"}]`},
		{"array", []any{[2]map[string]int{{"id": 1}, {"id": 2}}}, `[{"id":1},{"id":2}]`},
		{"slice of any", []any{[]any{map[string]int{"id": 1}}}, `[{"id":1}]`},
		{"empty slice", []any{[]tagged{}}, `[]`},
		{"raw message is one record", []any{json.RawMessage(`{"id":1}`)}, `[{"id":1}]`},
		{"several args are records", []any{tagged{1, "a"}, []int{1}}, `[{"id":1,"name":"a"},[1]]`},
		{"one struct", []any{tagged{1, "a"}}, `[{"id":1,"name":"a"}]`},
	} {
		if got := marshal(t, Expand(tc.args)); got != tc.want {
			t.Errorf("%s: Expand = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestPrepareRenamesBareID(t *testing.T) {
	args := []any{[]bare{{1, "a"}, {2, "b"}}}
	if got, want := marshal(t, Prepare(args)), `[{"id":1,"Name":"a"},{"id":2,"Name":"b"}]`; got != want {
		t.Fatalf("Prepare = %s, want %s", got, want)
	}
	// A pointer, a nested "ID" left alone, a tagged struct untouched.
	n := &nested{ID: 3, Inner: map[string]any{"ID": 9}}
	if got, want := marshal(t, Prepare([]any{n, tagged{4, "x"}, upperTag{5}})), `[{"id":3,"Inner":{"ID":9}},{"id":4,"name":"x"},{"ID":5}]`; got != want {
		t.Fatalf("Prepare = %s, want %s", got, want)
	}
	// The caller's slice is not changed.
	in := []any{bare{1, "a"}}
	Prepare(in)
	if _, ok := in[0].(bare); !ok {
		t.Fatalf("Prepare changed its argument: %#v", in[0])
	}
}

func TestDiagnose(t *testing.T) {
	for _, tc := range []struct {
		name string
		recs []any
		idx  int
		want string
	}{
		{"explicit ID tag", []any{map[string]int{"id": 1}, upperTag{5}}, 1, `its struct field ID marshals as "ID": tag it json:"id"`},
		{"json dash", []any{hidden{1, "a"}}, 0, `tagged json:"-"`},
		{"unexported", []any{lower{1, "a"}}, 0, `struct field id is unexported`},
		{"map key", []any{map[string]int{"ID": 1}}, 0, `it has the key "ID": the id attribute is "id", in lower case`},
		{"null", []any{map[string]any{"id": nil}}, 0, `its "id" is null`},
		{"other attributes", []any{map[string]int{"b": 1, "a": 2}}, 0, `its attributes are a, b`},
	} {
		i, why, ok := Diagnose(Prepare(tc.recs))
		if !ok || i != tc.idx || !strings.Contains(why, tc.want) {
			t.Errorf("%s: Diagnose = %d, %q, %v; want %d, %q", tc.name, i, why, ok, tc.idx, tc.want)
		}
	}
	if _, _, ok := Diagnose(Prepare([]any{bare{1, "a"}})); ok {
		t.Errorf("Diagnose found a problem in a record with an id")
	}
}

// FuzzTopLevelKey compares topLevelKey with encoding/json's view of an
// object's keys: it finds "ID" exactly when the object has that key at its
// top level (not inside a nested value or a string).
func FuzzTopLevelKey(f *testing.F) {
	for _, s := range []string{`{"ID":1}`, `{"a":{"ID":1}}`, `{"a":"\"ID\":","ID":[1,{"ID":2}]}`, `{}`, `[{"ID":1}]`, `{"I\u0044":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(s), &obj) != nil || !json.Valid([]byte(s)) {
			return
		}
		b, err := json.Marshal(json.RawMessage(s)) // compact, as Prepare sees it
		if err != nil {
			return
		}
		i := topLevelKey(b, "ID")
		if i >= 0 && string(b[i:i+4]) != `"ID"` {
			t.Fatalf("topLevelKey(%s) = %d, not at a key", b, i)
		}
		// A key spelled with escapes ("I\u0044") is "ID" to json but not
		// to topLevelKey, which compares the text; that only leaves such a
		// record as it was.
		if _, has := obj["ID"]; (i >= 0) != has && !strings.Contains(string(b), `\`) {
			t.Fatalf("topLevelKey(%s) = %d, json sees the key: %v", b, i, has)
		}
	})
}
