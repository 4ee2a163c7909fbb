package cluster

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/live/topics"
)

// Retention defaults of the embedded broker (see [Options]).
const (
	DefaultRetention      = 7 * 24 * time.Hour
	DefaultInputRetention = 10 * time.Minute
)

// RetentionOf returns how long topic keeps its records: [Options.Retention]
// for the decisions, alerts and dead letters, which people read;
// [Options.InputRetention] for everything else, the logins and feature
// vectors the scorer consumes.
func (c *Cluster) RetentionOf(topic string) time.Duration {
	switch names := topics.Default(); topic {
	case names.Decisions, names.Alerts, names.DeadLetter:
		return c.opts.Retention
	}
	return c.opts.InputRetention
}

// setRetention sets the retention of existing topics to [Cluster.RetentionOf]
// theirs, as the admin (a super user of the embedded broker).
func (c *Cluster) setRetention(ctx context.Context, names ...string) error {
	req := &kafka.IncrementalAlterConfigsRequest{}
	for _, n := range names {
		req.Resources = append(req.Resources, kafka.IncrementalAlterConfigsRequestResource{
			ResourceType: kafka.ResourceTypeTopic, ResourceName: n,
			Configs: []kafka.IncrementalAlterConfigsRequestConfig{{Name: "retention.ms",
				Value: strconv.FormatInt(c.RetentionOf(n).Milliseconds(), 10), ConfigOperation: kafka.ConfigOperationSet}}})
	}
	tr := topics.Transport(c.AdminTLS, c.AdminSASL)
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Addr: kafka.TCP(c.Brokers...), Transport: tr, Timeout: 10 * time.Second}
	resp, err := cl.IncrementalAlterConfigs(ctx, req)
	if err != nil {
		return fmt.Errorf("embedded broker: set retention: %w", err)
	}
	for _, r := range resp.Resources {
		if r.Error != nil {
			return fmt.Errorf("embedded broker: set retention of %s: %w", r.ResourceName, r.Error)
		}
	}
	return nil
}
