package dataset

import (
	"encoding/csv"
	"io"
	"os"
	"testing"

	"github.com/mouseauth/mouseauth/internal/testutil"
)

// benchFiles runs read over every Balabit training session per iteration
// and reports the rows read per second.
func benchFiles(b *testing.B, read func(path string) int, unit string) {
	ss, _, err := Walk(testutil.Data(b, "balabit/training_files"))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for _, s := range ss {
			n += read(s.Path)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit)
}

// BenchmarkEncodingCSVBalabit is the floor the reader is compared with: a
// plain encoding/csv read of the same files, no parsing of the fields.
func BenchmarkEncodingCSVBalabit(b *testing.B) {
	benchFiles(b, func(path string) int {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		cr := csv.NewReader(f)
		cr.ReuseRecord = true
		n := 0
		for {
			if _, err := cr.Read(); err == io.EOF {
				return n
			} else if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}, "rows/s")
}
