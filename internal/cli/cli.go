package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// IOStreams are the streams a command reads and writes. Data goes to Out,
// progress and status to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// ErrTTY reports whether ErrOut is a terminal (progress bars redraw in
	// place there and print a line every few seconds elsewhere).
	ErrTTY bool
	// Quiet suppresses progress output.
	Quiet bool
}

// System returns the process's standard streams.
func System() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd()))}
}

// TestIO returns streams backed by in-memory buffers, for tests.
func TestIO() (ios *IOStreams, in, out, errOut *Buffer) {
	in, out, errOut = &Buffer{}, &Buffer{}, &Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// Factory hands out the dependencies of commands. Fields are plain values or
// lazy constructors so tests can replace them.
type Factory struct {
	IO  *IOStreams
	Now func() time.Time
	// Version is the build's version in one word (Build.Short), recorded
	// in reports.
	Version string
	// Build is what `mouseauth version` prints; zero in tests that do not
	// set it (see BuildInfo).
	Build Build
	// Args is the command line, recorded in reports.
	Args []string
}

// NewFactory returns the factory for a real process. version overrides
// the module version of the build information when set at link time
// (-ldflags "-X main.version=v1.2.3"); "dev" or empty keeps it.
func NewFactory(version string, args []string) *Factory {
	b := ReadBuild(version)
	return &Factory{
		IO:      System(),
		Now:     time.Now,
		Version: b.Short(),
		Build:   b,
		Args:    args,
	}
}

// BuildInfo returns f.Build, or the running binary's when f.Build is not
// set.
func (f *Factory) BuildInfo() Build {
	if f.Build != (Build{}) {
		return f.Build
	}
	return ReadBuild(f.Version)
}

// FlagError is a usage error: bad flags or arguments. It maps to exit code 2.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf returns a *FlagError with a formatted message.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// Exit codes.
const (
	ExitOK        = 0
	ExitError     = 1
	ExitUsage     = 2
	ExitCancelled = 130
)

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	var fe *FlagError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &fe):
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitCancelled
	default:
		return ExitError
	}
}
