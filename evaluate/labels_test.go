package evaluate

import (
	"strings"
	"testing"
)

func TestReadLabels(t *testing.T) {
	t.Parallel()
	l, err := ReadLabels(strings.NewReader("is_illegal, filename ,note\n1,session_1,x\n0, user7/session_2.csv ,\n\n1,session_3,\n"), "labels.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Label{{Session: "session_1", Illegal: true, Line: 2}, {User: "user7", Session: "session_2", Line: 3}, {Session: "session_3", Illegal: true, Line: 5}}
	if len(l.Entries) != len(want) {
		t.Fatalf("entries %+v", l.Entries)
	}
	for i, w := range want {
		if l.Entries[i] != w {
			t.Errorf("entry %d = %+v, want %+v", i, l.Entries[i], w)
		}
	}
	// The Balabit file starts with a BOM in some copies.
	if _, err := ReadLabels(strings.NewReader("\ufefffilename,is_illegal\nsession_1,0\n"), "bom.csv"); err != nil {
		t.Errorf("BOM: %v", err)
	}
	for _, tt := range []struct{ name, in, want string }{
		{"empty", "", "labels.csv: empty file"},
		{"no header columns", "file,illegal\na,1\n", `labels.csv line 1: header "file,illegal" lacks column "filename"`},
		{"value", "filename,is_illegal\na,1\nb,2\n", `labels.csv line 3 column 2 (is_illegal): "2" is not 0 or 1`},
		{"empty name", "filename,is_illegal\n ,1\n", "labels.csv line 2 column 1 (filename): empty session name"},
		{"duplicate", "filename,is_illegal\na,1\nb,0\na.csv,0\n", `labels.csv line 4 column 1 (filename): session "a.csv" is labelled on line 2 already`},
		{"short row", "filename,note,is_illegal\na\n", "labels.csv line 2: 1 fields, the header has 3"},
		{"only header", "filename,is_illegal\n", "no labels"},
		{"bad quote", "filename,is_illegal\n\"a,1\n", "labels.csv line 2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadLabels(strings.NewReader(tt.in), "labels.csv")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
