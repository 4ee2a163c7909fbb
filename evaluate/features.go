package evaluate

import (
	"math"
	"slices"
)

// DropDuplicateColumns returns a copy of d without the columns that equal an
// earlier column in every row (in the DFL files `mina` and `maxa` are
// identical), and the indices of the dropped columns. A duplicate column
// only doubles the chance that a random forest samples that feature.
func DropDuplicateColumns(d *Data) (*Data, []int) {
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
	out := &Data{Users: d.Users, X: make([][]float64, len(d.X))}
	for i, row := range d.X {
		r := make([]float64, len(keep))
		for c, j := range keep {
			r[c] = row[j]
		}
		out.X[i] = r
	}
	return out, dropped
}

// SignedLog returns a copy of d with every value x replaced by
// sign(x)*log(1+|x|), which tames heavy-tailed features (speeds,
// accelerations, the 2147483647 placeholder) for distance- and
// gradient-based classifiers. Tree ensembles are invariant to it.
func SignedLog(d *Data) *Data {
	out := &Data{Users: d.Users, X: make([][]float64, len(d.X))}
	for i, row := range d.X {
		r := slices.Clone(row)
		for j, v := range r {
			r[j] = math.Copysign(math.Log1p(math.Abs(v)), v)
		}
		out.X[i] = r
	}
	return out
}
