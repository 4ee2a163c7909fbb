package preprocess

import (
	"github.com/mouseauth/mouseauth/dataset"
)

// Compat selects the conventions of segmentation and feature extraction.
type Compat uint8

const (
	// Clean follows the clean column of docs/actions-and-features.md
	// ("Segmentation" and "The 39 features"), as documented on [Segmenter]
	// and [Extractor]. It is the default.
	Clean Compat = iota
	// Reference follows the conventions of the published extractor that made
	// the Balabit feature files (see reference.go): it reproduces
	// balabit_39feat_PC_MM_DD_1000.csv for most rows.
	Reference
)

func (c Compat) String() string {
	if c == Reference {
		return "reference"
	}
	return "clean"
}

// ParseCompat maps "clean" (or "") and "reference" to a [Compat].
func ParseCompat(s string) (Compat, bool) {
	switch s {
	case "", "clean", "none":
		return Clean, true
	case "reference", "ref":
		return Reference, true
	}
	return Clean, false
}

// Segmentation constants (docs/actions-and-features.md, "Segmentation
// constants").
const (
	// MaxPause is the longest pause, in seconds, inside one action; a longer
	// one ends a mouse move.
	MaxPause = 10.0
	// MinActionPoints is the fewest points an action keeps.
	MinActionPoints = 4
	// MinPCMovePoints: a point-click needs more than this many points before
	// the press.
	MinPCMovePoints = 4
	// MaxCoordinate: a point with a coordinate above it is replaced by the
	// previous point (65535 and other artefacts).
	MaxCoordinate = 4000
)

// SegmentOptions configure a [Segmenter].
type SegmentOptions struct {
	// Compat selects the clean rules (default) or the published extractor's.
	Compat Compat
}

// SegmentStats counts what a [Segmenter] saw.
type SegmentStats struct {
	Events     int // events pushed
	Duplicates int // rows repeating the previous row, dropped
	Replaced   int // points with a coordinate above MaxCoordinate replaced
	Chunks     int // chunks closed (by a left release, or the trailing one)
	Short      int // chunks of 2 events or fewer, discarded
	Dropped    int // candidate actions dropped (too few points, x = 0, short PC)
	Actions    [5]int
}

// Segmenter turns a stream of events into actions, one event at a time.
// Memory is bounded by the longest chunk (the events between two left-button
// releases), not by the session.
//
// Clean rules (docs/actions-and-features.md, "Segmentation"):
//   - a row repeating the previous row exactly is dropped; a scroll row
//     (Scroll button, or DFL's "Scrool" state) takes the previous kept point's
//     x, y; a point with x or y above [MaxCoordinate] is replaced by the
//     previous kept point (dropped when there is none yet). Right and
//     middle button rows are ordinary points.
//   - A left release closes a chunk. If the row before it is a drag, the
//     chunk's moves before the last left press are mouse moves and the
//     press through the release is a drag-and-drop (DD). If it is a left
//     press, the moves since the last pause, the press and the release form
//     a point-click (PC), which needs more than [MinPCMovePoints] points
//     before the press (else the moves are dropped with it); the moves before
//     the last pause are mouse moves. A release after anything else closes a
//     chunk of mouse moves. Chunks of 2 events or fewer are discarded; the
//     events after the last release form a trailing chunk of mouse moves
//     ([Segmenter.Flush]).
//   - Mouse moves are split at pauses longer than [MaxPause] (the point after
//     the pause starts the next move).
//   - Actions with fewer than [MinActionPoints] points, or with a point at
//     x = 0, are dropped.
//
// Reference mode follows the published extractor; these rules were found by
// reproducing balabit_39feat_PC_MM_DD_1000.csv (TestReproducePublished):
//   - the coordinate filter replaces a point only when both x and y are
//     >= 4000 (the published "x < 4000 or y < 4000");
//   - a scroll row takes the previous raw row's x, y, so the second of two
//     scroll rows keeps 0, 0 and its action is dropped (x = 0);
//   - a point-click chunk's click is its first press of any button (a right
//     click before the left one ends the movement there); the PC is the
//     movement plus the press, without the release;
//   - in a PC chunk the point after a pause is dropped, and the pause check
//     of the first point is against t = 0, so a chunk starting more than
//     [MaxPause] s into the session loses its first point;
//   - the mouse moves before a drag lose their scroll rows;
//   - mouse moves need more than 4 points;
//   - the trailing chunk after the last release is not processed.
type Segmenter struct {
	opts  SegmentOptions
	emit  func(Action)
	chunk []dataset.Event
	prev  dataset.Event // previous raw row (for duplicate detection)
	last  dataset.Event // previous kept point (for scroll and filter)
	have  bool
	stats SegmentStats
}

