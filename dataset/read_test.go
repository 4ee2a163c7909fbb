package dataset

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/internal/testutil"
)

func TestReadDFL(t *testing.T) {
	t.Parallel()
	evs, st, issues, err := ReadFile("testdata/dfl.csv", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) != 0 || st.Malformed != 0 {
		t.Fatalf("issues = %v", issues)
	}
	if st.Rows != 7 || len(evs) != 7 {
		t.Fatalf("rows = %d, events = %d, want 7", st.Rows, len(evs))
	}
	// DFL milliseconds become seconds.
	if evs[1].T != 0.016 || evs[1].X != 12 || evs[1].Y != 22 {
		t.Errorf("event 1 = %+v", evs[1])
	}
	if evs[3].Button != Left || evs[3].State != Pressed || evs[4].State != Released {
		t.Errorf("click = %+v %+v", evs[3], evs[4])
	}
	// The DFL scroll row: Nobutton (lower-case b), the misspelt state, x twice.
	if evs[5].Button != NoButton || evs[5].State != Scrool || evs[5].X != 33 || evs[5].Y != 33 {
		t.Errorf("scroll row = %+v", evs[5])
	}
	// 65535 parses: cleaning and segmentation deal with it.
	if evs[6].X != 65535 {
		t.Errorf("65535 row = %+v", evs[6])
	}
}

func TestReadFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file   string
		format Format
		events int
		header bool
	}{
		{"testdata/dfl.csv", FormatDFL, 7, true},
		{"testdata/dfl_headerless.csv", FormatDFL, 2, false},
		{"testdata/balabit_bom_crlf", FormatBalabit, 3, true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, err := Open(tc.file, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Format() != tc.format {
				t.Errorf("format = %v, want %v", r.Format(), tc.format)
			}
			if (r.Header() != nil) != tc.header {
				t.Errorf("header = %q", r.Header())
			}
			n := 0
			var last Event
			for {
				ev, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if strings.ContainsAny(string(r.Raw()), "\r\n") {
					t.Errorf("raw row keeps its line ending: %q", r.Raw())
				}
				last = ev
				n++
			}
			if n != tc.events {
				t.Errorf("events = %d, want %d", n, tc.events)
			}
			if tc.format == FormatBalabit && (last.T != 0.032 || last.State != Released) {
				t.Errorf("last Balabit event = %+v (client timestamp is the second column)", last)
			}
		})
	}
}

// TestBadRows checks that each malformed row is named by file, line and
// field, skipped by default, and an error in strict mode.
func TestBadRows(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "bad", "User1", "2026_01_01__09_00_00.CSV")
	evs, st, issues, err := ReadFile(path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || st.Malformed != 6 || len(issues) != 6 {
		t.Fatalf("events %d, malformed %d, issues %v", len(evs), st.Malformed, issues)
	}
	want := []struct {
		line         int
		field, cause string
	}{
		{3, "", "4 columns, want 5"},
		{4, "x", "not an integer"},
		{5, "x", "not an integer"},
		{6, "x", "not an integer"},
		{7, "button", "unknown button"},
		{8, "client timestamp", "not a number"},
	}
	for i, w := range want {
		is := issues[i]
		if is.Line != w.line || is.Field != w.field || !strings.Contains(is.Reason, w.cause) || is.File != path {
			t.Errorf("issue %d = %+v, want line %d field %q reason %q", i, is, w.line, w.field, w.cause)
		}
		if !strings.Contains(is.Error(), path) {
			t.Errorf("message %q does not name the file", is.Error())
		}
	}

	_, _, _, err = ReadFile(path, ReadOptions{Strict: true})
	var re *RowError
	if !errors.As(err, &re) || re.Line != 3 {
		t.Fatalf("strict: err = %v, want a RowError at line 3", err)
	}
}

