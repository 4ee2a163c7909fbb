package cluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

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
// user per role of live/topics' ACL specification, each holding exactly
// its grants (KfakeACLs), as `mouseauth pki config acl` renders them:
//
//	UserScorer    topics.RoleScorer
//	UserReplay    topics.RoleReplay    the shared client of replay and benchmarks
//	UserAdmin     topics.RoleAdmin     creates topics
//	UserOperator  topics.RoleOperator  reads decisions, alerts, dead letters
//	NAME          topics.RoleClient    each client identity (see clients.go)
//
// and the broker's own principal, UserBroker, a super user as Kafka's
// inter-broker principal is: it sets the ACLs, the client identities'
// SCRAM credentials and the topics' configs. Its password is generated at
// each start and exists only in this process's memory; no file and no
// command holds it.
//
// Passwords of the roles are generated on first use (crypto/rand, 256
// bits) and kept in STATE/sasl/USER.password (0600 in a 0700 folder); they
// never appear in flags or logs. The broker itself keeps only SCRAM
// verifiers (salted, iterated hashes) in kafka/sasl.json.

// The embedded broker's SASL users. They carry the names of the client
// certificates EnsurePKI issues, so a command's --cert is its user.
const (
	UserScorer   = CertScorer
	UserReplay   = CertReplay
	UserAdmin    = CertAdmin
	UserOperator = CertOperator
	// UserBroker is the broker's own principal (never a certificate's).
	UserBroker = "broker"
)

// Mechanism is the SASL mechanism of the embedded broker.
const Mechanism = topics.SCRAMSHA512

// SASLDir is the folder of the SASL passwords in a state folder.
const SASLDir = "sasl"

// Users lists the embedded broker's SASL users of the roles (the client
// identities and the broker's own principal apart).
func Users() []string { return []string{UserScorer, UserReplay, UserAdmin, UserOperator} }

// roleOf is the ACL role of each user of Users.
var roleOf = map[string]topics.Role{UserScorer: topics.RoleScorer, UserReplay: topics.RoleReplay,
	UserAdmin: topics.RoleAdmin, UserOperator: topics.RoleOperator}

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
// of [Users], or a registered client identity) to the embedded broker of
// the state folder dir, reading its password from [PasswordPath].
func Credentials(dir, user string) (sasl.Mechanism, error) {
	if !slices.Contains(Users(), user) {
		if _, err := clientOf(dir, user); err != nil {
			return nil, fmt.Errorf("the embedded broker has no SASL user %q (it has %v and the client identities)", user, Users())
		}
	}
	pw, err := secret.ReadState(PasswordPath(dir, user))
	if err != nil {
		return nil, fmt.Errorf("embedded SASL password of %s: %w", user, err)
	}
	return topics.SASL(Mechanism, user, pw)
}

// grants is what the broker must enforce: each user's grants of the
// specification for group, the feature design and the client identities,
// as kfake entries.
func grants(group string, perUser bool, clients []topics.Client) (map[string][]kfake.ACL, error) {
	n := topics.Default()
	n.PerUser = perUser
	spec := n.ACLs(group, clients...)
	out := map[string][]kfake.ACL{}
	for u, r := range roleOf {
		acls, err := KfakeACLs(spec, r)
		if err != nil {
			return nil, err
		}
		out[u] = acls
	}
	for _, c := range clients {
		var mine []topics.Grant
		for _, g := range topics.For(spec, topics.RoleClient) {
			if g.Client == c.Name {
				mine = append(mine, g)
			}
		}
		acls, err := KfakeACLs(mine, topics.RoleClient)
		if err != nil {
			return nil, err
		}
		out[c.Name] = acls
	}
	return out, nil
}

// saslOpts returns the broker options that turn SASL and ACLs on: each
// role's and each client identity's user with its password read from the
// state folder and its grants, and the broker's own principal with
// brokerPW.
func (c *Cluster) saslOpts(clients []registered, brokerPW string) ([]kfake.Opt, error) {
	g, err := grants(c.opts.Group, c.opts.TopicPerUser, specClients(clients))
	if err != nil {
		return nil, err
	}
	opts := []kfake.Opt{kfake.EnableSASL(), kfake.EnableACLs(), kfake.Superuser(Mechanism, UserBroker, brokerPW)}
	for _, u := range Users() {
		pw, err := secret.ReadState(PasswordPath(c.Dir, u))
		if err != nil {
			return nil, fmt.Errorf("embedded SASL password of %s: %w", u, err)
		}
		opts = append(opts, kfake.User(Mechanism, u, pw, g[u]...))
	}
	for _, cl := range clients {
		opts = append(opts, kfake.User(Mechanism, cl.Name, cl.password, g[cl.Name]...))
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

// reconcileACLs makes the broker's ACLs exactly the grants of the
// options' group and feature design and of clients, as the broker's own
// principal: kfake seeds the grants only into an empty data directory, so
// a state folder made by an older version (no ACLs, or the admin a super
// user), for another consumer group, or before a client identity was added
// or removed gets its grants here. It returns what it changed, for the
// log.
func (c *Cluster) reconcileACLs(ctx context.Context, clients []topics.Client) (added, removed []string, err error) {
	g, err := grants(c.opts.Group, c.opts.TopicPerUser, clients)
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
	cl, closeClient := c.internalClient()
	defer closeClient()
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
