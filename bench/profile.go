package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// profiler records this process's CPU, blocking, mutex and heap profiles
// into a folder for `go tool pprof`: cpu.pprof, block.pprof, mutex.pprof
// and heap.pprof.
type profiler struct {
	dir string
	cpu *os.File
}

// blockRate samples one blocking event per this many nanoseconds blocked,
// and mutexFraction one contention event in this many: enough to see where
// goroutines wait without slowing what is measured.
const (
	blockRate     = 100_000
	mutexFraction = 100
)

// startProfile starts the profiles; stop writes them. An empty dir
// profiles nothing.
func startProfile(dir string) (*profiler, error) {
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: profile folder: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: CPU profile: %w", err)
	}
	runtime.SetBlockProfileRate(blockRate)
	runtime.SetMutexProfileFraction(mutexFraction)
	return &profiler{dir: dir, cpu: f}, nil
}

func (p *profiler) stop() error {
	if p == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := p.cpu.Close()
	runtime.SetBlockProfileRate(0)
	runtime.SetMutexProfileFraction(0)
	for _, name := range []string{"block", "mutex", "heap"} {
		err = errors.Join(err, p.write(name))
	}
	return err
}

func (p *profiler) write(name string) error {
	f, err := os.Create(filepath.Join(p.dir, name+".pprof"))
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("bench: %s profile: %w", name, err)
	}
	return f.Close()
}
