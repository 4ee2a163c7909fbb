package pki

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"github.com/go-sql-driver/mysql"
	"net"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/segmentio/kafka-go"
)

// CheckResult says what a connection negotiated, or why it failed.
type CheckResult struct {
	Target      string   `json:"target"` // kafka, mysql, cassandra
	Addr        string   `json:"addr"`
	OK          bool     `json:"ok"`
	TLSVersion  string   `json:"tls_version,omitempty"`
	Cipher      string   `json:"cipher,omitempty"`
	PeerSubject string   `json:"peer_subject,omitempty"`
	Chain       []string `json:"verified_chain,omitempty"`
	Explanation string   `json:"explanation,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// recorder captures the connection state seen during a handshake.
type recorder struct {
	mu sync.Mutex
	cs *tls.ConnectionState
}

func (r *recorder) wrap(cfg *tls.Config) *tls.Config {
	c := cfg.Clone()
	prev := c.VerifyConnection
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		r.mu.Lock()
		r.cs = &cs
		r.mu.Unlock()
		if prev != nil {
			return prev(cs)
		}
		return nil
	}
	return c
}

func (r *recorder) fill(res *CheckResult, err error) CheckResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cs := r.cs; cs != nil {
		res.TLSVersion = tls.VersionName(cs.Version)
		res.Cipher = tls.CipherSuiteName(cs.CipherSuite)
		if len(cs.PeerCertificates) > 0 {
			res.PeerSubject = RFC2253(cs.PeerCertificates[0])
		}
		if len(cs.VerifiedChains) > 0 {
			for _, c := range cs.VerifiedChains[0] {
				res.Chain = append(res.Chain, RFC2253(c))
			}
		}
	}
	if err != nil {
		res.Error = err.Error()
		res.Explanation = Explain(err)
		return *res
	}
	res.OK = true
	return *res
}

// CheckKafka connects to a broker with cfg and asks for its API versions.
func CheckKafka(ctx context.Context, cfg *tls.Config, addr string) CheckResult {
	var rec recorder
	res := CheckResult{Target: "kafka", Addr: addr}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cl := &kafka.Client{Addr: kafka.TCP(addr), Transport: KafkaTransport(rec.wrap(cfg))}
	_, err := cl.ApiVersions(ctx, &kafka.ApiVersionsRequest{})
	return rec.fill(&res, err)
}

// CheckMySQL connects with dsn (its tls= parameter is replaced by cfg) and
// runs a query over the connection.
func CheckMySQL(ctx context.Context, cfg *tls.Config, dsn string) (res CheckResult) {
	var rec recorder
	res = CheckResult{Target: "mysql"}
	name := fmt.Sprintf("mouseauth-check-%d", time.Now().UnixNano())
	full, err := RegisterMySQL(name, rec.wrap(cfg), dsn)
	if err != nil {
		return rec.fill(&res, err)
	}
	res.Addr = mysqlAddr(full)
	mc, err := mysql.ParseDSN(full)
	if err != nil {
		return rec.fill(&res, err)
	}
	// The driver logs the TLS error and returns only "invalid connection":
	// capture the log so the refusal can be explained.
	var logged driverLog
	mc.Logger = &logged
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return rec.fill(&res, err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	defer func() {
		if res.Error != "" && logged.String() != "" {
			res.Error += " (driver: " + logged.String() + ")"
			res.Explanation = Explain(errors.New(logged.String()))
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var cipher string
	err = db.QueryRowContext(ctx, "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME='Ssl_cipher'").Scan(&cipher)
	if err == nil && cipher == "" {
		err = fmt.Errorf("the server reports no TLS cipher on this session")
	}
	res = rec.fill(&res, err)
	return res
}

// driverLog collects what the MySQL driver logs.
type driverLog struct {
	mu  sync.Mutex
	msg []string
}

func (l *driverLog) Print(v ...any) {
	l.mu.Lock()
	l.msg = append(l.msg, strings.TrimSpace(fmt.Sprint(v...)))
	l.mu.Unlock()
}

func (l *driverLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.msg, "; ")
}

func mysqlAddr(dsn string) string {
	if i := strings.Index(dsn, "("); i >= 0 {
		if j := strings.Index(dsn[i:], ")"); j > 0 {
			return dsn[i+1 : i+j]
		}
	}
	return ""
}

// CheckCassandra connects to hosts (comma-separated host:port) with cfg.
func CheckCassandra(_ context.Context, cfg *tls.Config, hosts string) CheckResult {
	var rec recorder
	res := CheckResult{Target: "cassandra", Addr: hosts}
	hs := strings.Split(hosts, ",")
	cl := gocql.NewCluster(hs...)
	if h, p, err := net.SplitHostPort(hs[0]); err == nil {
		var port int
		fmt.Sscan(p, &port)
		cl.Hosts = []string{h}
		cl.Port = port
	}
	cl.ProtoVersion = 4
	cl.Timeout = 5 * time.Second
	cl.ConnectTimeout = 5 * time.Second
	cl.NumConns = 1
	cl.ReconnectionPolicy = &gocql.ConstantReconnectionPolicy{MaxRetries: 0, Interval: time.Second}
	cl.SslOpts = Gocql(rec.wrap(cfg))
	s, err := cl.CreateSession()
	if err == nil {
		// CreateSession has read system.local and system.peers over TLS.
		s.Close()
	}
	return rec.fill(&res, err)
}
