package cluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/mouseauth/mouseauth/internal/safefs"
)

// The state folder is private: it holds the CA key, the client keys, the
// SASL passwords, the broker's segment files and the database. Three
// mechanisms keep it so, whatever existed before:
//
//   - [SecureState] strips group and other permissions from the folder and
//     everything in it when it is opened (a folder pre-created 0755 with
//     0644 files becomes 0700/0600);
//   - while an embedded cluster runs, the process umask is 077
//     ([HoldPrivateUmask]), so every file created meanwhile is private:
//     kfake creates its DataDir files (segments, indexes, *.json, written
//     with mode 0644/0755) through os.OpenFile/MkdirAll, which apply the
//     umask, and SQLite creates mouseauth.db under it and its -wal and -shm
//     files with the database file's own mode (SQLite's unix VFS copies
//     it), hence 0600;
//   - a lock file ([LockState]) keeps a second process from running the
//     same state.

// SecureState creates dir (0700) if missing, refuses it if a symbolic link
// is anywhere below it (safefs.ErrLink: a planted link would have the
// database created, or keys written, elsewhere), and removes the group and
// other permission bits of dir and of every directory and file below it.
// It returns the first path it refuses or cannot change.
func SecureState(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state folder %s: %w", dir, err)
	}
	if err := safefs.NoLinks(dir); err != nil {
		return fmt.Errorf("state folder %s: %w", dir, err)
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("state folder %s: %w", dir, err)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return fmt.Errorf("state folder %s: %w", dir, safefs.NotLink(path))
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed meanwhile (a SQLite journal, a kfake temp file)
		}
		if err != nil {
			return err
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(path, perm&^0o077); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("making %s private: %w", path, err)
			}
		}
		return nil
	})
}

// LockFile is the lock file in a state folder; it holds the pid of the
// process that holds the lock.
const LockFile = "mouseauth.lock"

// ErrStateLocked is wrapped when another process (or another cluster in
// this process) holds a state folder's lock.
var ErrStateLocked = errors.New("state folder is in use")

// StateLock is an exclusive lock on a state folder (flock(2) on
// [LockFile]). The kernel releases it when the process exits, however it
// exits, so a crashed holder never leaves a stale lock.
type StateLock struct {
	f *os.File
}

// LockState takes dir's lock without waiting. When another process holds
// it, the error wraps [ErrStateLocked] and names the holder's pid (as the
// holder wrote it in the lock file).
func LockState(dir string) (*StateLock, error) {
	path := filepath.Join(dir, LockFile)
	f, err := safefs.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			holder := "an unknown process"
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = "process " + strconv.Itoa(pid)
				if pid == os.Getpid() {
					holder += " (this process)"
				}
			}
			return nil, fmt.Errorf("%w: %s holds %s; stop it (a running `mouseauth live serve`, replay or bench) "+
				"or give another --state", ErrStateLocked, holder, path)
		}
		return nil, fmt.Errorf("state lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &StateLock{f: f}, nil
}

// Unlock releases the lock. The file stays; its content is stale until the
// next holder writes its pid.
func (l *StateLock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	_ = unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	l.f.Close()
	l.f = nil
}

var umask struct {
	sync.Mutex
	holders int
	old     int
}

// HoldPrivateUmask sets the process umask to 077 (keeping any stricter
// bits) until every holder has called the returned release; the last
// release restores the umask found by the first holder. The umask is
// process wide: files created meanwhile by any goroutine are private.
func HoldPrivateUmask() (release func()) {
	umask.Lock()
	defer umask.Unlock()
	if umask.holders == 0 {
		umask.old = unix.Umask(0o077)
		if umask.old|0o077 != 0o077 {
			unix.Umask(umask.old | 0o077)
		}
	}
	umask.holders++
	var once sync.Once
	return func() {
		once.Do(func() {
			umask.Lock()
			defer umask.Unlock()
			if umask.holders--; umask.holders == 0 {
				unix.Umask(umask.old)
			}
		})
	}
}
