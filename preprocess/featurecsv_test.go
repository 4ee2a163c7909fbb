package preprocess

import (
	"bytes"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gocarina/gocsv"
)

func sampleVectors() []FeatureVector {
	var vs []FeatureVector
	for i := 0; i < 5; i++ {
		v := FeatureVector{User: "user7", Session: "session_1", Index: i, Start: 0.1 * float64(i), Compat: Reference}
		for j := range v.Values {
			v.Values[j] = float64(i*j) / 3
		}
		v.Values[0] = float64(MM)
		v.Values[5] = -2.5e-300
		vs = append(vs, v)
	}
	vs[1].User = `odd, "user"`
	vs[2].Values[7] = math.MaxFloat64
	return vs
}

func TestGocsvHeaderIsFeatureCSVHeader(t *testing.T) {
	t.Parallel()
	h, err := gocsvHeader()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h, FeatureCSVHeader) {
		t.Errorf("gocsv header %v,\nwant %v", h, FeatureCSVHeader)
	}
}

// The fast writer and gocsv's reflection give identical bytes.
func TestFeatureWriterMatchesGocsv(t *testing.T) {
	t.Parallel()
	vs := sampleVectors()
	var fast, slow bytes.Buffer
	fw, err := NewFeatureWriter(&fast)
	if err != nil {
		t.Fatal(err)
	}
	writeVectors(t, fw, vs)
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := writeFeatureCSVGocsv(&slow, vs); err != nil {
		t.Fatal(err)
	}
	if fast.String() != slow.String() {
		t.Errorf("fast writer:\n%s\ngocsv:\n%s", fast.String(), slow.String())
	}
	if fw.Rows() != len(vs) {
		t.Errorf("Rows() = %d, want %d", fw.Rows(), len(vs))
	}
}

// TestFeatureCSVRoundTrip writes vectors, quoted user names included, and
// reads them back with ReadTable.
func TestFeatureCSVRoundTrip(t *testing.T) {
	t.Parallel()
	vs := sampleVectors()
	vs[3].User = " leading space"
	vs[4].Session = "multi\nline"
	var buf bytes.Buffer
	fw, err := NewFeatureWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	writeVectors(t, fw, vs)
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), ",0.1,") || !strings.Contains(buf.String(), "-2.5e-300") || !strings.Contains(buf.String(), `"odd, ""user"""`) {
		t.Errorf("floats not in shortest form or names not quoted:\n%s", buf.String())
	}
	got, err := ReadTable(&buf, "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Names, FeatureNames[:]) || len(got.X) != len(vs) || got.Convention != "reference" || got.Extractor != ExtractorID {
		t.Fatalf("names %v, %d rows, convention %q, extractor %q", got.Names, len(got.X), got.Convention, got.Extractor)
	}
	for i := range vs {
		v := &vs[i]
		if got.Users[i] != v.User || got.Sessions[i] != v.Session || got.Actions[i] != v.Index || got.Starts[i] != v.Start ||
			!slices.Equal(got.X[i], v.Values[:]) {
			t.Errorf("row %d: %q %q %d %v %v,\nwant %+v", i, got.Users[i], got.Sessions[i], got.Actions[i], got.Starts[i], got.X[i], *v)
		}
	}
}

// writeVectors writes vs through fw as the pipeline does: rows encoded with
// AppendFeatureRow, then copied.
func writeVectors(t testing.TB, fw *FeatureWriter, vs []FeatureVector) {
	t.Helper()
	var b []byte
	for i := range vs {
		b = AppendFeatureRow(b, &vs[i])
	}
	if err := fw.WriteRows(b, len(vs)); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkFeatureCSVWrite(b *testing.B) {
	vs := make([]FeatureVector, 1000)
	for i := range vs {
		vs[i].User, vs[i].Session, vs[i].Index = "user12", "session_2144641057", i
		for j := range vs[i].Values {
			vs[i].Values[j] = math.Sqrt(float64(i*j+1)) * 123.456
		}
	}
	b.Run("gocsv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var buf bytes.Buffer
			_ = writeFeatureCSVGocsv(&buf, vs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vs)), "ns/row")
	})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var buf bytes.Buffer
			fw, _ := NewFeatureWriter(&buf)
			writeVectors(b, fw, vs)
			_ = fw.Flush()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vs)), "ns/row")
	})
}

func toRow(v *FeatureVector) featureRow {
	return featureRow{
		User: v.User, Session: v.Session, Action: v.Index, Start: csvFloat(v.Start), Convention: v.Compat.String(),
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

// writeFeatureCSVGocsv writes vs with a header through gocsv's reflection
// mapping alone. [FeatureWriter] writes the same bytes faster; this is the
// reference it is tested and benchmarked against.
func writeFeatureCSVGocsv(w io.Writer, vs []FeatureVector) error {
	rows := make([]featureRow, len(vs))
	for i := range vs {
		rows[i] = toRow(&vs[i])
	}
	return gocsv.Marshal(rows, w)
}
