package topics_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/live/topics"
)

// allows reports whether grants let role perform op on a resource, as
// Kafka's authorizer decides: a literal grant matches its name (or "*"), a
// prefixed one every name it starts; Read, Write, Delete and Alter imply
// Describe; a Deny wins over any Allow.
func allows(grants []topics.Grant, role topics.Role, res topics.ResourceType, name string, op topics.Operation) bool {
	return allowsClient(grants, role, "", res, name, op)
}

// allowsClient is allows for one client identity (RoleClient grants of
// that client only).
func allowsClient(grants []topics.Grant, role topics.Role, client string, res topics.ResourceType, name string, op topics.Operation) bool {
	allowed := false
	for _, g := range grants {
		if g.Role != role || g.Resource != res || g.Client != client {
			continue
		}
		switch g.Pattern {
		case topics.PatternLiteral:
			if g.Name != name && g.Name != "*" {
				continue
			}
		case topics.PatternPrefixed:
			if !strings.HasPrefix(name, g.Name) {
				continue
			}
		default:
			continue
		}
		implied := op == topics.OpDescribe && g.Allow && slices.Contains([]topics.Operation{topics.OpRead, topics.OpWrite, "Delete", "Alter"}, g.Operation)
		if g.Operation != op && g.Operation != "All" && !implied {
			continue
		}
		if !g.Allow {
			return false
		}
		allowed = true
	}
	return allowed
}

// TestACLsCoverWhatTheCodeDoes derives the requests each role makes from the
// same names the code uses (Names.FeaturesFor, Shared, DefaultGroup) and
// checks the specification allows exactly those.
func TestACLsCoverWhatTheCodeDoes(t *testing.T) {
	const (
		scorer, client, admin = topics.RoleScorer, topics.RoleReplay, topics.RoleAdmin
		operator              = topics.RoleOperator
		topic, group          = topics.ResourceTopic, topics.ResourceGroup
		read, write           = topics.OpRead, topics.OpWrite
		describe, create      = topics.OpDescribe, topics.OpCreate
	)
	for _, perUser := range []bool{false, true} {
		n := topics.Default()
		n.PerUser = perUser
		grants := n.ACLs("")
		users := []string{"alice", "user-7", "x.y"}
		must := func(want bool, r topics.Role, res topics.ResourceType, name string, op topics.Operation, why string) {
			t.Helper()
			if got := allows(grants, r, res, name, op); got != want {
				t.Errorf("perUser=%v: %s %s on %s %q = %v, want %v (%s)", perUser, r, op, res, name, got, want, why)
			}
		}
		// live.Service consumes, in its group, the logins and every user's
		// features topic; replay produces them.
		consumed := []string{n.Logins}
		for _, u := range users {
			consumed = append(consumed, n.FeaturesFor(u))
		}
		for _, tp := range consumed {
			must(true, scorer, topic, tp, read, "group reader: Metadata, ListOffsets, Fetch, OffsetCommit")
			must(true, client, topic, tp, write, "replay produces logins and vectors")
			must(false, client, topic, tp, read, "a client never reads passwords or other users' vectors")
			must(false, scorer, topic, tp, write, "the scorer never forges logins or vectors")
		}
		must(true, scorer, group, topics.DefaultGroup, read, "JoinGroup, SyncGroup, Heartbeat, OffsetCommit")
		must(false, client, group, topics.DefaultGroup, read, "a client may not join the scorer's group")
		must(false, client, group, topics.DefaultGroup, describe, "nor find its coordinator")
		// The worker publishes decisions, alerts and dead letters; replay
		// reads the decisions by partition.
		for _, tp := range []string{n.Decisions, n.Alerts, n.DeadLetter} {
			must(true, scorer, topic, tp, write, "topics.NewWriter")
			must(false, client, topic, tp, write, "a client may not forge decisions, alerts or dead letters")
		}
		must(true, client, topic, n.Decisions, read, "replay's partition readers")
		must(false, client, topic, n.Alerts, read, "alerts are for operators")
		must(false, client, topic, n.DeadLetter, read, "dead letters hold copies of other users' messages")
		must(false, client, topic, n.DecisionsFor("ws1"), read, "replay may not read a workstation's decisions")
		must(true, scorer, topic, n.DecisionsFor("ws1"), write, "decisions of a client identity's sessions")
		// The operator reads what people read, and nothing else.
		for _, tp := range []string{n.Decisions, n.DecisionsFor("ws1"), n.Alerts, n.DeadLetter} {
			must(true, operator, topic, tp, read, "live tail")
			must(false, operator, topic, tp, write, "the operator writes nothing")
		}
		for _, tp := range consumed {
			must(false, operator, topic, tp, read, "inputs are the scorer's")
			must(false, operator, topic, tp, write, "the operator writes nothing")
		}
		must(false, operator, group, topics.DefaultGroup, read, "the operator may not join the scorer's group")
		// Every command checks the topics it uses exist (topics.Ensure: Metadata).
		for _, r := range []topics.Role{scorer, client, admin} {
			for _, tp := range n.Shared() {
				must(true, r, topic, tp, describe, "topics.Ensure at start")
			}
			for _, u := range users {
				must(true, r, topic, n.FeaturesFor(u), describe, "EnsureUserTopics")
			}
		}
		// Only the admin creates topics.
		for _, tp := range append(n.Shared(), n.FeaturesFor("alice"), n.DecisionsFor("ws1")) {
			must(true, admin, topic, tp, create, "topics.Ensure by the admin role")
			for _, r := range []topics.Role{scorer, client, operator} {
				must(false, r, topic, tp, create, "only the admin creates topics")
			}
		}
		// Nothing beyond the pipeline.
		for _, r := range topics.Roles() {
			for _, op := range []topics.Operation{read, write, create, describe} {
				must(false, r, topic, "other.topic", op, "not the pipeline's")
				must(false, r, topic, "mouseauth.featuresX", op, "a lookalike of the features topic")
				must(false, r, topics.ResourceCluster, topics.ClusterName, op, "no cluster grants")
			}
			must(false, r, group, "other-group", read, "not the pipeline's group")
		}
	}
	if !allows(topics.Default().ACLs("g1"), topics.RoleScorer, topics.ResourceGroup, "g1", topics.OpRead) {
		t.Error("the group argument is not the scorer's group")
	}
}