// NewSegmenter returns a Segmenter that calls emit for each action, in
// order. The Action's Events alias the Segmenter's buffer: they are valid
// only during the call (use [Action.Clone] to keep them).
func NewSegmenter(opts SegmentOptions, emit func(Action)) *Segmenter {
	return &Segmenter{opts: opts, emit: emit, chunk: make([]dataset.Event, 0, 256)}
}

// Clone returns a copy of a whose Events do not alias any buffer.
func (a Action) Clone() Action {
	return Action{Kind: a.Kind, Events: append([]dataset.Event(nil), a.Events...)}
}

// Stats returns the counts so far.
func (s *Segmenter) Stats() SegmentStats { return s.stats }

// Reset clears the state for a new session (stats are kept).
func (s *Segmenter) Reset() {
	s.chunk = s.chunk[:0]
	s.have = false
}

func isScroll(e dataset.Event) bool {
	return e.Button == dataset.Scroll || e.State == dataset.Scrool || e.State == dataset.Up || e.State == dataset.Down
}

// Push adds one event.
func (s *Segmenter) Push(e dataset.Event) {
	s.stats.Events++
	if s.have && e == s.prev {
		s.stats.Duplicates++
		return
	}
	ref := s.opts.Compat == Reference
	prevRaw := s.prev
	s.prev = e
	if isScroll(e) {
		switch {
		case ref:
			e.X, e.Y = prevRaw.X, prevRaw.Y
		case s.have:
			e.X, e.Y = s.last.X, s.last.Y
		case e.State == dataset.Scrool:
			e.Y = e.X // DFL writes x twice; nothing better is known
		}
		// Mark it (X, Y are set from neighbours) so reference mouse moves can
		// drop it.
		e.Button = dataset.Scroll
	}
	var bad bool
	if ref {
		bad = e.X >= MaxCoordinate && e.Y >= MaxCoordinate
	} else {
		bad = e.X > MaxCoordinate || e.Y > MaxCoordinate
	}
	if bad {
		s.stats.Replaced++
		switch {
		case s.have:
			e.X, e.Y = s.last.X, s.last.Y
		case !ref:
			return // no previous point to take: clean mode drops it
		}
	}
	s.have = true
	s.last = e
	s.chunk = append(s.chunk, e)
	if e.Button == dataset.Left && e.State == dataset.Released {
		s.closeChunk(true)
	}
}

// PushAll adds events in order.
func (s *Segmenter) PushAll(events []dataset.Event) {
	for _, e := range events {
		s.Push(e)
	}
}

// Flush processes the trailing chunk (the events after the last left
// release) and resets the Segmenter for another session.
func (s *Segmenter) Flush() {
	// The published extractor does not process the trailing chunk.
	if len(s.chunk) > 0 && s.opts.Compat != Reference {
		s.closeChunk(false)
	}
	s.Reset()
}

