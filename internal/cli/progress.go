package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress shows progress on stderr. A nil *Progress is valid and does
// nothing, so library code can take one optionally. Safe for concurrent use.
type Progress struct {
	bar *progressbar.ProgressBar // on a terminal

	// Not a terminal (a log, CI): a plain line every few seconds and one at
	// the end, instead of carriage returns.
	mu          sync.Mutex
	w           io.Writer
	desc, unit  string
	done, total int64
	start, last time.Time
}

// NewProgress starts a progress display of total units (-1 for unknown) on
// ios.ErrOut. unit names what is counted ("events", "users"). On a terminal
// it is a bar redrawn in place; elsewhere a line every 5 s and a last line
// when done.
func NewProgress(ios *IOStreams, total int64, description, unit string) *Progress {
	if ios == nil || ios.Quiet {
		return nil
	}
	if !ios.ErrTTY {
		now := time.Now()
		return &Progress{w: ios.ErrOut, desc: description, unit: unit, total: total, start: now, last: now}
	}
	w := ios.ErrOut
	return &Progress{bar: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { io.WriteString(w, "\n") }),
	)}
}

// Add advances the display by n units.
func (p *Progress) Add(n int) {
	if p == nil {
		return
	}
	if p.bar != nil {
		_ = p.bar.Add(n)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += int64(n)
	if now := time.Now(); now.Sub(p.last) >= 5*time.Second {
		p.last = now
		p.line(now)
	}
}

func (p *Progress) line(now time.Time) {
	if p.total > 0 {
		fmt.Fprintf(p.w, "%s: %d/%d %s (%.0f%%, %.1f s)\n", p.desc, p.done, p.total, p.unit,
			100*float64(p.done)/float64(p.total), now.Sub(p.start).Seconds())
		return
	}
	fmt.Fprintf(p.w, "%s: %d %s (%.1f s)\n", p.desc, p.done, p.unit, now.Sub(p.start).Seconds())
}

// Done completes the display.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	if p.bar != nil {
		_ = p.bar.Finish()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil {
		p.line(time.Now())
		p.w = nil
	}
}

// ProgressFunc adapts a Progress to the packages' Progress(done, total)
// callbacks: the display starts at the first call, with its total. Call
// stop when the work ends (also on error). Safe for concurrent use.
func ProgressFunc(ios *IOStreams, description, unit string) (progress func(done, total int), stop func()) {
	var mu sync.Mutex
	var p *Progress
	shown := 0
	progress = func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if p == nil {
			p = NewProgress(ios, int64(total), description, unit)
		}
		if done > shown {
			p.Add(done - shown)
			shown = done
		}
	}
	stop = func() {
		mu.Lock()
		defer mu.Unlock()
		p.Done()
	}
	return progress, stop
}
