package file

import (
	"context"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/storetest"
)

func TestModels(t *testing.T) {
	t.Parallel()
	storetest.Models(t, func(t *testing.T) store.Models {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestRefusesPathNames(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"../evil", "a/b", "..", ""} {
		err := s.PutModel(context.Background(), store.Model{User: u, Version: 1, Data: []byte("x")})
		if err == nil || !strings.Contains(err.Error(), "cannot be a directory name") {
			t.Errorf("PutModel(user %q): err = %v", u, err)
		}
	}
}
