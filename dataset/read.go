package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"unicode/utf8"
)

// ReadOptions control how malformed rows are handled.
type ReadOptions struct {
	// Strict makes the first malformed row an error. Otherwise malformed
	// rows are skipped, counted, and recorded in Issues.
	Strict bool
	// MaxIssues is how many malformed rows are recorded in full (0 = 100);
	// all of them are counted.
	MaxIssues int
}

// RowError names a malformed row: file, 1-based line, field and reason.
type RowError struct {
	File   string
	Line   int
	Field  string
	Value  string
	Reason string
}

func (e *RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s:%d: field %s %q: %s", e.File, e.Line, e.Field, e.Value, e.Reason)
}

// ErrNotALog is returned when a file does not look like a mouse log at all.
var ErrNotALog = errors.New("does not look like a mouse log")

// ReadStats counts what a Reader saw.
type ReadStats struct {
	Rows      int // data rows (lines after the header, blank lines excluded)
	Events    int // rows returned as events
	Malformed int // rows skipped as malformed
}

// Reader streams the events of one log file. Memory does not grow with the
// file: one line is parsed at a time from a fixed buffer.
//
// The line parser is written by hand because encoding/csv allocates a record
// per row and is itself the floor this reader is measured against; log rows
// have no quoting, so splitting on commas is exact.
type Reader struct {
	name    string
	br      *bufio.Reader
	closer  io.Closer
	opts    ReadOptions
	format  Format
	line    int
	stats   ReadStats
	issues  []RowError
	pending []byte // first data line of a headerless file
	header  []byte // the header line as written; nil for a headerless file
	raw     []byte // the row of the last event returned
}

// NewReader detects the format from the header (or, for a headerless file,
// from the column count of the first row: 5 = DFL, 6 = Balabit) and returns a
// Reader positioned at the first data row. name is used in errors.
func NewReader(r io.Reader, name string, opts ReadOptions) (*Reader, error) {
	if opts.MaxIssues <= 0 {
		opts.MaxIssues = 100
	}
	rd := &Reader{name: name, br: bufio.NewReaderSize(r, 256<<10), opts: opts}
	for {
		line, err := rd.readLine()
		if err == io.EOF {
			return nil, fmt.Errorf("%s: empty file: no header and no rows", name)
		}
		if err != nil {
			return nil, err
		}
		if rd.line == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if bytes.IndexByte(line, 0) >= 0 || !utf8.Valid(line) {
			return nil, fmt.Errorf("%s: %w: line %d holds binary data", name, ErrNotALog, rd.line)
		}
		cols := bytes.Count(line, []byte(",")) + 1
		low := bytes.ToLower(bytes.TrimSpace(line))
		switch {
		case bytes.HasPrefix(low, []byte("record timestamp")):
			rd.format = FormatBalabit
			rd.header = append([]byte(nil), line...)
		case bytes.HasPrefix(low, []byte("client timestamp")):
			rd.format = FormatDFL
			rd.header = append([]byte(nil), line...)
		case cols == 5 && startsNumeric(low):
			rd.format = FormatDFL
			rd.pending = append([]byte(nil), line...)
		case cols == 6 && startsNumeric(low):
			rd.format = FormatBalabit
			rd.pending = append([]byte(nil), line...)
		default:
			return nil, fmt.Errorf("%s: %w: line %d has %d columns and no known header (want %q or %q)",
				name, ErrNotALog, rd.line, cols, "client timestamp,button,state,x,y",
				"record timestamp,client timestamp,button,state,x,y")
		}
		return rd, nil
	}
}

func startsNumeric(b []byte) bool {
	return len(b) > 0 && (b[0] >= '0' && b[0] <= '9' || b[0] == '-' || b[0] == '.')
}

// Open opens a log file; Close closes it.
func Open(path string, opts ReadOptions) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f, path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// Close closes the underlying file if the Reader opened it.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Format is the detected file format.
func (r *Reader) Format() Format { return r.format }

// Stats returns the counts so far.
func (r *Reader) Stats() ReadStats { return r.stats }

// Issues returns the malformed rows recorded so far (at most MaxIssues).
func (r *Reader) Issues() []RowError { return r.issues }

// Header returns the header line as written, nil for a headerless file.
func (r *Reader) Header() []byte { return r.header }

// Raw returns the row of the event Next last returned, as written (without
// the line ending). It is valid until the next call to Next.
func (r *Reader) Raw() []byte { return r.raw }

// Line returns the 1-based line number of the row Next last read.
func (r *Reader) Line() int { return r.line }

// Name is the file name used in errors.
func (r *Reader) Name() string { return r.name }

// readLine returns the next line without its line ending. The slice is valid
// until the next call.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// An over-long line: skip the rest of it and report it.
		for err == bufio.ErrBufferFull {
			_, err = r.br.ReadSlice('\n')
		}
		r.line++
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: %w", r.name, err)
		}
		return []byte("\x00overlong"), nil
	}
	if len(line) == 0 && err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("%s: %w", r.name, err)
	}
	r.line++
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return line, nil
}

