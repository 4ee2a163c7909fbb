package cluster

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRecordedBroker(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, content string // "" content: no file
		want          string
	}{
		{name: "recorded", content: "40123\n", want: "127.0.0.1:40123"},
		{name: "none"},
		{name: "garbage", content: "port\n"},
		{name: "zero", content: "0\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tc.content != "" {
				if err := os.WriteFile(filepath.Join(dir, PortFile), []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			addr, ok := RecordedBroker(dir)
			if addr != tc.want || ok != (tc.want != "") {
				t.Errorf("RecordedBroker = %q, %v; want %q", addr, ok, tc.want)
			}
		})
	}
}
