package transfer

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"
)

// progress is one status line on stderr when stderr is a terminal, and
// nothing otherwise (so that logs of scripts stay clean):
//
//	importing users: 12,288 records, 1.2 MB of 3.9 MB (31%), 24,576 records/s, 2.4 MB/s
//
// It counts what it is told (set: the main figure, in its unit; records:
// the records done, when the main figure is bytes), and shows rates only
// once a quarter of a second has passed, measured from the start, so that
// the first update cannot claim billions per second. It starts no
// goroutine: it redraws when told of progress, at most every 100 ms. A nil
// *progress shows nothing.
type progress struct {
	w       io.Writer // nil: not a terminal
	desc    string
	unit    string // "records" or "bytes"
	total   int64  // of unit; -1: unknown
	start   time.Time
	drawn   time.Time
	n       int64 // of unit
	recs    int64 // records, when unit is bytes (-1: not counted)
	lastLen int
	now     func() time.Time
}

// newProgress returns a line counting to total (-1: unknown) of unit
// ("records" or "bytes"), described by desc.
func newProgress(stderr io.Writer, total int64, desc, unit string) *progress {
	p := &progress{desc: desc, unit: unit, total: total, recs: -1, now: time.Now}
	if cliutil.IsTerminal(stderr) {
		p.w = stderr
	}
	p.start = p.now()
	return p
}

// set moves the main figure to n.
func (p *progress) set(n int64) {
	if p == nil {
		return
	}
	p.n = n
	p.redraw(false)
}

// records sets the records done, for a line whose main figure is bytes.
func (p *progress) records(n int64) {
	if p != nil {
		p.recs = n
	}
}

// done removes the line.
func (p *progress) done() {
	if p == nil || p.w == nil {
		return
	}
	if p.lastLen > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.lastLen))
	}
	p.w = nil
}

func (p *progress) redraw(force bool) {
	if p.w == nil {
		return
	}
	now := p.now()
	if !force && now.Sub(p.drawn) < 100*time.Millisecond {
		return
	}
	p.drawn = now
	line := p.line(now.Sub(p.start))
	pad := ""
	if n := p.lastLen - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	p.lastLen = len(line)
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
}

// line is the text of the status line after elapsed.
func (p *progress) line(elapsed time.Duration) string {
	var parts []string
	if p.unit == "bytes" {
		if p.recs >= 0 {
			parts = append(parts, cliutil.Plural64(p.recs, "record", "records"))
		}
		done := humanBytes(p.n)
		if p.total > 0 {
			done += fmt.Sprintf(" of %s (%d%%)", humanBytes(p.total), min(100, p.n*100/p.total))
		}
		parts = append(parts, done)
	} else {
		done := cliutil.Thousands(p.n) + " " + p.unit
		if p.total > 0 {
			done = fmt.Sprintf("%s of %s %s (%d%%)", cliutil.Thousands(p.n), cliutil.Thousands(p.total), p.unit, min(100, p.n*100/p.total))
		}
		parts = append(parts, done)
	}
	if secs := elapsed.Seconds(); secs >= 0.25 {
		if p.unit == "bytes" {
			if p.recs >= 0 {
				parts = append(parts, cliutil.Thousands(int64(float64(p.recs)/secs))+" records/s")
			}
			parts = append(parts, humanBytes(int64(float64(p.n)/secs))+"/s")
		} else {
			parts = append(parts, cliutil.Thousands(int64(float64(p.n)/secs))+" "+p.unit+"/s")
		}
	}
	return p.desc + ": " + strings.Join(parts, ", ")
}

// humanBytes formats n bytes as "512 B", "3.9 MB" (powers of 1000).
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// rate formats n things in d as "1.52s, 657,894 records/s"; under a
// millisecond it gives no rate (it would mean nothing).
func rate(n int64, d time.Duration, unit string) string {
	if d < time.Millisecond {
		return d.String()
	}
	return fmt.Sprintf("%s, %s %s/s", d.Round(time.Millisecond), cliutil.Thousands(int64(float64(n)/d.Seconds())), unit)
}
