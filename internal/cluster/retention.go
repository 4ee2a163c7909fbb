package cluster

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mouseauth/mouseauth/live/topics"
)

// Retention defaults of the embedded broker (see [Options]).
const (
	DefaultRetention      = 7 * 24 * time.Hour
	DefaultInputRetention = 10 * time.Minute
	DefaultRetentionCheck = 10 * time.Second
)

// Inputs on disk.
//
// The broker (kfake with a data directory) writes every record to segment
// files and deletes a segment file only when every record in it is past
// its topic's retention; it rolls to a new segment by size only
// (segment.bytes, 100 MiB by default; it has no segment.ms). So with the
// defaults a sealed login stayed on disk as long as the pipeline kept
// writing to its segment, whatever the retention, and after the broker
// stopped.
//
// A segment per batch (segment.bytes of 1) would bound that, but costs two
// file creations per batch: 15 to 30 times the broker's time per vector
// (BenchmarkInputSegments). So the embedded broker sizes the input topics'
// segments by time instead ([segmentSizer]): every RetentionCheck it sets
// each input topic's segment.bytes to what its least busy partition wrote
// in the last check (1 byte when a partition that holds records wrote
// nothing: its next batch starts a new segment). Every segment then stops
// growing within about two checks of its first record, and is deleted at
// the first check after its last record is past the retention: a login or
// a vector is on disk for at most InputRetention + 3 RetentionCheck while
// the broker runs (10 min 30 s by default).
//
// When the broker stops ([Cluster.Close]) or starts, the inputs the
// scorer's group has consumed (committed past) are deleted as well
// ([Cluster.trimConsumed]); inputs nobody has consumed stay, so a restarted
// scorer still gets them, until their retention passes.

// inputSegmentBytes is the segment size an input topic starts with, until
// the sizer's second check has sized it by time.
const inputSegmentBytes = 1 << 20

// maxInputSegmentBytes caps an input topic's segment size (Kafka's default
// is 1 GiB; kfake's 100 MiB).
const maxInputSegmentBytes = 64 << 20

// IsInput reports whether topic holds inputs of the scorer (logins and
// feature vectors, the shared topic and the per-user ones), which are kept
// [Options.InputRetention] and deleted from disk as described above.
func IsInput(topic string) bool {
	n := topics.Default()
	return topic == n.Logins || topic == n.Features || strings.HasPrefix(topic, n.PerUserPrefix())
}

// RetentionOf returns how long topic keeps its records:
// [Options.InputRetention] for the inputs ([IsInput]), [Options.Retention]
// for everything else (decisions, alerts and dead letters, which people
// read).
func (c *Cluster) RetentionOf(topic string) time.Duration {
	if IsInput(topic) {
		return c.opts.InputRetention
	}
	return c.opts.Retention
}

// topicConfigs are the configs the embedded broker sets on topic: its
// retention, and for an input the segment size that lets the broker delete
// each batch from disk when it expires.
func (c *Cluster) topicConfigs(topic string) map[string]string {
	m := map[string]string{"retention.ms": strconv.FormatInt(c.RetentionOf(topic).Milliseconds(), 10)}
	switch {
	case !IsInput(topic) || c.opts.segments == "fixed":
	case c.opts.segments == "per-batch":
		m["segment.bytes"] = "1"
	default:
		m["segment.bytes"] = strconv.Itoa(inputSegmentBytes)
	}
	return m
}

// setRetention sets [Cluster.topicConfigs] on existing topics, as the
// broker's own principal (the admin only creates topics).
func (c *Cluster) setRetention(ctx context.Context, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	req := &kafka.IncrementalAlterConfigsRequest{}
	for _, n := range names {
		r := kafka.IncrementalAlterConfigsRequestResource{ResourceType: kafka.ResourceTypeTopic, ResourceName: n}
		for k, v := range c.topicConfigs(n) {
			r.Configs = append(r.Configs, kafka.IncrementalAlterConfigsRequestConfig{Name: k, Value: v, ConfigOperation: kafka.ConfigOperationSet})
		}
		req.Resources = append(req.Resources, r)
	}
	cl, closeClient := c.internalClient()
	defer closeClient()
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

// trimConsumed deletes the inputs the scorer's group has committed past
// (kfake's DeleteRecords, in process: the segment files below the
// committed offset go), then applies every topic's retention. It runs when
// the broker starts and before it stops.
func (c *Cluster) trimConsumed() {
	if c.kc == nil {
		return
	}
	if gi := c.kc.GroupInfo(c.opts.Group); gi != nil {
		for topic, parts := range gi.Commits {
			if !IsInput(topic) {
				continue
			}
			for p, commit := range parts {
				pi := c.kc.PartitionInfo(topic, p)
				if pi == nil || commit.Offset <= pi.LogStartOffset {
					continue
				}
				if err := c.kc.DeleteRecords(topic, p, min(commit.Offset, pi.HighWatermark)); err != nil {
					c.opts.Logger.Warn("embedded broker: consumed inputs not deleted", "topic", topic, "partition", p, "offset", commit.Offset, "err", err)
				}
			}
		}
	}
	c.kc.ApplyRetention()
}

// resumeCommits moves the scorer's committed offsets that lie beyond their
// partition's end back to its end. kfake restarts a partition whose every
// segment was deleted (all its records consumed and deleted, or expired)
// at offset 0, while the group's commit still points past the old end: the
// scorer would skip the first records written after the restart. It runs
// at start, before any consumer joins (an empty group takes such a
// commit), as the broker's own principal.
func (c *Cluster) resumeCommits(ctx context.Context) error {
	gi := c.kc.GroupInfo(c.opts.Group)
	if gi == nil {
		return nil
	}
	fix := map[string][]kafka.OffsetCommit{}
	for topic, parts := range gi.Commits {
		for p, commit := range parts {
			if pi := c.kc.PartitionInfo(topic, p); pi != nil && commit.Offset > pi.HighWatermark {
				fix[topic] = append(fix[topic], kafka.OffsetCommit{Partition: int(p), Offset: pi.HighWatermark})
			}
		}
	}
	if len(fix) == 0 {
		return nil
	}
	cl, closeClient := c.internalClient()
	defer closeClient()
	resp, err := cl.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: c.opts.Group, GenerationID: -1, Topics: fix})
	if err != nil {
		return fmt.Errorf("embedded broker: move the scorer's offsets to the restarted partitions' ends: %w", err)
	}
	for topic, parts := range resp.Topics {
		for _, p := range parts {
			if p.Error != nil {
				return fmt.Errorf("embedded broker: offset of %s/%d: %w", topic, p.Partition, p.Error)
			}
		}
	}
	c.opts.Logger.Info("embedded broker: the scorer's offsets moved to the ends of partitions restarted empty", "partitions", len(fix))
	return nil
}

