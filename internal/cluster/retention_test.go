package cluster_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/topics"
)

// retentions reads the retention.ms of every shared topic and of extra
// ones, as the broker's own principal.
func retentions(t *testing.T, cl *cluster.Cluster, extra ...string) map[string]time.Duration {
	t.Helper()
	tr := topics.Transport(cl.Superuser())
	defer tr.CloseIdleConnections()
	c := &kafka.Client{Addr: kafka.TCP(cl.Brokers...), Transport: tr, Timeout: 10 * time.Second}
	req := &kafka.DescribeConfigsRequest{}
	for _, n := range append(topics.Default().Shared(), extra...) {
		req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{ResourceType: kafka.ResourceTypeTopic,
			ResourceName: n, ConfigNames: []string{"retention.ms"}})
	}
	resp, err := c.DescribeConfigs(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Duration{}
	for _, r := range resp.Resources {
		for _, e := range r.ConfigEntries {
			if ms, err := strconv.ParseInt(e.ConfigValue, 10, 64); err == nil && e.ConfigName == "retention.ms" {
				out[r.ResourceName] = time.Duration(ms) * time.Millisecond
			}
		}
	}
	return out
}

// TestRetentionPerTopic: by default decisions, alerts and dead letters are
// kept 7 days, long enough for an operator to read an alert, while logins
// and feature vectors (sealed logins above all) go after 10 minutes; a
// restart with other retentions applies them to the topics that exist.
func TestRetentionPerTopic(t *testing.T) {
	dir := t.TempDir()
	n := topics.Default()
	n.PerUser = true
	userTopic := n.FeaturesFor("user7")
	cl, _ := start(t, cluster.Options{Dir: dir})
	if err := cl.EnsureTopics(context.Background(), 1, userTopic); err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{topics.Decisions: 7 * 24 * time.Hour, topics.Alerts: 7 * 24 * time.Hour, topics.DeadLetter: 7 * 24 * time.Hour,
		topics.Logins: 10 * time.Minute, topics.Features: 10 * time.Minute, userTopic: 10 * time.Minute}
	got := retentions(t, cl, userTopic)
	for topic, w := range want {
		if got[topic] != w {
			t.Errorf("default retention of %s: %v, want %v", topic, got[topic], w)
		}
	}
	cl.Close()

	cl, _ = start(t, cluster.Options{Dir: dir, Retention: time.Hour, InputRetention: time.Minute})
	got = retentions(t, cl)
	for topic, w := range map[string]time.Duration{topics.Decisions: time.Hour, topics.Alerts: time.Hour, topics.DeadLetter: time.Hour,
		topics.Logins: time.Minute, topics.Features: time.Minute} {
		if got[topic] != w {
			t.Errorf("after a restart with other retentions, %s keeps its records %v, want %v", topic, got[topic], w)
		}
	}
}
