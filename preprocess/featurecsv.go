package preprocess

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gocarina/gocsv"
)

// csvFloat is a float64 that gocsv writes in the shortest form that reads
// back to the same value (strconv 'g', -1).
type csvFloat float64

// MarshalCSV implements gocsv.TypeMarshaller.
func (f csvFloat) MarshalCSV() (string, error) {
	return strconv.FormatFloat(float64(f), 'g', -1, 64), nil
}

// UnmarshalCSV implements gocsv.TypeUnmarshaller.
func (f *csvFloat) UnmarshalCSV(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	*f = csvFloat(v)
	return err
}

// featureRow is the gocsv mapping of one row of mouseauth's feature CSV: the
// struct tags are the format's definition (see [FeatureCSVHeader]).
type featureRow struct {
	User                  string   `csv:"user"`
	Session               string   `csv:"session"`
	Action                int      `csv:"action"`
	Start                 csvFloat `csv:"start"`
	TypeOfAction          csvFloat `csv:"type_of_action"`
	TraveledDistancePixel csvFloat `csv:"traveled_distance_pixel"`
	ElapsedTime           csvFloat `csv:"elapsed_time"`
	DirectionOfMovement   csvFloat `csv:"direction_of_movement"`
	Straightness          csvFloat `csv:"straightness"`
	NumPoints             csvFloat `csv:"num_points"`
	SumOfAngles           csvFloat `csv:"sum_of_angles"`
	MeanCurv              csvFloat `csv:"mean_curv"`
	SdCurv                csvFloat `csv:"sd_curv"`
	MaxCurv               csvFloat `csv:"max_curv"`
	MinCurv               csvFloat `csv:"min_curv"`
	MeanOmega             csvFloat `csv:"mean_omega"`
	SdOmega               csvFloat `csv:"sd_omega"`
	MaxOmega              csvFloat `csv:"max_omega"`
	MinOmega              csvFloat `csv:"min_omega"`
	LargestDeviation      csvFloat `csv:"largest_deviation"`
	DistEndToEndLine      csvFloat `csv:"dist_end_to_end_line"`
	NumCriticalPoints     csvFloat `csv:"num_critical_points"`
	MeanVx                csvFloat `csv:"mean_vx"`
	SdVx                  csvFloat `csv:"sd_vx"`
	MaxVx                 csvFloat `csv:"max_vx"`
	MinVx                 csvFloat `csv:"min_vx"`
	MeanVy                csvFloat `csv:"mean_vy"`
	SdVy                  csvFloat `csv:"sd_vy"`
	MaxVy                 csvFloat `csv:"max_vy"`
	MinVy                 csvFloat `csv:"min_vy"`
	MeanV                 csvFloat `csv:"mean_v"`
	SdV                   csvFloat `csv:"sd_v"`
	MaxV                  csvFloat `csv:"max_v"`
	MinV                  csvFloat `csv:"min_v"`
	MeanA                 csvFloat `csv:"mean_a"`
	SdA                   csvFloat `csv:"sd_a"`
	MaxA                  csvFloat `csv:"max_a"`
	MinA                  csvFloat `csv:"min_a"`
	MeanJerk              csvFloat `csv:"mean_jerk"`
	SdJerk                csvFloat `csv:"sd_jerk"`
	MaxJerk               csvFloat `csv:"max_jerk"`
	MinJerk               csvFloat `csv:"min_jerk"`
	ABegTime              csvFloat `csv:"a_beg_time"`
}

