package file

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/live/store"
)

// TestUsersNeverShareAFolder: user names that a lossy mapping to file
// names would merge (x/y and x_y, x:y, "a b" and a%20b, . and %2E) each keep
// their own models.
func TestUsersNeverShareAFolder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	users := []string{"x/y", "x_y", `x\y`, "x:y", "x%2Fy", "a b", "a%20b", ".", "..", ".hidden", "%2E", "ü", "User1", "user1", "../evil", "x/../../y"}
	for i, u := range users {
		if err := s.PutModel(ctx, store.Model{User: u, Version: 1, Data: []byte{byte(i)}}); err != nil {
			t.Fatalf("PutModel(%q): %v", u, err)
		}
	}
	for i, u := range users {
		m, err := s.LatestModel(ctx, u)
		if err != nil || m.User != u || len(m.Data) != 1 || m.Data[0] != byte(i) {
			t.Errorf("LatestModel(%q) = %+v, %v; want its own model %d", u, m, err, i)
		}
	}
	got, err := s.ModelUsers(ctx)
	if err != nil || len(got) != len(users) {
		t.Fatalf("ModelUsers = %q, %v; want the %d users", got, err, len(users))
	}
	// Nothing was written outside DIR, and every folder is a plain name.
	ents, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range ents {
		if e.Name() == "evil" || e.Name() == "y" {
			t.Errorf("a model was written outside the store: %s", e.Name())
		}
	}
	ents, _ = os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") || strings.ContainsAny(e.Name(), `/\: `) {
			t.Errorf("folder %q", e.Name())
		}
	}
	for _, bad := range []string{"", "a\x00b", "tab\there", "caf\xe9"} {
		if err := s.PutModel(ctx, store.Model{User: bad, Version: 1, Data: []byte("x")}); err == nil {
			t.Errorf("PutModel(%q) accepted", bad)
		}
	}
}

// TestOlderFoldersStillRead: an older version kept each user's models in a
// folder named by the user name itself; those folders are still read (and
// added to), and a folder whose name no longer leads to its user is
// refused at Open with what to rename it to.
func TestOlderFoldersStillRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	for _, u := range []string{"a b", "ü", "User7", ".dot"} {
		if err := os.MkdirAll(filepath.Join(dir, u), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, u, "v1.model"), []byte(u), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"a b", "ü", "User7", ".dot"} {
		if m, err := s.LatestModel(ctx, u); err != nil || string(m.Data) != u {
			t.Errorf("LatestModel(%q) of the older folder = %q, %v", u, m.Data, err)
		}
	}
	if err := s.PutModel(ctx, store.Model{User: "a b", Version: 2, Data: []byte("v2")}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.LatestModel(ctx, "a b"); err != nil || m.Version != 2 {
		t.Errorf("after a new version: %+v, %v", m, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a b", "v2.model")); err != nil {
		t.Errorf("the new version is not beside the old one: %v", err)
	}
	if got, err := s.ModelUsers(ctx); err != nil || strings.Join(got, ",") != ".dot,User7,a b,ü" {
		t.Errorf("ModelUsers = %q, %v", got, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "50%off"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "rename it to 50%25off") {
		t.Errorf("Open with a folder no user leads to: %v", err)
	}
}

func FuzzFolderName(f *testing.F) {
	for _, s := range []string{"x/y", "x_y", "%", "%25", ".", "..", "a b", "ü", "%2e", "%2E"} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if checkUser(a) != nil {
			return
		}
		fa := folderName(a)
		if u, ok := userOf(fa); !ok || u != a {
			t.Fatalf("userOf(folderName(%q) = %q) = %q, %v", a, fa, u, ok)
		}
		if fa == "" || fa == "." || fa == ".." || strings.ContainsAny(fa, "/\\\x00") || strings.HasPrefix(fa, ".") {
			t.Fatalf("folderName(%q) = %q", a, fa)
		}
		if checkUser(b) == nil && a != b && folderName(b) == fa {
			t.Fatalf("%q and %q share folder %q", a, b, fa)
		}
		if old, ok := legacyFolder(a); ok {
			if u, ok := userOf(old); ok && u != a {
				t.Fatalf("the older folder of %q is the encoded folder of %q", a, u)
			}
		}
	})
}
