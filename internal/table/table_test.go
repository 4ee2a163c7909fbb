package table

import (
	"bytes"
	"math"
	"testing"
)

func TestTableWriteMarkdown(t *testing.T) {
	t.Parallel()
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
			if err := tt.tbl.WriteMarkdown(&b); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

func TestTableSelect(t *testing.T) {
	t.Parallel()
	in := &Table{Columns: []string{"a", "b", "c"}, Rows: [][]any{{1, "x", 2.5}, {2, "y", nil}}}
	got := in.Select("c", "a")
	if len(got.Columns) != 2 || got.Columns[0] != "c" || got.Columns[1] != "a" {
		t.Fatalf("columns %v", got.Columns)
	}
	if got.Rows[0][0] != 2.5 || got.Rows[0][1] != 1 || got.Rows[1][0] != nil || got.Rows[1][1] != 2 {
		t.Errorf("rows %v", got.Rows)
	}
	got.Rows[0][0] = 9.0
	if in.Rows[0][2] != 2.5 {
		t.Error("Select shares rows with its input")
	}
	defer func() {
		if recover() == nil {
			t.Error("Select of an unknown column did not panic")
		}
	}()
	in.Select("nope")
}

func TestTableCSVAndJSON(t *testing.T) {
	t.Parallel()
	in := &Table{Columns: []string{"user", "auc", "n"}, Rows: [][]any{{"a,b", 0.1, 3}, {"c", math.NaN(), nil}}}
	var c, j bytes.Buffer
	if err := in.WriteCSV(&c); err != nil {
		t.Fatal(err)
	}
	if want := "user,auc,n\n\"a,b\",0.1,3\nc,NaN,\n"; c.String() != want {
		t.Errorf("csv %q, want %q", c.String(), want)
	}
	if err := in.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(j.Bytes(), []byte(`"auc": null`)) || !bytes.Contains(j.Bytes(), []byte(`"n": 3`)) {
		t.Errorf("json %s", j.String())
	}
}
