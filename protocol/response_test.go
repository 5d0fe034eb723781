package protocol

import (
	"errors"
	"testing"
)

func TestParseResponse(t *testing.T) {
	ok := []struct {
		line   string
		status Status
		value  string
	}{
		{`[0,"pong"]`, StatusOK, `"pong"`},
		{`[0,1]`, StatusOK, `1`},
		{`[1,"Malformed JSON: x"]`, StatusRefused, `"Malformed JSON: x"`},
		{`[2,"shutting down"]`, StatusFailed, `"shutting down"`},
		{` [ 0 , [ {"id":1} , 2 ] ] `, StatusOK, `[ {"id":1} , 2 ]`},
		{"[0,null]\r", StatusOK, `null`},
		{`[0,{"a":[1,2,{"b":"]"}]}]`, StatusOK, `{"a":[1,2,{"b":"]"}]}`},
		{`[0,"\u2028 ☃"]`, StatusOK, `"\u2028 ☃"`},
	}
	for _, tt := range ok {
		status, value, err := ParseResponse([]byte(tt.line))
		if err != nil || status != tt.status || string(value) != tt.value {
			t.Errorf("ParseResponse(%q) = %v, %s, %v; want %v, %s", tt.line, status, value, err, tt.status, tt.value)
		}
	}
	bad := []string{
		``, `[]`, `[0]`, `[0,]`, `[,1]`, `0,1`, `{"0":1}`, `[0,1`, `0,1]`,
		`[3,1]`, `[-1,"x"]`, `[10,1]`, `[00,1]`, `[0.0,1]`, `[1e0,1]`, `["0",1]`, `[true,1]`,
		`[0,1,2]`, `[0,"a" "b"]`, `[0,"unterminated]`, `[0,{]`, `[0 1]`, `[0,1]x`, `x[0,1]`,
		`[0,"pong"`, `[0,"po`, `[99999999999999999999,1]`, `[-,1]`,
	}
	for _, line := range bad {
		if status, value, err := ParseResponse([]byte(line)); !errors.Is(err, ErrMalformedResponse) {
			t.Errorf("ParseResponse(%q) = %v, %s, %v; want ErrMalformedResponse", line, status, value, err)
		}
	}
}

func TestParseResponseErrorQuotesLine(t *testing.T) {
	_, _, err := ParseResponse([]byte(`[7,"x"]`))
	if err == nil || err.Error() != `protocol: malformed response: status out of range 0..2: "[7,\"x\"]"` {
		t.Fatalf("error = %v", err)
	}
}
