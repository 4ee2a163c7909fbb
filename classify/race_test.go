//go:build race

package classify

// raceDetector: the tests run under the race detector (go test -race).
const raceDetector = true
