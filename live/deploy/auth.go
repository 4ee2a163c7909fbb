package deploy

import (
	"errors"
	"fmt"
	"io"

	"github.com/segmentio/kafka-go/sasl"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/topics"
)

// SASLOptions are this program's SASL identity, for brokers whose listener
// is SASL_SSL: mutual TLS first (the certificate must be from our CA),
// then SASL/SCRAM, whose user is the Kafka principal ("User:NAME") that the
// ACLs name.
//
// With external brokers, an empty User means no SASL: the listener is SSL
// with ssl.client.auth=required, and the principal is the certificate's
// subject. With the embedded broker the user is one of cluster.Users, by
// default the one named like the certificate (Options.TLSName: scorer,
// replay or admin), and its password comes from the state folder, so
// Password must be empty.
type SASLOptions struct {
	User string
	// Password is read by the caller from a file or the environment, never
	// from a flag value.
	Password  string
	Mechanism string // topics.SCRAMSHA512 (default) or topics.SCRAMSHA256
}

// Validate checks o for a deployment with external brokers (external) or
// the embedded one.
func (o SASLOptions) Validate(external bool) error {
	switch o.Mechanism {
	case "", topics.SCRAMSHA512, topics.SCRAMSHA256:
	default:
		return fmt.Errorf("SASL mechanism %q: want %s or %s", o.Mechanism, topics.SCRAMSHA512, topics.SCRAMSHA256)
	}
	switch {
	case external && o.User == "" && o.Password != "":
		return fmt.Errorf("a SASL password without a SASL user")
	case external && o.User != "" && o.Password == "":
		return fmt.Errorf("SASL user %q without a password", o.User)
	case !external && o.Password != "":
		return fmt.Errorf("the embedded broker's SASL passwords are in the state folder (%s/); give no SASL password", cluster.SASLDir)
	case !external && o.Mechanism != "" && o.Mechanism != cluster.Mechanism:
		return fmt.Errorf("the embedded broker speaks %s only", cluster.Mechanism)
	}
	return nil
}

// saslIdentity is this program's SASL mechanism: from o.SASL with
// external brokers, from the embedded cluster's users otherwise.
func (e *Env) saslIdentity(o Options) (sasl.Mechanism, error) {
	if err := o.SASL.Validate(len(o.Brokers) > 0); err != nil {
		return nil, err
	}
	if e.Cluster == nil {
		if o.SASL.User == "" {
			return nil, nil
		}
		return topics.SASL(o.SASL.Mechanism, o.SASL.User, o.SASL.Password)
	}
	user := o.SASL.User
	if user == "" {
		user = o.TLSName
	}
	_, m, err := e.Cluster.Credentials(user)
	if err != nil {
		return nil, fmt.Errorf("%w; with the certificate %q, pick one with --sasl-user", err, o.TLSName)
	}
	return m, nil
}

// principalOf says whom the brokers see, for Where.
func principalOf(o Options, m sasl.Mechanism) string {
	if m == nil {
		return "the subject of certificate " + o.TLSName + " (mTLS principal)"
	}
	return fmt.Sprintf("User:%s (SASL %s over mTLS)", o.SASL.User, m.Name())
}

// usesState says whether o keeps anything in the state folder: the
// embedded broker, the certificates (no TLSDir) or the embedded database
// (credentials without MySQL, or embedded profiles).
func usesState(o Options) bool {
	return o.State != "" && (len(o.Brokers) == 0 || o.TLSDir == "" || o.Stores.DSN == "" || o.Stores.Kind() == "embedded")
}

// privateState makes the state folder private, as the embedded cluster
// does (cluster.SecureState, cluster.HoldPrivateUmask until Close), when o
// keeps anything there and no embedded cluster runs (it does the same).
func (e *Env) privateState(o Options) error {
	if !usesState(o) {
		return nil
	}
	if err := cluster.SecureState(o.State); err != nil {
		return err
	}
	e.closers = append(e.closers, cluster.HoldPrivateUmask())
	return nil
}

// explainConnect adds to a failure of the first requests to external
// brokers what an EOF after the TLS handshake most likely means: Kafka and
// kfake close the connection on a SASL refusal, or when a client sends
// requests to a SASL_SSL listener without authenticating.
func explainConnect(err error, o Options, m sasl.Mechanism) error {
	if err == nil || !(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
		return err
	}
	if m == nil {
		return fmt.Errorf("%w: the broker closed the connection; a SASL_SSL listener (the embedded broker's is one) "+
			"needs --sasl-user and --sasl-password-file", err)
	}
	return fmt.Errorf("%w: the broker closed the connection; it most likely refused SASL user %q (wrong password, or no such user)", err, o.SASL.User)
}
