package cluster_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live/topics"
)

// onDisk returns the files under dir whose bytes contain marker: what an
// attacker who can read the state folder finds by grepping it.
func onDisk(t *testing.T, dir string, marker []byte) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // removed while walking (a segment the broker deleted)
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if bytes.Contains(b, marker) {
			hits = append(hits, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

func marker(t *testing.T, what string) []byte {
	b := make([]byte, 8)
	rand.Read(b)
	return []byte(what + "-" + hex.EncodeToString(b))
}

// TestInputsGoneFromDiskAfterRetention plays an attacker with read access
// to the state folder: a login and a vector sent while the pipeline is
// busy (more inputs keep arriving, as they do in production) must be gone
// from every file of the broker's data directory, segment files included,
// once --input-retention has passed, within the broker's retention check.
// The old broker wrote inputs into 100 MiB segments, deleted only whole
// segments, and kept both payloads while traffic went on.
func TestInputsGoneFromDiskAfterRetention(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const retention = 2 * time.Second
	cl, _ := start(t, cluster.Options{Dir: dir, InputRetention: retention, RetentionCheck: 200 * time.Millisecond})
	w := topics.NewWriter(cl.Brokers, cl.ReplayTLS, cl.ReplaySASL)
	defer w.Close()
	ctx := context.Background()
	login, vector := marker(t, "sealed-login"), marker(t, "vector")
	if err := w.WriteMessages(ctx, kafka.Message{Topic: topics.Logins, Key: []byte("u"), Value: login},
		kafka.Message{Topic: topics.Features, Key: []byte("u"), Value: vector}); err != nil {
		t.Fatal(err)
	}
	kafkaDir := filepath.Join(dir, "kafka")
	if hits := onDisk(t, kafkaDir, login); len(hits) == 0 {
		t.Fatal("the login is not on disk right after it was sent: the test reads the wrong files")
	}
	sent := time.Now()
	// Traffic goes on: a message every 100 ms on both topics, keeping
	// segments alive.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			_ = w.WriteMessages(ctx, kafka.Message{Topic: topics.Logins, Key: []byte("u"), Value: []byte("later login")},
				kafka.Message{Topic: topics.Features, Key: []byte("u"), Value: []byte("later vector")})
		}
	}()
	defer func() { close(stop); <-done }()
	// Bounded delay: retention, then one retention check, plus slack for a
	// loaded machine.
	bound := retention + 5*time.Second
	testutil.Eventually(t, bound+5*time.Second, func() bool {
		return len(onDisk(t, kafkaDir, login)) == 0 && len(onDisk(t, kafkaDir, vector)) == 0
	}, "the sealed login and the vector still on disk after --input-retention")
	if took := time.Since(sent); took > bound {
		t.Errorf("the inputs were gone %v after they were sent; the bound is %v", took, bound)
	} else {
		t.Logf("inputs gone from disk %v after they were sent (retention %v)", took.Round(10*time.Millisecond), retention)
	}
}

