package cluster

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// TestSegmentSizerTarget: an input topic's segment size is what its least
// busy partition wrote since the last check, 1 byte when a partition that
// holds records wrote nothing (its next batch rolls), and none while no
// partition holds records or before a partition has history.
func TestSegmentSizerTarget(t *testing.T) {
	part := func(p int32, lso, hwm, bytes int64) *kfake.PartitionInfo {
		return &kfake.PartitionInfo{Partition: p, LogStartOffset: lso, HighWatermark: hwm, NumBytes: bytes}
	}
	z := newSegmentSizer(nil, nil)
	steps := []struct {
		name  string
		parts []*kfake.PartitionInfo
		want  int64
		ok    bool
	}{
		{"first look: no history", []*kfake.PartitionInfo{part(0, 0, 10, 1000), part(1, 0, 0, 0)}, 0, false},
		// p0 wrote 10 records of 100 bytes; p1 holds nothing.
		{"one busy partition", []*kfake.PartitionInfo{part(0, 0, 20, 2000), part(1, 0, 0, 0)}, 1000, true},
		// p0 wrote 40 (4000 bytes), p1 wrote 2 records of 50 bytes.
		{"the least busy one", []*kfake.PartitionInfo{part(0, 0, 60, 6000), part(1, 0, 2, 100)}, 100, true},
		// p1 idle but holds its 2 records: its next batch must roll.
		{"idle partition holding records", []*kfake.PartitionInfo{part(0, 0, 100, 10000), part(1, 0, 2, 100)}, 1, true},
		// Retention emptied p1; p0 wrote 10.
		{"idle and empty partitions do not count", []*kfake.PartitionInfo{part(0, 50, 110, 6000), part(1, 2, 2, 0)}, 1000, true},
		{"nothing held anywhere", []*kfake.PartitionInfo{part(0, 110, 110, 0), part(1, 2, 2, 0)}, 0, false},
		{"capped", []*kfake.PartitionInfo{part(0, 110, 110+1<<20, 1<<40), part(1, 2, 2, 0)}, maxInputSegmentBytes, true},
	}
	for _, s := range steps {
		got, ok := z.target("in", s.parts)
		if got != s.want || ok != s.ok {
			t.Errorf("%s: target %d, %v; want %d, %v", s.name, got, ok, s.want, s.ok)
		}
	}
}
