package jsontext

import "testing"

// TestMarshal: no HTML escaping of a condition's operators, no trailing
// newline, and encoding/json's error for what cannot be marshaled.
func TestMarshal(t *testing.T) {
	got, err := Marshal([]any{"<=", "a&b", map[string]any{"x": ">"}})
	if err != nil || string(got) != `["<=","a&b",{"x":">"}]` {
		t.Fatalf("Marshal = %s, %v", got, err)
	}
	if _, err := Marshal(func() {}); err == nil {
		t.Fatal("Marshal of a func: no error")
	}
}
