package main

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// The collector settings of `fleetdb serve`. The server owns its process,
// and a durable insert's garbage (the copied tree paths, the parsed query,
// the change-feed entry) made Go's default collector (GOGC=100) take about a
// sixth of the server's CPU per insert and most of its p99: every ~100 ms a
// cycle whose mark workers and assists took the event loop's core. With a
// target of 400 the cycles are four times rarer, and a soft memory limit
// keeps the lazier collector from growing the heap past what the machine
// has (near the limit the collector runs as often as it must).
const (
	defaultGCPercent = 400
	// memLimitShare is the part of the machine's (or cgroup's) memory the
	// default soft limit allows the process.
	memLimitShare = 0.75
)

// gcFlags are --gc-percent and --memory-limit.
type gcFlags struct {
	percent  int
	memLimit string
	// percentSet, memLimitSet: the flag was given (else the environment
	// variable wins when set).
	percentSet, memLimitSet bool
}

func (g *gcFlags) register(f *pflag.FlagSet) {
	f.IntVar(&g.percent, "gc-percent", defaultGCPercent, "the collector's target (GOGC): heap growth in % of the live heap before a collection; -1: off (the memory limit alone). The GOGC variable wins when this flag is not given")
	f.StringVar(&g.memLimit, "memory-limit", "auto", "soft memory limit of the process (GOMEMLIMIT): bytes with an optional KiB, MiB, GiB suffix, \"auto\" (3/4 of the machine's or cgroup's memory) or \"none\". The GOMEMLIMIT variable wins when this flag is not given")
}

// gcSettings is what apply set, to be told in the ready line.
type gcSettings struct {
	percent  int   // -1: off
	memLimit int64 // math.MaxInt64: none
}

// given records which of the flags f was given.
func (g *gcFlags) given(f *pflag.FlagSet) {
	g.percentSet, g.memLimitSet = f.Changed("gc-percent"), f.Changed("memory-limit")
}

// apply sets the collector as the flags and the environment say, and
// returns the settings in force and a function that restores the previous
// ones (tests run serve in-process).
//
// The zero gcFlags (a serveConfig not built from the flag set) means the
// flags' defaults.
func (g *gcFlags) apply() (gcSettings, func(), error) {
	if *g == (gcFlags{}) {
		g = &gcFlags{percent: defaultGCPercent, memLimit: "auto"}
	}
	percent := g.percent
	if !g.percentSet {
		if v, ok := os.LookupEnv("GOGC"); ok {
			percent = envGCPercent(v)
		}
	}
	if percent < -1 {
		return gcSettings{}, nil, errors.New("--gc-percent must be -1 (off) or at least 0")
	}
	limit := int64(math.MaxInt64)
	switch _, envSet := os.LookupEnv("GOMEMLIMIT"); {
	case !g.memLimitSet && envSet:
		limit = debug.SetMemoryLimit(-1) // the runtime read it at start
	default:
		var err error
		if limit, err = parseMemLimit(g.memLimit); err != nil {
			return gcSettings{}, nil, fmt.Errorf("--memory-limit: %w", err)
		}
	}
	if percent == -1 && limit == math.MaxInt64 {
		return gcSettings{}, nil, errors.New("--gc-percent -1 needs a memory limit: the heap would grow without bound")
	}
	prevPercent := debug.SetGCPercent(percent)
	prevLimit := debug.SetMemoryLimit(limit)
	return gcSettings{percent: percent, memLimit: limit}, func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	}, nil
}

// envGCPercent reads GOGC as the runtime does: "off" or a number.
func envGCPercent(v string) int {
	if v == "off" {
		return -1
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return n
	}
	return 100
}

// parseMemLimit reads --memory-limit.
func parseMemLimit(s string) (int64, error) {
	switch s {
	case "none":
		return math.MaxInt64, nil
	case "auto":
		total := machineMemory()
		if total <= 0 {
			return math.MaxInt64, nil
		}
		return int64(float64(total) * memLimitShare), nil
	}
	mult := int64(1)
	num := s
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q: want a positive size such as 4GiB, \"auto\" or \"none\"", s)
	}
	return n * mult, nil
}

// machineMemory is the memory the process may use: the cgroup's limit
// (v2 memory.max) when set and lower, else the machine's MemTotal; 0 when
// neither can be read.
func machineMemory() int64 {
	var total int64
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err == nil {
					total = kb << 10
				}
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	return total
}

// limitText is the memory limit for the ready line.
func (s gcSettings) limitText() string {
	if s.memLimit == math.MaxInt64 {
		return "none"
	}
	return fmt.Sprintf("%.1fGiB", float64(s.memLimit)/(1<<30))
}