// TestClientIdentityACLs: a client identity writes logins and the vectors
// of its own users only (with one topic per user; the keyed topic cannot
// tell users apart), reads its own decision topic only, and nothing else.
func TestClientIdentityACLs(t *testing.T) {
	ws1 := topics.Client{Name: "ws1", Users: []string{"alice", "bob"}}
	ws2 := topics.Client{Name: "ws2", Users: []string{"carol"}}
	const topic, read, write = topics.ResourceTopic, topics.OpRead, topics.OpWrite
	for _, perUser := range []bool{false, true} {
		n := topics.Default()
		n.PerUser = perUser
		grants := n.ACLs("", ws1, ws2)
		must := func(want bool, c, name string, op topics.Operation, why string) {
			t.Helper()
			if got := allowsClient(grants, topics.RoleClient, c, topic, name, op); got != want {
				t.Errorf("perUser=%v: client %s %s on %q = %v, want %v (%s)", perUser, c, op, name, got, want, why)
			}
		}
		must(true, "ws1", n.Logins, write, "logins (the scorer checks the signature's binding)")
		must(true, "ws1", n.FeaturesFor("alice"), write, "its user's vectors")
		must(perUser == false, "ws1", n.FeaturesFor("carol"), write, "another client's user: refused by the broker with a topic per user")
		must(true, "ws1", n.DecisionsFor("ws1"), read, "its own decisions")
		for _, tp := range []string{n.DecisionsFor("ws2"), n.Decisions, n.Alerts, n.DeadLetter, n.Logins, n.FeaturesFor("alice")} {
			must(false, "ws1", tp, read, "not its own decisions")
		}
		for _, tp := range []string{n.DecisionsFor("ws1"), n.Decisions, n.Alerts, n.DeadLetter} {
			must(false, "ws1", tp, write, "only the scorer writes these")
		}
		must(false, "ws1", n.DecisionsFor("ws1x"), read, "a lookalike: the grant is literal")
		if allowsClient(grants, topics.RoleClient, "ws1", topics.ResourceGroup, topics.DefaultGroup, read) {
			t.Error("a client may join the scorer's group")
		}
	}
}

// tokens splits a shell command line as sh does for the quoting
// WriteACLCommands uses: single quotes, and a quote inside them written as
// close quote, backslash-escaped quote, open quote.
func tokens(t *testing.T, line string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	inQuote, started := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case inQuote && c == '\'':
			inQuote = false
		case inQuote:
			cur.WriteByte(c)
		case c == '\'':
			inQuote, started = true, true
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			started = true
		case c == ' ':
			if started {
				out = append(out, cur.String())
				cur.Reset()
				started = false
			}
		case c == '#':
			if started {
				t.Fatalf("# inside a word: %s", line)
			}
			return out
		default:
			cur.WriteByte(c)
			started = true
		}
	}
	if inQuote {
		t.Fatalf("unterminated quote: %s", line)
	}
	if started {
		out = append(out, cur.String())
	}
	return out
}

