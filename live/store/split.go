package store

import "context"

// WithModels returns p with its model methods served by m instead (for
// example models in a file store, everything else in a database). Close
// closes both.
func WithModels(p Profiles, m Models) Profiles { return withModels{p, m} }

type withModels struct {
	Profiles
	m Models
}

func (w withModels) PutModel(ctx context.Context, x Model) error { return w.m.PutModel(ctx, x) }
func (w withModels) LatestModel(ctx context.Context, user string) (Model, error) {
	return w.m.LatestModel(ctx, user)
}
func (w withModels) ModelUsers(ctx context.Context) ([]string, error) { return w.m.ModelUsers(ctx) }
func (w withModels) Close() error {
	err := w.Profiles.Close()
	if e := w.m.Close(); err == nil {
		err = e
	}
	return err
}
