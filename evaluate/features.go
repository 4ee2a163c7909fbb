package evaluate

import (
	"math"
	"slices"

	"github.com/mouseauth/mouseauth/preprocess"
)

// DropDuplicateColumns returns a copy of d without the columns that equal an
// earlier column in every row (in the DFL files `mina` and `maxa` are
// identical), and the indices of the dropped columns. A duplicate column
// only doubles the chance that a random forest samples that feature.
func DropDuplicateColumns(d *preprocess.Table) (*preprocess.Table, []int) {
	if len(d.X) == 0 {
		return d, nil
	}
	width := len(d.X[0])
	var keep, dropped []int
	for j := range width {
		dup := false
		for _, k := range keep {
			same := true
			for _, row := range d.X {
				if row[j] != row[k] {
					same = false
					break
				}
			}
			if same {
				dup = true
				break
			}
		}
		if dup {
			dropped = append(dropped, j)
		} else {
			keep = append(keep, j)
		}
	}
	if len(dropped) == 0 {
		return d, nil
	}
	// Everything but the dropped columns is kept: sessions, action
	// indices, start times, the kept columns' names and the schema.
	out := &preprocess.Table{Users: d.Users, X: make([][]float64, len(d.X)), Sessions: d.Sessions, Actions: d.Actions,
		Starts: d.Starts, Extractor: d.Extractor, Convention: d.Convention}
	if len(d.Names) == width {
		for _, j := range keep {
			out.Names = append(out.Names, d.Names[j])
		}
	}
	for i, row := range d.X {
		r := make([]float64, len(keep))
		for c, j := range keep {
			r[c] = row[j]
		}
		out.X[i] = r
	}
	return out, dropped
}

// Placeholder is the value the published extractor leaves in min_vx and
// min_vy (DFL files) when its running minimum never moved off its start
// value: every value of the series was 0.
const Placeholder = 2147483647

// ReplacePlaceholders returns a copy of d with every [Placeholder] replaced
// by 0, the minimum it stands for, and how many were replaced. Trees hardly
// notice the placeholder; standardised models (logreg, mlp, kmeans) do,
// since one such value dominates a column's variance.
func ReplacePlaceholders(d *preprocess.Table) (*preprocess.Table, int) {
	n := 0
	out := &preprocess.Table{Users: d.Users, Sessions: d.Sessions, Actions: d.Actions, Starts: d.Starts, Names: d.Names,
		Extractor: d.Extractor, Convention: d.Convention, X: make([][]float64, len(d.X))}
	for i, row := range d.X {
		out.X[i] = row
		if !slices.Contains(row, Placeholder) {
			continue
		}
		r := slices.Clone(row)
		for j, v := range r {
			if v == Placeholder {
				r[j] = 0
				n++
			}
		}
		out.X[i] = r
	}
	return out, n
}

// Defects counts the known defects of the published feature files in d:
// placeholder values, rows that repeat an earlier row of the same user, and
// columns that duplicate an earlier column.
type Defects struct {
	Placeholders, DuplicateRows int
	DuplicateColumns            []int
}

// FindDefects returns the defects of d (see [Defects]).
func FindDefects(d *preprocess.Table) Defects {
	var df Defects
	seen := map[string]bool{}
	var key []byte
	for i, row := range d.X {
		key = append(key[:0], d.Users[i]...)
		for _, v := range row {
			if v == Placeholder {
				df.Placeholders++
			}
			key = binaryAppend(key, math.Float64bits(v))
		}
		if seen[string(key)] {
			df.DuplicateRows++
		}
		seen[string(key)] = true
	}
	_, df.DuplicateColumns = DropDuplicateColumns(d)
	return df
}

func binaryAppend(b []byte, v uint64) []byte {
	for k := 0; k < 8; k++ {
		b = append(b, byte(v>>(8*k)))
	}
	return b
}
