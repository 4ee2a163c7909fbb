package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Walk lists the sessions under root: a folder of user folders (DFL layout
// User<N>/<yyyy_MM_dd__HH_mm_ss>.CSV, Balabit layout user<N>/session_<id>),
// a single user folder, or a single file. Users are sorted by name in plain
// string order (user12 < user15 < user7, as the published extractor walks
// them), sessions by file name. Problems that leave the rest readable, such
// as an empty user folder, come back in problems; err is for a root that
// cannot be read at all.
func Walk(root string) (sessions []Session, problems []error, err error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() {
		user := filepath.Base(filepath.Dir(root))
		return []Session{newSession(user, root)}, nil, nil
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, err
	}
	var dirs, files []os.DirEntry
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if e.IsDir() {
			dirs = append(dirs, e)
		} else {
			files = append(files, e)
		}
	}
	if len(dirs) == 0 {
		// A single user folder.
		user := filepath.Base(filepath.Clean(root))
		for _, f := range files {
			sessions = append(sessions, newSession(user, filepath.Join(root, f.Name())))
		}
		if len(sessions) == 0 {
			problems = append(problems, fmt.Errorf("%s: no session files", root))
		}
		return sessions, problems, nil
	}
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Name() < dirs[j].Name() })
	for _, d := range dirs {
		dir := filepath.Join(root, d.Name())
		ents, err := os.ReadDir(dir)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		n := 0
		for _, e := range ents {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			sessions = append(sessions, newSession(d.Name(), filepath.Join(dir, e.Name())))
			n++
		}
		if n == 0 {
			problems = append(problems, fmt.Errorf("%s: user folder holds no session files", dir))
		}
	}
	for _, f := range files {
		problems = append(problems, fmt.Errorf("%s: a file beside the user folders, skipped", filepath.Join(root, f.Name())))
	}
	return sessions, problems, nil
}

func newSession(user, path string) Session {
	id := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return Session{User: user, ID: id, Path: path}
}
