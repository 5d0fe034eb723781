package transfer

import (
	"fmt"
	"io"
	"time"

	"github.com/fleetdb-go/fleetdb/cmd/fleetdb/internal/cliutil"

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
	if !cliutil.IsTerminal(stderr) {
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

// rate formats n things in d as "1.52s, 657,894 records/s".
func rate(n int64, d time.Duration, unit string) string {
	secs := d.Seconds()
	if secs <= 0 {
		return fmt.Sprintf("%s", d.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s, %s %s/s", d.Round(time.Millisecond), cliutil.Thousands(int64(float64(n)/secs)), unit)
}
