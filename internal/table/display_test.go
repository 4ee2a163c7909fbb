package table

import (
	"bytes"
	"strings"
	"testing"
)

func TestDisplay(t *testing.T) {
	t.Parallel()
	in := &Table{Columns: []string{"param", "value", "mean_auc", "sd_auc", "mean_eer", "seconds"}}
	in.Add("trees", 100.0, 0.91234, 0.0321, 0.1, 2.5)
	in.Add("trees", 200.0, 0.5, 0.0, 0.2, 3.0)
	got := Display(in)
	if want := []string{"param", "value", "auc (mean ± sd)", "mean_eer", "seconds"}; strings.Join(got.Columns, "|") != strings.Join(want, "|") {
		t.Fatalf("columns %q, want %q", got.Columns, want)
	}
	ci := &Table{Columns: []string{"window", "hter", "hter_lo", "hter_hi"}}
	ci.Add(1, 0.25, 0.2, 0.3)
	ci.Add(2, 0.5, nil, nil)
	if d := Display(ci); d.Columns[1] != "hter [95% CI]" || d.Rows[0][1] != "0.250 [0.200, 0.300]" || d.Rows[1][1] != "0.500" {
		t.Errorf("interval display %v %v", d.Columns, d.Rows)
	}
	if got.Rows[0][1] != int64(100) {
		t.Errorf("whole-number column cell %#v, want int64(100)", got.Rows[0][1])
	}
	ps := &Table{Columns: []string{"wilcoxon_p", "delong_p"}}
	ps.Add(3e-7, 0.0123456)
	ps.Add(1.0, nil)
	if d := Display(ps); d.Rows[0][0] != "< 0.0001" || d.Rows[0][1] != "0.0123" || d.Rows[1][0] != "1" || d.Rows[1][1] != nil {
		t.Errorf("p-values display %v", d.Rows)
	}
	if got.Rows[0][2] != "0.9123 ± 0.0321" {
		t.Errorf("mean ± sd cell %q", got.Rows[0][2])
	}
	if _, ok := got.Rows[0][4].(float64); !ok {
		t.Errorf("seconds (2.5, 3) must stay float, got %#v", got.Rows[0][4])
	}
	var md bytes.Buffer
	if err := got.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| trees | 100 | 0.9123 ± 0.0321 | 0.1000 | 2.5000 |") {
		t.Errorf("markdown:\n%s", md.String())
	}
}
