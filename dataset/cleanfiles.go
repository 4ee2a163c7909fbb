package dataset

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// CleanFilesOptions configure [CleanFiles].
type CleanFilesOptions struct {
	Clean CleanOptions
	// Strict makes the first malformed row, or a file that cannot be read,
	// an error naming its file, line and field.
	Strict bool
	// MaxIssues is how many malformed rows of a session are recorded in
	// full (see [ReadOptions]); all are counted.
	MaxIssues int
	// Create opens an output file, creating its folder.
	Create func(path string) (io.WriteCloser, error)
	// Warn receives the paths under the data folder that are not sessions;
	// nil discards them.
	Warn io.Writer
	// Progress, if set, is called with (0, total) once the sessions are
	// found, then with (done, total) after each session.
	Progress func(done, total int)
}

// CleanedSession is what cleaning did to one session file.
type CleanedSession struct {
	Session    Session
	Rows, Kept int
	Drops      DropCounts
	Issues     []RowError // the malformed rows recorded in full
	// Skipped is why the file could not be read at all (empty, binary);
	// nil when it was cleaned.
	Skipped error
}

// CleanFiles cleans every session under data (a folder of user folders, a
// user folder or one file; see [Walk]) with a [Cleaner] and writes each
// session's kept rows, as written, to the same layout under out. A file
// that cannot be read is reported in its result and the rest are cleaned
// (with opts.Strict it is an error).
func CleanFiles(ctx context.Context, data, out string, opts CleanFilesOptions) ([]CleanedSession, error) {
	sessions, problems, err := Walk(data)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", data, err)
	}
	if opts.Warn != nil {
		for _, p := range problems {
			fmt.Fprintf(opts.Warn, "warning: %v\n", p)
		}
	}
	if len(sessions) == 0 {
		return nil, fmt.Errorf("%s: no session files found", data)
	}
	// The output keeps the layout below the data set's root: the folder of
	// user folders, also when data names one user folder or one file.
	root := data
	if fi, err := os.Stat(root); err == nil && !fi.IsDir() {
		root = filepath.Dir(filepath.Dir(root))
	} else if len(problems) == 0 && allOneUser(sessions) && filepath.Base(filepath.Clean(root)) == sessions[0].User {
		root = filepath.Dir(filepath.Clean(root))
	}
	if opts.Progress != nil {
		opts.Progress(0, len(sessions))
	}
	var results []CleanedSession
	for i, s := range sessions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(root, s.Path)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = filepath.Join(s.User, filepath.Base(s.Path))
		}
		res, err := CleanSession(s, filepath.Join(out, rel), opts)
		if err != nil {
			return nil, err
		}
		results = append(results, res)
		if opts.Progress != nil {
			opts.Progress(i+1, len(sessions))
		}
	}
	return results, nil
}

func allOneUser(ss []Session) bool {
	for _, s := range ss {
		if s.User != ss[0].User {
			return false
		}
	}
	return true
}

// CleanSession cleans one session file and writes its kept rows, as
// written (header included), to outPath through opts.Create.
func CleanSession(s Session, outPath string, opts CleanFilesOptions) (CleanedSession, error) {
	res := CleanedSession{Session: s}
	r, err := Open(s.Path, ReadOptions{Strict: opts.Strict, MaxIssues: opts.MaxIssues})
	if err != nil {
		if opts.Strict {
			return res, err
		}
		res.Skipped = err
		return res, nil
	}
	defer r.Close()
	w, err := opts.Create(outPath)
	if err != nil {
		return res, fmt.Errorf("write cleaned log: %w", err)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	if h := r.Header(); h != nil {
		bw.Write(h)
		bw.WriteByte('\n')
	}
	c := NewCleaner(opts.Clean)
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			w.Close()
			return res, err // strict mode: a *RowError naming file, line, field
		}
		if keep, _ := c.Push(ev); keep {
			bw.Write(r.Raw())
			bw.WriteByte('\n')
		}
	}
	st := r.Stats()
	// Malformed rows are all counted in Stats; Issues holds the first few
	// in full, so unknown buttons/states beyond those count as malformed
	// only if the reader stopped recording: count the recorded ones by
	// reason and the rest as malformed.
	for _, is := range r.Issues() {
		c.CountIssue(is)
	}
	c.Counts[DropMalformed] += st.Malformed - len(r.Issues())
	res.Rows, res.Kept, res.Drops, res.Issues = st.Rows, c.Kept, c.Counts, r.Issues()
	if err := bw.Flush(); err != nil {
		w.Close()
		return res, fmt.Errorf("write %s: %w", outPath, err)
	}
	if err := w.Close(); err != nil {
		return res, fmt.Errorf("write %s: %w", outPath, err)
	}
	return res, nil
}
