package evaluate

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Data is a table of user-labelled feature vectors: row i is one action of
// user Users[i] with features X[i]. Rows of one user are in chronological
// order (the order of the feature file); users may be interleaved.
type Data struct {
	Users []string
	X     [][]float64
	// Sessions[i] is row i's session where the file names one (mouseauth's
	// own feature CSVs), else empty; Names are the feature columns' names.
	// Both are optional.
	Sessions []string
	Names    []string
}

// ErrBadData reports a table that cannot be evaluated.
var ErrBadData = errors.New("bad evaluation data")

// Validate checks that the table is rectangular, has at least two users and
// holds no NaN or Inf. Errors name the offending row (0-based) and column.
func (d *Data) Validate() error {
	if len(d.Users) != len(d.X) {
		return fmt.Errorf("%w: %d users for %d rows", ErrBadData, len(d.Users), len(d.X))
	}
	if len(d.X) == 0 {
		return fmt.Errorf("%w: no rows", ErrBadData)
	}
	width := len(d.X[0])
	if width == 0 {
		return fmt.Errorf("%w: row 0 has no features", ErrBadData)
	}
	for i, row := range d.X {
		if len(row) != width {
			return fmt.Errorf("%w: row %d has %d features, row 0 has %d", ErrBadData, i, len(row), width)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: row %d (user %s) column %d is %v", ErrBadData, i, d.Users[i], j, v)
			}
		}
	}
	if len(d.userOrder()) < 2 {
		return fmt.Errorf("%w: %d user(s), need at least 2 (impostors come from other users)", ErrBadData, len(d.userOrder()))
	}
	return nil
}

// userOrder returns the users in order of first appearance.
func (d *Data) userOrder() []string {
	seen := map[string]bool{}
	var order []string
	for _, u := range d.Users {
		if !seen[u] {
			seen[u] = true
			order = append(order, u)
		}
	}
	return order
}

// rowsByUser returns each user's row indices in file order.
func (d *Data) rowsByUser() map[string][]int {
	m := map[string][]int{}
	for i, u := range d.Users {
		m[u] = append(m[u], i)
	}
	return m
}

// ByUser returns the users sorted by name and each user's row indices in
// file order.
func (d *Data) ByUser() (users []string, rows map[string][]int) {
	rows = d.rowsByUser()
	users = make([]string, 0, len(rows))
	for u := range rows {
		users = append(users, u)
	}
	sort.Strings(users)
	return users, rows
}
