package cluster

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/mouseauth/mouseauth/live/topics"
)

// KfakeACLs converts role's grants of the ACL specification
// (topics.Names.ACLs) into kfake ACL entries, for
// kfake.User(method, user, password, acls...), so the embedded broker
// enforces the same grants kafka-acls.sh sets on a real cluster. kfake.User
// sets each entry's principal to "User:<user>"; Host is "*".
func KfakeACLs(grants []topics.Grant, role topics.Role) ([]kfake.ACL, error) {
	var out []kfake.ACL
	for _, g := range topics.For(grants, role) {
		a, err := kfakeACL(g)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func kfakeACL(g topics.Grant) (kfake.ACL, error) {
	a := kfake.ACL{Name: g.Name, Allow: g.Allow, Host: "*"}
	switch g.Resource {
	case topics.ResourceTopic:
		a.Resource = kmsg.ACLResourceTypeTopic
	case topics.ResourceGroup:
		a.Resource = kmsg.ACLResourceTypeGroup
	case topics.ResourceCluster:
		a.Resource, a.Name = kmsg.ACLResourceTypeCluster, topics.ClusterName
	default:
		return kfake.ACL{}, fmt.Errorf("acl: unknown resource type %q", g.Resource)
	}
	switch g.Pattern {
	case topics.PatternLiteral:
		a.Pattern = kmsg.ACLResourcePatternTypeLiteral
	case topics.PatternPrefixed:
		a.Pattern = kmsg.ACLResourcePatternTypePrefixed
	default:
		return kfake.ACL{}, fmt.Errorf("acl: unknown pattern type %q", g.Pattern)
	}
	switch g.Operation {
	case topics.OpRead:
		a.Operation = kmsg.ACLOperationRead
	case topics.OpWrite:
		a.Operation = kmsg.ACLOperationWrite
	case topics.OpDescribe:
		a.Operation = kmsg.ACLOperationDescribe
	case topics.OpCreate:
		a.Operation = kmsg.ACLOperationCreate
	default:
		return kfake.ACL{}, fmt.Errorf("acl: unknown operation %q", g.Operation)
	}
	return a, nil
}
