package preprocess

import (
	"bufio"
	"encoding/csv"
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
	Convention            string   `csv:"convention"`
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

// gocsvHeader is the header gocsv derives from featureRow.
func gocsvHeader() ([]string, error) {
	s, err := gocsv.MarshalString([]featureRow{})
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(s))
	return r.Read()
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
	b = append(b, ',')
	b = append(b, v.Compat.String()...)
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
