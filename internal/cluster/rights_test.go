package cluster_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/sasl"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
)

var update = flag.Bool("update", false, "rewrite the effective-rights table of docs/architecture.md")

// The effective-rights test plays each role as an outsider would: it holds
// only that role's certificate and SASL password and tries, on the
// embedded broker, every operation on every topic of the pipeline, the
// cluster and the scorer's group. What the broker lets it do is its
// effective right; the test compares it with the ACL specification
// (live/topics: what `mouseauth pki config acl` renders) and writes the
// measured table into docs/architecture.md (-update).

// op is one operation an identity tries.
type op struct {
	short string // in the table
	name  string
}

var topicOps = []op{{"W", "produce"}, {"R", "fetch"}, {"D", "describe"}, {"A", "alter configs"}, {"C", "create"}, {"X", "delete"}}

// rightsTopics are the resources of the table: the pipeline's topics with a
// client identity ws1 bound to alice (and another, ws2, bound to carol).
func rightsTopics(n topics.Names) []string {
	return []string{n.Logins, n.Features, n.FeaturesFor("alice"), n.FeaturesFor("carol"), n.Decisions,
		n.DecisionsFor("ws1"), n.DecisionsFor("ws2"), n.Alerts, n.DeadLetter}
}

// classify says whether err (of a request that reached the broker) shows
// the operation allowed: no error, or an error past authorization. An
// authorization error, or an unknown-topic error for a topic that exists
// (the broker hides topics the principal may not describe), is a refusal.
func classify(err error) (allowed bool, ok bool) {
	var we kafka.WriteErrors
	if errors.As(err, &we) && len(we) > 0 {
		err = we[0]
	}
	switch {
	case err == nil, errors.Is(err, kafka.TopicAlreadyExists), errors.Is(err, kafka.OffsetOutOfRange),
		errors.Is(err, kafka.MemberIDRequired): // JoinGroup past authorization: a member id is handed out
		return true, true
	case errors.Is(err, kafka.TopicAuthorizationFailed), errors.Is(err, kafka.ClusterAuthorizationFailed),
		errors.Is(err, kafka.GroupAuthorizationFailed), errors.Is(err, kafka.UnknownTopicOrPartition),
		// kafka-go's "topic not found": the broker's metadata left out a
		// topic that exists, as it does for a principal without Describe.
		errors.Is(err, protocol.ErrNoTopic):
		return false, true
	}
	return false, false
}

// prober tries operations as one identity.
type prober struct {
	t  *testing.T
	cl *kafka.Client
}

func newProber(t *testing.T, cl *cluster.Cluster, cfg *tls.Config, m sasl.Mechanism) *prober {
	tr := topics.Transport(cfg, m)
	t.Cleanup(tr.CloseIdleConnections)
	return &prober{t: t, cl: &kafka.Client{Addr: kafka.TCP(cl.Brokers...), Transport: tr, Timeout: 10 * time.Second}}
}

func (p *prober) try(ctx context.Context, what string, topic string) error {
	switch what {
	case "produce":
		r, err := p.cl.Produce(ctx, &kafka.ProduceRequest{Topic: topic, RequiredAcks: kafka.RequireAll,
			Records: kafka.NewRecordReader(kafka.Record{Value: kafka.NewBytes([]byte("probe"))})})
		if err == nil {
			err = r.Error
		}
		return err
	case "fetch":
		r, err := p.cl.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Offset: 0, MaxBytes: 1 << 16})
		if err == nil {
			err = r.Error
		}
		return err
	case "describe":
		md, err := p.cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
		if err != nil {
			return err
		}
		if len(md.Topics) != 1 {
			return kafka.UnknownTopicOrPartition
		}
		return md.Topics[0].Error
	case "alter configs":
		r, err := p.cl.IncrementalAlterConfigs(ctx, &kafka.IncrementalAlterConfigsRequest{ValidateOnly: true,
			Resources: []kafka.IncrementalAlterConfigsRequestResource{{ResourceType: kafka.ResourceTypeTopic, ResourceName: topic,
				Configs: []kafka.IncrementalAlterConfigsRequestConfig{{Name: "retention.ms", Value: "1000", ConfigOperation: kafka.ConfigOperationSet}}}}})
		if err == nil && len(r.Resources) > 0 {
			err = r.Resources[0].Error
		}
		return err
	case "create":
		r, err := p.cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}}})
		if err == nil {
			err = r.Errors[topic]
		}
		return err
	case "delete":
		r, err := p.cl.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: []string{topic}})
		if err == nil {
			err = r.Errors[topic]
		}
		return err
	case "create ACLs":
		r, err := p.cl.CreateACLs(ctx, &kafka.CreateACLsRequest{ACLs: []kafka.ACLEntry{{ResourceType: kafka.ResourceTypeTopic, ResourceName: "probe.topic",
			ResourcePatternType: kafka.PatternTypeLiteral, Principal: "User:probe", Host: "*", Operation: kafka.ACLOperationTypeRead, PermissionType: kafka.ACLPermissionTypeDeny}}})
		if err == nil && len(r.Errors) > 0 {
			err = r.Errors[0]
		}
		return err
	case "quotas":
		r, err := p.cl.AlterClientQuotas(ctx, &kafka.AlterClientQuotasRequest{ValidateOnly: true, Entries: []kafka.AlterClientQuotaEntry{{
			Entities: []kafka.AlterClientQuotaEntity{{EntityType: "user", EntityName: "probe"}},
			Ops:      []kafka.AlterClientQuotaOps{{Key: "producer_byte_rate", Value: 1024}}}}})
		if err == nil && len(r.Entries) > 0 {
			err = r.Entries[0].Error
		}
		return err
	case "join group":
		r, err := p.cl.JoinGroup(ctx, &kafka.JoinGroupRequest{GroupID: topic, ProtocolType: "consumer",
			SessionTimeout: 6 * time.Second, RebalanceTimeout: time.Second,
			Protocols: []kafka.GroupProtocol{{Name: "range", Metadata: kafka.GroupProtocolSubscription{Topics: []string{topics.Logins}}}}})
		if err == nil {
			err = r.Error
			if err == nil {
				_, _ = p.cl.LeaveGroup(ctx, &kafka.LeaveGroupRequest{GroupID: topic, Members: []kafka.LeaveGroupRequestMember{{ID: r.MemberID}}})
			}
		}
		return err
	}
	p.t.Fatalf("unknown operation %q", what)
	return nil
}

