package dataset

import (
	"encoding/csv"
	"io"
	"os"
	"testing"
)

// benchFiles runs read over every Balabit training session per iteration
// and reports the rows read per second.
func benchFiles(b *testing.B, read func(path string) int, unit string) {
	const dir = "../../shared/data/balabit/training_files"
	ss, _, err := Walk(dir)
	if err != nil {
		b.Skipf("Balabit data missing: %s", dir)
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