func toRow(v *FeatureVector) featureRow {
	return featureRow{
		User: v.User, Session: v.Session, Action: v.Index, Start: csvFloat(v.Start),
		TypeOfAction:          csvFloat(v.Values[0]),
		TraveledDistancePixel: csvFloat(v.Values[1]),
		ElapsedTime:           csvFloat(v.Values[2]),
		DirectionOfMovement:   csvFloat(v.Values[3]),
		Straightness:          csvFloat(v.Values[4]),
		NumPoints:             csvFloat(v.Values[5]),
		SumOfAngles:           csvFloat(v.Values[6]),
		MeanCurv:              csvFloat(v.Values[7]),
		SdCurv:                csvFloat(v.Values[8]),
		MaxCurv:               csvFloat(v.Values[9]),
		MinCurv:               csvFloat(v.Values[10]),
		MeanOmega:             csvFloat(v.Values[11]),
		SdOmega:               csvFloat(v.Values[12]),
		MaxOmega:              csvFloat(v.Values[13]),
		MinOmega:              csvFloat(v.Values[14]),
		LargestDeviation:      csvFloat(v.Values[15]),
		DistEndToEndLine:      csvFloat(v.Values[16]),
		NumCriticalPoints:     csvFloat(v.Values[17]),
		MeanVx:                csvFloat(v.Values[18]),
		SdVx:                  csvFloat(v.Values[19]),
		MaxVx:                 csvFloat(v.Values[20]),
		MinVx:                 csvFloat(v.Values[21]),
		MeanVy:                csvFloat(v.Values[22]),
		SdVy:                  csvFloat(v.Values[23]),
		MaxVy:                 csvFloat(v.Values[24]),
		MinVy:                 csvFloat(v.Values[25]),
		MeanV:                 csvFloat(v.Values[26]),
		SdV:                   csvFloat(v.Values[27]),
		MaxV:                  csvFloat(v.Values[28]),
		MinV:                  csvFloat(v.Values[29]),
		MeanA:                 csvFloat(v.Values[30]),
		SdA:                   csvFloat(v.Values[31]),
		MaxA:                  csvFloat(v.Values[32]),
		MinA:                  csvFloat(v.Values[33]),
		MeanJerk:              csvFloat(v.Values[34]),
		SdJerk:                csvFloat(v.Values[35]),
		MaxJerk:               csvFloat(v.Values[36]),
		MinJerk:               csvFloat(v.Values[37]),
		ABegTime:              csvFloat(v.Values[38]),
	}
}

// gocsvHeader is the header gocsv derives from featureRow.
func gocsvHeader() ([]string, error) {
	s, err := gocsv.MarshalString([]featureRow{})
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(s))
	return r.Read()
}

// WriteFeatureCSVGocsv writes vs with a header through gocsv's reflection
// mapping alone. [FeatureWriter] writes the same bytes faster; this is the
// reference it is tested and benchmarked against.
func WriteFeatureCSVGocsv(w io.Writer, vs []FeatureVector) error {
	rows := make([]featureRow, len(vs))
	for i := range vs {
		rows[i] = toRow(&vs[i])
	}
	return gocsv.Marshal(rows, w)
}

// FeatureWriter writes mouseauth's feature CSV: the header (from the gocsv
// mapping of featureRow, equal to [FeatureCSVHeader]) then one row per
// [FeatureVector], floats in the shortest round-trip form.
//
// The header comes from gocsv's struct mapping; rows are appended with
// strconv into a reused buffer ([AppendFeatureRow]) instead of gocsv's
// reflection, which allocates a string per field and took 7.7 us per row
// against 2-4 us here (BenchmarkFeatureCSVWrite), and which cannot run on
// several goroutines for one output: the pipeline encodes rows on its
// workers and only copies bytes in order. Both paths give identical bytes
// (TestFeatureWriterMatchesGocsv).
type FeatureWriter struct {
	w   *bufio.Writer
	buf []byte
	n   int
}

// NewFeatureWriter writes the header to w and returns the writer. Call
// Flush at the end.
func NewFeatureWriter(w io.Writer) (*FeatureWriter, error) {
	h, err := gocsvHeader()
	if err != nil {
		return nil, fmt.Errorf("feature csv header: %w", err)
	}
	fw := &FeatureWriter{w: bufio.NewWriterSize(w, 1<<16), buf: make([]byte, 0, 1024)}
	cw := csv.NewWriter(fw.w)
	if err := cw.Write(h); err != nil {
		return nil, err
	}
	cw.Flush()
	return fw, cw.Error()
}

// Write appends one row.
func (fw *FeatureWriter) Write(v *FeatureVector) error {
	fw.buf = AppendFeatureRow(fw.buf[:0], v)
	fw.n++
	_, err := fw.w.Write(fw.buf)
	return err
}

