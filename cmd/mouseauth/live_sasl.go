package main

import (
	"github.com/spf13/pflag"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/secret"
	"github.com/mouseauth/mouseauth/live/deploy"
	"github.com/mouseauth/mouseauth/live/topics"
)

// envSASLPassword holds the SASL password when no --sasl-password-file is
// given (secrets never come from flag values).
const envSASLPassword = "MOUSEAUTH_SASL_PASSWORD"

// SASLFlags are the SASL/SCRAM flags every command that connects to Kafka
// shares (live serve, replay, bench pipeline, pki check).
type SASLFlags struct {
	User         string
	PasswordFile string
	Mechanism    string
}

const saslFlagsHelp = `SASL_SSL brokers: --sasl-user NAME with the password in --sasl-password-file
(mode 0600) or $` + envSASLPassword + `; the principal is then User:NAME. Without
--sasl-user the certificate's subject is the principal (SSL listener). The
embedded broker takes no SASL flags: each command uses its role's user, whose
password is in STATE/sasl/.`

func (f *SASLFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.User, "sasl-user", "", "SASL/SCRAM user on SASL_SSL brokers (the Kafka principal User:NAME); default: none, the certificate is the principal")
	fs.StringVar(&f.PasswordFile, "sasl-password-file", "", "file (mode 0600) holding the SASL password (or set "+envSASLPassword+")")
	fs.StringVar(&f.Mechanism, "sasl-mechanism", topics.SCRAMSHA512, "SASL mechanism: SCRAM-SHA-512 or SCRAM-SHA-256")
}

// validate checks the flags for external brokers (external) or the
// embedded broker, before any work.
func (f *SASLFlags) validate(external bool, getenv func(string) string) error {
	if f.Mechanism != topics.SCRAMSHA512 && f.Mechanism != topics.SCRAMSHA256 {
		return cli.FlagErrorf("--sasl-mechanism %q: want %s or %s", f.Mechanism, topics.SCRAMSHA512, topics.SCRAMSHA256)
	}
	switch {
	case !external && (f.User != "" || f.PasswordFile != ""):
		return cli.FlagErrorf("--sasl-user and --sasl-password-file are for --brokers: the embedded broker's users and passwords are in the state folder")
	case f.User == "" && f.PasswordFile != "":
		return cli.FlagErrorf("--sasl-password-file needs --sasl-user")
	case f.User != "" && f.PasswordFile == "" && getenv(envSASLPassword) == "":
		return cli.FlagErrorf("--sasl-user %s needs its password in --sasl-password-file or $%s", f.User, envSASLPassword)
	}
	return nil
}

// options reads the password from its secret source.
func (f *SASLFlags) options(getenv func(string) string) (deploy.SASLOptions, error) {
	o := deploy.SASLOptions{User: f.User}
	if f.User == "" {
		return o, nil
	}
	o.Mechanism = f.Mechanism
	if f.PasswordFile == "" {
		o.Password = getenv(envSASLPassword)
		return o, nil
	}
	var err error
	o.Password, err = secret.Read(f.PasswordFile)
	return o, err
}
