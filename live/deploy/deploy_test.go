package deploy

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/live/store"
)

func TestParseReplication(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, strategy string
		factor       int
		dcs          int
		bad          bool
	}{
		{in: "SimpleStrategy", strategy: "SimpleStrategy", factor: 1},
		{in: "SimpleStrategy:3", strategy: "SimpleStrategy", factor: 3},
		{in: "NetworkTopologyStrategy:dc1=3,dc2=2", strategy: "NetworkTopologyStrategy", dcs: 2},
		{in: "SimpleStrategy:0", bad: true},
		{in: "NetworkTopologyStrategy:dc1", bad: true},
		{in: "Everywhere:1", bad: true},
	} {
		s, f, dcs, err := ParseReplication(tc.in)
		if tc.bad {
			if err == nil || !strings.Contains(err.Error(), tc.in) {
				t.Errorf("%q: err %v, want one naming the value", tc.in, err)
			}
			continue
		}
		if err != nil || s != tc.strategy || f != tc.factor || len(dcs) != tc.dcs {
			t.Errorf("%q: %s %d %v %v", tc.in, s, f, dcs, err)
		}
	}
}

func TestKind(t *testing.T) {
	t.Parallel()
	for want, o := range map[string]StoreOptions{
		"embedded":  {},
		"cassandra": {Cassandra: []string{"c:9042"}, DSN: "x"},
		"mysql":     {DSN: "x"},
	} {
		if got := o.Kind(); got != want {
			t.Errorf("%+v: kind %s, want %s", o, got, want)
		}
	}
	if got := (StoreOptions{Profiles: "embedded", DSN: "x"}).Kind(); got != "embedded" {
		t.Errorf("an explicit kind was overridden: %s", got)
	}
}

func TestOpenStoresEmbeddedWithModelsDir(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	st, err := openStores(context.Background(), StoreOptions{State: state, ModelsDir: filepath.Join(state, "models")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	where := strings.Join(st.Where, "\n")
	for _, want := range []string{"credentials in " + filepath.Join(state, "mouseauth.db"), "profiles in ", "models in " + filepath.Join(state, "models")} {
		if !strings.Contains(where, want) {
			t.Errorf("Where lacks %q:\n%s", want, where)
		}
	}
	if st.Profiles == nil || st.Credentials == nil {
		t.Fatal("a store is missing")
	}
	if _, err := openStores(context.Background(), StoreOptions{State: state, Profiles: "redis"}); err == nil {
		t.Error("an unknown profile store was accepted")
	}
	if _, err := openStores(context.Background(), StoreOptions{State: state, Profiles: "mysql"}); err == nil {
		t.Error("mysql profiles without a DSN were accepted")
	}
}

// TestOpenModels: each kind opens the store Open would, a model put is
// read back, and a store the options do not locate is ErrNotConfigured
// (without touching the PKI: no certificate is made for it).
func TestOpenModels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, kind := range []string{"file", "embedded"} {
		dir := t.TempDir()
		st, err := OpenModels(ctx, kind, Options{State: dir, Stores: StoreOptions{ModelsDir: filepath.Join(dir, "models")}})
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if err := st.PutModel(ctx, store.Model{User: "u1", Version: 1, Data: []byte("m")}); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if m, err := st.LatestModel(ctx, "u1"); err != nil || string(m.Data) != "m" {
			t.Errorf("%s: read back %+v, %v", kind, m, err)
		}
		st.Close()
	}
	state := t.TempDir()
	for _, kind := range []string{"mysql", "cassandra"} {
		if _, err := OpenModels(ctx, kind, Options{State: state}); !errors.Is(err, ErrNotConfigured) {
			t.Errorf("%s without a server: error %v, want ErrNotConfigured", kind, err)
		}
	}
	if _, err := os.Stat(filepath.Join(state, "pki")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a store that is not configured made a PKI: %v", err)
	}
	if _, err := OpenModels(ctx, "redis", Options{State: state}); err == nil || !strings.Contains(err.Error(), "redis") {
		t.Errorf("unknown kind: error %v", err)
	}
}
