package cluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/mouseauth/mouseauth/internal/secret"
	"github.com/mouseauth/mouseauth/live/topics"
)

// Authorization on the embedded broker.
//
// kfake enforces ACLs for SASL users but maps no client certificate to a
// principal, so the embedded broker runs what a real cluster's SASL_SSL
// listener with ssl.client.auth=required runs: mutual TLS (only
// certificates of our CA connect), then SASL/SCRAM-SHA-512, whose user is
// the principal ("User:scorer") every request is authorized as. One SASL
// user per role of live/topics' ACL specification:
//
//	UserScorer  topics.RoleScorer  exactly its grants (KfakeACLs)
//	UserReplay  topics.RoleClient  exactly its grants
//	UserAdmin   topics.RoleAdmin   a super user: it creates the topics and
//	                               sets the grants, as an operator does
//
// Passwords are generated on first use (crypto/rand, 256 bits) and kept in
// STATE/sasl/USER.password (0600 in a 0700 folder); they never appear in
// flags or logs. The broker itself keeps only SCRAM verifiers (salted,
// iterated hashes) in kafka/sasl.json.

// The embedded broker's SASL users. They carry the names of the client
// certificates EnsurePKI issues, so a command's --tls-name is its user.
const (
	UserScorer = CertScorer
	UserReplay = CertReplay
	UserAdmin  = CertAdmin
)

// Mechanism is the SASL mechanism of the embedded broker.
const Mechanism = topics.SCRAMSHA512

// SASLDir is the folder of the SASL passwords in a state folder.
const SASLDir = "sasl"

// Users lists the embedded broker's SASL users.
func Users() []string { return []string{UserScorer, UserReplay, UserAdmin} }

// roleOf is the ACL role of a user; the admin is a super user instead.
var roleOf = map[string]topics.Role{UserScorer: topics.RoleScorer, UserReplay: topics.RoleClient}

// PasswordPath is where the state folder dir keeps user's SASL password.
func PasswordPath(dir, user string) string { return filepath.Join(dir, SASLDir, user+".password") }

// EnsurePasswords creates the SASL password of every user that has none
// in dir, and reports which it created.
func EnsurePasswords(dir string) (created []string, err error) {
	for _, u := range Users() {
		ok, err := secret.Ensure(PasswordPath(dir, u))
		if err != nil {
			return nil, fmt.Errorf("embedded SASL password of %s: %w", u, err)
		}
		if ok {
			created = append(created, u)
		}
	}
	return created, nil
}

// Credentials returns the SASL mechanism that authenticates as user (one
// of [Users]) to the embedded broker of the state folder dir, reading its
// password from [PasswordPath].
func Credentials(dir, user string) (sasl.Mechanism, error) {
	if !slices.Contains(Users(), user) {
		return nil, fmt.Errorf("the embedded broker has no SASL user %q (it has %v)", user, Users())
	}
	pw, err := secret.ReadState(PasswordPath(dir, user))
	if err != nil {
		return nil, fmt.Errorf("embedded SASL password of %s: %w", user, err)
	}
	return topics.SASL(Mechanism, user, pw)
}

// grants is what the broker must enforce: each ACL user's grants of the
// specification for group, as kfake entries with their principal.
func grants(group string) (map[string][]kfake.ACL, error) {
	spec := topics.Default().ACLs(group)
	out := map[string][]kfake.ACL{}
	for u, r := range roleOf {
		acls, err := KfakeACLs(spec, r)
		if err != nil {
			return nil, err
		}
		out[u] = acls
	}
	return out, nil
}

// saslOpts returns the broker options that turn SASL and ACLs on, with
// each user's password read from dir and its grants for group.
func saslOpts(dir, group string) ([]kfake.Opt, error) {
	g, err := grants(group)
	if err != nil {
		return nil, err
	}
	opts := []kfake.Opt{kfake.EnableSASL(), kfake.EnableACLs()}
	for _, u := range Users() {
		pw, err := secret.ReadState(PasswordPath(dir, u))
		if err != nil {
			return nil, fmt.Errorf("embedded SASL password of %s: %w", u, err)
		}
		if u == UserAdmin {
			opts = append(opts, kfake.Superuser(Mechanism, u, pw))
			continue
		}
		opts = append(opts, kfake.User(Mechanism, u, pw, g[u]...))
	}
	return opts, nil
}

