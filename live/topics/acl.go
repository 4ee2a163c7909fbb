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
	// and vectors in its consumer group and produces decisions (to the
	// shared topic and the clients' own), alerts and dead letters.
	RoleScorer Role = "scorer"
	// RoleClient is one workstation's client identity (one principal per
	// identity, [Client]): it produces logins and the vectors of the users
	// it is bound to, and reads its own decision topic
	// ([Names.DecisionsFor]), partition by partition without a group.
	RoleClient Role = "client"
	// RoleReplay is the shared client identity of replay and the
	// benchmarks, bound to every user: it produces logins and vectors and
	// reads the shared decision topic. Not for workstations.
	RoleReplay Role = "replay"
	// RoleAdmin creates the topics ([Ensure]): an operator identity on a
	// real cluster, the embedded cluster's topic-creating identity
	// (internal/cluster) in embedded mode. The scorer and the clients never
	// create topics.
	RoleAdmin Role = "admin"
	// RoleOperator reads what people read: every decision topic, the
	// alerts and the dead letters (`mouseauth live tail`), and nothing
	// else.
	RoleOperator Role = "operator"
)

// Roles lists the roles of one principal each, in the order the
// specification is rendered. [RoleClient] has a principal per client
// identity and is rendered after them.
func Roles() []Role { return []Role{RoleScorer, RoleReplay, RoleAdmin, RoleOperator} }

// Client is a client identity (RoleClient): its name (the certificate's
// common name, the SASL user) and the users it may act for.
type Client struct {
	Name  string
	Users []string
}

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

// Grant is one ACL entry of the specification: Role (for RoleClient, the
// identity Client) may (Allow) or may not perform Operation on the
// resources Resource/Name/Pattern select, from any host.
type Grant struct {
	Role      Role
	Client    string // the client identity's name, for RoleClient
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
	reqReadDirect  = "Metadata, ListOffsets, Fetch (the client's partition readers, no group)"
	reqEnsure      = "Metadata (topics.Ensure checks every shared topic exists)"
	reqCreate      = "CreateTopics (topics.Ensure, missing topics only)"
	reqCreateCheck = "Metadata (topics.Ensure, before creating)"
	reqTail        = "Metadata, ListOffsets, Fetch (live tail's partition readers, no group)"
)

