package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mouseauth/mouseauth/internal/cluster"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/live/topics"
)

// syncBuffer is a log destination the broker's goroutines share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func start(t *testing.T, o cluster.Options) (*cluster.Cluster, *syncBuffer) {
	t.Helper()
	var log syncBuffer
	o.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if o.Partitions == 0 {
		o.Partitions = 1
	}
	cl, err := cluster.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl, &log
}

// TestStateIsPrivateAndLocked: a state folder pre-created 0755 with a 0644
// file (which the old code left world-readable, with the database and the
// broker's files beside it) is private while the broker runs and after it
// stops; a second Start on it is refused naming the holder.
func TestStateIsPrivateAndLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.MkdirAll(filepath.Join(dir, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "notes.txt"), filepath.Join(dir, "old", "mouseauth.db")} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	cl, _ := start(t, cluster.Options{Dir: dir})
	if n := testutil.CheckPrivate(t, dir, "running"); n < 20 {
		t.Errorf("checked only %d paths while running", n)
	}
	_, err := cluster.Start(context.Background(), cluster.Options{Dir: dir})
	if !errors.Is(err, cluster.ErrStateLocked) || !strings.Contains(err.Error(), fmt.Sprintf("process %d (this process)", os.Getpid())) ||
		!strings.Contains(err.Error(), cluster.LockFile) {
		t.Fatalf("second Start: %v, want ErrStateLocked naming this process and the lock file", err)
	}
	t.Logf("second Start: %v", err)
	cl.Close()
	if n := testutil.CheckPrivate(t, dir, "stopped"); n < 20 {
		t.Errorf("checked only %d paths after Close", n)
	}
	// The lock is released with the cluster.
	again, _ := start(t, cluster.Options{Dir: dir})
	again.Close()
}

// adminClient talks to the broker as its own principal (a super user).
func adminClient(t *testing.T, cl *cluster.Cluster) *kafka.Client {
	t.Helper()
	tr := topics.Transport(cl.Superuser())
	t.Cleanup(tr.CloseIdleConnections)
	return &kafka.Client{Addr: kafka.TCP(cl.Brokers...), Transport: tr, Timeout: 10 * time.Second}
}

// brokerACLs lists the broker's ACLs as "principal op resource name pattern".
func brokerACLs(t *testing.T, cl *cluster.Cluster) []string {
	t.Helper()
	res, err := adminClient(t, cl).DescribeACLs(context.Background(), &kafka.DescribeACLsRequest{Filter: kafka.ACLFilter{
		ResourceTypeFilter: kafka.ResourceTypeAny, ResourcePatternTypeFilter: kafka.PatternTypeAny,
		Operation: kafka.ACLOperationTypeAny, PermissionType: kafka.ACLPermissionTypeAny}})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res.Resources {
		for _, a := range r.ACLs {
			out = append(out, fmt.Sprintf("%s %v %v %v %s %v %s", a.Principal, a.PermissionType, a.Operation, r.ResourceType, r.ResourceName, r.PatternType, a.Host))
		}
	}
	slices.Sort(out)
	return out
}

// specACLs is what `pki config acl --principal scorer=User:scorer
// --principal replay=User:replay --principal admin=User:admin --principal
// operator=User:operator` renders, in brokerACLs' form: the grants the
// embedded broker must hold (no client identity registered).
func specACLs(group string) []string {
	users := map[topics.Role]string{topics.RoleScorer: "User:scorer", topics.RoleReplay: "User:replay", topics.RoleAdmin: "User:admin", topics.RoleOperator: "User:operator"}
	res := map[topics.ResourceType]kafka.ResourceType{topics.ResourceTopic: kafka.ResourceTypeTopic, topics.ResourceGroup: kafka.ResourceTypeGroup}
	pat := map[topics.PatternType]kafka.PatternType{topics.PatternLiteral: kafka.PatternTypeLiteral, topics.PatternPrefixed: kafka.PatternTypePrefixed}
	op := map[topics.Operation]kafka.ACLOperationType{topics.OpRead: kafka.ACLOperationTypeRead, topics.OpWrite: kafka.ACLOperationTypeWrite,
		topics.OpDescribe: kafka.ACLOperationTypeDescribe, topics.OpCreate: kafka.ACLOperationTypeCreate}
	var out []string
	for _, g := range topics.Default().ACLs(group) {
		if p := users[g.Role]; p != "" {
			out = append(out, fmt.Sprintf("%s %v %v %v %s %v *", p, kafka.ACLPermissionTypeAllow, op[g.Operation], res[g.Resource], g.Name, pat[g.Pattern]))
		}
	}
	slices.Sort(out)
	return out
}