// TestConsumedInputsGoneAfterStop: inputs the scorer has consumed (its
// group committed past them) are not left on disk when the broker stops,
// whatever the retention; inputs nobody consumed stay, so a restarted
// scorer still gets them.
func TestConsumedInputsGoneAfterStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cl, _ := start(t, cluster.Options{Dir: dir, Group: "g"})
	ctx := context.Background()
	w := topics.NewWriter(cl.Brokers, cl.ReplayTLS, cl.ReplaySASL)
	consumed, unconsumed := marker(t, "consumed-login"), marker(t, "unconsumed-vector")
	if err := w.WriteMessages(ctx, kafka.Message{Topic: topics.Logins, Key: []byte("u"), Value: consumed}); err != nil {
		t.Fatal(err)
	}
	// The scorer consumes the login topic and commits.
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: cl.Brokers, GroupID: "g", Topic: topics.Logins,
		Dialer: topics.Dialer(cl.ScorerTLS, cl.ScorerSASL), MaxWait: topics.FetchMaxWait})
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	m, err := r.FetchMessage(rctx)
	if err == nil {
		err = r.CommitMessages(rctx, m)
	}
	cancel()
	r.Close()
	if err != nil || !bytes.Equal(m.Value, consumed) {
		t.Fatalf("the scorer did not consume the login: %v", err)
	}
	if err := w.WriteMessages(ctx, kafka.Message{Topic: topics.Features, Key: []byte("u"), Value: unconsumed}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	kafkaDir := filepath.Join(dir, "kafka")
	if len(onDisk(t, kafkaDir, consumed)) == 0 {
		t.Fatal("the consumed login is not on disk while the broker runs (retention 10 min): the test reads the wrong files")
	}
	cl.Close()
	if hits := onDisk(t, kafkaDir, consumed); len(hits) > 0 {
		t.Errorf("after the broker stopped, the consumed login is still on disk in %v", hits)
	}
	if len(onDisk(t, kafkaDir, unconsumed)) == 0 {
		t.Error("after the broker stopped, the vector nobody consumed is gone: a restarted scorer would miss it")
	}

	// The login partition restarts empty (kfake forgets the end of a
	// partition whose segments are all gone): the scorer's next login is
	// still read from where its group resumes.
	cl, _ = start(t, cluster.Options{Dir: dir, Group: "g"})
	w = topics.NewWriter(cl.Brokers, cl.ReplayTLS, cl.ReplaySASL)
	defer w.Close()
	next := marker(t, "next-login")
	if err := w.WriteMessages(ctx, kafka.Message{Topic: topics.Logins, Key: []byte("u"), Value: next}); err != nil {
		t.Fatal(err)
	}
	r = kafka.NewReader(kafka.ReaderConfig{Brokers: cl.Brokers, GroupID: "g", Topic: topics.Logins,
		Dialer: topics.Dialer(cl.ScorerTLS, cl.ScorerSASL), MaxWait: topics.FetchMaxWait})
	defer r.Close()
	rctx, cancel = context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	m, err = r.FetchMessage(rctx)
	if err != nil || !bytes.Equal(m.Value, next) {
		t.Fatalf("after a restart, the scorer's group did not read the next login: %q, %v", m.Value, err)
	}
}

// TestColdPartitionInputGone: a vector on a partition that sees little
// traffic, while another partition of the topic is busy, is still gone
// from disk within the bound: the busy partition does not keep the quiet
// one's segment growing.
func TestColdPartitionInputGone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const retention = 2 * time.Second
	cl, _ := start(t, cluster.Options{Dir: dir, Partitions: 2, InputRetention: retention, RetentionCheck: 200 * time.Millisecond})
	ctx := context.Background()
	hot, cold := topics.NewWriter(cl.Brokers, cl.ReplayTLS, cl.ReplaySASL), topics.NewWriter(cl.Brokers, cl.ReplayTLS, cl.ReplaySASL)
	hot.Balancer = kafka.BalancerFunc(func(kafka.Message, ...int) int { return 0 })
	cold.Balancer = kafka.BalancerFunc(func(kafka.Message, ...int) int { return 1 })
	defer hot.Close()
	defer cold.Close()
	vector := marker(t, "cold-vector")
	// The cold partition gets the marked vector, then one vector every
	// 500 ms; the hot one a vector every 20 ms.
	if err := cold.WriteMessages(ctx, kafka.Message{Topic: topics.Features, Value: vector}); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range []struct {
		w     *kafka.Writer
		every time.Duration
	}{{hot, 20 * time.Millisecond}, {cold, 500 * time.Millisecond}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(w.every):
				}
				_ = w.w.WriteMessages(ctx, kafka.Message{Topic: topics.Features, Value: make([]byte, 400)})
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	kafkaDir := filepath.Join(dir, "kafka")
	bound := retention + 5*time.Second
	testutil.Eventually(t, bound+5*time.Second, func() bool { return len(onDisk(t, kafkaDir, vector)) == 0 },
		"the cold partition's vector still on disk after --input-retention")
	if took := time.Since(sent); took > bound {
		t.Errorf("gone %v after it was sent; the bound is %v", took, bound)
	} else {
		t.Logf("cold partition's vector gone from disk %v after it was sent (retention %v)", took.Round(10*time.Millisecond), retention)
	}
}
