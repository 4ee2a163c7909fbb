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
	Replay, Scorer string   // certificates of the shared replay client and the scorer
	Admin          string   // certificate of the admin role; empty: a super user creates topics
	Operator       string   // certificate of the operator role
	Client         string   // a client identity's certificate (pki bundle): its grants, for its users
	TopicPerUser   bool     // one feature topic per user: a client's grants name its users' topics
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
		Use:   "acl {--pki-dir DIR --replay NAME --scorer NAME | --principal ROLE=User:NAME...} [--admin NAME] [--operator NAME] [--client NAME] [--group GROUP]",
		Short: "kafka-acls.sh commands granting each role exactly what mouseauth does",
		Long: `Acl prints one kafka-acls.sh command per grant of the pipeline's ACL
specification (live/topics), for the principals of the named certificates:

` + aclSummary() + `
Topics are created only by the admin role: with --admin NAME its grants go to
NAME's certificate, without it a super user creates the topics. The scorer and
clients only check that their topics exist.

--client NAME renders the grants of one workstation's client identity (made by
'pki bundle', its certificate in DIR): write logins and its users' vectors
(with --topic-per-user the broker itself refuses its vectors for other users),
read its own decision topic. Its principal is its certificate's subject, or
User:NAME when the other principals are SASL users (--principal).

Who the principal is depends on the broker's listener. On SSL with
ssl.client.auth=required it is the certificate's subject, which --replay,
--scorer and --admin read from DIR. On SASL_SSL (mutual TLS, then SASL/SCRAM,
as the embedded broker runs) it is the SASL user: give
--principal scorer=User:scorer --principal replay=User:replay (and
admin=User:NAME, operator=User:NAME), and create the users' SCRAM credentials with
kafka-configs.sh --alter --add-config 'SCRAM-SHA-512=[password=...]'
--entity-type users --entity-name NAME. A --principal takes the place of the
role's certificate flag.`,
		Example: `  mouseauth pki config acl --pki-dir mouseauth-pki --replay replay --scorer scorer --group mouseauth-live
  mouseauth pki config acl --pki-dir mouseauth-pki --replay replay --scorer scorer --admin ops --brokers kafka-1:9093
  mouseauth pki config acl --principal scorer=User:scorer --principal replay=User:replay --group mouseauth-live
  mouseauth pki config acl --pki-dir mouseauth-state/pki --principal scorer=User:scorer --client ws1`,
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
			if o.Scorer == "" && o.Principals[topics.RoleScorer] == "" {
				return cli.FlagErrorf("config acl: --scorer is required (or --principal scorer=...)")
			}
			if o.Client != "" && o.Dir == "" {
				return cli.FlagErrorf("config acl: --client reads the identity's certificate from --pki-dir")
			}
			if o.Replay == "" && o.Scorer == "" && o.Admin == "" && o.Operator == "" && o.Client == "" && o.Dir == "" {
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
	cmd.Flags().StringVar(&o.Admin, "admin", "", "certificate of the administrator who creates the topics (role admin)")
	cmd.Flags().StringVar(&o.Operator, "operator", "", "certificate of the operator who reads decisions, alerts and dead letters (role operator)")
	cmd.Flags().StringVar(&o.Client, "client", "", "a client identity's certificate ('pki bundle'): its grants, for the users it is bound to")
	cmd.Flags().BoolVar(&o.TopicPerUser, "topic-per-user", false, "one feature topic per user, as the enterprise design had")
	cmd.Flags().StringVar(&o.Group, "group", topics.DefaultGroup, "the scorer's consumer group")
	cmd.Flags().StringSliceVar(&o.Bootstrap, "brokers", []string{"localhost:9093"}, "Kafka brokers host:port, for kafka-acls.sh --bootstrap-server")
	cli.Alias(cmd.Flags(), "bootstrap-server", "brokers")
	cmd.Flags().StringArrayVar(&principals, "principal", nil, "ROLE=User:NAME, a role's principal on a SASL_SSL cluster (roles scorer, replay, admin, operator; repeatable)")
	return cmd
}

func runPKIConfigACL(_ context.Context, o *PKIConfigACLOptions) error {
	principals := topics.Principals{}
	for _, c := range []struct {
		role topics.Role
		name string
	}{{topics.RoleScorer, o.Scorer}, {topics.RoleReplay, o.Replay}, {topics.RoleAdmin, o.Admin}, {topics.RoleOperator, o.Operator}} {
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
	names := topics.Default()
	names.PerUser = o.TopicPerUser
	var clients []topics.Client
	co := topics.ACLCommandOptions{Brokers: strings.Join(o.Bootstrap, ",")}
	if o.Client != "" {
		crt, _ := pki.CertPaths(o.Dir, o.Client)
		c, err := pki.ReadCert(crt)
		if err != nil {
			return err
		}
		b, err := pki.BindingOf(c)
		if err != nil {
			return fmt.Errorf("%s: %w (make client identities with 'mouseauth pki bundle')", crt, err)
		}
		if b.AnyUser {
			return fmt.Errorf("%s is bound to every user: the shared replay identity (--replay), not a workstation's", crt)
		}
		clients = append(clients, topics.Client{Name: c.Subject.CommonName, Users: b.Users})
		if len(o.Principals) == 0 {
			subject := pki.KafkaPrincipal(c)
			co.ClientPrincipal = func(string) string { return subject }
		}
	}
	return topics.WriteACLCommands(o.IO.Out, names.ACLs(o.Group, clients...), principals, co)
}

// aclSummary lists the specification's grants per role, for the help.
func aclSummary() string {
	var b strings.Builder
	flag := map[topics.Role]string{topics.RoleScorer: "--scorer", topics.RoleReplay: "--replay", topics.RoleAdmin: "--admin",
		topics.RoleOperator: "--operator", topics.RoleClient: "--client"}
	spec := topics.Default().ACLs("--group", topics.Client{Name: "NAME", Users: []string{"U"}})
	for _, r := range append(topics.Roles(), topics.RoleClient) {
		fmt.Fprintf(&b, "  %s (%s)\n", r, flag[r])
		for _, g := range topics.For(spec, r) {
			name := g.Name
			if g.Pattern == topics.PatternPrefixed {
				name += "*"
			}
			fmt.Fprintf(&b, "    %-8s %-5s %s\n", g.Operation, g.Resource, name)
		}
	}
	return b.String()
}
