package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/topics"
)

func TestKfakeACLsConvertsEachGrant(t *testing.T) {
	spec := topics.Default().ACLs("g1")
	total := 0
	for _, r := range topics.Roles() {
		acls, err := cluster.KfakeACLs(spec, r)
		if err != nil {
			t.Fatal(err)
		}
		want := topics.For(spec, r)
		if len(acls) != len(want) || len(acls) == 0 {
			t.Fatalf("%s: %d kfake ACLs for %d grants", r, len(acls), len(want))
		}
		total += len(acls)
	}
	if total != len(spec) {
		t.Fatalf("%d kfake ACLs for %d grants", total, len(spec))
	}
	scorer, _ := cluster.KfakeACLs(spec, topics.RoleScorer)
	for _, want := range []kfake.ACL{
		{Resource: kmsg.ACLResourceTypeTopic, Name: "mouseauth.features.", Pattern: kmsg.ACLResourcePatternTypePrefixed, Operation: kmsg.ACLOperationRead, Allow: true, Host: "*"},
		{Resource: kmsg.ACLResourceTypeGroup, Name: "g1", Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: kmsg.ACLOperationRead, Allow: true, Host: "*"},
		{Resource: kmsg.ACLResourceTypeTopic, Name: topics.DeadLetter, Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: kmsg.ACLOperationWrite, Allow: true, Host: "*"},
	} {
		found := false
		for _, a := range scorer {
			found = found || a == want
		}
		if !found {
			t.Errorf("scorer ACLs lack %+v: %+v", want, scorer)
		}
	}
	admin, _ := cluster.KfakeACLs(spec, topics.RoleAdmin)
	for _, a := range admin {
		if a.Operation != kmsg.ACLOperationCreate && a.Operation != kmsg.ACLOperationDescribe {
			t.Errorf("admin ACL %+v is neither Create nor Describe", a)
		}
	}
	odd := []topics.Grant{{Role: topics.RoleAdmin, Resource: topics.ResourceCluster, Pattern: topics.PatternLiteral, Operation: topics.OpCreate, Allow: false}}
	if a, err := cluster.KfakeACLs(odd, topics.RoleAdmin); err != nil || a[0].Name != "kafka-cluster" || a[0].Resource != kmsg.ACLResourceTypeCluster || a[0].Allow {
		t.Errorf("cluster deny grant converted to %+v, %v", a, err)
	}
	odd[0].Operation = "Teleport"
	if _, err := cluster.KfakeACLs(odd, topics.RoleAdmin); err == nil {
		t.Error("an unknown operation was converted")
	}
}