// Next returns the next event, io.EOF at the end of the file. Malformed rows
// are skipped and recorded, or returned as a *RowError in strict mode.
func (r *Reader) Next() (Event, error) {
	for {
		var line []byte
		if r.pending != nil {
			line, r.pending = r.pending, nil
		} else {
			var err error
			line, err = r.readLine()
			if err != nil {
				return Event{}, err
			}
		}
		if len(line) == 0 || len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		r.stats.Rows++
		ev, rerr := r.parse(line)
		if rerr == nil {
			r.raw = line
			r.stats.Events++
			return ev, nil
		}
		r.stats.Malformed++
		rerr.File, rerr.Line = r.name, r.line
		if r.opts.Strict {
			return Event{}, rerr
		}
		if len(r.issues) < r.opts.MaxIssues {
			r.issues = append(r.issues, *rerr)
		}
	}
}

// parse parses one data row. It does not allocate on the success path.
func (r *Reader) parse(line []byte) (Event, *RowError) {
	var f [6][]byte
	want := 5
	if r.format == FormatBalabit {
		want = 6
	}
	n := 0
	for n < want {
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			f[n] = line
			n++
			line = nil
			break
		}
		f[n] = line[:i]
		line = line[i+1:]
		n++
	}
	if n != want || line != nil {
		got := n
		if line != nil {
			got = want + bytes.Count(line, []byte(",")) + 1
		}
		if bytes.IndexByte(line, 0) >= 0 || bytes.IndexByte(f[0], 0) >= 0 {
			return Event{}, &RowError{Reason: "binary data in the row"}
		}
		return Event{}, &RowError{Reason: fmt.Sprintf("%d columns, want %d", got, want)}
	}
	fs := f[:want]
	if r.format == FormatBalabit {
		// The record timestamp is checked but not used: events carry the
		// client's time.
		if _, ok := parseFloat(fs[0]); !ok {
			return Event{}, badField("record timestamp", fs[0], "not a number")
		}
		fs = fs[1:]
	}
	var ev Event
	t, ok := parseFloat(fs[0])
	if !ok {
		return Event{}, badField("client timestamp", fs[0], "not a number")
	}
	if r.format == FormatDFL {
		t /= 1000
	}
	ev.T = t
	b, ok := parseButton(fs[1])
	if !ok {
		return Event{}, badField("button", fs[1], "unknown button")
	}
	s, ok := parseState(fs[2])
	if !ok {
		return Event{}, badField("state", fs[2], "unknown state")
	}
	ev.Button, ev.State = b, s
	x, ok := parseCoord(fs[3])
	if !ok {
		return Event{}, badField("x", fs[3], "not an integer coordinate")
	}
	y, ok := parseCoord(fs[4])
	if !ok {
		return Event{}, badField("y", fs[4], "not an integer coordinate")
	}
	ev.X, ev.Y = x, y
	return ev, nil
}

func badField(field string, v []byte, reason string) *RowError {
	const max = 40
	s := v
	if len(s) > max {
		s = s[:max]
	}
	val := string(s)
	if !utf8.ValidString(val) || bytes.IndexByte(s, 0) >= 0 {
		val = fmt.Sprintf("%x", s)
		reason += " (binary data)"
	}
	return &RowError{Field: field, Value: val, Reason: reason}
}

// parseFloat parses a finite decimal number.
func parseFloat(b []byte) (float64, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	// Fast path: plain integers (DFL milliseconds).
	if v, ok := parseInt(b); ok {
		return float64(v), true
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseCoord parses an integer pixel coordinate that fits int32. Some
// loggers write coordinates as "123.0"; a whole-valued decimal is accepted.
func parseCoord(b []byte) (int32, bool) {
	b = bytes.TrimSpace(b)
	v, ok := parseInt(b)
	if !ok {
		f, okf := parseFloat(b)
		if !okf || f != math.Trunc(f) {
			return 0, false
		}
		if f < math.MinInt32 || f > math.MaxInt32 {
			return 0, false
		}
		return int32(f), true
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return int32(v), true
}

func parseButton(b []byte) (Button, bool) {
	switch string(bytes.TrimSpace(b)) {
	case "NoButton", "Nobutton":
		return NoButton, true
	case "Left":
		return Left, true
	case "Right":
		return Right, true
	case "Middle":
		return Middle, true
	case "Scroll":
		return Scroll, true
	}
	return 0, false
}

func parseState(b []byte) (State, bool) {
	switch string(bytes.TrimSpace(b)) {
	case "Move":
		return Move, true
	case "Pressed":
		return Pressed, true
	case "Released":
		return Released, true
	case "Drag":
		return Drag, true
	case "Down":
		return Down, true
	case "Up":
		return Up, true
	case "Scrool", "Scroll":
		return Scrool, true
	}
	return 0, false
}

// ReadFile reads a whole log file.
func ReadFile(path string, opts ReadOptions) ([]Event, ReadStats, []RowError, error) {
	r, err := Open(path, opts)
	if err != nil {
		return nil, ReadStats{}, nil, err
	}
	defer r.Close()
	var evs []Event
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return evs, r.Stats(), r.Issues(), nil
		}
		if err != nil {
			return evs, r.Stats(), r.Issues(), err
		}
		evs = append(evs, ev)
	}
}
