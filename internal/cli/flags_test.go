package cli

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestAlias(t *testing.T) {
	t.Parallel()
	var dir string
	var counts []string
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	cmd.Flags().StringVar(&dir, "pki-dir", "", "the PKI folder")
	cmd.Flags().StringSliceVar(&counts, "brokers", []string{"a:1"}, "brokers")
	Alias(cmd.Flags(), "tls-dir", "pki-dir")
	Alias(cmd.Flags(), "kafka", "brokers")
	var out, warn bytes.Buffer
	cmd.SetOut(&out)
	WarnOn(cmd, &warn)
	cmd.SetArgs([]string{"--tls-dir", "p", "--kafka", "b:2", "--kafka", "c:3"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if dir != "p" || !slices.Equal(counts, []string{"b:2", "c:3"}) {
		t.Errorf("the old names set %q and %q", dir, counts)
	}
	if !cmd.Flags().Changed("pki-dir") || !cmd.Flags().Changed("brokers") {
		t.Error("the new names are not marked changed")
	}
	if out.Len() != 0 || !strings.Contains(warn.String(), "Flag --tls-dir has been deprecated, use --pki-dir instead") {
		t.Errorf("stdout %q, warnings %q", out.String(), warn.String())
	}
	old := cmd.Flags().Lookup("tls-dir")
	if !old.Hidden || AliasOf(old) != "pki-dir" || AliasOf(cmd.Flags().Lookup("pki-dir")) != "" {
		t.Errorf("alias flag %+v", old)
	}
	if strings.Contains(cmd.UsageString(), "tls-dir") {
		t.Errorf("the usage shows the deprecated name:\n%s", cmd.UsageString())
	}
	for _, bad := range []func(){
		func() { Alias(cmd.Flags(), "y", "nope") },
		func() { Alias(cmd.Flags(), "kafka", "brokers") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			bad()
		}()
	}
}

func TestListCompletions(t *testing.T) {
	t.Parallel()
	values := []string{"kmeans", "logreg", "malaschitz", "mlp", "rf"}
	for typed, want := range map[string][]string{
		"":         values,
		"m":        {"malaschitz", "mlp"},
		"rf,l":     {"rf,logreg"},
		"rf,":      {"rf,kmeans", "rf,logreg", "rf,malaschitz", "rf,mlp"},
		"rf,mlp,x": nil,
	} {
		if got := ListCompletions(values, typed); !slices.Equal(got, want) {
			t.Errorf("%q: %q, want %q", typed, got, want)
		}
	}
}