func TestBadFiles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ user, want string }{
		{"User2", "empty file"},
		{"User4", "does not look like a mouse log"},
	} {
		_, _, _, err := ReadFile(filepath.Join("testdata", "bad", tc.user, "2026_01_01__09_00_00.CSV"), ReadOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.user) {
			t.Errorf("%s: err = %v, want %q naming the file", tc.user, err, tc.want)
		}
	}
	// Header only: no events, no error.
	evs, st, _, err := ReadFile("testdata/bad/User3/2026_01_01__09_00_00.CSV", ReadOptions{})
	if err != nil || len(evs) != 0 || st.Rows != 0 {
		t.Errorf("header only: %d events, %+v, %v", len(evs), st, err)
	}
}

func TestWalk(t *testing.T) {
	t.Parallel()
	ss, problems, err := Walk("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, s := range ss {
		users = append(users, s.User)
	}
	if got := strings.Join(users, ","); got != "User1,User2,User3,User4" {
		t.Errorf("users = %s", got)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "User5") {
		t.Errorf("problems = %v, want the empty folder User5", problems)
	}
	// A single file and a single user folder.
	ss, _, err = Walk("testdata/bad/User1/2026_01_01__09_00_00.CSV")
	if err != nil || len(ss) != 1 || ss[0].User != "User1" || ss[0].ID != "2026_01_01__09_00_00" {
		t.Errorf("single file: %+v, %v", ss, err)
	}
	ss, _, err = Walk("testdata/bad/User3")
	if err != nil || len(ss) != 1 || ss[0].User != "User3" {
		t.Errorf("single user: %+v, %v", ss, err)
	}
}

func TestWalkSortsUsersAsStrings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, u := range []string{"user7", "user12", "user9"} {
		os.MkdirAll(filepath.Join(dir, u), 0o755)
		os.WriteFile(filepath.Join(dir, u, "session_2"), []byte("x"), 0o644)
		os.WriteFile(filepath.Join(dir, u, "session_1"), []byte("x"), 0o644)
	}
	ss, _, err := Walk(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range ss {
		got = append(got, s.User+"/"+s.ID)
	}
	want := "user12/session_1,user12/session_2,user7/session_1,user7/session_2,user9/session_1,user9/session_2"
	if strings.Join(got, ",") != want {
		t.Errorf("order = %v", got)
	}
}

func TestReadBalabitTraining(t *testing.T) {
	t.Parallel()
	dir := testutil.Data(t, "balabit/training_files")
	ss, problems, err := Walk(dir)
	if err != nil || len(problems) != 0 {
		t.Fatal(err, problems)
	}
	if len(ss) != 65 {
		t.Errorf("sessions = %d, want 65", len(ss))
	}
	var rows, events, malformed int
	for _, s := range ss {
		r, err := Open(s.Path, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		st := r.Stats()
		rows, events, malformed = rows+st.Rows, events+st.Events, malformed+st.Malformed
		r.Close()
	}
	// 2,253,881 lines in all, less 65 headers.
	if rows != 2253816 || events+malformed != rows || malformed > 10 {
		t.Errorf("rows %d, events %d, malformed %d", rows, events, malformed)
	}
}

// FuzzReader feeds arbitrary bytes to the reader: it must never panic,
// every issue must name a line, and events must be finite.
func FuzzReader(f *testing.F) {
	for _, p := range []string{"testdata/dfl.csv", "testdata/dfl_headerless.csv", "testdata/balabit_bom_crlf",
		"testdata/bad/User1/2026_01_01__09_00_00.CSV"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("client timestamp,button,state,x,y\n1e308,Left,Drag,-2147483648,2147483647\n"))
	f.Add([]byte("1,2,3,4,5,6,7\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(strings.NewReader(string(data)), "fuzz", ReadOptions{})
		if err != nil {
			return
		}
		for i := 0; ; i++ {
			ev, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("non-strict reader returned %v", err)
			}
			if ev.T != ev.T {
				t.Fatalf("NaN time from %q", r.Raw())
			}
		}
		for _, is := range r.Issues() {
			if is.Line < 1 || is.Reason == "" {
				t.Fatalf("issue without line or reason: %+v", is)
			}
		}
	})
}

func BenchmarkReadBalabit(b *testing.B) {
	benchFiles(b, func(path string) int {
		r, err := Open(path, ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		n := 0
		for {
			if _, err := r.Next(); err != nil {
				return n
			}
			n++
		}
	}, "events/s")
}
