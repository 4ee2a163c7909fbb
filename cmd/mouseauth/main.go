package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args))
}

func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := cli.NewFactory(version, args)
	root := NewCmdRoot(f)
	root.SetArgs(args[1:])
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		var fe *cli.FlagError
		if errors.As(err, &fe) {
			// The help of the command that was misused, not the root's.
			path := root.Name()
			if cmd != nil {
				path = cmd.CommandPath()
			}
			fmt.Fprintf(f.IO.ErrOut, "error: %v\nRun '%s --help' for usage.\n", err, path)
		} else if !errors.Is(err, context.Canceled) {
			fmt.Fprintf(f.IO.ErrOut, "error: %v\n", err)
		}
	}
	return cli.ExitCode(err)
}