// expected derives from the grants whether role (client: the identity's
// name for RoleClient) may do what on name, as Kafka's authorizer decides.
func expected(grants []topics.Grant, role topics.Role, client string, res topics.ResourceType, name string, what string) bool {
	aclOp := map[string]topics.Operation{"produce": topics.OpWrite, "fetch": topics.OpRead, "describe": topics.OpDescribe,
		"alter configs": "AlterConfigs", "create": topics.OpCreate, "delete": "Delete", "create ACLs": "Alter", "quotas": "AlterConfigs",
		"join group": topics.OpRead}[what]
	for _, g := range grants {
		if g.Role != role || g.Client != client || g.Resource != res || !g.Allow {
			continue
		}
		if g.Pattern == topics.PatternLiteral && g.Name != name || g.Pattern == topics.PatternPrefixed && !strings.HasPrefix(name, g.Name) {
			continue
		}
		if g.Operation == aclOp || aclOp == topics.OpDescribe && (g.Operation == topics.OpRead || g.Operation == topics.OpWrite) {
			return true
		}
	}
	return false
}

func TestEffectiveRights(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	if _, err := cluster.EnsurePKI(dir+"/pki", now); err != nil {
		t.Fatal(err)
	}
	ws1, err := cluster.RegisterClient(dir, "ws1", []string{"alice"}, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := start(t, cluster.Options{Dir: dir, TopicPerUser: true, ClientsCheck: 100 * time.Millisecond})
	n := topics.Default()
	n.PerUser = true
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := cl.EnsureTopics(ctx, 1, n.FeaturesFor("alice"), n.FeaturesFor("carol")); err != nil {
		t.Fatal(err)
	}
	// ws2 is registered while the broker runs: the watcher admits it.
	ws2, err := cluster.RegisterClient(dir, "ws2", []string{"carol"}, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	identityTLS := func(r *cluster.Registration) *tls.Config {
		cfg, err := pki.ClientTLS(pki.Config{CA: mustCA(t, r.CA), Certificate: tls.Certificate{Certificate: [][]byte{r.Issued.Cert.Raw}, PrivateKey: r.Issued.Key, Leaf: r.Issued.Cert}})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	mech := func(user, pw string) sasl.Mechanism {
		m, err := topics.SASL(cluster.Mechanism, user, pw)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	admitted := newProber(t, cl, identityTLS(ws2), mech("ws2", ws2.Password))
	waitAdmitted(t, admitted, n.DecisionsFor("ws2"))

	superTLS, superSASL := cl.Superuser()
	type identity struct {
		label  string
		role   topics.Role
		client string
		p      *prober
	}
	ids := []identity{
		{"scorer", topics.RoleScorer, "", newProber(t, cl, cl.ScorerTLS, cl.ScorerSASL)},
		{"client ws1 (bound to alice)", topics.RoleClient, "ws1", newProber(t, cl, identityTLS(ws1), mech("ws1", ws1.Password))},
		{"replay (shared, any user)", topics.RoleReplay, "", newProber(t, cl, cl.ReplayTLS, cl.ReplaySASL)},
		{"admin", topics.RoleAdmin, "", newProber(t, cl, cl.AdminTLS, cl.AdminSASL)},
		{"operator", topics.RoleOperator, "", newProber(t, cl, cl.OperatorTLS, cl.OperatorSASL)},
		{"broker (in-process, super user)", "", "", newProber(t, cl, superTLS, superSASL)},
	}
	grants := n.ACLs(topics.DefaultGroup, topics.Client{Name: "ws1", Users: []string{"alice"}}, topics.Client{Name: "ws2", Users: []string{"carol"}})
	resources := rightsTopics(n)
	table := map[string]map[string]string{}
	check := func(id identity, res topics.ResourceType, name, column, what, short string) {
		err := id.p.try(ctx, what, name)
		got, ok := classify(err)
		if !ok {
			t.Errorf("%s: %s %s: unclassified answer %v", id.label, what, name, err)
			return
		}
		want := id.role == "" || expected(grants, id.role, id.client, res, name, what)
		if got != want {
			t.Errorf("%s: %s on %s %s: allowed=%v, the specification says %v (%v)", id.label, what, res, name, got, want, err)
		}
		if got {
			if table[id.label] == nil {
				table[id.label] = map[string]string{}
			}
			table[id.label][column] += short
		}
	}
	for _, id := range ids {
		for _, name := range resources {
			for _, o := range topicOps {
				if o.name == "delete" || o.name == "create" {
					continue // last: a delete that succeeds changes the topics
				}
				check(id, topics.ResourceTopic, name, name, o.name, o.short)
			}
		}
		check(id, topics.ResourceCluster, topics.ClusterName, "cluster", "create ACLs", "acl ")
		check(id, topics.ResourceCluster, topics.ClusterName, "cluster", "quotas", "quota ")
		check(id, topics.ResourceGroup, topics.DefaultGroup, "scorer's group", "join group", "join")
	}
	// Create (existing names: allowed answers TOPIC_ALREADY_EXISTS), then
	// delete, the super user last.
	for _, what := range []string{"create", "delete"} {
		for _, id := range ids {
			for _, name := range resources {
				if what == "delete" && id.role == "" {
					continue // the super user may; it would empty the table's topics
				}
				short := map[string]string{"create": "C", "delete": "X"}[what]
				check(id, topics.ResourceTopic, name, name, what, short)
			}
		}
	}

	got := renderRights(ids[0:], resources, table, func(i identity) string { return i.label })
	t.Logf("effective rights, measured:\n%s", got)
	checkDoc(t, got)
}

func waitAdmitted(t *testing.T, p *prober, topic string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := p.try(ctx, "describe", topic)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client registered while the broker runs was not admitted: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func mustCA(t *testing.T, pemBytes []byte) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		t.Fatal("CA: no PEM block")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// renderRights is the Markdown table of the measured rights.
func renderRights[I any](ids []I, resources []string, table map[string]map[string]string, label func(I) string) string {
	var b strings.Builder
	short := func(s string) string { return strings.TrimPrefix(s, "mouseauth.") }
	b.WriteString("| identity |")
	for _, r := range resources {
		fmt.Fprintf(&b, " %s |", short(r))
	}
	b.WriteString(" cluster | scorer's group |\n|---|")
	b.WriteString(strings.Repeat("---|", len(resources)+2) + "\n")
	for _, id := range ids {
		l := label(id)
		fmt.Fprintf(&b, "| %s |", l)
		for _, c := range append(slices.Clone(resources), "cluster", "scorer's group") {
			v := strings.TrimSpace(table[l][c])
			if v == "" {
				v = "-"
			}
			fmt.Fprintf(&b, " %s |", v)
		}
		b.WriteString("\n")
	}
	return b.String()
}

const rightsDoc = "../../docs/architecture.md"

// checkDoc compares the measured table with the one in the docs (or
// writes it with -update).
func checkDoc(t *testing.T, table string) {
	t.Helper()
	doc, err := os.ReadFile(rightsDoc)
	if err != nil {
		t.Fatal(err)
	}
	begin := "<!-- BEGIN GENERATED rights: go test ./internal/cluster -run TestEffectiveRights -update -->\n"
	end := "<!-- END GENERATED rights -->"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s has no generated rights block (%q ... %q)", rightsDoc, strings.TrimSpace(begin), end)
	}
	want := string(doc[:i+len(begin)]) + table + string(doc[j:])
	if want == string(doc) {
		return
	}
	if !*update {
		t.Fatalf("%s's effective-rights table is not the measured one; run go test ./internal/cluster -run TestEffectiveRights -update", rightsDoc)
	}
	if err := os.WriteFile(rightsDoc, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
}
