package table

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Display returns a copy of t for people (Markdown, HTML, text): each
// column triple "X", "X_lo", "X_hi" becomes one column "X [95% CI]" of
// strings with three decimals ("0.875 [0.851, 0.897]", the figure alone
// where the interval is undefined); a column pair "mean_X", "sd_X" becomes
// "X (mean ± sd)". A float column of whole numbers becomes integers; a
// p-value column ("…_p") reads "< 0.0001" or three significant digits;
// other cells are unchanged.
func Display(t *Table) *Table {
	type col struct {
		name        string
		src, lo, hi int // lo < 0: plain column; hi < 0 with lo >= 0: mean ± sd
	}
	idx := map[string]int{}
	for i, c := range t.Columns {
		idx[c] = i
	}
	var cols []col
	for i := 0; i < len(t.Columns); i++ {
		c := t.Columns[i]
		if i+2 < len(t.Columns) && t.Columns[i+1] == c+"_lo" && t.Columns[i+2] == c+"_hi" {
			cols = append(cols, col{c + " [95% CI]", i, i + 1, i + 2})
			i += 2
			continue
		}
		if x, ok := strings.CutPrefix(c, "mean_"); ok && i+1 < len(t.Columns) && t.Columns[i+1] == "sd_"+x {
			cols = append(cols, col{x + " (mean ± sd)", i, i + 1, -1})
			i++
			continue
		}
		cols = append(cols, col{c, i, -1, -1})
	}
	integral := make([]bool, len(t.Columns))
	for i := range t.Columns {
		integral[i] = len(t.Rows) > 0
		for _, r := range t.Rows {
			f, ok := r[i].(float64)
			if !ok || f != math.Trunc(f) || math.Abs(f) >= 1e15 {
				integral[i] = false
				break
			}
		}
	}
	out := &Table{}
	for _, c := range cols {
		out.Columns = append(out.Columns, c.name)
	}
	for _, r := range t.Rows {
		row := make([]any, len(cols))
		for j, c := range cols {
			switch {
			case c.lo < 0:
				row[j] = r[c.src]
				if f, ok := row[j].(float64); ok && strings.HasSuffix(c.name, "_p") {
					row[j] = PValue(f) // "< 0.0001", not "0.0000"
				} else if ok && integral[c.src] {
					row[j] = int64(f) // a tree count reads "100", not "100.0000"
				}
			case c.hi < 0:
				row[j] = formatCell(r[c.src]) + " ± " + formatCell(r[c.lo])
			default:
				row[j] = intervalCell(r[c.src], r[c.lo], r[c.hi])
			}
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// intervalCell is "0.875 [0.851, 0.897]", the figure alone without an
// interval, "" without a figure.
func intervalCell(v, lo, hi any) string {
	f, ok := v.(float64)
	if !ok {
		return formatCell(v)
	}
	l, ok1 := lo.(float64)
	h, ok2 := hi.(float64)
	if !ok1 || !ok2 {
		return Fixed3(f)
	}
	return fmt.Sprintf("%s [%s, %s]", Fixed3(f), Fixed3(l), Fixed3(h))
}

// formatCell formats a cell for people as CellText does, non-finite
// floats as "n/a".
func formatCell(c any) string {
	if v, ok := c.(float64); ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
		return "n/a"
	}
	return CellText(c)
}

// Fixed3 is a figure (a rate, an AUC) for people: three decimals, "n/a"
// when not finite.
func Fixed3(v float64) string {
	if !isFinite(v) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// PValue is a p-value for people: three significant digits, "< 0.0001"
// below.
func PValue(p float64) string {
	switch {
	case !isFinite(p):
		return "n/a"
	case p < 1e-4:
		return "< 0.0001"
	}
	return strconv.FormatFloat(p, 'g', 3, 64)
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
