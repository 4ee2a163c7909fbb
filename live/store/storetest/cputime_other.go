//go:build !unix

package storetest

// cpuTime is 0 where getrusage is missing: cpu-ns/vector then reads 0.
func cpuTime() int64 { return 0 }
