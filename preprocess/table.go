package preprocess

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Table is a table of user-labelled feature vectors, what the classifiers
// and the evaluation consume: row i is one action of user Users[i] with
// features X[i]. Rows of one user are in chronological order (the order of
// the feature file); users may be interleaved.
type Table struct {
	Users []string
	X     [][]float64
	// Names are the feature columns' names, in the order of X's columns.
	Names []string
	// Sessions, Actions and Starts are row i's session, action index in the
	// session and start time where the file has them (mouseauth's own
	// feature CSVs), else nil. All three are optional.
	Sessions []string
	Actions  []int
	Starts   []float64
	// Extractor and Convention say what made the features, as a model
	// records it (classify.Header): [ExtractorID] and the file's convention
	// column ("clean" or "reference") for mouseauth's feature CSVs;
	// [PublishedExtractor] and "reference" for the published files (those
	// with a userid column), whose conventions --compat reference follows.
	// Convention is "" when the file does not say (a mouseauth CSV written
	// before the convention column).
	Extractor, Convention string
}

// ErrBadTable reports a table that cannot be used: no rows, ragged rows,
// NaN or Inf, fewer than two users.
var ErrBadTable = errors.New("bad feature table")

// Append adds v as a row, with its session, action index and start time.
// The first row sets Names ([FeatureNames]), Extractor and Convention (v's)
// where they are unset; a table holds one convention, so rows of another
// are the caller's error.
func (t *Table) Append(v *FeatureVector) {
	if len(t.X) == 0 {
		if t.Names == nil {
			t.Names = FeatureNames[:]
		}
		if t.Extractor == "" {
			t.Extractor = ExtractorID
		}
		if t.Convention == "" {
			t.Convention = v.Compat.String()
		}
	}
	t.Users = append(t.Users, v.User)
	t.X = append(t.X, slices.Clone(v.Values[:]))
	t.Sessions = append(t.Sessions, v.Session)
	t.Actions = append(t.Actions, v.Index)
	t.Starts = append(t.Starts, v.Start)
}

// Validate checks that the table is rectangular, has at least two users and
// holds no NaN or Inf. Errors name the offending row (0-based) and column.
func (t *Table) Validate() error {
	if len(t.Users) != len(t.X) {
		return fmt.Errorf("%w: %d users for %d rows", ErrBadTable, len(t.Users), len(t.X))
	}
	if len(t.X) == 0 {
		return fmt.Errorf("%w: no rows", ErrBadTable)
	}
	width := len(t.X[0])
	if width == 0 {
		return fmt.Errorf("%w: row 0 has no features", ErrBadTable)
	}
	for i, row := range t.X {
		if len(row) != width {
			return fmt.Errorf("%w: row %d has %d features, row 0 has %d", ErrBadTable, i, len(row), width)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: row %d (user %s) column %d is %v", ErrBadTable, i, t.Users[i], j, v)
			}
		}
	}
	if n := len(t.UserOrder()); n < 2 {
		return fmt.Errorf("%w: %d user(s), need at least 2 (impostors come from other users)", ErrBadTable, n)
	}
	return nil
}

// UserOrder returns the users in order of first appearance.
func (t *Table) UserOrder() []string {
	seen := map[string]bool{}
	var order []string
	for _, u := range t.Users {
		if !seen[u] {
			seen[u] = true
			order = append(order, u)
		}
	}
	return order
}

// RowsByUser returns each user's row indices in file order.
func (t *Table) RowsByUser() map[string][]int {
	m := map[string][]int{}
	for i, u := range t.Users {
		m[u] = append(m[u], i)
	}
	return m
}

// ByUser returns the users sorted by name and each user's row indices in
// file order.
func (t *Table) ByUser() (users []string, rows map[string][]int) {
	rows = t.RowsByUser()
	users = make([]string, 0, len(rows))
	for u := range rows {
		users = append(users, u)
	}
	sort.Strings(users)
	return users, rows
}

