package preprocess_test

import (
	"bytes"
	"context"
	"io"
	"math"
	"sort"
	"testing"

	"github.com/mouseauth/mouseauth/dataset"
	"github.com/mouseauth/mouseauth/preprocess"
)

// TestSynthUsersDifferButOverlap checks the property the demo and load tests
// rely on: users differ measurably but not trivially. A nearest-centroid
// identifier on six standardised features, fitted on each user's first
// session and tested on the second, must beat chance by 5 standard errors (users
// differ) but stay far from perfect on single actions (users overlap).
func TestSynthUsersDifferButOverlap(t *testing.T) {
	t.Parallel()
	const users = 6
	files := map[string]*bytes.Buffer{}
	create := func(user, session string) (io.WriteCloser, error) {
		b := &bytes.Buffer{}
		files[user+"/"+session] = b
		return nopCloser{b}, nil
	}
	opts := dataset.SynthOptions{Users: users, Sessions: 2, Actions: 200, Seed: 11}
	if _, err := dataset.Synthesize(context.Background(), opts, create, nil); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names) // User1/day1, User1/day2, User2/day1, ...

	// Features: log mean speed, straightness, log duration, log distance,
	// log largest deviation (curvature), log points per action (sampling rate).
	cols := []int{26, 4, 2, 1, 15, 5}
	type sample struct {
		user int
		x    []float64
	}
	var train, test []sample
	for i, n := range names {
		r, err := dataset.NewReader(bytes.NewReader(files[n].Bytes()), n, dataset.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var evs []dataset.Event
		for {
			ev, err := r.Next()
			if err != nil {
				break
			}
			evs = append(evs, ev)
		}
		for _, a := range preprocess.Segment(evs, preprocess.SegmentOptions{}) {
			f := preprocess.Extract(a, preprocess.Clean)
			x := make([]float64, len(cols))
			for j, c := range cols {
				x[j] = f[c]
				if c != 4 {
					x[j] = math.Log1p(math.Max(f[c], 0))
				}
			}
			s := sample{user: i / 2, x: x}
			if i%2 == 0 {
				train = append(train, s)
			} else {
				test = append(test, s)
			}
		}
	}
	// Standardise with the training set, then nearest centroid.
	mean, sd := make([]float64, len(cols)), make([]float64, len(cols))
	for _, s := range train {
		for j, v := range s.x {
			mean[j] += v / float64(len(train))
		}
	}
	for _, s := range train {
		for j, v := range s.x {
			sd[j] += (v - mean[j]) * (v - mean[j]) / float64(len(train))
		}
	}
	cent := make([][]float64, users)
	cnt := make([]float64, users)
	for u := range cent {
		cent[u] = make([]float64, len(cols))
	}
	z := func(x []float64) []float64 {
		out := make([]float64, len(x))
		for j, v := range x {
			out[j] = (v - mean[j]) / math.Sqrt(sd[j])
		}
		return out
	}
	for _, s := range train {
		for j, v := range z(s.x) {
			cent[s.user][j] += v
		}
		cnt[s.user]++
	}
	for u := range cent {
		for j := range cent[u] {
			cent[u][j] /= cnt[u]
		}
	}
	correct := 0
	for _, s := range test {
		zx, best, bestD := z(s.x), -1, math.Inf(1)
		for u := range cent {
			d := 0.0
			for j := range zx {
				d += (zx[j] - cent[u][j]) * (zx[j] - cent[u][j])
			}
			if d < bestD {
				best, bestD = u, d
			}
		}
		if best == s.user {
			correct++
		}
	}
	acc := float64(correct) / float64(len(test))
	t.Logf("nearest-centroid identification of %d users from single actions: %.3f (chance %.3f), %d test actions",
		users, acc, 1.0/users, len(test))
	// Users differ: accuracy at least 5 standard errors above chance (the
	// binomial standard error of the chance rate over the test actions).
	chance := 1.0 / users
	se := math.Sqrt(chance * (1 - chance) / float64(len(test)))
	if acc < chance+5*se {
		t.Errorf("accuracy %.3f: users are not distinguishable (want >= chance + 5 SE = %.3f)", acc, chance+5*se)
	}
	if acc > 0.9 {
		t.Errorf("accuracy %.3f: users are trivially separable (want <= 0.9)", acc)
	}
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }
