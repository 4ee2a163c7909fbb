package preprocess

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sessionTree lays out testdata logs as Balabit user folders and adds a
// malformed row to one session.
func sessionTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"user1/session_1": "click.csv", "user1/session_2": "drag.csv",
		"user2/session_3": "pause.csv", "user2/session_4": "straight.csv",
	}
	for dst, src := range files {
		b, err := os.ReadFile(filepath.Join("testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		if dst == "user2/session_4" {
			b = append(b, []byte("0.6,0.6,NoButton,Move,abc,100\n0.7,0.7,NoButton,Move,170,100\n")...)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(dst)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestExtractAll(t *testing.T) {
	t.Parallel()
	dir := sessionTree(t)
	var csv, log bytes.Buffer
	fw, err := NewFeatureWriter(&csv)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var calls [][2]int
	res, err := ExtractAll(context.Background(), dir, ExtractOptions{Workers: 2, Writer: fw, Log: &log,
		Collect:  func(v *FeatureVector) { got = append(got, v.User+"/"+v.Session+"/"+v.Kind().String()) },
		Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	// user1: click (PC), drag (MM, DD); user2: pause (MM, MM), straight
	// plus one good row after the malformed one.
	want := "user1/session_1/PC user1/session_2/MM user1/session_2/DD user2/session_3/MM user2/session_3/MM user2/session_4/MM"
	if strings.Join(got, " ") != want {
		t.Errorf("vectors %v,\nwant %s", got, want)
	}
	tab, err := ReadTable(&csv, "f.csv")
	if err != nil || len(tab.X) != 6 || tab.Sessions[5] != "session_4" {
		t.Errorf("written CSV: %v, %+v", err, tab)
	}
	u2 := res.Users[1]
	if res.Files != 4 || res.Actions != 6 || len(res.Users) != 2 || u2.User != "user2" || u2.Malformed != 1 || u2.MM != 3 || res.Users[0].DD != 1 {
		t.Errorf("result %+v", res)
	}
	if tot := res.Total(); tot.User != "total" || tot.Sessions != 4 || tot.Actions != 6 || tot.Events != res.Events {
		t.Errorf("total %+v", tot)
	}
	if !strings.Contains(log.String(), "session_4") || !strings.Contains(log.String(), "abc") {
		t.Errorf("log does not report the malformed row (file, value): %q", log.String())
	}
	if len(calls) != 5 || calls[0] != [2]int{0, 4} || calls[4] != [2]int{4, 4} {
		t.Errorf("progress calls %v", calls)
	}

	// MaxActions keeps the first actions of each user and counts the rest.
	res, err = ExtractAll(context.Background(), dir, ExtractOptions{MaxActions: 2})
	if err != nil || res.Actions != 4 || res.Users[0].NotKept != 1 || res.Users[1].NotKept != 1 {
		t.Errorf("max actions: %v, %+v", err, res)
	}
	// Strict: the malformed row is an error naming its file.
	if _, err := ExtractAll(context.Background(), dir, ExtractOptions{Strict: true}); err == nil || !strings.Contains(err.Error(), "session_4") {
		t.Errorf("strict: %v", err)
	}
	if _, err := ExtractAll(context.Background(), filepath.Join(dir, "nope"), ExtractOptions{}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing data: %v", err)
	}
}

// TestExtractAllDropsBadTimes: rows with an absurd time (negative, 1e12 s)
// or running backwards are dropped before segmentation, as `dataset clean`
// drops them, and counted per user and per session. Segmented as read, the
// fixture's clock running back from 1.4 s to 0.5 s made a point-click of
// negative elapsed time (0.8 - 1.0 s).
func TestExtractAllDropsBadTimes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "backwards.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "user1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "user1", "session_1"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Compat{Clean, Reference} {
		t.Run(c.String(), func(t *testing.T) {
			var log bytes.Buffer
			var vs []FeatureVector
			res, err := ExtractAll(context.Background(), dir, ExtractOptions{Compat: c, Log: &log,
				Collect: func(v *FeatureVector) { vs = append(vs, *v) }})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				if v.Values[fElapsed] < 0 {
					t.Errorf("%s action %d: elapsed time %v", v.Kind(), v.Index, v.Values[fElapsed])
				}
			}
			u := res.Users[0]
			if u.AbsurdTime != 2 || u.Backwards != 4 || u.Events != 12 {
				t.Errorf("user counts %+v: want 2 absurd times, 4 backwards of 12 events", u)
			}
			if tot := res.Total(); tot.AbsurdTime != 2 || tot.Backwards != 4 {
				t.Errorf("total %+v", tot)
			}
			if want := "user1/session_1: 2 with an absurd time, 4 running backwards"; !strings.Contains(log.String(), want) {
				t.Errorf("log %q lacks %q", log.String(), want)
			}
		})
	}
}
