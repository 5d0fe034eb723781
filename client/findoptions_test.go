package client

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/fleetdb-go/fleetdb/protocol"
)

// nullCond marshals to null, as the zero fleetdb.Cond does.
type nullCond struct{}

func (nullCond) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

func TestFindOptionsLeavesOutNulls(t *testing.T) {
	for _, tc := range []struct {
		opts FindOptions
		want string
	}{
		{FindOptions{}, `{}`},
		{FindOptions{Where: nullCond{}, Order: []any(nil), Only: []string(nil)}, `{}`},
		{FindOptions{Where: []any{"=", "a", 1}, Only: []string{"a"}, Limit: 2, Distinct: true}, `{"where":["=","a",1],"limit":2,"only":["a"],"distinct":true}`},
	} {
		b, err := json.Marshal(tc.opts)
		if err != nil || string(b) != tc.want {
			t.Errorf("%+v marshals to %s, %v; want %s", tc.opts, b, err, tc.want)
		}
		b, err = json.Marshal(&tc.opts)
		if err != nil || string(b) != tc.want {
			t.Errorf("pointer to %+v marshals to %s, %v; want %s", tc.opts, b, err, tc.want)
		}
	}
	if _, err := json.Marshal(FindOptions{Where: func() {}}); err == nil {
		t.Errorf("a Where that does not marshal was accepted")
	}
}

func TestErrorMatchesClassSentinels(t *testing.T) {
	refused := &Error{Status: protocol.StatusRefused, Message: "Duplicated id: 1"}
	failed := &Error{Status: protocol.StatusFailed, Message: "database is closed"}
	if !errors.Is(refused, ErrRefused) || errors.Is(refused, ErrUnavailable) {
		t.Errorf("status 1 error matches wrongly")
	}
	if !errors.Is(failed, ErrUnavailable) || errors.Is(failed, ErrRefused) || errors.Is(failed, ErrOutcomeUnknown) {
		t.Errorf("status 2 error matches wrongly")
	}
}
