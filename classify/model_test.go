package classify

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func savedForest(t *testing.T) (*SavedModel, [][]float64) {
	t.Helper()
	X, y := toy(9, 200, 6, 0.8)
	m, err := Forest{Trees: 15}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	return &SavedModel{Header: Header{Params: map[string]string{"trees": "15"}, FeatureNames: []string{"a", "b", "c", "d", "e", "f"},
		User: "user7", Genuine: 100, Impostor: 100, Seed: 3, Created: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}, Model: m}, X
}

// TestModelRoundTrip: a loaded model scores bit for bit like the saved one
// and keeps its header.
func TestModelRoundTrip(t *testing.T) {
	sm, X := savedForest(t)
	var b bytes.Buffer
	if err := Save(&b, sm); err != nil {
		t.Fatal(err)
	}
	got, err := Load(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got.Header.Classifier != "rf" || got.Header.User != "user7" || got.Header.Seed != 3 || len(got.Header.FeatureNames) != 6 {
		t.Errorf("header = %+v", got.Header)
	}
	for i, x := range X {
		if a, b := sm.Model.Score(x), got.Model.Score(x); a != b {
			t.Fatalf("row %d: saved %v, loaded %v", i, a, b)
		}
	}
}

func TestModelLoadErrors(t *testing.T) {
	sm, _ := savedForest(t)
	var b bytes.Buffer
	if err := Save(&b, sm); err != nil {
		t.Fatal(err)
	}
	good := b.Bytes()
	mod := func(f func([]byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotAModel},
		{"not a model", []byte("user,session,action\n"), ErrNotAModel},
		{"short magic", []byte("MAUTH"), ErrTruncated},
		{"future version", mod(func(p []byte) []byte { p[9] = 9; return p }), ErrUnsupportedVersion},
		{"flipped byte", mod(func(p []byte) []byte { p[len(p)/2] ^= 0x10; return p }), ErrChecksum},
		{"truncated", good[:len(good)-9], ErrTruncated},
		{"no checksum", good[:len(good)-4], ErrTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(bytes.NewReader(tc.data)); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzDecodeForest: a payload that passed the checksum but was crafted or
// written by a buggy writer must give an error or a model whose Score
// terminates, never a panic.
func FuzzDecodeForest(f *testing.F) {
	sm, _ := func() (*SavedModel, [][]float64) {
		X, y := toy(9, 60, 3, 1)
		m, _ := Forest{Trees: 3}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1)))
		return &SavedModel{Model: m}, X
	}()
	p, _, err := encodePayload(sm.Model)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p)
	f.Add([]byte{0, 0, 0, 3, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodePayload("rf", data)
		if err != nil {
			return
		}
		fm := m.(*ForestModel)
		x := make([]float64, fm.D)
		if s := m.Score(x); s != s || s < 0 || s > 1 {
			t.Fatalf("score %v outside [0, 1]", s)
		}
	})
}
