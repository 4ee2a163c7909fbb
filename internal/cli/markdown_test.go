package cli

import (
	"bytes"
	"math"
	"testing"
)

func TestRenderMarkdown(t *testing.T) {
	tests := []struct {
		name string
		tbl  *Table
		want string
	}{
		{
			name: "mixed columns",
			tbl: &Table{Columns: []string{"user", "auc", "n"},
				Rows: [][]any{{"u7", 0.91234, 3}, {"a|b", math.NaN(), 12}}},
			want: "| user | auc | n |\n| --- | ---: | ---: |\n| u7 | 0.9123 | 3 |\n| a\\|b | NaN | 12 |\n",
		},
		{
			name: "no rows",
			tbl:  &Table{Columns: []string{"x"}},
			want: "| x |\n| --- |\n",
		},
		{
			name: "newline in cell",
			tbl:  &Table{Columns: []string{"cmd"}, Rows: [][]any{{"a\nb"}}},
			want: "| cmd |\n| --- |\n| a<br>b |\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderMarkdown(&b, tt.tbl); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}
