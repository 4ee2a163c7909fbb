package dataset

import "strings"

// DropReason says why cleaning dropped a row. Each dropped row has exactly
// one reason: the first rule, in the order below, that it breaks.
type DropReason uint8

// Drop reasons, in the order the rules are checked.
const (
	// DropMalformed: the reader could not parse the row (wrong column count,
	// text or NaN in a number field, a coordinate outside int32, binary data).
	DropMalformed DropReason = iota
	// DropUnknownButtonState: a button or state the logger should not write
	// (Balabit has a few "XButton" rows). Counted from the reader's issues.
	DropUnknownButtonState
	// DropRepeated: the row repeats the previous row of the file exactly.
	DropRepeated
	// DropOutOfRange: a negative coordinate, the 65535 artefact (any
	// coordinate >= 65535), or a coordinate beyond the configured screen.
	DropOutOfRange
	// DropAbsurdTime: a time no log can hold: negative, above [MaxTime], or
	// more than [MaxTimeJump] after the last kept row's. Checked before
	// DropBackwards, so that one absurd time does not make every later row
	// run backwards.
	DropAbsurdTime
	// DropBackwards: the time is earlier than the last kept row's.
	DropBackwards
	// DropSameTime: the same time, button and state as the last kept row but
	// another position: the logger wrote two positions for one instant. The
	// first is kept (a stream cannot know a later one is coming), and a
	// press or release at the same instant as a move is not a duplicate.
	DropSameTime
	NumDropReasons
)

var dropNames = [NumDropReasons]string{"malformed", "unknown_button_state", "repeated", "out_of_range", "absurd_time", "backwards", "same_time"}

// The bounds of [DropAbsurdTime]. Times are seconds (DFL's milliseconds are
// divided by 1000 when read): since the session started in the Balabit and
// DFL logs here, since 1970 in a log that writes the wall clock, which
// MaxTime still admits (it is the year 2286).
const (
	MaxTime = 1e10
	// MaxTimeJump is the longest step forward believed between two rows of
	// one session: a day. The Balabit training sessions last at most 5 hours
	// with pauses of at most 37 minutes.
	MaxTimeJump = 24 * 3600
)

// timeRule is the one place of the rules on time alone ([DropAbsurdTime],
// then [DropBackwards]): the reason t is dropped, given the time of the last
// kept row (have: there is one), or ok.
func timeRule(t, last float64, have bool) (reason DropReason, ok bool) {
	switch {
	case t < 0 || t > MaxTime || (have && t > last+MaxTimeJump):
		return DropAbsurdTime, false
	case have && t < last:
		return DropBackwards, false
	}
	return 0, true
}

func (r DropReason) String() string {
	if r < NumDropReasons {
		return dropNames[r]
	}
	return "unknown"
}

// DropCounts counts dropped rows by reason.
type DropCounts [NumDropReasons]int

// Add adds o to c.
func (c *DropCounts) Add(o DropCounts) {
	for i, v := range o {
		c[i] += v
	}
}

// ReasonForIssue maps a reader issue to a drop reason: unknown buttons and
// states are their own reason, everything else is malformed.
func ReasonForIssue(e RowError) DropReason {
	if strings.HasPrefix(e.Reason, "unknown button") || strings.HasPrefix(e.Reason, "unknown state") {
		return DropUnknownButtonState
	}
	return DropMalformed
}

// CleanOptions configure cleaning.
type CleanOptions struct {
	// ScreenW and ScreenH bound coordinates: x >= ScreenW or y >= ScreenH is
	// out of range. 0 means no bound beyond the 65535 artefact.
	ScreenW, ScreenH int32
}

// Cleaner applies the cleaning rules to a stream of events, one at a time,
// so memory does not grow with the log. The zero value is not ready: use
// NewCleaner.
type Cleaner struct {
	opts     CleanOptions
	prev     Event // previous row of the file (kept or not)
	havePrev bool
	last     Event // last kept row
	haveLast bool
	Counts   DropCounts
	Kept     int
}

// NewCleaner returns a Cleaner with the given options.
func NewCleaner(opts CleanOptions) *Cleaner { return &Cleaner{opts: opts} }

// Push decides whether ev is kept. When it is not, reason says why, and the
// drop is counted.
func (c *Cleaner) Push(ev Event) (keep bool, reason DropReason) {
	repeated := c.havePrev && ev == c.prev
	c.prev, c.havePrev = ev, true
	timeReason, timeOK := timeRule(ev.T, c.last.T, c.haveLast)
	switch {
	case repeated:
		reason = DropRepeated
	case c.outOfRange(ev):
		reason = DropOutOfRange
	case !timeOK:
		reason = timeReason
	case c.haveLast && ev.T == c.last.T && ev.Button == c.last.Button && ev.State == c.last.State:
		reason = DropSameTime
	default:
		c.last, c.haveLast = ev, true
		c.Kept++
		return true, 0
	}
	c.Counts[reason]++
	return false, reason
}

// CountIssue counts a row the reader could not return as an event.
func (c *Cleaner) CountIssue(e RowError) { c.Counts[ReasonForIssue(e)]++ }

func (c *Cleaner) outOfRange(ev Event) bool {
	if ev.X < 0 || ev.Y < 0 || ev.X >= 65535 || ev.Y >= 65535 {
		return true
	}
	if ev.State == Scrool {
		// DFL scroll rows repeat x where y belongs; their position is not
		// used (segmentation takes the previous row's), so only x is checked.
		return c.opts.ScreenW > 0 && ev.X >= c.opts.ScreenW
	}
	return (c.opts.ScreenW > 0 && ev.X >= c.opts.ScreenW) || (c.opts.ScreenH > 0 && ev.Y >= c.opts.ScreenH)
}

// TimeFilter applies the cleaning rules on time alone, absurd_time and
// backwards, exactly as [Cleaner] does, to a stream of events: what
// `preprocess features` runs before segmentation, where a row running
// backwards would make an action of negative duration. The zero value is
// ready; use one per session.
type TimeFilter struct {
	last   float64 // time of the last kept row
	have   bool
	Counts DropCounts // only DropAbsurdTime and DropBackwards are counted
}

// Push decides whether ev is kept. When it is not, reason says why, and the
// drop is counted.
func (f *TimeFilter) Push(ev Event) (keep bool, reason DropReason) {
	reason, keep = timeRule(ev.T, f.last, f.have)
	if !keep {
		f.Counts[reason]++
		return false, reason
	}
	f.last, f.have = ev.T, true
	return true, 0
}

// Clean applies the cleaning rules to a whole session (see [Cleaner]).
func Clean(events []Event, opts CleanOptions) ([]Event, DropCounts) {
	c := NewCleaner(opts)
	out := make([]Event, 0, len(events))
	for _, ev := range events {
		if keep, _ := c.Push(ev); keep {
			out = append(out, ev)
		}
	}
	return out, c.Counts
}