func (s *Segmenter) closeChunk(released bool) {
	c := s.chunk
	s.chunk = s.chunk[:0]
	s.stats.Chunks++
	if len(c) <= 2 {
		s.stats.Short++
		return
	}
	n := len(c)
	if !released {
		s.moves(c)
		return
	}
	before := c[n-2]
	switch {
	case before.State == dataset.Drag:
		// The press that starts the drag: the last left press before the
		// release.
		p := n - 2
		for p >= 0 && !(c[p].State == dataset.Pressed && c[p].Button == dataset.Left) {
			p--
		}
		if p < 0 {
			// Drags without a press (the press was lost): a drag from the
			// chunk start.
			p = 0
		}
		// The moves before the press are mouse moves; the drag-and-drop
		// runs from the press through the release.
		if p > 0 {
			s.moves(c[:p])
		}
		s.action(DD, c[p:], false)
	case before.State == dataset.Pressed && before.Button == dataset.Left:
		p := n - 2
		if s.opts.Compat == Reference {
			// The published extractor takes the chunk's first press (of
			// any button) as the click: the moves after a right click are
			// lost with it.
			for i := range c {
				if c[i].State == dataset.Pressed {
					p = i
					break
				}
			}
		}
		s.pointClick(c, p)
	default:
		s.moves(c)
	}
}

// moves emits the mouse moves of c split at pauses.
func (s *Segmenter) moves(c []dataset.Event) {
	start := 0
	for i := 1; i < len(c); i++ {
		if c[i].T-c[i-1].T > MaxPause {
			s.action(MM, c[start:i], true)
			start = i
		}
	}
	if start < len(c) {
		s.action(MM, c[start:], true)
	}
}

// pointClick emits the chunk c whose press is c[p] (the release c[p+1]): the
// moves before the last pause inside it are mouse moves, the moves since
// then and the press (and in clean mode the release) are the point-click.
func (s *Segmenter) pointClick(c []dataset.Event, p int) {
	ref := s.opts.Compat == Reference
	start := 0
	prevT := c[0].T
	if ref {
		prevT = 0 // the published extractor's pause check starts from t = 0
	}
	for i := 0; i <= p; i++ {
		if c[i].T-prevT > MaxPause {
			if i > start {
				s.action(MM, c[start:i], false)
			}
			start = i
			if ref {
				start = i + 1 // and drops the point after the pause
			}
		}
		prevT = c[i].T
	}
	if start > p {
		start = p
	}
	if p-start <= MinPCMovePoints {
		s.stats.Dropped++ // too short to be a click
		return
	}
	end := len(c)
	if ref {
		end = p + 1 // movement plus press point
	}
	s.action(PC, c[start:end], false)
}

// refMinMM: in reference mode a mouse move needs more than this many points.
const refMinMM = 4

// action emits ev as an action of kind k after the final checks. In
// reference mode, mouse moves made by [Segmenter.moves] (dropScroll) lose
// their scroll rows first (ev is compacted in place; it is not used again).
func (s *Segmenter) action(k ActionKind, ev []dataset.Event, dropScroll bool) {
	if s.opts.Compat == Reference && k == MM {
		if dropScroll {
			w := 0
			for i := range ev {
				if ev[i].Button != dataset.Scroll {
					ev[w] = ev[i]
					w++
				}
			}
			ev = ev[:w]
		}
		if len(ev) <= refMinMM {
			s.stats.Dropped++
			return
		}
	}
	if len(ev) < MinActionPoints {
		s.stats.Dropped++
		return
	}
	for i := range ev {
		if ev[i].X == 0 {
			s.stats.Dropped++
			return
		}
	}
	s.stats.Actions[k]++
	s.emit(Action{Kind: k, Events: ev})
}

// Segment is the pure form of [Segmenter]: the actions of one session's
// events, each with its own copy of its events.
func Segment(events []dataset.Event, opts SegmentOptions) []Action {
	var out []Action
	s := NewSegmenter(opts, func(a Action) { out = append(out, a.Clone()) })
	s.PushAll(events)
	s.Flush()
	return out
}
