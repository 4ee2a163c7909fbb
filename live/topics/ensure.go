package topics

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"

	"github.com/mouseauth/mouseauth/internal/retry"
)

// Spec is how [Ensure] creates topics.
type Spec struct {
	Partitions int           // default 8
	Replicas   int           // replication factor, default 1
	Retention  time.Duration // retention.ms; 0 leaves the broker's default
	// Configs are more topic configs to create the topics with (for
	// example segment.bytes), by name.
	Configs map[string]string
}

// ErrCreateDenied is wrapped when a topic is missing and the identity
// asking may not create it: by the ACL specification only [RoleAdmin]
// creates topics.
var ErrCreateDenied = errors.New("may not create topics")

// Ensure creates the topics that do not exist yet, with the identity of cfg
// and SASL mechanism m (nil: the certificate is the principal).
// Neither the embedded broker nor a locked-down cluster creates topics on
// first use, so both go through here.
//
// It first asks which topics exist (Metadata: Describe, implied by the Read
// or Write every role holds on its topics) and sends CreateTopics (Create)
// only for the missing ones. So the scorer and the clients, which hold no
// Create grant, start against a cluster whose topics the admin role made,
// and are refused with [ErrCreateDenied] where a topic is missing.
func Ensure(ctx context.Context, brokers []string, cfg *tls.Config, m sasl.Mechanism, spec Spec, names ...string) error {
	tr := Transport(cfg, m)
	defer tr.CloseIdleConnections()
	return EnsureWith(ctx, &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr, Timeout: clientTimeout}, spec, names...)
}

// EnsureWith is [Ensure] over a client the caller built (for example with
// SASL credentials on its transport).
func EnsureWith(ctx context.Context, c *kafka.Client, spec Spec, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	missing, err := missingTopics(ctx, c, names)
	if err != nil || len(missing) == 0 {
		return err
	}
	partitions, replicas := spec.Partitions, spec.Replicas
	if partitions <= 0 {
		partitions = 8
	}
	if replicas <= 0 {
		replicas = 1
	}
	var entries []kafka.ConfigEntry
	if spec.Retention > 0 {
		entries = append(entries, kafka.ConfigEntry{ConfigName: "retention.ms", ConfigValue: strconv.FormatInt(spec.Retention.Milliseconds(), 10)})
	}
	for _, k := range slices.Sorted(maps.Keys(spec.Configs)) {
		entries = append(entries, kafka.ConfigEntry{ConfigName: k, ConfigValue: spec.Configs[k]})
	}
	req := &kafka.CreateTopicsRequest{}
	for _, t := range missing {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: replicas, ConfigEntries: entries})
	}
	resp, err := c.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	var denied []string
	for _, t := range missing {
		switch e := resp.Errors[t]; {
		case e == nil, errors.Is(e, kafka.TopicAlreadyExists): // created meanwhile by another instance
		case errors.Is(e, kafka.TopicAuthorizationFailed), errors.Is(e, kafka.ClusterAuthorizationFailed):
			denied = append(denied, t)
		default:
			return fmt.Errorf("create topic %s: %w", t, e)
		}
	}
	if len(denied) > 0 {
		return fmt.Errorf("missing topics %s: this identity %w; the admin role creates them "+
			"(grants from `mouseauth pki config acl --admin NAME`, or kafka-topics.sh as a super user)",
			strings.Join(denied, ", "), ErrCreateDenied)
	}
	return nil
}

// missingTopics returns the names the broker does not know (or does not
// let this identity describe). The broker may still be starting: connection
// errors are retried (20 attempts with jittered backoff up to 1 s).
func missingTopics(ctx context.Context, c *kafka.Client, names []string) ([]string, error) {
	var md *kafka.MetadataResponse
	err := retry.Do(ctx, retry.Policy{Initial: 100 * time.Millisecond, Max: time.Second, MaxAttempts: 20}, func() (err error) {
		md, err = c.Metadata(ctx, &kafka.MetadataRequest{Topics: names})
		return err
	}, retry.Permanent(func(err error) bool {
		var ne net.Error
		return !(errors.As(err, &ne) || errors.Is(err, kafka.BrokerNotAvailable))
	}))
	if err != nil {
		return nil, fmt.Errorf("topic metadata: %w", err)
	}
	known := map[string]bool{}
	for _, t := range md.Topics {
		if t.Error == nil {
			known[t.Name] = true
		}
	}
	var missing []string
	for _, n := range names {
		if !known[n] && !slices.Contains(missing, n) {
			missing = append(missing, n)
		}
	}
	return missing, nil
}
