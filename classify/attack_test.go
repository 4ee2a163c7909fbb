package classify

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"strings"
	"testing"
)

// v1File assembles a model file of format version 1 (the format before the
// feature schema) around a header and a payload, with a valid checksum: what
// anyone who can write a model can produce.
func v1File(t *testing.T, hdr any, payload []byte) []byte {
	t.Helper()
	h, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	return v1FileBytes(h, payload)
}

func v1FileBytes(h, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("MAUTHMDL")
	binary.Write(&b, binary.BigEndian, uint16(1))
	binary.Write(&b, binary.BigEndian, uint32(len(h)))
	b.Write(h)
	binary.Write(&b, binary.BigEndian, uint32(len(payload)))
	b.Write(payload)
	binary.Write(&b, binary.BigEndian, crc32.Checksum(b.Bytes(), crc32.MakeTable(crc32.Castagnoli)))
	return b.Bytes()
}

// v1Forest is a version 1 forest payload: width d, one tree of the given
// nodes (feat, left, right, threshold, value).
func v1Forest(d uint32, nodes ...[5]float64) []byte {
	var b bytes.Buffer
	put := func(v any) { binary.Write(&b, binary.BigEndian, v) }
	put(d)
	put(uint32(1))
	put(uint32(len(nodes)))
	for _, n := range nodes {
		put(int32(n[0]))
		put(int32(n[1]))
		put(int32(n[2]))
		put(math.Float64bits(n[3]))
		put(math.Float64bits(n[4]))
	}
	return b.Bytes()
}

func names(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("f%d", i)
	}
	return s
}

// scoreOrPanic scores x and turns a panic into an error.
func scoreOrPanic(m Model, x []float64) (s float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Score panicked: %v", r)
		}
	}()
	return m.Score(x), nil
}

// TestLoadRefusesFeatureOutsideSchema is the attack of issue 11: a model
// file with a valid checksum whose 39 feature names say 39 features while
// its tree splits on feature 60. Load accepted it (the payload claimed 61
// features and the tree was consistent with that) and the first Score of a
// 39-feature vector panicked: `live enroll` stored it and the service
// crash-looped, `classify score` panicked. Load must refuse it, naming the
// feature and the schema's width.
func TestLoadRefusesFeatureOutsideSchema(t *testing.T) {
	t.Parallel()
	file := v1File(t, map[string]any{"classifier": "rf", "feature_names": names(39), "user": "victim"},
		v1Forest(61, [5]float64{60, 1, 2, 0.5, 0}, [5]float64{-1, 0, 0, 0, 1}, [5]float64{-1, 0, 0, 0, 0}))
	sm, err := Load(bytes.NewReader(file))
	if err == nil {
		_, perr := scoreOrPanic(sm.Model, make([]float64, 39))
		t.Fatalf("Load accepted a tree naming feature 60 of a 39-feature model (and then: %v)", perr)
	}
	for _, want := range []string{"60", "39"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}
