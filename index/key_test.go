package index

import (
	"strings"
	"testing"
)

// TestKeyIDRoundTrip checks that IDOf and ComponentsOf recover the parts of
// an entry key for ids of every length class, including ids longer than
// 0x8000 bytes whose length needs four bytes.
func TestKeyIDRoundTrip(t *testing.T) {
	specs := []Spec{
		mustSpec(t, `"a"`),
		mustSpec(t, `[["a","desc"],"b"]`),
	}
	rec := `{"a":"x\u0000y","b":[1,2]}`
	for _, n := range []int{0, 1, 2, 255, 256, 0x7FFE, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0x10000, 0x10001, 0x17FFF, 0x18000, 0x20000, 100000, 1 << 20} {
		id := EncodeJSON(`"` + strings.Repeat("i", n) + `"`)
		for _, s := range specs {
			key := string(s.AppendKey(nil, id, rec))
			if got := IDOf(key); got != id {
				t.Fatalf("spec %s, id of %d bytes: IDOf returned %d bytes", s.Raw(), len(id), len(got))
			}
			var comps []byte
			for _, c := range s.Components {
				comps = appendComponent(comps, c, c.Path.Get(rec))
			}
			if got := ComponentsOf(key); got != string(comps) {
				t.Fatalf("spec %s, id of %d bytes: ComponentsOf = %q, want %q", s.Raw(), len(id), got, comps)
			}
		}
	}
}