// segmentSizer sets the input topics' segment.bytes from what their
// partitions wrote since the last check (see "Inputs on disk" above).
type segmentSizer struct {
	c    *Cluster
	cl   *kafka.Client
	hwm  map[string]map[int32]int64 // high watermarks at the last check
	size map[string]int64           // segment.bytes as last set
}

func newSegmentSizer(c *Cluster, cl *kafka.Client) *segmentSizer {
	return &segmentSizer{c: c, cl: cl, hwm: map[string]map[int32]int64{}, size: map[string]int64{}}
}

// target returns the segment size of an input topic from its partitions
// now, and whether there is one (no partition holds or wrote anything).
func (z *segmentSizer) target(topic string, parts []*kfake.PartitionInfo) (int64, bool) {
	last := z.hwm[topic]
	if last == nil {
		last = map[int32]int64{}
		z.hwm[topic] = last
	}
	var want int64
	found := false
	for _, p := range parts {
		prev, seen := last[p.Partition]
		last[p.Partition] = p.HighWatermark
		held := p.HighWatermark - p.LogStartOffset
		if !seen || held <= 0 {
			continue // no history yet, or nothing on disk to bound
		}
		written := int64(1) // idle but holding records: roll at its next batch
		if n := p.HighWatermark - prev; n > 0 {
			written = max(1, n*p.NumBytes/held)
		}
		if !found || written < want {
			want, found = written, true
		}
	}
	return min(want, maxInputSegmentBytes), found
}

// check sizes every input topic the broker has, as the broker's own
// principal. Sizes go down at once and up only when they more than double,
// so a topic's config changes seldom.
func (z *segmentSizer) check(ctx context.Context) error {
	c, cl := z.c, z.cl
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return err
	}
	req := &kafka.IncrementalAlterConfigsRequest{}
	for _, t := range md.Topics {
		if !IsInput(t.Name) || t.Error != nil {
			continue
		}
		want, ok := z.target(t.Name, c.kc.PartitionInfos(t.Name))
		cur, known := z.size[t.Name]
		if !known {
			cur = inputSegmentBytes // as created and set at start
		}
		if !ok || want >= cur && want <= 2*cur {
			continue
		}
		req.Resources = append(req.Resources, kafka.IncrementalAlterConfigsRequestResource{ResourceType: kafka.ResourceTypeTopic, ResourceName: t.Name,
			Configs: []kafka.IncrementalAlterConfigsRequestConfig{{Name: "segment.bytes", Value: strconv.FormatInt(want, 10), ConfigOperation: kafka.ConfigOperationSet}}})
		z.size[t.Name] = want
	}
	if len(req.Resources) == 0 {
		return nil
	}
	resp, err := cl.IncrementalAlterConfigs(ctx, req)
	if err != nil {
		return err
	}
	for _, r := range resp.Resources {
		if r.Error != nil {
			delete(z.size, r.ResourceName)
			return fmt.Errorf("segment.bytes of %s: %w", r.ResourceName, r.Error)
		}
	}
	return nil
}

// sizeSegments runs the segment sizer every RetentionCheck until ctx ends.
func (c *Cluster) sizeSegments(ctx context.Context) {
	if c.opts.segments != "" {
		return
	}
	cl, closeClient := c.internalClient()
	defer closeClient()
	z := newSegmentSizer(c, cl)
	t := time.NewTicker(c.opts.RetentionCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := z.check(cctx); err != nil && ctx.Err() == nil {
			c.opts.Logger.Warn("embedded broker: input segments not sized; retention may keep inputs on disk longer", "err", err)
		}
		cancel()
	}
}
