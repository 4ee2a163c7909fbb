// Package safefs opens the files of a state folder without following
// symbolic links. A state folder holds keys, passwords and a database; a
// link planted in it would have the database created elsewhere, or a key
// written into (and the mode of) a folder the process does not own. So:
//
//   - [NoLinks] refuses a folder that holds a link anywhere below it (run
//     when a state folder is opened, before anything in it is used);
//   - [OpenFile] opens with O_NOFOLLOW and checks after the open that the
//     file it holds is a regular file and the one at the path (f.Stat and
//     os.Lstat, os.SameFile), so a link swapped in between is caught too;
//   - [Dir] checks (or creates) a folder that is not a link;
//   - [Pin] is the check after the open for a file that a library opens
//     by its path (SQLite): the file is created or opened here first, and
//     the returned check says whether the path still names it.
//
// The errors wrap [ErrLink] and name the path. Files a person names on the
// command line (a password file on a secrets mount is often a link) are
// read as usual; this package is for the folders mouseauth owns.
package safefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// ErrLink is wrapped when a path of a state folder is a symbolic link (or
// was replaced while it was opened).
var ErrLink = errors.New("a state folder holds no symbolic links (remove it)")

func linkError(path string) error {
	return fmt.Errorf("%s is a symbolic link: %w", path, ErrLink)
}

// NoLinks walks root and refuses the first symbolic link below it. root
// itself may be a link (a state folder kept on another disk).
func NoLinks(root string) error {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed meanwhile (a SQLite journal, a broker's temporary file)
		}
		if err != nil {
			return err
		}
		if path != root && d.Type()&fs.ModeSymlink != 0 {
			return linkError(path)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// OpenFile is os.OpenFile that does not follow a link at path and checks
// the file it opened: a regular file, the one path names now.
func OpenFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, perm)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, linkError(path)
		}
		return nil, err
	}
	if err := same(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// same checks that f is a regular file and the file path names.
func same(f *os.File, path string) error {
	held, err := f.Stat()
	if err != nil {
		return err
	}
	if !held.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%v)", path, held.Mode().Type())
	}
	now, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("%s was removed while it was opened: %w", path, err)
	}
	if !os.SameFile(held, now) {
		if now.Mode()&fs.ModeSymlink != 0 {
			return linkError(path)
		}
		return fmt.Errorf("%s was replaced while it was opened: %w", path, ErrLink)
	}
	return nil
}

// ReadFile reads path with [OpenFile].
func ReadFile(path string) ([]byte, error) {
	f, err := OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// WriteFile writes b to path with [OpenFile] (created with perm, or
// truncated).
func WriteFile(path string, b []byte, perm os.FileMode) error {
	f, err := OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Dir checks that path is a folder and not a link, creating it with perm
// when it is missing (its parent must exist).
func Dir(path string, perm os.FileMode) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(path, perm); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		fi, err = os.Lstat(path)
	}
	switch {
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return linkError(path)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a folder (%v)", path, fi.Mode().Type())
	}
	return nil
}

// Pin creates the regular file at path (perm) if it is missing, without
// following a link, and returns a check that path still names that file
// and is no link: call it after a library opened path by its name.
func Pin(path string, perm os.FileMode) (check func() error, err error) {
	f, err := OpenFile(path, os.O_RDWR|os.O_CREATE, perm)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	held, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return func() error {
		now, err := os.Lstat(path)
		switch {
		case err != nil:
			return fmt.Errorf("%s was removed while it was opened: %w", path, err)
		case now.Mode()&fs.ModeSymlink != 0:
			return linkError(path)
		case !os.SameFile(held, now):
			return fmt.Errorf("%s was replaced while it was opened: %w", path, ErrLink)
		}
		return nil
	}, nil
}

// NotLink refuses path when it is a link; a missing path is no error.
func NotLink(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return linkError(path)
	}
	return nil
}
