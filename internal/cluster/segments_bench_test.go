package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/live/topics"
)

// BenchmarkInputSegments measures the broker's cost per vector for three
// ways of keeping input segments: kfake's fixed 100 MiB segments (the old
// broker: inputs stay on disk while traffic goes on), a segment per batch
// (the tightest bound: two file creations per batch) and segments sized by
// time (what the embedded broker does). The embedded broker with TLS and
// SASL, retention checked every 500 ms; vectors of 400 bytes produced as
// replay, in batches of 2 and 16 over 8 partitions. Per op: one vector.
// Run all variants in one invocation, several times (-count), and compare
// them as ratios.
func BenchmarkInputSegments(b *testing.B) {
	for _, batch := range []int{2, 16} {
		for _, seg := range []string{"fixed", "per-batch", ""} {
			name := seg
			if name == "" {
				name = "sized"
			}
			b.Run(fmt.Sprintf("batch=%d/segments=%s", batch, name), func(b *testing.B) {
				cl, err := Start(context.Background(), Options{Dir: b.TempDir(), Partitions: 8, RetentionCheck: 500 * time.Millisecond,
					InputRetention: 2 * time.Second, segments: seg, Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					b.Fatal(err)
				}
				defer cl.Close()
				w := topics.NewWriter(cl.Brokers, cl.ReplayTLS, cl.ReplaySASL)
				w.Balancer, w.BatchSize, w.BatchTimeout = &kafka.RoundRobin{}, batch, time.Millisecond
				defer w.Close()
				msgs := make([]kafka.Message, batch*8)
				for i := range msgs {
					msgs[i] = kafka.Message{Topic: topics.Features, Key: []byte(fmt.Sprint(i)), Value: make([]byte, 400)}
				}
				b.ResetTimer()
				for n := 0; n < b.N; n += len(msgs) {
					if err := w.WriteMessages(context.Background(), msgs...); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
