package classify

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFileNameKeepsModelsInTheirFolder(t *testing.T) {
	t.Parallel()
	for user, want := range map[string]string{
		"user7": "user7", "../../etc/passwd": ".._.._etc_passwd", `a\b`: "a_b", "c:d": "c_d", "x\x00y": "x_y",
	} {
		if got := FileName(user); got != want {
			t.Errorf("FileName(%q) = %q, want %q", user, got, want)
		}
	}
	dir := t.TempDir()
	if p := ModelPath(dir, "../evil"); filepath.Dir(p) != dir || filepath.Base(p) != ".._evil.model" {
		t.Errorf("ModelPath escapes %s: %s", dir, p)
	}
}

func TestSaveDirAndSaveFile(t *testing.T) {
	t.Parallel()
	sm, X := savedForest(t)
	dir := filepath.Join(t.TempDir(), "models")
	if err := SaveDir(dir, map[string]*SavedModel{"user7": sm, "user/8": sm}); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"user7.model", "user_8.model"}) {
		t.Fatalf("files %q", names)
	}
	f, err := os.Open(filepath.Join(dir, "user7.model"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Model.Score(X[0]) != sm.Model.Score(X[0]) {
		t.Error("the saved model scores differently")
	}

	// A model that cannot be saved leaves no file.
	bad := *sm
	bad.Header.FeatureNames = []string{"a"} // the forest takes 6
	path := filepath.Join(dir, "bad.model")
	if _, err := SaveFile(path, &bad); err == nil {
		t.Fatal("saved a model whose header names 1 feature of 6")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a failed save left %s (%v)", path, err)
	}
}

func TestTreeClassifiers(t *testing.T) {
	t.Parallel()
	got := TreeClassifiers()
	if !slices.Contains(got, "rf") || slices.Contains(got, "logreg") {
		t.Errorf("TreeClassifiers = %q", got)
	}
}