// parseCommands reads the grants back from kafka-acls.sh command lines.
func parseCommands(t *testing.T, out string, roleOf map[string]topics.Role) []topics.Grant {
	t.Helper()
	var got []topics.Grant
	for _, line := range strings.Split(out, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		tok := tokens(t, line)
		if len(tok) == 0 || tok[0] != "kafka-acls.sh" {
			t.Fatalf("not a kafka-acls.sh command: %q", line)
		}
		g := topics.Grant{Pattern: topics.PatternLiteral}
		for i := 1; i < len(tok); i++ {
			arg := func() string {
				i++
				if i >= len(tok) {
					t.Fatalf("%s without a value: %q", tok[i-1], line)
				}
				return tok[i]
			}
			switch tok[i] {
			case "--allow-principal", "--deny-principal":
				g.Allow = tok[i] == "--allow-principal"
				p := arg()
				r, ok := roleOf[p]
				if !ok {
					t.Fatalf("unknown principal %q in %q", p, line)
				}
				g.Role = r
			case "--operation":
				g.Operation = topics.Operation(arg())
			case "--topic", "--group":
				g.Resource = topics.ResourceType(strings.TrimPrefix(tok[i], "--"))
				g.Name = arg()
			case "--cluster":
				g.Resource, g.Name = topics.ResourceCluster, topics.ClusterName
			case "--resource-pattern-type":
				g.Pattern = topics.PatternType(arg())
			case "--command-config", "--bootstrap-server":
				arg()
			case "--add":
			default:
				t.Fatalf("unexpected argument %q in %q", tok[i], line)
			}
		}
		got = append(got, g)
	}
	return got
}

func TestWriteACLCommandsRendersTheSpec(t *testing.T) {
	principals := topics.Principals{
		topics.RoleScorer:   "User:CN=scorer,OU=live,O=mouseauth",
		topics.RoleReplay:   "User:CN=O'Brien replay,O=mouseauth", // a quote and a space survive the shell
		topics.RoleOperator: "User:CN=ops-reader,O=mouseauth",
		topics.RoleAdmin:    "User:CN=ops,O=mouseauth",
	}
	roleOf := map[string]topics.Role{"User:ws1": topics.RoleClient}
	for r, p := range principals {
		roleOf[p] = r
	}
	spec := topics.Default().ACLs("g 1", topics.Client{Name: "ws1", Users: []string{"alice"}})
	var b bytes.Buffer
	if err := topics.WriteACLCommands(&b, spec, principals, topics.ACLCommandOptions{Brokers: "k:9093"}); err != nil {
		t.Fatal(err)
	}
	got := parseCommands(t, b.String(), roleOf)
	key := func(g topics.Grant) topics.Grant { g.Requests, g.Client = "", ""; return g }
	var want []topics.Grant
	for _, g := range spec {
		want = append(want, key(g))
	}
	if len(got) != len(want) {
		t.Fatalf("%d commands for %d grants:\n%s", len(got), len(want), b.String())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("command %d grants %+v, want %+v", i, got[i], want[i])
		}
	}
	// The grants the hand-written commands lacked (issue 10).
	for _, w := range []string{
		`--allow-principal 'User:CN=O'\''Brien replay,O=mouseauth' --operation Read --topic 'mouseauth.decisions' --resource-pattern-type literal`,
		`--allow-principal 'User:CN=scorer,OU=live,O=mouseauth' --operation Read --topic 'mouseauth.features.' --resource-pattern-type prefixed`,
		`--allow-principal 'User:CN=scorer,OU=live,O=mouseauth' --operation Read --group 'g 1' --resource-pattern-type literal`,
		`--allow-principal 'User:ws1' --operation Read --topic 'mouseauth.decisions.ws1' --resource-pattern-type literal`,
	} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("commands lack %q:\n%s", w, b.String())
		}
	}
	if strings.Contains(b.String(), "--producer") || strings.Contains(b.String(), "--consumer") {
		t.Error("--producer/--consumer grant Create and more than the code needs")
	}

	// Without an admin principal no admin command is written.
	delete(principals, topics.RoleAdmin)
	b.Reset()
	if err := topics.WriteACLCommands(&b, spec, principals, topics.ACLCommandOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, g := range parseCommands(t, b.String(), roleOf) {
		if g.Role == topics.RoleAdmin || g.Operation == topics.OpCreate {
			t.Errorf("admin grant rendered without an admin principal: %+v", g)
		}
	}
	if !strings.Contains(b.String(), "# admin:") || !strings.Contains(b.String(), "--bootstrap-server localhost:9093") {
		t.Errorf("no admin note or default bootstrap server:\n%s", b.String())
	}

	if err := topics.WriteACLCommands(&b, []topics.Grant{{Role: topics.RoleScorer, Resource: "queue", Operation: topics.OpRead, Pattern: topics.PatternLiteral}}, principals, topics.ACLCommandOptions{}); err == nil {
		t.Error("an unknown resource type was rendered")
	}
}
