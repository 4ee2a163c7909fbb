package cli

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lines returns the lines written so far, without the empty last one.
func lines(b *Buffer) []string {
	s := strings.TrimSuffix(b.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestProgressLogLinesWithETA(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	var out Buffer
	p := newProgress(&out, false, clk.Now, 100, "replaying", "vectors")
	if got := lines(&out); len(got) != 0 {
		t.Fatalf("a log display wrote %q before its first interval", got)
	}
	clk.Advance(4 * time.Second)
	p.Add(10)
	if got := lines(&out); len(got) != 0 {
		t.Fatalf("wrote %q before 5 s", got)
	}
	clk.Advance(6 * time.Second) // 10 s: 25 of 100 at 2.5/s, 75 left: 30 s
	p.Add(15)
	got := lines(&out)
	want := "replaying: 25% 25/100 vectors, 2.50/s, 10 s elapsed, ETA 30 s"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("lines %q, want [%q]", got, want)
	}
	clk.Advance(5 * time.Second)
	p.Add(74) // 99.x% rounds down
	if last := lines(&out)[1]; !strings.HasPrefix(last, "replaying: 99% 99/100 vectors") || !strings.Contains(last, "ETA 0.2 s") {
		t.Errorf("99 of 100: %q", last)
	}
	clk.Advance(5 * time.Second)
	p.Add(1) // every unit counted, the job not over: not 100% yet
	if last := lines(&out)[2]; last != "replaying: 99% 100/100 vectors, 5.00/s, 20 s elapsed, finishing" {
		t.Errorf("counted but not done: %q", last)
	}
	clk.Advance(2 * time.Second)
	p.Done()
	if last := lines(&out)[3]; last != "replaying: 100% 100/100 vectors in 22 s (4.55/s)" {
		t.Errorf("done: %q", last)
	}
	n := len(lines(&out))
	p.Done()
	p.Add(5)
	if len(lines(&out)) != n {
		t.Errorf("Done twice or Add after Done wrote more: %q", lines(&out))
	}
	for _, l := range lines(&out)[:3] {
		if strings.Contains(l, "100%") {
			t.Errorf("100%% before Done: %q", l)
		}
	}
}

func TestProgressEndsShortOfItsTotal(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	var out Buffer
	p := newProgress(&out, false, clk.Now, 200, "training", "users")
	clk.Advance(3 * time.Second)
	p.Add(150)
	p.Done() // a failure or an interrupt: the last line must not claim 100%
	got := lines(&out)
	if len(got) != 1 || got[0] != "training: 75% 150/200 users in 3.0 s (50.0/s), ended 50 short of 200" {
		t.Errorf("lines %q", got)
	}
}

func TestProgressUnknownTotalAndSetTotal(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	var out Buffer
	p := newProgress(&out, false, clk.Now, -1, "reading", "rows")
	clk.Advance(80 * time.Second)
	p.Add(8000)
	if got := lines(&out); len(got) != 1 || got[0] != "reading: 8000 rows, 100/s, 1 min 20 s elapsed" {
		t.Errorf("unknown total: %q", got)
	}
	p.SetTotal(16000)
	clk.Advance(5 * time.Second)
	p.Add(500)
	if last := lines(&out)[1]; !strings.HasPrefix(last, "reading: 53% 8500/16000 rows") || !strings.Contains(last, "ETA 1 min 15 s") {
		t.Errorf("after SetTotal: %q", last)
	}
}

func TestProgressTerminalRedrawsOneLine(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	var out Buffer
	p := newProgress(&out, true, clk.Now, 10, "fits", "fits")
	if !strings.HasPrefix(out.String(), "\rfits: 0% 0/10 fits") || !strings.Contains(out.String(), "ETA unknown") {
		t.Fatalf("first draw %q", out.String())
	}
	p.Add(1) // within 100 ms: not redrawn
	clk.Advance(50 * time.Millisecond)
	p.Add(1)
	if strings.Count(out.String(), "\r") != 1 {
		t.Fatalf("redrawn within 100 ms: %q", out.String())
	}
	clk.Advance(950 * time.Millisecond)
	p.Add(1) // 3 in 1 s: 7 left at 3/s
	if !strings.HasSuffix(out.String(), "\rfits: 30% 3/10 fits, 3.00/s, 1.0 s elapsed, ETA 2.3 s") {
		t.Errorf("redraw %q", out.String())
	}
	clk.Advance(time.Second)
	p.Add(7)
	clk.Advance(time.Second)
	p.Done()
	s := out.String()
	if strings.Contains(s, "\n") && !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		t.Errorf("a terminal display must end with its only newline: %q", s)
	}
	final := s[strings.LastIndex(s, "\r")+1:]
	if !strings.HasPrefix(final, "fits: 100% 10/10 fits in 3.0 s") {
		t.Errorf("final %q", final)
	}
	// A shorter line blanks what is left of the longer one before it.
	prev := s[:strings.LastIndex(s, "\r")]
	prev = prev[strings.LastIndex(prev, "\r")+1:]
	if len(strings.TrimSuffix(final, "\n")) < len(prev) {
		t.Errorf("final line %q is shorter than %q and not padded", final, prev)
	}
}

func TestProgressNilAndQuiet(t *testing.T) {
	t.Parallel()
	var p *Progress
	p.Add(1)
	p.SetTotal(3)
	p.Done()
	ios, _, _, errOut := TestIO()
	ios.Quiet = true
	if NewProgress(ios, 10, "x", "y") != nil {
		t.Error("a quiet display is not nil")
	}
	progress, stop := ProgressFunc(ios, "x", "y")
	progress(1, 2)
	stop()
	if errOut.String() != "" {
		t.Errorf("quiet wrote %q", errOut.String())
	}
}

func TestProgressFuncFollowsTheTotal(t *testing.T) {
	t.Parallel()
	ios, _, _, errOut := TestIO()
	progress, stop := ProgressFunc(ios, "report", "files")
	progress(0, 4)
	progress(2, 4)
	progress(3, 6) // the package found more work
	progress(6, 6)
	stop()
	stop()
	got := lines(errOut)
	if len(got) != 1 || !strings.HasPrefix(got[0], "report: 100% 6/6 files in ") {
		t.Errorf("lines %q", got)
	}
}

// TestProgressConcurrentAdds runs under -race in CI.
func TestProgressConcurrentAdds(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	var out Buffer
	p := newProgress(&out, true, clk.Now, 800, "x", "y")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				clk.Advance(time.Millisecond)
				p.Add(1)
			}
		})
	}
	wg.Wait()
	p.Done()
	if !strings.Contains(out.String(), "100% 800/800") {
		t.Errorf("800 adds of 1: %q", out.String()[max(0, len(out.String())-80):])
	}
}

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		400 * time.Millisecond:        "0.4 s",
		17 * time.Second:              "17 s",
		3*time.Minute + 5*time.Second: "3 min 05 s",
		2*time.Hour + 7*time.Minute:   "2 h 07 min",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}
