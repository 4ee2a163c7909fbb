package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/live/topics"
	"github.com/mouseauth/mouseauth/pki"
)

// PKIConfigACLOptions are the inputs of `mouseauth pki config acl`.
type PKIConfigACLOptions struct {
	pkiCommon
	Replay, Scorer string   // certificates of the client and scorer roles
	Admin          string   // certificate of the admin role; empty: a super user creates topics
	Group          string   // the scorer's consumer group
	Bootstrap      []string // brokers, kafka-acls.sh's --bootstrap-server
	// Principals are given ones (--principal ROLE=User:NAME), for SASL_SSL
	// clusters; they take the place of a role's certificate.
	Principals topics.Principals
}

func newCmdPKIConfigACL(f *cli.Factory, runF func(context.Context, *PKIConfigACLOptions) error) *cobra.Command {
	o := &PKIConfigACLOptions{pkiCommon: newPKICommon(f)}
	var principals []string
	cmd := &cobra.Command{
		Use:   "acl {--pki-dir DIR --replay NAME --scorer NAME | --principal ROLE=User:NAME...} [--admin NAME] [--group GROUP]",
		Short: "kafka-acls.sh commands granting each role exactly what mouseauth does",
		Long: `Acl prints one kafka-acls.sh command per grant of the pipeline's ACL
specification (live/topics), for the principals of the named certificates:

` + aclSummary() + `
Topics are created only by the admin role: with --admin NAME its grants go to
NAME's certificate, without it a super user creates the topics. The scorer and
clients only check that their topics exist.

Who the principal is depends on the broker's listener. On SSL with
ssl.client.auth=required it is the certificate's subject, which --replay,
--scorer and --admin read from DIR. On SASL_SSL (mutual TLS, then SASL/SCRAM,
as the embedded broker runs) it is the SASL user: give
--principal scorer=User:scorer --principal client=User:replay (and
admin=User:NAME), and create the users' SCRAM credentials with
kafka-configs.sh --alter --add-config 'SCRAM-SHA-512=[password=...]'
--entity-type users --entity-name NAME. A --principal takes the place of the
role's certificate flag.`,
		Example: `  mouseauth pki config acl --pki-dir mouseauth-pki --replay replay --scorer scorer --group mouseauth-live
  mouseauth pki config acl --pki-dir mouseauth-pki --replay replay --scorer scorer --admin ops --brokers kafka-1:9093
  mouseauth pki config acl --principal scorer=User:scorer --principal client=User:replay --group mouseauth-live`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Principals = topics.Principals{}
			for _, s := range principals {
				r, p, err := topics.ParseRolePrincipal(s)
				if err != nil {
					return cli.FlagErrorf("--principal: %v", err)
				}
				o.Principals[r] = p
			}
			if o.Replay == "" && o.Principals[topics.RoleClient] == "" || o.Scorer == "" && o.Principals[topics.RoleScorer] == "" {
				return cli.FlagErrorf("config acl: --replay and --scorer are required (or --principal client=... and scorer=...)")
			}
			if o.Replay == "" && o.Scorer == "" && o.Admin == "" && o.Dir == "" {
				// Every principal is given: no certificate to read.
				if runF != nil {
					return runF(cmd.Context(), o)
				}
				return runPKIConfigACL(cmd.Context(), o)
			}
			return runPKI(cmd.Context(), &o.pkiCommon, o, runF, runPKIConfigACL)
		},
	}
	o.bindDir(cmd)
	cmd.Flags().StringVar(&o.Replay, "replay", "", "certificate of the replaying client (role client)")
	cmd.Flags().StringVar(&o.Scorer, "scorer", "", "certificate of the scoring service (role scorer)")
	cmd.Flags().StringVar(&o.Admin, "admin", "", "certificate of the operator who creates the topics (role admin)")
	cmd.Flags().StringVar(&o.Group, "group", topics.DefaultGroup, "the scorer's consumer group")
	cmd.Flags().StringSliceVar(&o.Bootstrap, "brokers", []string{"localhost:9093"}, "Kafka brokers host:port, for kafka-acls.sh --bootstrap-server")
	cli.Alias(cmd.Flags(), "bootstrap-server", "brokers")
	cmd.Flags().StringArrayVar(&principals, "principal", nil, "ROLE=User:NAME, a role's principal on a SASL_SSL cluster (roles scorer, client, admin; repeatable)")
	return cmd
}

func runPKIConfigACL(_ context.Context, o *PKIConfigACLOptions) error {
	principals := topics.Principals{}
	for _, c := range []struct {
		role topics.Role
		name string
	}{{topics.RoleScorer, o.Scorer}, {topics.RoleClient, o.Replay}, {topics.RoleAdmin, o.Admin}} {
		if p := o.Principals[c.role]; p != "" {
			principals[c.role] = p
			continue
		}
		if c.name == "" {
			continue
		}
		p, err := pki.PrincipalOf(o.Dir, c.name)
		if err != nil {
			return err
		}
		principals[c.role] = p
	}
	return topics.WriteACLCommands(o.IO.Out, topics.Default().ACLs(o.Group), principals, topics.ACLCommandOptions{Brokers: strings.Join(o.Bootstrap, ",")})
}

// aclSummary lists the specification's grants per role, for the help.
func aclSummary() string {
	var b strings.Builder
	flag := map[topics.Role]string{topics.RoleScorer: "--scorer", topics.RoleClient: "--replay", topics.RoleAdmin: "--admin"}
	for _, r := range topics.Roles() {
		fmt.Fprintf(&b, "  %s (%s)\n", r, flag[r])
		for _, g := range topics.For(topics.Default().ACLs("--group"), r) {
			name := g.Name
			if g.Pattern == topics.PatternPrefixed {
				name += "*"
			}
			fmt.Fprintf(&b, "    %-8s %-5s %s\n", g.Operation, g.Resource, name)
		}
	}
	return b.String()
}
