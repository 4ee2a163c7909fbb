package file

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/embedded"
	"github.com/mouseauth/mouseauth/live/store/storetest"
)

// TestWithModels runs the profile suite on an embedded store whose models
// live in a file store, as `--models-dir` configures the service.
func TestWithModels(t *testing.T) {
	t.Parallel()
	storetest.Profiles(t, func(t *testing.T) store.Profiles {
		db, err := embedded.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
		if err != nil {
			t.Fatal(err)
		}
		fs, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return store.WithModels(db, fs)
	})
}
