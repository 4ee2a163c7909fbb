package topics

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Role is a party of the Kafka contract. Each role is one principal: the
// certificate's subject on an SSL listener with client authentication
// ("User:CN=scorer,OU=live,O=mouseauth"), the SASL user on a SASL_SSL
// listener ("User:scorer"; the embedded broker is one).
type Role string

// The roles of the ACL specification.
const (
	// RoleScorer is the scoring service (package live): it consumes logins
	// and vectors in its consumer group and produces decisions, alerts and
	// dead letters.
	RoleScorer Role = "scorer"
	// RoleClient is replay or any client application: it produces logins
	// and vectors and reads the decisions, partition by partition without
	// a consumer group.
	RoleClient Role = "client"
	// RoleAdmin creates the topics ([Ensure]): an operator identity on a
	// real cluster, the embedded cluster's bootstrap identity
	// (internal/cluster) in embedded mode. The scorer and the clients never
	// create topics.
	RoleAdmin Role = "admin"
)

// Roles lists every role, in the order the specification is rendered.
func Roles() []Role { return []Role{RoleScorer, RoleClient, RoleAdmin} }

// ResourceType is what a grant applies to, as kafka-acls.sh names it.
type ResourceType string

// Resource types.
const (
	ResourceTopic   ResourceType = "topic"
	ResourceGroup   ResourceType = "group"
	ResourceCluster ResourceType = "cluster" // named ClusterName
)

// ClusterName is the name of the cluster resource in Kafka's ACLs.
const ClusterName = "kafka-cluster"

// PatternType says how a grant's name matches resources.
type PatternType string

// Pattern types: a literal name (exactly that resource) or a prefix.
const (
	PatternLiteral  PatternType = "literal"
	PatternPrefixed PatternType = "prefixed"
)

// Operation is a Kafka ACL operation, spelled as kafka-acls.sh takes it.
// Kafka implies Describe from Read, Write, Delete and Alter.
type Operation string

// The operations the specification uses.
const (
	OpRead     Operation = "Read"
	OpWrite    Operation = "Write"
	OpDescribe Operation = "Describe"
	OpCreate   Operation = "Create"
)

// Grant is one ACL entry of the specification: Role may (Allow) or may not
// perform Operation on the resources Resource/Name/Pattern select, from
// any host.
type Grant struct {
	Role      Role
	Resource  ResourceType
	Name      string
	Pattern   PatternType
	Operation Operation
	Allow     bool
	// Requests names the Kafka requests of mouseauth's code this grant
	// serves, for people reading the rendered commands.
	Requests string
}

// Requests the roles make, as named in grants.
const (
	reqGroupTopic  = "Metadata, OffsetFetch, ListOffsets, Fetch, OffsetCommit (live.Service's group reader)"
	reqGroup       = "FindCoordinator, JoinGroup, SyncGroup, Heartbeat, OffsetFetch, OffsetCommit, LeaveGroup"
	reqProduce     = "Metadata, Produce (topics.NewWriter)"
	reqReadDirect  = "Metadata, ListOffsets, Fetch (replay's partition readers, no group)"
	reqEnsure      = "Metadata (topics.Ensure checks every shared topic exists)"
	reqCreate      = "CreateTopics (topics.Ensure, missing topics only)"
	reqCreateCheck = "Metadata (topics.Ensure, before creating)"
)

// ACLs is the ACL specification of the pipeline with these topic names and
// the scorer's consumer group (empty: [DefaultGroup]): every grant each
// role needs for the requests mouseauth's code makes, and nothing more.
// The feature topics are covered in both designs, the one keyed topic
// (literal) and one topic per user (the prefix [Names.PerUserPrefix]), so
// switching --topic-per-user needs no new grants.
//
//	scorer  Read  topic logins, features, features.* (group reader)
//	        Read  group        (join, sync, heartbeat, commit)
//	        Write topic decisions, alerts, deadletter
//	client  Write topic logins, features, features.*
//	        Read  topic decisions (partition readers)
//	        Describe topic alerts, deadletter (Ensure checks they exist)
//	admin   Describe, Create  every topic and features.*
//
// Nobody holds a cluster grant; no one but the admin may create topics.
func (t Names) ACLs(group string) []Grant {
	if group == "" {
		group = DefaultGroup
	}
	var g []Grant
	add := func(r Role, res ResourceType, name string, p PatternType, op Operation, why string) {
		g = append(g, Grant{Role: r, Resource: res, Name: name, Pattern: p, Operation: op, Allow: true, Requests: why})
	}
	perUser := t.PerUserPrefix()

	add(RoleScorer, ResourceTopic, t.Logins, PatternLiteral, OpRead, reqGroupTopic)
	add(RoleScorer, ResourceTopic, t.Features, PatternLiteral, OpRead, reqGroupTopic)
	add(RoleScorer, ResourceTopic, perUser, PatternPrefixed, OpRead, reqGroupTopic)
	add(RoleScorer, ResourceGroup, group, PatternLiteral, OpRead, reqGroup)
	for _, topic := range []string{t.Decisions, t.Alerts, t.DeadLetter} {
		add(RoleScorer, ResourceTopic, topic, PatternLiteral, OpWrite, reqProduce)
	}

	add(RoleClient, ResourceTopic, t.Logins, PatternLiteral, OpWrite, reqProduce)
	add(RoleClient, ResourceTopic, t.Features, PatternLiteral, OpWrite, reqProduce)
	add(RoleClient, ResourceTopic, perUser, PatternPrefixed, OpWrite, reqProduce)
	add(RoleClient, ResourceTopic, t.Decisions, PatternLiteral, OpRead, reqReadDirect)
	add(RoleClient, ResourceTopic, t.Alerts, PatternLiteral, OpDescribe, reqEnsure)
	add(RoleClient, ResourceTopic, t.DeadLetter, PatternLiteral, OpDescribe, reqEnsure)

	for _, topic := range t.all() {
		add(RoleAdmin, ResourceTopic, topic, PatternLiteral, OpDescribe, reqCreateCheck)
		add(RoleAdmin, ResourceTopic, topic, PatternLiteral, OpCreate, reqCreate)
	}
	add(RoleAdmin, ResourceTopic, perUser, PatternPrefixed, OpDescribe, reqCreateCheck)
	add(RoleAdmin, ResourceTopic, perUser, PatternPrefixed, OpCreate, reqCreate)
	return g
}