// canProduce reports whether m may write a login (as replay does).
func canProduce(cl *cluster.Cluster, m sasl.Mechanism) error {
	w := topics.NewWriter(cl.Brokers, cl.ReplayTLS, m)
	w.MaxAttempts = 1
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return w.WriteMessages(ctx, kafka.Message{Topic: topics.Logins, Key: []byte("k"), Value: []byte("v")})
}

// TestACLsAndPasswordsFollowTheSpec: the broker's grants are the
// specification's, for the configured group, also on a state folder made
// before authorization existed (its broker data holds no ACL and no SASL
// user: without reconciliation every request would be refused), and a lost
// password is replaced by a new one that works while the old one fails.
func TestACLsAndPasswordsFollowTheSpec(t *testing.T) {
	dir := t.TempDir()
	// An old state folder: kfake without SASL or ACLs persisted its data.
	old, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DataDir(filepath.Join(dir, "kafka")), kfake.SeedTopics(1, topics.Logins))
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	if _, err := os.Stat(filepath.Join(dir, "kafka", "sasl.json")); err != nil {
		t.Fatalf("the old broker left no sasl.json to override the users with: %v", err)
	}

	cl, log := start(t, cluster.Options{Dir: dir, Group: "g1"})
	if got, want := brokerACLs(t, cl), specACLs("g1"); !slices.Equal(got, want) {
		t.Fatalf("broker ACLs after upgrading an old state:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(log.String(), "ACLs set to the specification") {
		t.Errorf("the reconciliation was not logged:\n%s", log)
	}
	if err := canProduce(cl, cl.ReplaySASL); err != nil {
		t.Fatalf("replay cannot produce a login on the upgraded state: %v", err)
	}
	oldReplay := cl.ReplaySASL
	cl.Close()

	// Another group: its grant replaces the old one.
	cl, log = start(t, cluster.Options{Dir: dir, Group: "g2"})
	got := brokerACLs(t, cl)
	if want := specACLs("g2"); !slices.Equal(got, want) {
		t.Fatalf("broker ACLs for group g2:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(log.String(), "added=1 removed=1") {
		t.Errorf("switching the group did not log one grant added and one removed:\n%s", log)
	}
	cl.Close()

	// A lost password: a new one is generated, the old one no longer works.
	if err := os.Remove(cluster.PasswordPath(dir, cluster.UserReplay)); err != nil {
		t.Fatal(err)
	}
	cl, log = start(t, cluster.Options{Dir: dir, Group: "g2"})
	if err := canProduce(cl, cl.ReplaySASL); err != nil {
		t.Fatalf("the new replay password does not work: %v", err)
	}
	err = canProduce(cl, oldReplay)
	if err == nil {
		t.Fatal("the lost replay password still works")
	}
	t.Logf("old password: %v", err)
	testLog := log.String()
	if !strings.Contains(testLog, "kafka broker: refused") {
		t.Errorf("the broker did not log the refused authentication:\n%s", testLog)
	}
	for _, u := range cluster.Users() {
		if pw, _ := os.ReadFile(cluster.PasswordPath(dir, u)); strings.Contains(testLog, strings.TrimSpace(string(pw))) {
			t.Errorf("the log holds %s's password", u)
		}
	}
	if got := brokerACLs(t, cl); !slices.Equal(got, specACLs("g2")) {
		t.Error("the ACLs changed after a restart with the same group")
	}
}

// TestSASLHandshakeV0Advertised: the broker lists SaslHandshake from
// version 0, which librdkafka (kcat) requires before it authenticates.
func TestSASLHandshakeV0Advertised(t *testing.T) {
	cl, _ := start(t, cluster.Options{Dir: t.TempDir()})
	conn, err := topics.Dialer(cl.ReplayTLS, nil).DialContext(context.Background(), "tcp", cl.Brokers[0])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	vs, err := conn.ApiVersions()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range vs {
		if v.ApiKey == 17 {
			found = v.MinVersion == 0 && v.MaxVersion == 1
		}
	}
	if !found || len(vs) < 30 {
		t.Fatalf("ApiVersions %+v: want SaslHandshake 0-1 among kfake's keys", vs)
	}
}

func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	if _, err := cluster.Credentials(dir, "root"); err == nil || !strings.Contains(err.Error(), `no SASL user "root"`) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := cluster.Credentials(dir, cluster.UserScorer); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no password yet: %v", err)
	}
	created, err := cluster.EnsurePasswords(dir)
	if err != nil || !slices.Equal(created, cluster.Users()) {
		t.Fatalf("EnsurePasswords: %v, %v", created, err)
	}
	m, err := cluster.Credentials(dir, cluster.UserScorer)
	if err != nil || m.Name() != "SCRAM-SHA-512" {
		t.Fatalf("Credentials: %v, %v", m, err)
	}
	if created, _ := cluster.EnsurePasswords(dir); len(created) != 0 {
		t.Errorf("second EnsurePasswords created %v", created)
	}
}
