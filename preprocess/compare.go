package preprocess

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// PublishedRow is one row of a published Balabit/DFL feature file
// (39 features then userid), kept with the text of each value so it can be
// compared at its printed precision. This is a minimal reader for
// [CompareToPublished]; the general reader of published tables is table.go.
type PublishedRow struct {
	User   string // "user" + the userid column, e.g. "user12"
	Values [NumFeatures]float64
	Raw    [NumFeatures]string
}

// ReadPublishedRows reads a published feature file: a header, then 39
// feature values and the user id per row. Errors name the file, line and
// column.
func ReadPublishedRows(r io.Reader, name string) ([]PublishedRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = NumFeatures + 1
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		return nil, fmt.Errorf("read %s header: %w", name, err)
	}
	var rows []PublishedRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		var p PublishedRow
		for i := 0; i < NumFeatures; i++ {
			s := strings.TrimSpace(rec[i])
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("read %s line %d column %s: %q is not a number", name, line, FeatureNames[i], s)
			}
			p.Values[i], p.Raw[i] = v, s
		}
		p.User = "user" + strings.TrimSpace(rec[NumFeatures])
		rows = append(rows, p)
	}
}

// Tolerances of [PublishedValueMatches].
const (
	// CompareRelTol is the relative tolerance between a published and a
	// computed value.
	CompareRelTol = 1e-4
	// CompareAbsTol: values closer than this are equal whatever their
	// relative difference (sums that cancel to about 0 differ in their last
	// bits between Python and Go, e.g. 1e-17 against 0).
	CompareAbsTol = 1e-9
)

// PublishedValueMatches reports whether ours equals the published value pub
// (printed as raw) within [CompareRelTol] relative or [CompareAbsTol]
// absolute, or at its printed precision: a value printed with few significant
// digits (the spreadsheet's `2.29E-05`) matches when ours rounds to it.
func PublishedValueMatches(raw string, pub, ours float64) bool {
	d := math.Abs(pub - ours)
	if d <= CompareAbsTol || d <= CompareRelTol*math.Max(math.Abs(pub), math.Abs(ours)) {
		return true
	}
	if sig := significantDigits(raw); sig > 0 && sig < 6 {
		return d <= 0.5*math.Pow(10, 1-float64(sig))*math.Abs(pub)*1.000001
	}
	return false
}

// significantDigits counts the significant digits of a number's mantissa as
// printed ("2.29E-05" has 3); 0 when raw is not a plain number.
func significantDigits(raw string) int {
	m := raw
	if i := strings.IndexAny(m, "eE"); i >= 0 {
		m = m[:i]
	}
	m = strings.TrimLeft(m, "+-")
	m = strings.Replace(m, ".", "", 1)
	m = strings.TrimLeft(m, "0")
	if m == "" {
		return 0
	}
	if !strings.ContainsAny(raw, ".eE") {
		m = strings.TrimRight(m, "0") // integer: trailing zeros are not precision
		if m == "" {
			return 0
		}
		// Integers are exact; treat them as full precision.
		return 0
	}
	return len(m)
}

// AlignWindow is how far ahead, in computed rows, [CompareToPublished]
// looks for a published row's match when aligning.
const AlignWindow = 30

// Comparison is the result of [CompareToPublished].
type Comparison struct {
	// Total is the number of published rows.
	Total int
	// Matched counts published rows equal (all 39 values, see
	// [PublishedValueMatches]) to the computed row at the same position
	// within the user.
	Matched int
	// Aligned counts published rows equal to a computed row of the same
	// user found in order: an alignment that tolerates an action computed
	// but not published (or the reverse) without shifting every later row.
	Aligned int
	// RowMatch[i] says whether published row i matched positionally.
	RowMatch []bool
	// Users in published order with their rows and matches.
	Users []UserMatch
	// ColumnMismatch[c] counts, over published rows whose action was found
	// (same type and elapsed time) but whose values differ, the rows where
	// column c differs.
	ColumnMismatch [NumFeatures]int
	// SameActionDiffers counts those rows.
	SameActionDiffers int
	// Missing counts published rows with no computed row at their position.
	Missing int
}

