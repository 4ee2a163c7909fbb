package secret

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mouseauth/mouseauth/internal/safefs"
)

// ErrLoosePermissions is wrapped when a secret file can be read or written
// by group or others.
var ErrLoosePermissions = errors.New("secret file is accessible to group or others (chmod 600 it)")

// Size is the entropy of a generated secret in bytes (256 bits).
const Size = 32

// Generate returns a new random secret: Size bytes from crypto/rand,
// base64url without padding (43 characters, safe in any config file).
func Generate() (string, error) {
	b := make([]byte, Size)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Ensure creates path with a generated secret unless it exists, and
// reports whether it did. The folder is created 0700, the file 0600 with
// O_EXCL, so a concurrent creator or an existing secret is never
// overwritten. A half-written file (the process died while writing) is
// caught by [Read], which refuses an empty secret.
func Ensure(path string) (created bool, err error) {
	if _, err := os.Lstat(path); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, err
	}
	if err := safefs.Dir(filepath.Dir(path), 0o700); err != nil {
		return false, err // its folder is a link: the secret would be written elsewhere
	}
	s, err := Generate()
	if err != nil {
		return false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, err = f.WriteString(s + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return false, fmt.Errorf("secret %s: %w", path, err)
	}
	return true, nil
}

// Read returns the secret in path without its trailing newline. It refuses
// a file that is not a regular file, that group or others may access
// ([ErrLoosePermissions]), or that is empty; the errors name the file. A
// link is followed (a password file on a secrets mount often is one); the
// secrets of a state folder are read with [ReadState].
func Read(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return read(path, f)
}

// ReadState is [Read] for a secret of a state folder: a symbolic link is
// refused (safefs.ErrLink), also one swapped in while the file is opened.
func ReadState(path string) (string, error) {
	f, err := safefs.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return read(path, f)
}

// read checks the opened file f, which is path, and reads its secret.
func read(path string, f *os.File) (string, error) {
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s (mode %04o): %w", path, st.Mode().Perm(), ErrLoosePermissions)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s: empty secret", path)
	}
	if strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("%s: a secret file holds one line", path)
	}
	return s, nil
}