// For returns the grants of one role.
func For(grants []Grant, r Role) []Grant {
	var out []Grant
	for _, g := range grants {
		if g.Role == r {
			out = append(out, g)
		}
	}
	return out
}

// Principals maps roles to Kafka principals: "User:CN=scorer,OU=live,O=..."
// (certificate subjects, SSL listener) or "User:scorer" (SASL users,
// SASL_SSL listener).
type Principals map[Role]string

// ParseRolePrincipal reads ROLE=PRINCIPAL, as `mouseauth pki config acl
// --principal` takes it: ROLE is scorer, client (or replay, its name in
// the commands) or admin, and PRINCIPAL is "User:NAME" with a non-empty
// NAME, for example scorer=User:scorer on a SASL_SSL cluster.
func ParseRolePrincipal(s string) (Role, string, error) {
	role, principal, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("principal %q: want ROLE=User:NAME (roles scorer, client, admin)", s)
	}
	r := Role(role)
	if role == "replay" {
		r = RoleClient
	}
	if !slices.Contains(Roles(), r) {
		return "", "", fmt.Errorf("principal %q: unknown role %q (want scorer, client or admin)", s, role)
	}
	if name, ok := strings.CutPrefix(principal, "User:"); !ok || strings.TrimSpace(name) == "" {
		return "", "", fmt.Errorf("principal %q: %q is not User:NAME", s, principal)
	}
	return r, principal, nil
}

// ACLCommandOptions configure [WriteACLCommands].
type ACLCommandOptions struct {
	Command string // default "kafka-acls.sh --command-config admin-ssl.properties"
	Brokers string // --bootstrap-server, default localhost:9093
}

var roleDoc = map[Role]string{
	RoleScorer: "the scoring service: consumes logins and vectors in its group, produces decisions, alerts and dead letters",
	RoleClient: "replay or any client: produces logins and vectors, reads decisions by partition",
	RoleAdmin:  "creates the topics (the scorer and clients only check that they exist)",
}

// WriteACLCommands writes one kafka-acls.sh --add command per grant whose
// role has a principal, each followed by the requests it serves. A role
// without a principal gets a comment instead of commands.
func WriteACLCommands(w io.Writer, grants []Grant, principals Principals, o ACLCommandOptions) error {
	if o.Command == "" {
		o.Command = "kafka-acls.sh --command-config admin-ssl.properties"
	}
	if o.Brokers == "" {
		o.Brokers = "localhost:9093"
	}
	var b strings.Builder
	b.WriteString("# Kafka ACLs of the mouseauth live pipeline, rendered by `mouseauth pki config acl` from the\n" +
		"# ACL specification in live/topics. Principals are certificate subjects in RFC 2253 form\n" +
		"# (SSL listener with ssl.client.auth=required) or SASL users (SASL_SSL listener).\n" +
		"# Kafka implies Describe from Read and Write. No role holds a cluster grant.\n")
	for _, r := range Roles() {
		rg := For(grants, r)
		if len(rg) == 0 {
			continue
		}
		p := principals[r]
		if p == "" {
			fmt.Fprintf(&b, "\n# %s: %s.\n# No principal given: a super user does this (it needs no grant).\n", r, roleDoc[r])
			continue
		}
		fmt.Fprintf(&b, "\n# %s %s: %s.\n", r, p, roleDoc[r])
		for _, g := range rg {
			cmd, err := aclCommand(g, p, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s   # %s\n", cmd, g.Requests)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func aclCommand(g Grant, principal string, o ACLCommandOptions) (string, error) {
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	perm := "--allow-principal"
	if !g.Allow {
		perm = "--deny-principal"
	}
	var res string
	switch g.Resource {
	case ResourceTopic, ResourceGroup:
		res = "--" + string(g.Resource) + " " + q(g.Name)
	case ResourceCluster:
		res = "--cluster"
	default:
		return "", fmt.Errorf("acl: unknown resource type %q", g.Resource)
	}
	switch g.Pattern {
	case PatternLiteral, PatternPrefixed:
	default:
		return "", fmt.Errorf("acl: unknown pattern type %q", g.Pattern)
	}
	return fmt.Sprintf("%s --bootstrap-server %s --add %s %s --operation %s %s --resource-pattern-type %s",
		o.Command, o.Brokers, perm, q(principal), g.Operation, res, g.Pattern), nil
}
