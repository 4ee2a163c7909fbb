package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/topics"
)

// BenchmarkKafkaRoundTrip is the floor of one of the pipeline's two Kafka
// hops on the embedded broker alone, with the pipeline's TLS, SASL, writer
// (acks=all, 2 ms linger) and partition reader: produce messages of a
// version 2 vector's size (378 bytes) as the replay client and fetch them as
// the scorer. batch=1 is one message at a time (the latency of a hop at
// low load: the writer's linger, the produce, the fetch's wake-up);
// batch=64 is 64 per produce request (the per-message cost once batches
// form). ns/msg is the wall time per message, cpu-ns/msg the CPU this
// process (broker and clients) spent per message.
//
//	go test ./bench -run '^$' -bench KafkaRoundTrip -count 3
func BenchmarkKafkaRoundTrip(b *testing.B) {
	ctx := context.Background()
	cl, err := cluster.Start(ctx, cluster.Options{Dir: b.TempDir(), Partitions: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	names := topics.Default()
	w := topics.NewWriter(cl.Brokers, cl.ReplayTLS, cl.ReplaySASL)
	defer w.Close()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: cl.Brokers, Topic: names.Features, Partition: 0, Dialer: topics.Dialer(cl.ScorerTLS, cl.ScorerSASL),
		MinBytes: 1, MaxBytes: 4 << 20, MaxWait: topics.FetchMaxWait})
	defer r.Close()
	value := make([]byte, 378)
	for _, n := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			msgs := make([]kafka.Message, n)
			for i := range msgs {
				msgs[i] = kafka.Message{Topic: names.Features, Key: []byte("User1"), Value: value}
			}
			u0 := sampleUsage()
			for b.Loop() {
				if err := w.WriteMessages(ctx, msgs...); err != nil {
					b.Fatal(err)
				}
				for range n {
					if _, err := r.FetchMessage(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			u1 := sampleUsage()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
			b.ReportMetric(float64(u1.cpu-u0.cpu)/float64(b.N*n), "cpu-ns/msg")
		})
	}
}
