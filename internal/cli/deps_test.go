package cli

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoPlotDependency: the command helpers do not link the plotting and
// numeric libraries (gonum, gonum/plot) nor the report package that uses
// them, so every command built on them stays light.
func TestNoPlotDependency(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "gonum.org/") || dep == "github.com/mouseauth/mouseauth/reports" {
			t.Errorf("internal/cli depends on %s", dep)
		}
	}
}
