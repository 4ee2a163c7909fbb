package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/live/account"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/replay"
)

// ModelStore is a store for [RunModelLoad] to measure. Open opens it with
// dir as its own scratch folder (for stores kept in files), or says why it
// is skipped (not configured).
type ModelStore struct {
	Kind string
	Open func(ctx context.Context, dir string) (st store.Models, skip string, err error)
}

// ModelLoadOptions configure [RunModelLoad].
type ModelLoadOptions struct {
	Users  int    // synthetic users, one model each (at least 2)
	Repeat int    // loads of each model per store
	Trees  int    // trees per model (random forests, the published preset: the figures are the forest's)
	Seed   uint64 // of the synthetic users and the training
	Dir    string // scratch folder for the stores kept in files; required
	Now    func() time.Time
	// Meter, when set, shows the progress of training and of each store.
	Meter func(total int64, description, unit string) Meter
}

// ModelLoadRow is one store's figures; Loads is empty when it was skipped.
type ModelLoadRow struct {
	Store   string
	Users   int
	Loads   replay.Summary // the store's read plus decoding, per load (ms)
	ModelKB float64        // mean model size
	// DecodeOnly is the peer measured in the same run: decoding the same
	// model bytes from memory, without a store.
	DecodeOnly replay.Summary
	Skipped    string // why the store was not measured
}

// RunModelLoad trains one random forest per synthetic user, stores the
// models in each store, then loads every user's model o.Repeat times from
// each (the store's read plus decoding the model, as the service does on a
// cache miss) and returns a row per store, in order.
func RunModelLoad(ctx context.Context, stores []ModelStore, o ModelLoadOptions) ([]ModelLoadRow, error) {
	if o.Users < 2 || o.Repeat < 1 {
		return nil, fmt.Errorf("bench: model-load needs at least 2 users and 1 repeat (got %d, %d)", o.Users, o.Repeat)
	}
	if o.Dir == "" {
		return nil, errors.New("bench: model-load needs a scratch folder")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	users, models, err := trainModels(ctx, o)
	if err != nil {
		return nil, err
	}
	var size float64
	for _, m := range models {
		size += float64(len(m))
	}
	size /= float64(len(models)) * 1024

	var dec []time.Duration
	for r := 0; r < o.Repeat; r++ {
		for _, m := range models {
			t0 := time.Now()
			if _, err := classify.Load(bytes.NewReader(m)); err != nil {
				return nil, err
			}
			dec = append(dec, time.Since(t0))
		}
	}
	decode := replay.Summarize(dec)
	run := fmt.Sprintf("bench%d", o.Now().UnixNano())
	var rows []ModelLoadRow
	for _, ms := range stores {
		st, skip, err := ms.Open(ctx, filepath.Join(o.Dir, ms.Kind))
		if err != nil {
			return rows, fmt.Errorf("%s: %w", ms.Kind, err)
		}
		row := ModelLoadRow{Store: ms.Kind, ModelKB: size, DecodeOnly: decode, Skipped: skip}
		if skip == "" {
			row.Users = len(users)
			row.Loads, err = loadAll(ctx, st, ms.Kind, run, users, models, o)
			st.Close()
			if err != nil {
				return rows, fmt.Errorf("%s: %w", ms.Kind, err)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func meterOf(f func(int64, string, string) Meter, total int64, desc, unit string) Meter {
	if f == nil {
		return nopMeter{}
	}
	return f(total, desc, unit)
}

// trainModels trains each synthetic user's model on its session against
// the other users', in parallel.
func trainModels(ctx context.Context, o ModelLoadOptions) ([]string, [][]byte, error) {
	us, err := replay.Synthetic(ctx, o.Users, 1, 300, o.Seed)
	if err != nil {
		return nil, nil, err
	}
	train := make([][][]float64, len(us))
	users := make([]string, len(us))
	for i, u := range us {
		users[i] = u.User
		for _, v := range u.Sessions[0] {
			train[i] = append(train[i], v.Values)
		}
	}
	models := make([][]byte, len(us))
	m := meterOf(o.Meter, int64(len(us)), "training", "models")
	defer m.Done()
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, u := range users {
		g.Go(func() (err error) {
			var others [][]float64
			for j := range train {
				if j != i {
					others = append(others, train[j]...)
				}
			}
			models[i], err = account.TrainModel(gctx, u, 1, train[i], others,
				account.TrainOptions{Preset: classify.PresetReference, Params: map[string]any{"trees": o.Trees}, Seed: int64(o.Seed)}, o.Now())
			mu.Lock()
			m.Add(1)
			mu.Unlock()
			return err
		})
	}
	return users, models, g.Wait()
}

// loadAll stores the models in st under names of this run and times
// o.Repeat rounds of loading and decoding each.
func loadAll(ctx context.Context, st store.Models, kind, run string, users []string, models [][]byte, o ModelLoadOptions) (replay.Summary, error) {
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = run + "_" + u
		if err := st.PutModel(ctx, store.Model{User: names[i], Version: 1, Data: models[i], Created: o.Now()}); err != nil {
			return replay.Summary{}, err
		}
	}
	m := meterOf(o.Meter, int64(o.Repeat*len(names)), "loading from "+kind, "models")
	defer m.Done()
	var times []time.Duration
	for r := 0; r < o.Repeat; r++ {
		for _, name := range names {
			t0 := time.Now()
			sm, err := st.LatestModel(ctx, name)
			if err == nil {
				_, err = classify.Load(bytes.NewReader(sm.Data))
			}
			if err != nil {
				return replay.Summary{}, fmt.Errorf("load %s: %w", name, err)
			}
			times = append(times, time.Since(t0))
		}
		m.Add(len(names))
	}
	return replay.Summarize(times), nil
}
