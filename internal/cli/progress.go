package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress shows the progress of a long job on stderr: the count, the
// percentage of the total, the rate, the time elapsed and an estimate of
// the time left. A nil *Progress is valid and does nothing, so library
// code can take one optionally. Safe for concurrent use.
//
// The percentage reaches 100% only when Done is called with every unit
// counted: a job whose count reaches its total before it ends (its last
// step is not counted, or its total is too small) shows 99% and
// "finishing" until then, and one that ends short of its total says so in
// its last line. Percentages are rounded down.
//
// Hand-written rather than github.com/schollz/progressbar: that bar fills
// itself to 100% when finished, also after a failure or an interrupt,
// declares itself complete as soon as the count reaches the total, and
// reads the system clock, so its estimate cannot be tested.
type Progress struct {
	mu          sync.Mutex
	w           io.Writer
	tty         bool             // redraw one line in place; else a line every 5 s
	now         func() time.Time // the clock (tests inject one)
	desc, unit  string
	done, total int64
	start, last time.Time
	width       int // of the line last drawn on a terminal
	ended       bool
}

// Redraw intervals: on a terminal the line is redrawn in place at most
// every ttyEvery; elsewhere (a log, CI) a new line is written every
// logEvery, and one at the end.
const (
	ttyEvery = 100 * time.Millisecond
	logEvery = 5 * time.Second
)

// NewProgress starts a progress display of total units (0 or less for
// unknown) on ios.ErrOut. unit names what is counted ("events", "users").
// On a terminal (ios.ErrTTY) it is one line redrawn in place; elsewhere a
// line every 5 s and a last line when done. It returns nil (a display that
// does nothing) when ios is nil or quiet.
func NewProgress(ios *IOStreams, total int64, description, unit string) *Progress {
	if ios == nil || ios.Quiet {
		return nil
	}
	return newProgress(ios.ErrOut, ios.ErrTTY, time.Now, total, description, unit)
}

func newProgress(w io.Writer, tty bool, now func() time.Time, total int64, description, unit string) *Progress {
	t := now()
	p := &Progress{w: w, tty: tty, now: now, desc: description, unit: unit, total: max(total, 0), start: t, last: t}
	if tty {
		p.draw(t, false)
	}
	return p
}

// Add advances the display by n units.
func (p *Progress) Add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	p.done += int64(n)
	p.maybeDraw()
}

// SetTotal changes the total, for jobs that learn it as they go (0 or
// less: unknown).
func (p *Progress) SetTotal(total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = max(total, 0)
}

// maybeDraw draws when the interval has passed; p.mu is held.
func (p *Progress) maybeDraw() {
	now := p.now()
	every := logEvery
	if p.tty {
		every = ttyEvery
	}
	if now.Sub(p.last) >= every {
		p.draw(now, false)
	}
}

// Done ends the display with a last line. Calling it again does nothing.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	p.draw(p.now(), true)
	p.ended = true
}

// draw writes the status line; p.mu is held.
func (p *Progress) draw(now time.Time, final bool) {
	p.last = now
	line := p.status(now, final)
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	pad := ""
	if n := len(line); n < p.width {
		pad = strings.Repeat(" ", p.width-n)
	}
	p.width = len(line)
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(p.w, "\r%s%s%s", line, pad, end)
}

// status is the text of the display at now.
func (p *Progress) status(now time.Time, final bool) string {
	elapsed := now.Sub(p.start)
	var s strings.Builder
	s.WriteString(p.desc)
	s.WriteString(": ")
	if p.total > 0 {
		pct := p.done * 100 / p.total
		if p.done >= p.total {
			pct = 100
			if !final {
				pct = 99 // counted, but the job is not over
			}
		}
		fmt.Fprintf(&s, "%d%% %d/%d %s", pct, p.done, p.total, p.unit)
	} else {
		fmt.Fprintf(&s, "%d %s", p.done, p.unit)
	}
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed.Seconds()
	}
	if final {
		fmt.Fprintf(&s, " in %s", formatDuration(elapsed))
		if p.done > 0 && elapsed > 0 {
			fmt.Fprintf(&s, " (%s/s)", formatRate(rate))
		}
		if p.total > 0 && p.done < p.total {
			fmt.Fprintf(&s, ", ended %d short of %d", p.total-p.done, p.total)
		}
		return s.String()
	}
	if p.done > 0 && elapsed > 0 {
		fmt.Fprintf(&s, ", %s/s", formatRate(rate))
	}
	fmt.Fprintf(&s, ", %s elapsed", formatDuration(elapsed))
	switch {
	case p.total > 0 && p.done >= p.total:
		s.WriteString(", finishing")
	case p.total > 0 && p.done > 0 && elapsed > 0:
		left := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
		fmt.Fprintf(&s, ", ETA %s", formatDuration(left))
	case p.total > 0:
		s.WriteString(", ETA unknown")
	}
	return s.String()
}

// formatDuration writes d for people: "0.4 s", "17 s", "3 min 05 s",
// "2 h 07 min".
func formatDuration(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
}

// formatRate writes a rate with three significant digits or more.
func formatRate(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	case r >= 10:
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.2f", r)
}

// ProgressFunc adapts a Progress to the packages' Progress(done, total)
// callbacks: the display starts at the first call, with its total, and
// follows later changes of the total. Call stop when the work ends (also
// on error). Safe for concurrent use.
func ProgressFunc(ios *IOStreams, description, unit string) (progress func(done, total int), stop func()) {
	var mu sync.Mutex
	var p *Progress
	started := false
	shown, total := 0, 0
	progress = func(done, t int) {
		mu.Lock()
		defer mu.Unlock()
		if !started {
			p, started, total = NewProgress(ios, int64(t), description, unit), true, t
		}
		if t != total {
			p.SetTotal(int64(t))
			total = t
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
