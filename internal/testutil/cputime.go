package testutil

import "testing"

// StartCPU returns a func that adds to b's figures the process's CPU time
// (user and system) per op since StartCPU was called, as "cpu-ns/op":
//
//	defer testutil.StartCPU(b)()
//
// On a machine shared with other work a benchmark's CPU time moves less
// than its wall time (ns/op), which counts the time it waited for a core.
// Where the CPU time cannot be read, no figure is added.
func StartCPU(b *testing.B) func() {
	start, ok := cpuTime()
	return func() {
		if end, ok2 := cpuTime(); ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