// The columns [ReadTable] maps by name; every other column is a feature.
const (
	colUser    = "user"
	colUserID  = "userid" // the published files' name
	colSession = "session"
	colAction  = "action"
	colStart   = "start"
	// colConvention holds each row's convention (mouseauth's CSVs): one
	// value, "clean" or "reference", in the whole file.
	colConvention = "convention"
)

// ReadTable reads a feature CSV into a Table. It reads both mouseauth's
// feature CSVs ([FeatureCSVHeader]: user,session,action,start,convention
// then the 39 features, as [FeatureWriter] writes them, quoted fields
// included; files written before the convention column too) and the
// published feature files (the 39 features under their own names, in their
// own order, then userid; DFL's header names and values carry leading
// spaces). Columns are mapped by name, not position: "user" or "userid" is
// the user, "session", "action", "start" and "convention" are read when
// present, and every other column is a feature, kept in file order (the
// classifiers' column order, so results do not change with the reader).
// There must be [NumFeatures] feature columns, and one convention in the
// whole file. The table's Extractor and Convention say what made the
// features (see [Table]). name is used in errors, which name the file, the
// line and the column.
//
// It is built on encoding/csv rather than gocsv, by measurement and by fit.
// BenchmarkReadTable on balabit_39feat_PC_MM_DD_1000.csv (10,000 rows, 3.9
// MB): gocsv took 2.3 times as long (median of 8 paired rounds on the shared
// 2-core machine), with 3.1 times the bytes and 22 times the allocations,
// and that before building a table. gocsv maps a row onto one struct by tags,
// which fits one fixed header, not the three this reads (mouseauth's,
// Balabit's and DFL's names and orders), and its errors name neither the
// file nor the column. Half of the time here is strconv.ParseFloat. The
// comma-splitting reader this replaced was about as fast (0.7-1.0 times the
// time) but broke on quoted fields.
func ReadTable(r io.Reader, name string) (*Table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	// Lossless on our own output: the writer quotes every field that starts
	// with a space, so only the published files' padding is trimmed.
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file, want a header", name)
	}
	if err != nil {
		return nil, csvError(name, err, len(header), 0)
	}
	header = slices.Clone(header) // the reader reuses its record
	cols, err := mapColumns(name, header)
	if err != nil {
		return nil, err
	}
	cr.FieldsPerRecord = len(header)
	t := &Table{Names: make([]string, len(cols.features))}
	for k, j := range cols.features {
		t.Names[k] = strings.TrimSpace(header[j])
	}
	if cols.session >= 0 {
		t.Sessions = []string{}
	}
	if cols.action >= 0 {
		t.Actions = []int{}
	}
	if cols.start >= 0 {
		t.Starts = []float64{}
	}
	t.Extractor = ExtractorID
	if strings.TrimSpace(header[cols.user]) == colUserID {
		t.Extractor, t.Convention = PublishedExtractor, Reference.String()
	}
	conventionLine := 0
	// Feature rows are cut from one backing array per block of rows: one
	// allocation per 1024 rows instead of one per row; user and session
	// names are interned (one string per distinct name).
	var block []float64
	names := map[string]string{}
	intern := func(s string) string {
		if v, ok := names[s]; ok {
			return v
		}
		v := strings.Clone(s)
		names[v] = v
		return v
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(name, err, len(rec), len(header))
		}
		line, _ := cr.FieldPos(0)
		number := func(j int) (float64, error) {
			s := strings.TrimSpace(rec[j])
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("%s line %d column %d (%s): %q is not a finite number", name, line, j+1, strings.TrimSpace(header[j]), s)
			}
			return v, nil
		}
		if len(block) < len(cols.features) {
			block = make([]float64, 1024*len(cols.features))
		}
		x := block[:len(cols.features):len(cols.features)]
		block = block[len(cols.features):]
		for k, j := range cols.features {
			if x[k], err = number(j); err != nil {
				return nil, err
			}
		}
		t.X = append(t.X, x)
		t.Users = append(t.Users, intern(rec[cols.user]))
		if cols.session >= 0 {
			t.Sessions = append(t.Sessions, intern(rec[cols.session]))
		}
		if cols.action >= 0 {
			s := strings.TrimSpace(rec[cols.action])
			a, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("%s line %d column %d (%s): %q is not an integer", name, line, cols.action+1, colAction, s)
			}
			t.Actions = append(t.Actions, a)
		}
		if cols.start >= 0 {
			v, err := number(cols.start)
			if err != nil {
				return nil, err
			}
			t.Starts = append(t.Starts, v)
		}
		if cols.convention >= 0 {
			s := strings.TrimSpace(rec[cols.convention])
			switch {
			case s != Clean.String() && s != Reference.String():
				return nil, fmt.Errorf("%s line %d column %d (%s): %q is not a convention (want clean or reference)", name, line, cols.convention+1, colConvention, s)
			case conventionLine == 0:
				t.Convention, conventionLine = s, line
			case s != t.Convention:
				return nil, fmt.Errorf("%s line %d column %d (%s): %q, but line %d is %q: a feature file holds one convention (extract the two apart)",
					name, line, cols.convention+1, colConvention, s, conventionLine, t.Convention)
			}
		}
	}
	if len(t.X) == 0 {
		return nil, fmt.Errorf("%s: no data rows", name)
	}
	return t, nil
}

