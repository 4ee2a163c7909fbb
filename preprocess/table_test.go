package preprocess

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gocarina/gocsv"

	"github.com/mouseauth/mouseauth/internal/testutil"
)

// readShared reads a file of ../shared/data/features, skipping (or failing
// under MOUSEAUTH_REQUIRE_ALL=1) when it is missing.
func readShared(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testutil.Data(t, "features/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReadTablePublished reads the published files of both data sets:
// Balabit's names in FeatureNames order, DFL's own names (with leading
// spaces) in its own order, userid last in both.
func TestReadTablePublished(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file       string
		rows       int
		first, mid string // Names[0], Names[10]
		x00        float64
	}{
		{"balabit_39feat_PC_MM_DD_1000.csv", 10000, "type_of_action", "min_curv", 1},
		{"dfl_39feat_PC_MM_DD_500.csv", 10500, "elapsedTime", "avgv", 7242},
	} {
		t.Run(tt.file, func(t *testing.T) {
			tab, err := ReadTable(bytes.NewReader(readShared(t, tt.file)), tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if err := tab.Validate(); err != nil {
				t.Fatal(err)
			}
			if len(tab.X) != tt.rows || len(tab.Names) != NumFeatures || tab.Names[0] != tt.first || tab.Names[10] != tt.mid {
				t.Errorf("%d rows, names %v", len(tab.X), tab.Names)
			}
			if tab.X[0][0] != tt.x00 || tab.Sessions != nil || tab.Actions != nil || tab.Starts != nil {
				t.Errorf("row 0 %v, sessions %v", tab.X[0], tab.Sessions != nil)
			}
			users, rows := tab.ByUser()
			if len(users) < 10 || len(rows[users[0]]) == 0 || strings.TrimSpace(users[0]) != users[0] {
				t.Errorf("users %q", users)
			}
		})
	}
}

// TestReadTableColumnsByName: the same data with the columns in another
// order reads into the same table (features keep file order).
func TestReadTableColumnsByName(t *testing.T) {
	t.Parallel()
	feat := strings.Join(FeatureNames[:], ",")
	ones := strings.Repeat(",1", NumFeatures-1)
	a := "user,session,action,start,convention," + feat + "\nu1,s1,0,0.5,reference,2" + ones + "\nu2,s2,1,1.5,reference,3" + ones + "\n"
	b := feat + ",start,convention,userid,action,session\n2" + ones + ",0.5,reference,u1,0,s1\n3" + ones + ",1.5,reference,u2,1,s2\n"
	ta, err := ReadTable(strings.NewReader(a), "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := ReadTable(strings.NewReader(b), "b.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, tab := range []*Table{ta, tb} {
		if !slices.Equal(tab.Users, []string{"u1", "u2"}) || !slices.Equal(tab.Sessions, []string{"s1", "s2"}) ||
			!slices.Equal(tab.Actions, []int{0, 1}) || !slices.Equal(tab.Starts, []float64{0.5, 1.5}) ||
			tab.X[1][0] != 3 || tab.X[1][1] != 1 || !slices.Equal(tab.Names, FeatureNames[:]) || tab.Convention != "reference" {
			t.Errorf("table %+v", tab)
		}
	}
	if ta.Extractor != ExtractorID || tb.Extractor != PublishedExtractor {
		t.Errorf("extractors %q, %q: a userid column marks a published file", ta.Extractor, tb.Extractor)
	}
	if err := ta.Validate(); err != nil {
		t.Error(err)
	}
}

// TestReadTableConvention: what made a table's features, from the file.
func TestReadTableConvention(t *testing.T) {
	t.Parallel()
	feat := strings.Join(FeatureNames[:], ",")
	ones := strings.Repeat(",1", NumFeatures)
	for _, tt := range []struct{ name, in, extractor, convention string }{
		{"mouseauth clean", "user,session,action,start,convention," + feat + "\nu1,s1,0,0.5,clean" + ones + "\n", ExtractorID, "clean"},
		{"mouseauth reference", "user,session,action,start,convention," + feat + "\nu1,s1,0,0.5,reference" + ones + "\n", ExtractorID, "reference"},
		{"mouseauth before the column", "user,session,action,start," + feat + "\nu1,s1,0,0.5" + ones + "\n", ExtractorID, ""},
		{"published", feat + ",userid\n" + ones[1:] + ",7\n", PublishedExtractor, "reference"},
	} {
		tab, err := ReadTable(strings.NewReader(tt.in), "f.csv")
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tab.Extractor != tt.extractor || tab.Convention != tt.convention {
			t.Errorf("%s: extractor %q, convention %q; want %q, %q", tt.name, tab.Extractor, tab.Convention, tt.extractor, tt.convention)
		}
	}
}

func TestReadTableErrors(t *testing.T) {
	t.Parallel()
	header := strings.Join(FeatureCSVHeader, ",")
	row := "u,s,0,0.5,clean" + strings.Repeat(",1", NumFeatures)
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", []string{"f.csv", "empty"}},
		{"no user column", strings.Replace(header, "user,", "who,", 1) + "\n" + row + "\n", []string{"f.csv line 1", `no "user" or "userid" column`}},
		{"short header", "user,session\n", []string{"f.csv line 1", "0 feature columns, need 39"}},
		{"dropped column", strings.Replace(header, ",elapsed_time", "", 1) + "\n", []string{"f.csv line 1", `38 feature columns, need 39: no column "elapsed_time"`}},
		{"repeated column", header + ",mean_curv\n", []string{"f.csv line 1 column 45", `"mean_curv" repeats column 13`}},
		{"two user columns", header + ",userid\n", []string{"f.csv line 1 column 45", "second user column"}},
		{"bad float", header + "\n" + row + "\n" + strings.Replace(row, ",1,1", ",x,1", 1) + "\n", []string{"f.csv line 3 column 6 (type_of_action)", `"x" is not a finite number`}},
		{"NaN", header + "\n" + strings.Replace(row, ",1,1", ",NaN,1", 1) + "\n", []string{"f.csv line 2 column 6 (type_of_action)", `"NaN"`}},
		{"Inf start", header + "\n" + strings.Replace(row, ",0.5,", ",+Inf,", 1) + "\n", []string{"f.csv line 2 column 4 (start)", `"+Inf"`}},
		{"bad action", header + "\n" + strings.Replace(row, "u,s,0", "u,s,a", 1) + "\n", []string{"f.csv line 2 column 3 (action)", "not an integer"}},
		{"short row", header + "\nu,s,0\n", []string{"f.csv line 2", "3 fields, the header has 44"}},
		{"bad convention", header + "\n" + strings.Replace(row, ",clean,", ",ref,", 1) + "\n", []string{"f.csv line 2 column 5 (convention)", `"ref" is not a convention`}},
		{"mixed conventions", header + "\n" + row + "\n" + strings.Replace(row, ",clean,", ",reference,", 1) + "\n",
			[]string{"f.csv line 3 column 5 (convention)", `"reference", but line 2 is "clean"`, "one convention"}},
		{"bare quote", header + "\n" + row + "\n" + `u"x,s` + row[3:] + "\n", []string{"f.csv line 3 column 2", `bare " in non-quoted-field`}},
		{"no rows", header + "\n", []string{"f.csv", "no data rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadTable(strings.NewReader(tt.in), "f.csv")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestTableValidate(t *testing.T) {
	t.Parallel()
	ok := func() *Table {
		return &Table{Users: []string{"a", "b"}, X: [][]float64{{1, 2}, {3, 4}}}
	}
	for _, tt := range []struct {
		name   string
		change func(*Table)
		want   string
	}{
		{"ok", func(*Table) {}, ""},
		{"no rows", func(t *Table) { t.Users, t.X = nil, nil }, "no rows"},
		{"labels", func(t *Table) { t.Users = t.Users[:1] }, "1 users for 2 rows"},
		{"ragged", func(t *Table) { t.X[1] = t.X[1][:1] }, "row 1 has 1 features"},
		{"one user", func(t *Table) { t.Users[1] = "a" }, "1 user(s)"},
		{"inf", func(t *Table) { t.X[1][0] = 1 / zero() }, "row 1 (user b) column 0 is +Inf"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tab := ok()
			tt.change(tab)
			err := tab.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrBadTable) {
				t.Errorf("err = %v, want ErrBadTable containing %q", err, tt.want)
			}
		})
	}
}

func zero() float64 { return 0 }

// PublishedFeatures is featureRow under an exported name: gocsv maps the
// fields of exported embedded structs only.
type PublishedFeatures featureRow

// publishedRow is the gocsv mapping of a row of the published Balabit file,
// for BenchmarkReadTable: gocsv needs one struct per header.
type publishedRow struct {
	PublishedFeatures
	UserID string `csv:"userid"`
}

// BenchmarkReadTable reads the published Balabit-1000 file (10,000 rows,
// 3.9 MB) with ReadTable (encoding/csv), and for comparison with gocsv's
// struct mapping (which reads a row into publishedRow only, before any
// table is built).
func BenchmarkReadTable(b *testing.B) {
	data := readShared(b, "balabit_39feat_PC_MM_DD_1000.csv")
	b.Run("encoding-csv", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := ReadTable(bytes.NewReader(data), "balabit"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gocsv", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var rows []publishedRow
			if err := gocsv.UnmarshalBytes(data, &rows); err != nil {
				b.Fatal(err)
			}
			if len(rows) != 10000 || rows[0].TypeOfAction != 1 || rows[0].UserID == "" {
				b.Fatalf("%d rows, first %+v", len(rows), rows[0])
			}
		}
	})
}
