package deploy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/segmentio/kafka-go/sasl"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/topics"
)

// ErrNoState is wrapped by [OpenReader] when the embedded deployment it
// should read has no state folder yet.
var ErrNoState = errors.New("no embedded state")

// Reader says where a reader of the topics outside the consumer group
// (live tail) connects, and as whom.
type Reader struct {
	Brokers []string
	TLS     *tls.Config
	SASL    sasl.Mechanism // nil: the certificate is the principal
	// Note says which embedded broker it reads, for the user; empty on an
	// external cluster.
	Note  string
	close func()
}

// Close stops the embedded broker OpenReader started, if it did.
func (r *Reader) Close() {
	if r.close != nil {
		r.close()
		r.close = nil
	}
}

// probeTimeout bounds the probe of a recorded embedded broker.
const probeTimeout = 3 * time.Second

// OpenReader returns where to read the topics o describes. With o.Brokers:
// those, with o's certificate and SASL identity (o.SASL.User, if any).
// Without: the embedded broker of o.State, with o.TLSName's certificate of
// its PKI and the SASL user o.SASL.User, else the certificate's name. That
// broker is the running one when a process (live serve, replay, a bench)
// holds the state and answers on its recorded port ([cluster.RecordedBroker]);
// else OpenReader starts it here on its stored data, and Close stops it.
func OpenReader(ctx context.Context, o Options) (*Reader, error) {
	r := &Reader{}
	if len(o.Brokers) > 0 {
		if o.SASL.User != "" {
			m, err := topics.SASL(o.SASL.Mechanism, o.SASL.User, o.SASL.Password)
			if err != nil {
				return nil, err
			}
			r.SASL = m
		}
		cfg, err := ClientTLS(o)
		if err != nil {
			return nil, err
		}
		r.Brokers, r.TLS = o.Brokers, cfg
		return r, nil
	}
	if _, err := os.Stat(o.State); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoState, o.State)
	}
	cfg, err := ClientTLS(o)
	if err != nil {
		return nil, err
	}
	user := o.SASL.User
	if user == "" {
		user = o.TLSName
	}
	mech, err := cluster.Credentials(o.State, user)
	if err != nil {
		return nil, err
	}
	r.TLS, r.SASL = cfg, mech
	if addr, ok := cluster.RecordedBroker(o.State); ok {
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		err := topics.Probe(addr, mech)(pctx, cfg)
		cancel()
		if err == nil {
			r.Brokers = []string{addr}
			r.Note = fmt.Sprintf("the embedded broker of %s runs at %s; reading from it", o.State, addr)
			return r, nil
		}
	}
	cl, err := cluster.Start(ctx, cluster.Options{Dir: o.State, Partitions: o.Partitions, Retention: o.Retention, InputRetention: o.InputRetention})
	if err != nil {
		return nil, err
	}
	r.Brokers, r.close = cl.Brokers, cl.Close
	r.Note = fmt.Sprintf("no broker runs for %s; started its embedded broker at %s on the stored data (nothing scores or writes there now)",
		o.State, cl.Brokers[0])
	return r, nil
}