// WriteRows writes rows already encoded with [AppendFeatureRow] (n of them),
// so that encoding can run on several goroutines.
func (fw *FeatureWriter) WriteRows(b []byte, n int) error {
	fw.n += n
	_, err := fw.w.Write(b)
	return err
}

// AppendFeatureRow appends v as one feature CSV row (with its newline) to b.
func AppendFeatureRow(b []byte, v *FeatureVector) []byte {
	b = appendField(b, v.User)
	b = append(b, ',')
	b = appendField(b, v.Session)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(v.Index), 10)
	b = append(b, ',')
	b = appendFloat(b, v.Start)
	for _, x := range v.Values {
		b = append(b, ',')
		b = appendFloat(b, x)
	}
	return append(b, '\n')
}

// appendFloat appends strconv's 'g', -1 form of x, taking a shortcut for
// the integers (type, counts, direction bins) that it prints as plain
// digits.
func appendFloat(b []byte, x float64) []byte {
	if x == math.Trunc(x) && math.Abs(x) < 1e6 && !(x == 0 && math.Signbit(x)) {
		return strconv.AppendInt(b, int64(x), 10)
	}
	return strconv.AppendFloat(b, x, 'g', -1, 64)
}

// Rows is the number of rows written.
func (fw *FeatureWriter) Rows() int { return fw.n }

// Flush writes buffered data to the underlying writer.
func (fw *FeatureWriter) Flush() error { return fw.w.Flush() }

// appendField appends s as a CSV field, quoted as encoding/csv would.
func appendField(b []byte, s string) []byte {
	if s == "" || s != `\.` && !strings.ContainsAny(s, ",\"\r\n") && s[0] != ' ' && s[0] != '\t' {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// ErrFeatureHeader is returned (wrapped) when a feature CSV's header is not
// [FeatureCSVHeader].
var ErrFeatureHeader = errors.New("not a mouseauth feature CSV header")

// ReadFeatureCSV reads a feature CSV written by [FeatureWriter]. name is used
// in errors, which name the file, the line and the column. The reader is
// encoding/csv plus strconv rather than gocsv so that a bad value's error can
// say exactly where it is.
func ReadFeatureCSV(r io.Reader, name string) ([]FeatureVector, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	h, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: empty file, want header %q: %w", name, strings.Join(FeatureCSVHeader, ","), ErrFeatureHeader)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(h) != len(FeatureCSVHeader) {
		return nil, fmt.Errorf("read %s line 1: %d columns, want %d (%s...): %w", name, len(h), len(FeatureCSVHeader), strings.Join(FeatureCSVHeader[:5], ","), ErrFeatureHeader)
	}
	for i, c := range h {
		if strings.TrimSpace(c) != FeatureCSVHeader[i] {
			return nil, fmt.Errorf("read %s line 1 column %d: %q, want %q: %w", name, i+1, c, FeatureCSVHeader[i], ErrFeatureHeader)
		}
	}
	cr.FieldsPerRecord = len(FeatureCSVHeader)
	var out []FeatureVector
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		var v FeatureVector
		v.User, v.Session = strings.Clone(rec[0]), strings.Clone(rec[1])
		bad := func(col int, err error) error {
			return fmt.Errorf("read %s line %d column %d (%s): %q: %w", name, line, col+1, FeatureCSVHeader[col], rec[col], err)
		}
		idx, err := strconv.Atoi(strings.TrimSpace(rec[2]))
		if err != nil {
			return nil, bad(2, errors.Unwrap(err))
		}
		v.Index = idx
		if v.Start, err = strconv.ParseFloat(strings.TrimSpace(rec[3]), 64); err != nil {
			return nil, bad(3, errors.Unwrap(err))
		}
		for i := range v.Values {
			if v.Values[i], err = strconv.ParseFloat(strings.TrimSpace(rec[4+i]), 64); err != nil {
				return nil, bad(4+i, errors.Unwrap(err))
			}
		}
		out = append(out, v)
	}
}
