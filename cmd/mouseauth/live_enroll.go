package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live/account"
)

// EnrollOptions are the options of `mouseauth live enroll`.
type EnrollOptions struct {
	IO           *cli.IOStreams
	Deploy       DeployOptions
	User         string
	Department   string
	Model        string
	PasswordFile string
	Getenv       func(string) string
	Now          func() time.Time
}

func newCmdLiveEnroll(f *cli.Factory, runF func(context.Context, *EnrollOptions) error) *cobra.Command {
	opts := &EnrollOptions{IO: f.IO, Getenv: os.Getenv, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "enroll",
		Short: "Register a user: password hash and first model",
		Long: `Enroll stores a user's argon2id password hash and department in the credential
store and, with --model, a model from 'classify train' as version 1 in the
profile store. The password is read from --password-file, else from
$MOUSEAUTH_PASSWORD, else from the first line of standard input; it is never a
flag, so it does not land in shell history or the process list.`,
		Example: `  mouseauth classify train --features features.csv --out models
  mouseauth live enroll --user User1 --department finance --model models/User1.model --password-file pw.txt
  printf '%s\n' "$PW" | mouseauth live enroll --user User2 --model models/User2.model`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.User == "" {
				return cli.FlagErrorf("--user is required")
			}
			if err := opts.Deploy.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return enrollRun(cmd.Context(), opts)
		},
	}
	opts.Deploy.bind(cmd.Flags(), "scorer")
	cmd.Flags().StringVar(&opts.User, "user", "", "user name (required)")
	cmd.Flags().StringVar(&opts.Department, "department", "", "department")
	cmd.Flags().StringVar(&opts.Model, "model", "", "model file from 'classify train'")
	cmd.Flags().StringVar(&opts.PasswordFile, "password-file", "", "file whose first line is the password")
	return cmd
}

// envPassword holds a user's password when no --password-file is given.
const envPassword = "MOUSEAUTH_PASSWORD"

func readPassword(opts *EnrollOptions) (string, error) {
	return readUserPassword(opts.PasswordFile, opts.Getenv, opts.IO.In)
}

// readUserPassword reads a password from file, else $MOUSEAUTH_PASSWORD,
// else the first line of in.
func readUserPassword(file string, getenv func(string) string, in io.Reader) (string, error) {
	var r io.Reader
	switch {
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	case getenv(envPassword) != "":
		return getenv(envPassword), nil
	default:
		r = in
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("empty password (give --password-file, $MOUSEAUTH_PASSWORD or a line on stdin)")
	}
	return pw, nil
}

func enrollRun(ctx context.Context, opts *EnrollOptions) error {
	pw, err := readPassword(opts)
	if err != nil {
		return err
	}
	var model []byte
	if opts.Model != "" {
		if model, err = os.ReadFile(opts.Model); err != nil {
			return err
		}
		// The check the service makes when it loads the model: refused
		// here, it never reaches the store.
		sm, err := account.CheckModel(model)
		if err != nil {
			return fmt.Errorf("%s: %w (not enrolled)", opts.Model, err)
		}
		if sm.Header.User != "" && sm.Header.User != opts.User {
			return fmt.Errorf("%s is %s's model, not %s's", opts.Model, sm.Header.User, opts.User)
		}
	}
	env, err := opts.Deploy.openStores(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	kept, err := account.Enroll(ctx, env.Credentials, env.Profiles, account.Enrolment{User: opts.User, Department: opts.Department,
		Password: pw, Model: model, Now: opts.Now()})
	if err != nil {
		return err
	}
	msg := "enrolled " + opts.User
	if model != nil && kept {
		msg += " (a model was stored already; kept it)"
	}
	fmt.Fprintln(opts.IO.ErrOut, msg)
	return nil
}
