//go:build !race

package evaluate

// raceDetector: the tests run under the race detector (go test -race).
const raceDetector = false
