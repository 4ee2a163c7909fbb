package preprocess

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func sampleVectors() []FeatureVector {
	var vs []FeatureVector
	for i := 0; i < 5; i++ {
		v := FeatureVector{User: "user7", Session: "session_1", Index: i, Start: 0.1 * float64(i)}
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
	vs := sampleVectors()
	var fast, slow bytes.Buffer
	fw, err := NewFeatureWriter(&fast)
	if err != nil {
		t.Fatal(err)
	}
	for i := range vs {
		if err := fw.Write(&vs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := WriteFeatureCSVGocsv(&slow, vs); err != nil {
		t.Fatal(err)
	}
	if fast.String() != slow.String() {
		t.Errorf("fast writer:\n%s\ngocsv:\n%s", fast.String(), slow.String())
	}
	if fw.Rows() != len(vs) {
		t.Errorf("Rows() = %d, want %d", fw.Rows(), len(vs))
	}
}

func TestFeatureCSVRoundTrip(t *testing.T) {
	vs := sampleVectors()
	var buf bytes.Buffer
	if err := WriteFeatureCSVGocsv(&buf, vs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), ",0.1,") || !strings.Contains(buf.String(), "-2.5e-300") {
		t.Errorf("floats not in shortest form:\n%s", buf.String())
	}
	got, err := ReadFeatureCSV(&buf, "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, vs) {
		t.Errorf("read back %+v,\nwant %+v", got, vs)
	}
}

func TestReadFeatureCSVErrors(t *testing.T) {
	header := strings.Join(FeatureCSVHeader, ",")
	row := "u,s,0,0.5" + strings.Repeat(",1", NumFeatures)
	tests := []struct {
		name, in string
		want     []string
		header   bool
	}{
		{"empty", "", []string{"f.csv", "empty"}, true},
		{"wrong header", strings.Replace(header, "mean_curv", "mean_curvature", 1) + "\n", []string{"f.csv line 1 column 12", `"mean_curvature"`, `"mean_curv"`}, true},
		{"short header", "user,session\n", []string{"f.csv line 1", "2 columns"}, true},
		{"bad float", header + "\n" + row + "\n" + strings.Replace(row, ",1,1", ",x,1", 1) + "\n", []string{"f.csv line 3 column 5 (type_of_action)", `"x"`, "invalid syntax"}, false},
		{"bad index", header + "\n" + strings.Replace(row, "u,s,0", "u,s,a", 1) + "\n", []string{"f.csv line 2 column 3 (action)"}, false},
		{"short row", header + "\nu,s,0\n", []string{"f.csv", "line 2", "wrong number of fields"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadFeatureCSV(strings.NewReader(tt.in), "f.csv")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.header != errors.Is(err, ErrFeatureHeader) {
				t.Errorf("errors.Is(err, ErrFeatureHeader) = %v, want %v", !tt.header, tt.header)
			}
		})
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
			_ = WriteFeatureCSVGocsv(&buf, vs)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vs)), "ns/row")
	})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var buf bytes.Buffer
			fw, _ := NewFeatureWriter(&buf)
			for i := range vs {
				_ = fw.Write(&vs[i])
			}
			_ = fw.Flush()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vs)), "ns/row")
	})
}
