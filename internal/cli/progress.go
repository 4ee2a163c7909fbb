package cli

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress is a progress bar on stderr. A nil *Progress is valid and does
// nothing, so library code can take one optionally.
type Progress struct{ bar *progressbar.ProgressBar }

// NewProgress starts a progress bar of total units (-1 for unknown) on
// ios.ErrOut. unit names what is counted ("events", "users"). On a terminal
// it redraws in place; elsewhere it prints a line every few seconds.
func NewProgress(ios *IOStreams, total int64, description, unit string) *Progress {
	if ios == nil || ios.Quiet {
		return nil
	}
	var w io.Writer = ios.ErrOut
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionSetWidth(24),
		progressbar.OptionOnCompletion(func() { io.WriteString(w, "\n") }),
	}
	if ios.ErrTTY {
		opts = append(opts, progressbar.OptionThrottle(100*time.Millisecond))
	} else {
		// Not a terminal: one line every 2 s instead of carriage returns.
		opts = append(opts, progressbar.OptionThrottle(2*time.Second), progressbar.OptionUseANSICodes(false))
	}
	return &Progress{bar: progressbar.NewOptions64(total, opts...)}
}

// Add advances the bar by n units.
func (p *Progress) Add(n int) {
	if p != nil {
		_ = p.bar.Add(n)
	}
}

// Describe changes the text in front of the bar.
func (p *Progress) Describe(s string) {
	if p != nil {
		p.bar.Describe(s)
	}
}

// Done completes the bar.
func (p *Progress) Done() {
	if p != nil {
		_ = p.bar.Finish()
	}
}
