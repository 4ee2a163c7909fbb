package evaluate

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Label says whether one test session was its folder's user: the Balabit
// challenge's labels file has one row "filename,is_illegal" per test
// session, and is_illegal=1 means the session under user folder U was NOT
// U's (an impostor claiming U).
type Label struct {
	// User is the user folder when the file names the session as
	// "user/session"; empty for a bare session name (the challenge's form),
	// which must then be unique in the test set.
	User    string
	Session string
	Illegal bool
	Line    int // 1-based line in the file
}

// Labels are the rows of a labels file, in file order.
type Labels struct {
	Name    string // the file, for errors
	Entries []Label
}

// Labels file columns.
const (
	labelFile    = "filename"
	labelIllegal = "is_illegal"
)

// ReadLabels reads a labels file in the Balabit challenge format: a header
// naming the columns filename and is_illegal (in any order; other columns
// are ignored), then one row per session. is_illegal is 0 or 1. A filename
// is a session file name (its extension, if any, dropped as the session
// readers drop it) or "user/session". Errors name the file, the line and
// the column: a missing column, an empty filename, an is_illegal that is
// not 0 or 1, a session named twice.
func ReadLabels(r io.Reader, name string) (*Labels, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file, want a header %s,%s", name, labelFile, labelIllegal)
	}
	if err != nil {
		return nil, csvErr(name, err)
	}
	fileCol, illegalCol := -1, -1
	for j, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case labelFile:
			fileCol = j
		case labelIllegal:
			illegalCol = j
		}
	}
	if fileCol < 0 || illegalCol < 0 {
		return nil, fmt.Errorf("%s line 1: header %q lacks column %q or %q (want the Balabit labels format %s,%s)",
			name, strings.Join(header, ","), labelFile, labelIllegal, labelFile, labelIllegal)
	}
	l := &Labels{Name: name}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) <= max(fileCol, illegalCol) {
			return nil, fmt.Errorf("%s line %d: %d fields, the header has %d", name, line, len(rec), len(header))
		}
		file := strings.TrimSpace(rec[fileCol])
		if file == "" {
			return nil, fmt.Errorf("%s line %d column %d (%s): empty session name", name, line, fileCol+1, labelFile)
		}
		var illegal bool
		switch v := strings.TrimSpace(rec[illegalCol]); v {
		case "0":
		case "1":
			illegal = true
		default:
			return nil, fmt.Errorf("%s line %d column %d (%s): %q is not 0 or 1", name, line, illegalCol+1, labelIllegal, v)
		}
		lb := Label{Session: file, Illegal: illegal, Line: line}
		if i := strings.LastIndexAny(file, `/\`); i >= 0 {
			lb.User, lb.Session = filepath.Base(strings.ReplaceAll(file[:i], `\`, "/")), file[i+1:]
		}
		lb.Session = strings.TrimSuffix(lb.Session, filepath.Ext(lb.Session))
		if lb.Session == "" || lb.User == "." {
			return nil, fmt.Errorf("%s line %d column %d (%s): %q names no session", name, line, fileCol+1, labelFile, file)
		}
		key := lb.User + "/" + lb.Session
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s line %d column %d (%s): session %q is labelled on line %d already", name, line, fileCol+1, labelFile, file, prev)
		}
		seen[key] = line
		l.Entries = append(l.Entries, lb)
	}
	if len(l.Entries) == 0 {
		return nil, fmt.Errorf("%s: no labels after the header", name)
	}
	return l, nil
}

func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s line %d column %d: %w", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// ReadLabelsFile reads the labels file at path with [ReadLabels].
func ReadLabelsFile(path string) (*Labels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadLabels(bufio.NewReader(f), path)
}