// TestKfakeEnforcesTheSpec runs the requests each role's code makes
// against kfake with ACLs on, one SASL user per role holding exactly its
// grants: what the code does is allowed, what another role does is refused.
// (The embedded broker runs this way, with SCRAM-SHA-512 over mutual TLS;
// live/authz_test.go attacks it with kcat.)
func TestKfakeEnforcesTheSpec(t *testing.T) {
	spec := topics.Default().ACLs("")
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.EnableACLs(), kfake.GroupMinSessionTimeout(time.Second)}
	users := map[topics.Role]string{topics.RoleScorer: "scorer", topics.RoleReplay: "replay", topics.RoleAdmin: "admin"}
	for r, u := range users {
		acls, err := cluster.KfakeACLs(spec, r)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, kfake.User("PLAIN", u, u+"-pw", acls...))
	}
	kc, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	brokers := kc.ListenAddrs()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	as := func(r topics.Role) (*kafka.Transport, *kafka.Dialer) {
		m := plain.Mechanism{Username: users[r], Password: users[r] + "-pw"}
		tr, d := topics.Transport(nil, m), topics.Dialer(nil, m)
		t.Cleanup(tr.CloseIdleConnections)
		return tr, d
	}
	client := func(r topics.Role) *kafka.Client {
		tr, _ := as(r)
		return &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr, Timeout: 10 * time.Second}
	}
	writer := func(r topics.Role) *kafka.Writer {
		w := topics.NewWriter(brokers, nil, nil)
		w.Transport, _ = as(r)
		w.MaxAttempts = 1
		t.Cleanup(func() { w.Close() })
		return w
	}
	denied := func(what string, err error, code kafka.Error) {
		t.Helper()
		var we kafka.WriteErrors
		if errors.As(err, &we) && len(we) > 0 {
			err = we[0]
		}
		if !errors.Is(err, code) {
			t.Errorf("%s: err = %v, want %v", what, err, code)
		}
	}

	n := topics.Default()
	per := n
	per.PerUser = true
	alice := per.FeaturesFor("alice")
	all := append(n.Shared(), alice)
	spec1 := topics.Spec{Partitions: 1}

	// Topic creation: only the admin.
	for _, r := range []topics.Role{topics.RoleScorer, topics.RoleReplay} {
		if err := topics.EnsureWith(ctx, client(r), spec1, all...); !errors.Is(err, topics.ErrCreateDenied) {
			t.Fatalf("%s created topics: %v", r, err)
		}
	}
	if err := topics.EnsureWith(ctx, client(topics.RoleAdmin), spec1, all...); err != nil {
		t.Fatalf("admin: %v", err)
	}
	// Existing topics: every role's Ensure only describes them.
	for _, r := range []topics.Role{topics.RoleScorer, topics.RoleReplay, topics.RoleAdmin} {
		if err := topics.EnsureWith(ctx, client(r), spec1, all...); err != nil {
			t.Errorf("%s: Ensure of existing topics: %v", r, err)
		}
	}
	if err := topics.EnsureWith(ctx, client(topics.RoleReplay), spec1, per.FeaturesFor("bob")); !errors.Is(err, topics.ErrCreateDenied) {
		t.Errorf("the client created a per-user topic: %v", err)
	}

	// The client produces a login and vectors, keyed and per user.
	key := []byte("alice")
	if err := writer(topics.RoleReplay).WriteMessages(ctx,
		kafka.Message{Topic: n.Logins, Key: key, Value: []byte("login")},
		kafka.Message{Topic: n.Features, Key: key, Value: []byte("vector")},
		kafka.Message{Topic: alice, Key: key, Value: []byte("per-user vector")}); err != nil {
		t.Fatalf("client produce: %v", err)
	}
	denied("client forges a decision", writer(topics.RoleReplay).WriteMessages(ctx, kafka.Message{Topic: n.Decisions, Key: key, Value: []byte("accept")}), kafka.TopicAuthorizationFailed)
	res, err := client(topics.RoleReplay).Fetch(ctx, &kafka.FetchRequest{Topic: n.Logins, Offset: 0, MaxBytes: 1 << 20})
	if err == nil {
		err = res.Error
	}
	denied("client reads logins", err, kafka.TopicAuthorizationFailed)
	jg, err := client(topics.RoleReplay).JoinGroup(ctx, &kafka.JoinGroupRequest{GroupID: topics.DefaultGroup, ProtocolType: "consumer",
		SessionTimeout: 10 * time.Second, RebalanceTimeout: 10 * time.Second,
		Protocols: []kafka.GroupProtocol{{Name: "range", Metadata: kafka.GroupProtocolSubscription{Topics: []string{n.Logins}}}}})
	if err == nil {
		err = jg.Error
	}
	denied("client joins the scorer's group", err, kafka.GroupAuthorizationFailed)

	// The scorer consumes in its group, commits, and publishes.
	_, scorerDialer := as(topics.RoleScorer)
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, GroupID: topics.DefaultGroup, GroupTopics: []string{n.Logins, n.Features, alice},
		Dialer: scorerDialer, StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond,
		SessionTimeout: 2 * time.Second, HeartbeatInterval: 400 * time.Millisecond, RebalanceTimeout: 2 * time.Second})
	defer r.Close()
	seen := map[string]bool{}
	for len(seen) < 3 {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("scorer group reader, after %v: %v", seen, err)
		}
		seen[m.Topic] = true
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Fatalf("scorer commit: %v", err)
		}
	}
	if err := writer(topics.RoleScorer).WriteMessages(ctx,
		kafka.Message{Topic: n.Decisions, Key: key, Value: []byte("decision")},
		kafka.Message{Topic: n.Alerts, Key: key, Value: []byte("alert")},
		kafka.Message{Topic: n.DeadLetter, Key: key, Value: []byte("dead letter")}); err != nil {
		t.Fatalf("scorer produce: %v", err)
	}
	denied("scorer forges a login", writer(topics.RoleScorer).WriteMessages(ctx, kafka.Message{Topic: n.Logins, Key: key, Value: []byte("x")}), kafka.TopicAuthorizationFailed)

	// The client reads its decisions as replay does: metadata, offsets, a
	// reader per partition, no group; alerts stay closed to it.
	c := client(topics.RoleReplay)
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{n.Decisions}})
	if err != nil || len(md.Topics) != 1 || md.Topics[0].Error != nil {
		t.Fatalf("client metadata of decisions: %v %+v", err, md)
	}
	offs, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{n.Decisions: {kafka.FirstOffsetOf(0)}}})
	if err != nil || offs.Topics[n.Decisions][0].Error != nil {
		t.Fatalf("client offsets of decisions: %v %+v", err, offs)
	}
	_, replayDialer := as(topics.RoleReplay)
	pr := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: n.Decisions, Partition: 0, Dialer: replayDialer, MaxWait: 100 * time.Millisecond})
	defer pr.Close()
	if m, err := pr.ReadMessage(ctx); err != nil || string(m.Value) != "decision" {
		t.Fatalf("client reads decisions: %q, %v", m.Value, err)
	}
	res, err = c.Fetch(ctx, &kafka.FetchRequest{Topic: n.Alerts, Offset: 0, MaxBytes: 1 << 20})
	if err == nil {
		err = res.Error
	}
	denied("client reads alerts", err, kafka.TopicAuthorizationFailed)
}
