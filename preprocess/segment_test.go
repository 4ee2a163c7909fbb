package preprocess

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/mouseauth/mouseauth/dataset"
)

// readLog reads a Balabit-format log from testdata.
func readLog(t *testing.T, name string) []dataset.Event {
	t.Helper()
	evs, err := parseBalabitForTest(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func mv(t float64, x, y int32) dataset.Event {
	return dataset.Event{T: t, X: x, Y: y, Button: dataset.NoButton, State: dataset.Move}
}

func ev(t float64, b dataset.Button, s dataset.State, x, y int32) dataset.Event {
	return dataset.Event{T: t, X: x, Y: y, Button: b, State: s}
}

type wantAction struct {
	kind   ActionKind
	points int
	first  float64 // time of the first point
}

func checkActions(t *testing.T, got []Action, want []wantAction) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d actions %v, want %d %v", len(got), summarize(got), len(want), want)
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.kind || len(g.Events) != w.points || g.Events[0].T != w.first {
			t.Errorf("action %d: %v with %d points from t=%v, want %v with %d from t=%v",
				i, g.Kind, len(g.Events), g.Events[0].T, w.kind, w.points, w.first)
		}
	}
}

func summarize(as []Action) []wantAction {
	var out []wantAction
	for _, a := range as {
		out = append(out, wantAction{a.Kind, len(a.Events), a.Events[0].T})
	}
	return out
}

func TestSegmentTestdata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file       string
		clean, ref []wantAction
	}{
		// Reference does not process the trailing chunk (after the last
		// release): logs of moves alone give nothing there.
		{"straight.csv", []wantAction{{MM, 6, 0}}, nil},
		{"rightangle.csv", []wantAction{{MM, 7, 0}}, nil},
		// Clean: the moves, the press and the release; reference: no release.
		{"click.csv", []wantAction{{PC, 8, 0}}, []wantAction{{PC, 7, 0}}},
		// Moves before the press are a mouse move; the drag runs from the
		// press through the release.
		{"drag.csv", []wantAction{{MM, 5, 0}, {DD, 6, 0.5}}, []wantAction{{MM, 5, 0}, {DD, 6, 0.5}}},
		// A 12 s pause splits the moves.
		{"pause.csv", []wantAction{{MM, 5, 0}, {MM, 5, 12.4}}, nil},
		// Clean keeps the scroll row at the previous point; reference drops
		// it from the mouse move, which is then too short (needs > 4 points).
		{"scroll.csv", []wantAction{{MM, 5, 0}}, nil},
		{"outofrange.csv", []wantAction{{MM, 5, 0}}, nil},
		{"duplicates.csv", []wantAction{{MM, 4, 0}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			evs := readLog(t, tt.file)
			t.Run("clean", func(t *testing.T) { checkActions(t, Segment(evs, SegmentOptions{}), tt.clean) })
			t.Run("reference", func(t *testing.T) {
				checkActions(t, Segment(evs, SegmentOptions{Compat: Reference}), tt.ref)
			})
		})
	}
}

// Closed by a release, the same moves are mouse moves in reference mode
// too (the release is a point of the chunk).
func TestSegmentReferenceClosedChunks(t *testing.T) {
	t.Parallel()
	rel := func(evs []dataset.Event) []dataset.Event {
		last := evs[len(evs)-1]
		return append(evs, ev(last.T+0.1, dataset.Left, dataset.Released, last.X, last.Y))
	}
	ref := SegmentOptions{Compat: Reference}
	checkActions(t, Segment(rel(readLog(t, "straight.csv")), ref), []wantAction{{MM, 7, 0}})
	checkActions(t, Segment(rel(readLog(t, "pause.csv")), ref), []wantAction{{MM, 5, 0}, {MM, 6, 12.4}})
	// A right click before the left press ends the click's movement there.
	evs := readLog(t, "click.csv")
	withRight := append(append([]dataset.Event{}, evs[:6]...),
		ev(0.55, dataset.Right, dataset.Pressed, 250, 350), ev(0.56, dataset.Right, dataset.Released, 250, 350))
	withRight = append(withRight, evs[6:]...)
	checkActions(t, Segment(withRight, ref), []wantAction{{PC, 7, 0}})
	if a := Segment(withRight, ref)[0]; a.Events[6].Button != dataset.Right {
		t.Errorf("the click point is %v, want the right press", a.Events[6])
	}
}

func TestSegmentScrollAndOutOfRangeTakePreviousPoint(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"scroll.csv", "outofrange.csv"} {
		as := Segment(readLog(t, f), SegmentOptions{})
		if len(as) != 1 {
			t.Fatalf("%s: %d actions", f, len(as))
		}
		p := as[0].Events[2]
		if p.X != 110 || p.Y != 100 {
			t.Errorf("%s: point 2 at (%d,%d), want the previous point (110,100)", f, p.X, p.Y)
		}
	}
}

