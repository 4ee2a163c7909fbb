package cli

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent use, for test streams that
// progress goroutines write to.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Read(p)
}

// WriteString appends s.
func (b *Buffer) WriteString(s string) (int, error) { return b.Write([]byte(s)) }

// String returns the contents written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
