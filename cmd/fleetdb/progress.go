package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is a progress bar on stderr when stderr is a terminal, and
// nothing otherwise (so that logs of scripts stay clean). It starts no
// goroutine: it redraws when it is told of progress, at most every 100 ms.
// A nil *progress is a bar that shows nothing.
type progress struct {
	bar *progressbar.ProgressBar
}

// newProgress returns a bar counting to total (-1: unknown) of unit
// ("records" or "bytes"), described by desc.
func newProgress(stderr io.Writer, total int64, desc, unit string) *progress {
	if !isTerminal(stderr) {
		return &progress{}
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetSpinnerChangeInterval(0), // no ticker goroutine
		progressbar.OptionClearOnFinish(),
	}
	if unit == "bytes" {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionSetItsString(unit))
	}
	return &progress{bar: progressbar.NewOptions64(total, opts...)}
}

// set moves the bar to n.
func (p *progress) set(n int64) {
	if p != nil && p.bar != nil {
		p.bar.Set64(n)
	}
}

// done removes the bar.
func (p *progress) done() {
	if p != nil && p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}

// thousands formats n with thousands separators: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// rate formats n things in d as "1.52s, 657,894 records/s".
func rate(n int64, d time.Duration, unit string) string {
	secs := d.Seconds()
	if secs <= 0 {
		return fmt.Sprintf("%s", d.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s, %s %s/s", d.Round(time.Millisecond), thousands(int64(float64(n)/secs)), unit)
}