// forgetPersistedSASL removes the SCRAM verifiers kfake persisted in its
// data directory. kfake loads them in place of the users it is given, so
// a state whose broker data predates a password (or predates SASL: an old
// state folder's kafka/sasl.json holds no user) would refuse every login.
// The password files are the source of truth; kfake writes the verifiers
// again from them.
func forgetPersistedSASL(dataDir string) error {
	err := os.Remove(filepath.Join(dataDir, "sasl.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// aclKey is an ACL entry as the reconciliation compares them.
type aclKey struct {
	principal, host, name string
	resource              kafka.ResourceType
	pattern               kafka.PatternType
	op                    kafka.ACLOperationType
	perm                  kafka.ACLPermissionType
}

func (k aclKey) String() string {
	return fmt.Sprintf("%s %v %v %v %q (%v) from %s", k.principal, k.perm, k.op, k.resource, k.name, k.pattern, k.host)
}

// reconcileACLs makes the broker's ACLs exactly the grants of group, as
// the admin (a super user): kfake seeds the grants only into an empty data
// directory, so a state folder made by an older version (no ACLs: every
// request would be refused) or for another consumer group gets its grants
// here. It returns what it changed, for the log.
func (c *Cluster) reconcileACLs(ctx context.Context, group string) (added, removed []string, err error) {
	g, err := grants(group)
	if err != nil {
		return nil, nil, err
	}
	want := map[aclKey]bool{}
	for u, acls := range g {
		for _, a := range acls {
			want[aclKey{principal: "User:" + u, host: a.Host, name: a.Name, resource: kafka.ResourceType(a.Resource),
				pattern: kafka.PatternType(a.Pattern), op: kafka.ACLOperationType(a.Operation), perm: permOf(a.Allow)}] = true
		}
	}
	tr := topics.Transport(c.AdminTLS, c.AdminSASL)
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Addr: kafka.TCP(c.Brokers...), Transport: tr, Timeout: 15 * time.Second}
	desc, err := cl.DescribeACLs(ctx, &kafka.DescribeACLsRequest{Filter: kafka.ACLFilter{
		ResourceTypeFilter: kafka.ResourceTypeAny, ResourcePatternTypeFilter: kafka.PatternTypeAny,
		Operation: kafka.ACLOperationTypeAny, PermissionType: kafka.ACLPermissionTypeAny}})
	if err == nil {
		err = desc.Error
	}
	if err != nil {
		return nil, nil, fmt.Errorf("embedded broker: describe ACLs: %w", err)
	}
	var extra []kafka.DeleteACLsFilter
	have := map[aclKey]bool{}
	for _, r := range desc.Resources {
		for _, a := range r.ACLs {
			k := aclKey{principal: a.Principal, host: a.Host, name: r.ResourceName, resource: r.ResourceType,
				pattern: r.PatternType, op: a.Operation, perm: a.PermissionType}
			have[k] = true
			if !want[k] {
				removed = append(removed, k.String())
				extra = append(extra, kafka.DeleteACLsFilter{ResourceTypeFilter: k.resource, ResourceNameFilter: k.name,
					ResourcePatternTypeFilter: k.pattern, PrincipalFilter: k.principal, HostFilter: k.host,
					Operation: k.op, PermissionType: k.perm})
			}
		}
	}
	if len(extra) > 0 {
		res, err := cl.DeleteACLs(ctx, &kafka.DeleteACLsRequest{Filters: extra})
		if err != nil {
			return nil, nil, fmt.Errorf("embedded broker: delete stale ACLs: %w", err)
		}
		for _, r := range res.Results {
			if r.Error != nil {
				return nil, nil, fmt.Errorf("embedded broker: delete stale ACLs: %w", r.Error)
			}
		}
	}
	var missing []kafka.ACLEntry
	for k := range want {
		if !have[k] {
			added = append(added, k.String())
			missing = append(missing, kafka.ACLEntry{ResourceType: k.resource, ResourceName: k.name, ResourcePatternType: k.pattern,
				Principal: k.principal, Host: k.host, Operation: k.op, PermissionType: k.perm})
		}
	}
	if len(missing) > 0 {
		res, err := cl.CreateACLs(ctx, &kafka.CreateACLsRequest{ACLs: missing})
		if err != nil {
			return nil, nil, fmt.Errorf("embedded broker: create ACLs: %w", err)
		}
		for _, e := range res.Errors {
			if e != nil {
				return nil, nil, fmt.Errorf("embedded broker: create ACLs: %w", e)
			}
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed, nil
}

// permOf is a kfake ACL's permission for kafka-go. (kmsg and kafka-go
// number resource types, patterns and operations alike, as the Kafka
// protocol does; TestReconcileACLs checks the conversions.)
func permOf(allow bool) kafka.ACLPermissionType {
	if allow {
		return kafka.ACLPermissionTypeAllow
	}
	return kafka.ACLPermissionTypeDeny
}