// ACLs is the ACL specification of the pipeline with these topic names,
// the scorer's consumer group (empty: [DefaultGroup]) and the client
// identities: every grant each role needs for the requests mouseauth's
// code makes, and nothing more.
//
//	scorer    Read  topic logins, features, features.* (group reader)
//	          Read  group        (join, sync, heartbeat, commit)
//	          Write topic decisions, decisions.*, alerts, deadletter
//	replay    Write topic logins, features, features.*
//	          Read  topic decisions (partition readers)
//	          Describe topic alerts, deadletter (Ensure checks they exist)
//	admin     Describe, Create  every topic, features.* and decisions.*
//	operator  Read  topic decisions, decisions.*, alerts, deadletter
//	client C  Write topic logins
//	          Write topic features (one keyed topic) or features.U for
//	                each user U of C (one topic per user)
//	          Read  topic decisions.C (literal: C's decisions only)
//
// The shared topics and features.* are covered in both feature designs for
// every role but a client, whose vector grants follow Names.PerUser: with
// one topic per user the broker itself refuses a client's vectors for
// users it is not bound to; with the keyed topic it cannot (Kafka grants
// topics, not keys), and the scorer refuses them (their session was never
// opened). Nobody holds a cluster grant; no one but the admin may create
// topics.
func (t Names) ACLs(group string, clients ...Client) []Grant {
	if group == "" {
		group = DefaultGroup
	}
	var g []Grant
	add := func(r Role, res ResourceType, name string, p PatternType, op Operation, why string) {
		g = append(g, Grant{Role: r, Resource: res, Name: name, Pattern: p, Operation: op, Allow: true, Requests: why})
	}
	perUser, perClient := t.PerUserPrefix(), t.ClientDecisionsPrefix()

	add(RoleScorer, ResourceTopic, t.Logins, PatternLiteral, OpRead, reqGroupTopic)
	add(RoleScorer, ResourceTopic, t.Features, PatternLiteral, OpRead, reqGroupTopic)
	add(RoleScorer, ResourceTopic, perUser, PatternPrefixed, OpRead, reqGroupTopic)
	add(RoleScorer, ResourceGroup, group, PatternLiteral, OpRead, reqGroup)
	for _, topic := range []string{t.Decisions, t.Alerts, t.DeadLetter} {
		add(RoleScorer, ResourceTopic, topic, PatternLiteral, OpWrite, reqProduce)
	}
	add(RoleScorer, ResourceTopic, perClient, PatternPrefixed, OpWrite, reqProduce)

	add(RoleReplay, ResourceTopic, t.Logins, PatternLiteral, OpWrite, reqProduce)
	add(RoleReplay, ResourceTopic, t.Features, PatternLiteral, OpWrite, reqProduce)
	add(RoleReplay, ResourceTopic, perUser, PatternPrefixed, OpWrite, reqProduce)
	add(RoleReplay, ResourceTopic, t.Decisions, PatternLiteral, OpRead, reqReadDirect)
	add(RoleReplay, ResourceTopic, t.Alerts, PatternLiteral, OpDescribe, reqEnsure)
	add(RoleReplay, ResourceTopic, t.DeadLetter, PatternLiteral, OpDescribe, reqEnsure)

	for _, topic := range t.all() {
		add(RoleAdmin, ResourceTopic, topic, PatternLiteral, OpDescribe, reqCreateCheck)
		add(RoleAdmin, ResourceTopic, topic, PatternLiteral, OpCreate, reqCreate)
	}
	for _, prefix := range []string{perUser, perClient} {
		add(RoleAdmin, ResourceTopic, prefix, PatternPrefixed, OpDescribe, reqCreateCheck)
		add(RoleAdmin, ResourceTopic, prefix, PatternPrefixed, OpCreate, reqCreate)
	}

	for _, topic := range []string{t.Decisions, t.Alerts, t.DeadLetter} {
		add(RoleOperator, ResourceTopic, topic, PatternLiteral, OpRead, reqTail)
	}
	add(RoleOperator, ResourceTopic, perClient, PatternPrefixed, OpRead, reqTail)

	for _, c := range clients {
		addC := func(name string, op Operation, why string) {
			g = append(g, Grant{Role: RoleClient, Client: c.Name, Resource: ResourceTopic, Name: name, Pattern: PatternLiteral, Operation: op, Allow: true, Requests: why})
		}
		addC(t.Logins, OpWrite, reqProduce)
		if t.PerUser {
			for _, u := range c.Users {
				addC(t.FeaturesFor(u), OpWrite, reqProduce)
			}
		} else {
			addC(t.Features, OpWrite, reqProduce)
		}
		addC(t.DecisionsFor(c.Name), OpRead, reqReadDirect)
	}
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
// SASL_SSL listener). Client identities have one each:
// [ACLCommandOptions.ClientPrincipal].
type Principals map[Role]string

// ParseRolePrincipal reads ROLE=PRINCIPAL, as `mouseauth pki config acl
// --principal` takes it: ROLE is scorer, replay, admin or operator, and
// PRINCIPAL is "User:NAME" with a non-empty NAME, for example
// scorer=User:scorer on a SASL_SSL cluster. (A client identity's principal
// is its own: see [ACLCommandOptions].)
func ParseRolePrincipal(s string) (Role, string, error) {
	role, principal, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("principal %q: want ROLE=User:NAME (roles scorer, replay, admin, operator)", s)
	}
	r := Role(role)
	if r == RoleClient {
		return "", "", fmt.Errorf("principal %q: a client identity is named by its certificate (--client NAME), its principal User:NAME or its subject", s)
	}
	if !slices.Contains(Roles(), r) {
		return "", "", fmt.Errorf("principal %q: unknown role %q (want scorer, replay, admin or operator)", s, role)
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
	// ClientPrincipal is a client identity's principal (default "User:" +
	// name: its SASL user).
	ClientPrincipal func(name string) string
}

var roleDoc = map[Role]string{
	RoleScorer:   "the scoring service: consumes logins and vectors in its group, produces decisions, alerts and dead letters",
	RoleReplay:   "the shared client of replay and the benchmarks, bound to every user: produces logins and vectors, reads the shared decisions by partition",
	RoleAdmin:    "creates the topics (the scorer and clients only check that they exist)",
	RoleOperator: "reads the decisions, alerts and dead letters (live tail), nothing else",
	RoleClient:   "one workstation: produces logins and its users' vectors, reads its own decisions by partition",
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
	if o.ClientPrincipal == nil {
		o.ClientPrincipal = func(name string) string { return "User:" + name }
	}
	write := func(r Role, p, doc string, rg []Grant) error {
		fmt.Fprintf(&b, "\n# %s %s: %s.\n", r, p, doc)
		for _, g := range rg {
			cmd, err := aclCommand(g, p, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%s   # %s\n", cmd, g.Requests)
		}
		return nil
	}
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
		if err := write(r, p, roleDoc[r], rg); err != nil {
			return err
		}
	}
	var clients []string
	byClient := map[string][]Grant{}
	for _, g := range For(grants, RoleClient) {
		if byClient[g.Client] == nil {
			clients = append(clients, g.Client)
		}
		byClient[g.Client] = append(byClient[g.Client], g)
	}
	for _, c := range clients {
		if err := write(RoleClient, o.ClientPrincipal(c), "client identity "+c+", "+roleDoc[RoleClient], byClient[c]); err != nil {
			return err
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
