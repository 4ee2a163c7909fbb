package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mouseauth/mouseauth/internal/retry"
	"github.com/mouseauth/mouseauth/live/topics"
)

// advertiseSASLHandshakeV0 makes the broker's ApiVersions answer list
// SaslHandshake from version 0, as every Kafka broker does, instead of
// kfake's 1. librdkafka (kcat, and the C, Python, .NET and Node clients
// built on it) enables SASL only when the range covers version 0 (its
// "SaslHandshake" feature), then authenticates with version 1 and
// SaslAuthenticate; without this it refuses to connect ("SASL Handshake not
// supported by broker"). Version 0 itself stays unsupported: a client that
// sends it is disconnected, as kfake does.
//
// kfake lets a control function answer a request but not edit its answer,
// so the control answers ApiVersions itself with the key ranges kfake
// advertised to one ApiVersions request made here before authentication
// (which no ACL governs), and leaves the unusual requests (a version above kfake's,
// v3+ with an invalid software name, v5+ naming a cluster or node) to kfake.
func (c *Cluster) advertiseSASLHandshakeV0(ctx context.Context) error {
	// A bare connection: a kafka-go Transport would send Metadata first,
	// which the broker refuses before authentication.
	d := topics.Dialer(c.AdminTLS, nil)
	var versions []kafka.ApiVersion
	err := retry.Do(ctx, retry.Policy{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond, MaxAttempts: 20}, func() error {
		conn, err := d.DialContext(ctx, "tcp", c.Brokers[0]) // the listener may still be starting
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		versions, err = conn.ApiVersions()
		return err
	})
	if err != nil {
		return fmt.Errorf("embedded broker: api versions: %w", err)
	}
	var keys []kmsg.ApiVersionsResponseApiKey
	apiVersionsMax := int16(-1)
	for _, k := range versions {
		key := kmsg.NewApiVersionsResponseApiKey()
		key.ApiKey, key.MinVersion, key.MaxVersion = k.ApiKey, k.MinVersion, k.MaxVersion
		if key.ApiKey == int16(kmsg.SASLHandshake) {
			key.MinVersion = 0
		}
		if key.ApiKey == int16(kmsg.ApiVersions) {
			apiVersionsMax = key.MaxVersion
		}
		keys = append(keys, key)
	}
	kc := c.kc
	kc.ControlKey(int16(kmsg.ApiVersions), func(r kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		req := r.(*kmsg.ApiVersionsRequest)
		if req.Version > apiVersionsMax ||
			req.Version >= 3 && (!validSoftware(req.ClientSoftwareName) || !validSoftware(req.ClientSoftwareVersion)) ||
			req.Version >= 5 && (req.ClusterID != nil || req.NodeID != -1) {
			return nil, nil, false
		}
		resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
		resp.ApiKeys = append([]kmsg.ApiVersionsResponseApiKey(nil), keys...)
		return resp, nil, true
	})
	return nil
}

// validSoftware is the broker's check of ApiVersions v3+ client software
// names and versions, [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?: a request
// that fails it goes to kfake, which answers INVALID_REQUEST.
func validSoftware(s string) bool {
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
	if s == "" || !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !alnum(c) && c != '-' && c != '.' {
			return false
		}
	}
	return true
}