func TestSegmentRules(t *testing.T) {
	t.Parallel()
	L, P, R := dataset.Left, dataset.Pressed, dataset.Released
	moves := func(t0 float64, n int, x0 int32) []dataset.Event {
		var out []dataset.Event
		for i := 0; i < n; i++ {
			out = append(out, mv(t0+0.1*float64(i), x0+int32(10*i), 100))
		}
		return out
	}
	cat := func(parts ...[]dataset.Event) []dataset.Event {
		var out []dataset.Event
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name  string
		in    []dataset.Event
		clean []wantAction
	}{
		{"chunk of 2 events is discarded", []dataset.Event{ev(0, L, P, 5, 5), ev(0.1, L, R, 5, 5)}, nil},
		{"action of 3 points is dropped", moves(0, 3, 10), nil},
		{"action of 4 points is kept", moves(0, 4, 10), []wantAction{{MM, 4, 0}}},
		{"action with x = 0 is dropped", cat(moves(0, 3, 10), []dataset.Event{mv(0.5, 0, 7)}, moves(0.6, 3, 50)), nil},
		{"PC needs more than 4 points before the press",
			cat(moves(0, 4, 10), []dataset.Event{ev(0.5, L, P, 40, 100), ev(0.6, L, R, 40, 100)}), nil},
		{"PC with 5 points before the press",
			cat(moves(0, 5, 10), []dataset.Event{ev(0.5, L, P, 50, 100), ev(0.6, L, R, 50, 100)}), []wantAction{{PC, 7, 0}}},
		{"pause inside a PC chunk: moves before it are a MM",
			cat(moves(0, 5, 10), moves(20, 5, 300), []dataset.Event{ev(20.5, L, P, 340, 100), ev(20.6, L, R, 340, 100)}),
			[]wantAction{{MM, 5, 0}, {PC, 7, 20}}},
		{"release after a move closes a MM chunk",
			cat(moves(0, 5, 10), []dataset.Event{ev(0.5, L, R, 60, 100)}), []wantAction{{MM, 6, 0}}},
		{"trailing chunk after the last release",
			cat(moves(0, 5, 10), []dataset.Event{ev(0.5, L, P, 50, 100), ev(0.6, L, R, 50, 100)}, moves(1, 4, 500)),
			[]wantAction{{PC, 7, 0}, {MM, 4, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkActions(t, Segment(tt.in, SegmentOptions{}), tt.clean) })
	}
}

// The streaming Segmenter and Segment agree, whatever the chunking, and
// Stats counts what was emitted.
func TestSegmenterStreamingStats(t *testing.T) {
	t.Parallel()
	evs := append(readLog(t, "drag.csv"), readLog(t, "duplicates.csv")...)
	for i := range evs[11:] {
		evs[11+i].T += 2 // after the drag
	}
	var got []Action
	s := NewSegmenter(SegmentOptions{}, func(a Action) { got = append(got, a.Clone()) })
	for _, e := range evs {
		s.Push(e)
	}
	s.Flush()
	want := Segment(evs, SegmentOptions{})
	checkActions(t, got, summarize(want))
	st := s.Stats()
	if st.Events != len(evs) || st.Duplicates != 1 || st.Actions[MM] != 2 || st.Actions[DD] != 1 {
		t.Errorf("stats %+v, want %d events, 1 duplicate, 2 MM, 1 DD", st, len(evs))
	}
}

// FuzzSegment: any event stream segments without panic into valid actions
// whose features are finite in both modes.
func FuzzSegment(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 10, 10, 1, 0, 0, 20, 20, 1, 0, 0, 30, 30, 1, 0, 0, 40, 40, 1, 1, 1, 40, 40, 1, 1, 2, 40, 40})
	f.Add([]byte{0, 1, 1, 0, 0, 0, 0, 3, 255, 255, 200, 0, 0, 1, 1, 0, 4, 6, 7, 7, 0, 1, 2, 9, 9})
	for _, name := range []string{"click.csv", "drag.csv", "pause.csv", "scroll.csv"} {
		evs, err := parseBalabitForTest(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		var b []byte
		prev := 0.0
		for _, e := range evs {
			b = append(b, byte((e.T-prev)*20), byte(e.Button), byte(e.State), byte(e.X), byte(e.Y))
			prev = e.T
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var evs []dataset.Event
		tm := 0.0
		for i := 0; i+5 <= len(data); i += 5 {
			tm += float64(int8(data[i])) / 20 // time may go backwards
			x, y := int32(data[i+3])*7-50, int32(data[i+4])*9-50
			if data[i+3] == 255 {
				x = 65535
			}
			evs = append(evs, dataset.Event{T: tm, Button: dataset.Button(data[i+1] % 5),
				State: dataset.State(data[i+2] % 7), X: x, Y: y})
		}
		for _, c := range []Compat{Clean, Reference} {
			var ex Extractor
			ex.Compat = c
			for _, a := range Segment(evs, SegmentOptions{Compat: c}) {
				if a.Kind != MM && a.Kind != PC && a.Kind != DD {
					t.Fatalf("%v: kind %d", c, a.Kind)
				}
				if len(a.Events) < MinActionPoints {
					t.Fatalf("%v: %v with %d points", c, a.Kind, len(a.Events))
				}
				for _, e := range a.Events {
					if e.X == 0 {
						t.Fatalf("%v: point with x = 0 kept", c)
					}
					if c == Clean && (e.X > MaxCoordinate || e.Y > MaxCoordinate) {
						t.Fatalf("clean: point (%d,%d) above %d kept", e.X, e.Y, MaxCoordinate)
					}
				}
				for i, v := range ex.Extract(a) {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("%v: feature %s = %v", c, FeatureNames[i], v)
					}
				}
			}
		}
	})
}