// tableColumns are the indices of a header's columns (-1: absent).
type tableColumns struct {
	user, session, action, start, convention int
	features                                 []int
}

func mapColumns(name string, header []string) (tableColumns, error) {
	c := tableColumns{user: -1, session: -1, action: -1, start: -1, convention: -1}
	seen := map[string]int{}
	for j, h := range header {
		h = strings.TrimSpace(h)
		if k, dup := seen[h]; dup {
			return c, fmt.Errorf("%s line 1 column %d: %q repeats column %d", name, j+1, h, k+1)
		}
		seen[h] = j
		switch h {
		case colUser, colUserID:
			if c.user >= 0 {
				return c, fmt.Errorf("%s line 1 column %d: a second user column (%q, after %q)", name, j+1, h, strings.TrimSpace(header[c.user]))
			}
			c.user = j
		case colSession:
			c.session = j
		case colAction:
			c.action = j
		case colStart:
			c.start = j
		case colConvention:
			c.convention = j
		default:
			c.features = append(c.features, j)
		}
	}
	const want = "want " + colUser + "," + colSession + "," + colAction + "," + colStart + "," + colConvention + " and the 39 features (mouseauth), or the 39 features and " + colUserID + " (published)"
	if c.user < 0 {
		return c, fmt.Errorf("%s line 1: no %q or %q column among %d columns; %s", name, colUser, colUserID, len(header), want)
	}
	if len(c.features) != NumFeatures {
		// Name mouseauth's features that are missing, when the file uses
		// mouseauth's names at all (a renamed or dropped column).
		var lacking []string
		for _, n := range FeatureNames {
			if _, ok := seen[n]; !ok {
				lacking = append(lacking, strconv.Quote(n))
			}
		}
		if len(lacking) > 0 && len(lacking) < NumFeatures/2 {
			return c, fmt.Errorf("%s line 1: %d feature columns, need %d: no column %s; %s", name, len(c.features), NumFeatures, strings.Join(lacking, ", "), want)
		}
		return c, fmt.Errorf("%s line 1: %d feature columns, need %d; %s", name, len(c.features), NumFeatures, want)
	}
	return c, nil
}

// csvError names the file, line and column of an encoding/csv error.
// got is the number of fields read, want the header's.
func csvError(name string, err error, got, want int) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", name, err)
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return fmt.Errorf("%s line %d: %d fields, the header has %d", name, pe.StartLine, got, want)
	}
	return fmt.Errorf("%s line %d column %d: %w", name, pe.Line, pe.Column, pe.Err)
}

// ReadTableFile reads the feature CSV at path with [ReadTable].
func ReadTableFile(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadTable(bufio.NewReaderSize(f, 1<<16), path)
}
