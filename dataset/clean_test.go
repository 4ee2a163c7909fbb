package dataset

import "testing"

func TestCleanRules(t *testing.T) {
	t.Parallel()
	ev := func(t float64, b Button, s State, x, y int32) Event {
		return Event{T: t, X: x, Y: y, Button: b, State: s}
	}
	in := []Event{
		ev(0.00, NoButton, Move, 10, 10),       // kept
		ev(0.00, NoButton, Move, 10, 10),       // repeated
		ev(0.00, NoButton, Move, 11, 10),       // same time, button, state: same_time
		ev(0.00, Left, Pressed, 11, 10),        // same time but a press: kept
		ev(0.01, NoButton, Move, 65535, 65535), // out of range (artefact)
		ev(0.02, NoButton, Move, -1, 5),        // out of range (negative)
		ev(0.03, NoButton, Move, 3000, 5),      // beyond the 1920x1080 screen
		ev(0.04, Left, Released, 12, 10),       // kept
		ev(0.035, NoButton, Move, 13, 10),      // backwards
		ev(0.05, NoButton, Scrool, 1500, 1500), // DFL scroll: y repeats x, only x checked: kept
		ev(0.06, NoButton, Move, 14, 10),       // kept
	}
	out, counts := Clean(in, CleanOptions{ScreenW: 1920, ScreenH: 1080})
	if len(out) != 5 {
		t.Errorf("kept %d, want 5: %+v", len(out), out)
	}
	want := DropCounts{DropRepeated: 1, DropSameTime: 1, DropOutOfRange: 3, DropBackwards: 1}
	if counts != want {
		t.Errorf("counts = %v, want %v", counts, want)
	}
	if dropped(counts)+len(out) != len(in) {
		t.Errorf("every row is kept or counted once: %d + %d != %d", dropped(counts), len(out), len(in))
	}
	// Without a screen, 3000 is in range.
	_, counts = Clean(in, CleanOptions{})
	if counts[DropOutOfRange] != 2 {
		t.Errorf("no screen: out of range = %d, want 2", counts[DropOutOfRange])
	}
}

// TestTimeRules: absurd times (negative, beyond MaxTime, a jump of more
// than MaxTimeJump) are dropped before the backwards rule, so one absurd row
// does not drop the rest of the session; Cleaner and TimeFilter agree.
func TestTimeRules(t *testing.T) {
	t.Parallel()
	ev := func(t float64, x int32) Event { return Event{T: t, X: x, Y: 10} }
	in := []Event{
		ev(-1, 1),              // absurd: negative (there is no kept row yet)
		ev(5, 2),               // kept
		ev(5+MaxTimeJump+1, 3), // absurd: a jump of more than a day
		ev(6, 4),               // kept: not backwards, the absurd row was not kept
		ev(4, 5),               // backwards
		ev(MaxTime*2, 6),       // absurd: beyond MaxTime
		ev(7, 7),               // kept
		ev(7+MaxTimeJump, 8),   // kept: exactly a day later
	}
	out, counts := Clean(in, CleanOptions{})
	want := DropCounts{DropAbsurdTime: 3, DropBackwards: 1}
	if counts != want || len(out) != 4 {
		t.Errorf("Clean: counts %v, want %v; kept %d, want 4", counts, want, len(out))
	}
	var f TimeFilter
	var kept []Event
	for _, e := range in {
		if keep, _ := f.Push(e); keep {
			kept = append(kept, e)
		}
	}
	if f.Counts != want || len(kept) != len(out) {
		t.Errorf("TimeFilter: counts %v, want %v; kept %v, Clean kept %v", f.Counts, want, kept, out)
	}
	for i := range kept {
		if kept[i] != out[i] {
			t.Errorf("TimeFilter kept %v, Clean %v", kept, out)
			break
		}
	}
	if DropAbsurdTime.String() != "absurd_time" || DropBackwards.String() != "backwards" {
		t.Errorf("names: %s, %s", DropAbsurdTime, DropBackwards)
	}
}

func TestReasonForIssue(t *testing.T) {
	t.Parallel()
	if ReasonForIssue(RowError{Reason: "unknown button"}) != DropUnknownButtonState ||
		ReasonForIssue(RowError{Reason: "unknown state"}) != DropUnknownButtonState ||
		ReasonForIssue(RowError{Reason: "4 columns, want 5"}) != DropMalformed {
		t.Error("issue reasons map wrongly")
	}
}

// dropped is the number of rows c counts.
func dropped(c DropCounts) int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}