// UserMatch is one user's row counts in a [Comparison].
type UserMatch struct {
	User            string
	Published, Ours int
	Matched         int // positional
	Aligned         int
}

// Percent is the share of published rows matched positionally, in percent.
func (c *Comparison) Percent() float64 { return pct(c.Matched, c.Total) }

// AlignedPercent is the share of published rows matched in order, in percent.
func (c *Comparison) AlignedPercent() float64 { return pct(c.Aligned, c.Total) }

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func rowMatches(p *PublishedRow, o *FeatureVector) bool {
	for col := 0; col < NumFeatures; col++ {
		if !PublishedValueMatches(p.Raw[col], p.Values[col], o.Values[col]) {
			return false
		}
	}
	return true
}

// CompareToPublished compares computed feature vectors with published rows
// of the same user in two ways: position by position (the i-th published
// row of a user against the user's i-th computed vector) and in order (each
// published row against the next [AlignWindow] computed rows after the last
// match). ours may hold more rows per user than pub (to let the alignment
// run to the end); positional matching uses the first ones.
func CompareToPublished(ours []FeatureVector, pub []PublishedRow) *Comparison {
	byUser := map[string][]int{}
	for i := range ours {
		byUser[ours[i].User] = append(byUser[ours[i].User], i)
	}
	c := &Comparison{Total: len(pub), RowMatch: make([]bool, len(pub))}
	seen := map[string]int{}
	next := map[string]int{}
	userIdx := map[string]int{}
	for i := range pub {
		p := &pub[i]
		u := p.User
		ui, ok := userIdx[u]
		if !ok {
			ui = len(c.Users)
			userIdx[u] = ui
			c.Users = append(c.Users, UserMatch{User: u, Ours: len(byUser[u])})
		}
		um := &c.Users[ui]
		rows := byUser[u]
		k := seen[u]
		seen[u]++
		um.Published++
		if k < len(rows) {
			if rowMatches(p, &ours[rows[k]]) {
				c.Matched++
				um.Matched++
				c.RowMatch[i] = true
			}
		} else {
			c.Missing++
		}
		// In-order alignment.
		j := next[u]
		found, same := -1, -1
		for q := j; q < len(rows) && q < j+AlignWindow; q++ {
			o := &ours[rows[q]]
			if rowMatches(p, o) {
				found = q
				break
			}
			if same < 0 && o.Values[fType] == p.Values[fType] &&
				math.Abs(o.Values[fElapsed]-p.Values[fElapsed]) < 1e-6 {
				same = q
			}
		}
		if found >= 0 {
			c.Aligned++
			um.Aligned++
			next[u] = found + 1
			continue
		}
		if same >= 0 {
			c.SameActionDiffers++
			o := &ours[rows[same]]
			for col := 0; col < NumFeatures; col++ {
				if !PublishedValueMatches(p.Raw[col], p.Values[col], o.Values[col]) {
					c.ColumnMismatch[col]++
				}
			}
			next[u] = same + 1
		}
	}
	return c
}

// WriteText prints the per-user matches, the overall figure and the columns
// that differ most.
func (c *Comparison) WriteText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "user\tpublished\tcomputed\tpositional\t%\taligned\t%\t")
	for _, u := range c.Users {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%d\t%.1f\t\n", u.User, u.Published, u.Ours,
			u.Matched, pct(u.Matched, u.Published), u.Aligned, pct(u.Aligned, u.Published))
	}
	fmt.Fprintf(tw, "total\t%d\t\t%d\t%.2f\t%d\t%.2f\t\n", c.Total, c.Matched, c.Percent(), c.Aligned, c.AlignedPercent())
	tw.Flush()
	type colCount struct {
		col, n int
	}
	var cols []colCount
	for i, n := range c.ColumnMismatch {
		if n > 0 {
			cols = append(cols, colCount{i, n})
		}
	}
	sort.SliceStable(cols, func(i, j int) bool { return cols[i].n > cols[j].n })
	fmt.Fprintf(w, "columns that differ, over the %d published rows whose action was found (same type and elapsed time) with other values:\n", c.SameActionDiffers)
	for _, cc := range cols {
		fmt.Fprintf(w, "  %-24s %d\n", FeatureNames[cc.col], cc.n)
	}
}
