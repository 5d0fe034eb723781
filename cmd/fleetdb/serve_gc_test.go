package main

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"
)

// TestGCFlags: serve sets the collector from its flags, lets GOGC and
// GOMEMLIMIT win when the flags are not given, refuses a collector that is
// off without a limit, and restores the previous settings.
func TestGCFlags(t *testing.T) {
	prevPercent := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prevPercent)
	cases := []struct {
		name        string
		flags       gcFlags
		gogc, limit string // environment ("": unset)
		wantPercent int
		wantLimit   int64  // 0: anything below MaxInt64 (auto)
		wantErr     string // a part of the error's message ("": none)
	}{
		{name: "defaults", flags: gcFlags{percent: defaultGCPercent, memLimit: "auto"}, wantPercent: 400},
		{name: "the zero value means the defaults", wantPercent: 400},
		{name: "GOGC wins over the default", flags: gcFlags{percent: defaultGCPercent, memLimit: "auto"}, gogc: "150", wantPercent: 150},
		{name: "the flag wins over GOGC", flags: gcFlags{percent: 250, memLimit: "none", percentSet: true}, gogc: "150", wantPercent: 250, wantLimit: math.MaxInt64},
		{name: "GOGC=off", flags: gcFlags{percent: defaultGCPercent, memLimit: "2GiB", memLimitSet: true}, gogc: "off", wantPercent: -1, wantLimit: 2 << 30},
		{name: "sizes", flags: gcFlags{percent: 100, memLimit: "512MiB", percentSet: true, memLimitSet: true}, wantPercent: 100, wantLimit: 512 << 20},
		{name: "off without a limit", flags: gcFlags{percent: -1, memLimit: "none", percentSet: true, memLimitSet: true}, wantErr: "--gc-percent -1 needs a memory limit"},
		{name: "bad size", flags: gcFlags{percent: 100, memLimit: "12 apples", memLimitSet: true}, wantErr: `--memory-limit: "12 apples": want a positive size`},
		{name: "bad percent", flags: gcFlags{percent: -5, memLimit: "auto", percentSet: true}, wantErr: "--gc-percent must be -1 (off) or at least 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gogc != "" {
				t.Setenv("GOGC", tc.gogc)
			}
			before := debug.SetMemoryLimit(-1)
			got, restore, err := tc.flags.apply()
			if tc.wantErr != "" {
				if err == nil {
					restore()
					t.Fatalf("got %+v, want an error", got)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %q, want it to say %q", err, tc.wantErr)
				}
				// A refused setting changes nothing.
				if p := debug.SetGCPercent(100); p != 100 {
					t.Errorf("after the error the GC percent is %d, want 100", p)
				}
				if l := debug.SetMemoryLimit(-1); l != before {
					t.Errorf("after the error the memory limit is %d, want %d", l, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if now := debug.SetGCPercent(-1); now != tc.wantPercent || got.percent != tc.wantPercent {
				t.Errorf("GC percent %d (reported %d), want %d", now, got.percent, tc.wantPercent)
			}
			debug.SetGCPercent(got.percent)
			limit := debug.SetMemoryLimit(-1)
			switch {
			case limit != got.memLimit:
				t.Errorf("memory limit %d, reported %d", limit, got.memLimit)
			case tc.wantLimit != 0 && limit != tc.wantLimit:
				t.Errorf("memory limit %d, want %d", limit, tc.wantLimit)
			case tc.wantLimit == 0 && machineMemory() > 0 && limit == math.MaxInt64:
				t.Errorf("auto: no memory limit on a machine with %d bytes", machineMemory())
			}
			restore()
			if p := debug.SetGCPercent(100); p != 100 {
				t.Errorf("restored GC percent %d, want 100", p)
			}
			if l := debug.SetMemoryLimit(-1); l != before {
				t.Errorf("restored memory limit %d, want %d", l, before)
			}
		})
	}
}
