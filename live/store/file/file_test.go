package file

import (
	"context"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/storetest"
)

func TestModels(t *testing.T) {
	storetest.Models(t, func(t *testing.T) store.Models {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestRefusesEmptyName: the one name no folder can stand for (names with
// separators, dots or anything else are encoded: names_test.go).
func TestRefusesEmptyName(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	err = s.PutModel(context.Background(), store.Model{User: "", Version: 1, Data: []byte("x")})
	if err == nil || !strings.Contains(err.Error(), "is not a user name") {
		t.Errorf("PutModel(user \"\"): err = %v", err)
	}
}
