package cassandra

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/cqltest"
	"github.com/mouseauth/mouseauth/internal/testpki"
	"github.com/mouseauth/mouseauth/live/store"
	"github.com/mouseauth/mouseauth/live/store/storetest"
	"github.com/mouseauth/mouseauth/pki"
)

var ksSeq atomic.Int64

// stub starts the CQL stub with a server certificate of a fresh CA and
// returns it with a client configuration of the same CA.
func stub(t *testing.T) (*cqltest.Server, *tls.Config) {
	t.Helper()
	p := testpki.New(t)
	return cqltest.Start(t, p.Server(t)), p.Client(t, "scorer")
}

func TestStub(t *testing.T) {
	t.Parallel()
	s, client := stub(t)
	storetest.Profiles(t, func(t *testing.T) store.Profiles {
		st, err := Open(context.Background(), Config{
			Hosts: []string{s.Addr}, Keyspace: fmt.Sprintf("mouseauth_test_%d", ksSeq.Add(1)),
			TLS: client, CreateSchema: true})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}, storetest.PartialBatches())
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	client := testpki.New(t).Client(t, "scorer")
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no TLS", Config{Hosts: []string{"127.0.0.1:9142"}}, "TLS configuration is required"},
		{"no hosts", Config{TLS: client}, "no contact points"},
		{"bad keyspace", Config{Hosts: []string{"127.0.0.1:9142"}, TLS: client, Keyspace: "mouse; DROP KEYSPACE x"}, `keyspace "mouse; DROP KEYSPACE x"`},
		{"keyspace starting with a digit", Config{Hosts: []string{"127.0.0.1:9142"}, TLS: client, Keyspace: "1ks"}, "starting with a letter"},
		{"unknown replication", Config{Hosts: []string{"127.0.0.1:9142"}, TLS: client, Replication: "EverywhereStrategy"}, `unknown replication strategy "EverywhereStrategy"`},
		{"topology without datacenters", Config{Hosts: []string{"127.0.0.1:9142"}, TLS: client, Replication: NetworkTopologyStrategy}, "at least one datacenter"},
		{"datacenter name with a quote", Config{Hosts: []string{"127.0.0.1:9142"}, TLS: client, Replication: NetworkTopologyStrategy,
			DCFactors: map[string]int{"dc1'": 3}}, "datacenter name"},
		{"simple with datacenters", Config{Hosts: []string{"127.0.0.1:9142"}, TLS: client, DCFactors: map[string]int{"dc1": 3}}, "need NetworkTopologyStrategy"},
		{"negative factor", Config{Hosts: []string{"127.0.0.1:9142"}, TLS: client, Factor: -1}, "at least 1"},
		{"unknown consistency", Config{Hosts: []string{"127.0.0.1:9142"}, TLS: client, Consistency: "MOST"}, `unknown consistency "MOST"`},
		{"two ports", Config{Hosts: []string{"127.0.0.1:9142", "127.0.0.2:9042"}, TLS: client}, "ports 9142 and 9042"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestCreateSchemaReplication(t *testing.T) {
	t.Parallel()
	s, client := stub(t)
	st, err := Open(context.Background(), Config{Hosts: []string{s.Addr}, Keyspace: "mouseauth_nts", TLS: client,
		Replication: NetworkTopologyStrategy, DCFactors: map[string]int{"dc1": 3, "dc2": 2}, CreateSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := `CREATE KEYSPACE IF NOT EXISTS "mouseauth_nts" WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}`
	var sawKeyspace, tables int
	for _, q := range s.Queries() {
		if q == want {
			sawKeyspace++
		}
		if strings.HasPrefix(q, "CREATE TABLE IF NOT EXISTS") {
			tables++
		}
	}
	if sawKeyspace != 1 || tables != 4 {
		t.Fatalf("the stub saw %d %q and %d CREATE TABLE; queries:\n%s", sawKeyspace, want, tables, strings.Join(s.Queries(), "\n"))
	}
	rep, ok := s.Replication("mouseauth_nts")
	if !ok || rep["class"] != NetworkTopologyStrategy || rep["dc1"] != "3" || rep["dc2"] != "2" {
		t.Fatalf("stub keyspace replication = %v, %v", rep, ok)
	}

	// Opening again with CreateSchema is harmless: everything exists.
	again, err := Open(context.Background(), Config{Hosts: []string{s.Addr}, Keyspace: "mouseauth_nts", TLS: client, CreateSchema: true})
	if err != nil {
		t.Fatalf("second Open with CreateSchema: %v", err)
	}
	again.Close()
}

func TestMissingKeyspace(t *testing.T) {
	t.Parallel()
	s, client := stub(t)
	_, err := Open(context.Background(), Config{Hosts: []string{s.Addr}, Keyspace: "absent", TLS: client, Timeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "keyspace absent") {
		t.Fatalf("Open of a missing keyspace without CreateSchema: err = %v", err)
	}
}

// TestStubRestart: a node restart drops every connection; the store keeps
// working once gocql has reconnected, and the data is still there.
func TestStubRestart(t *testing.T) {
	t.Parallel()
	s, client := stub(t)
	ctx := context.Background()
	st, err := Open(ctx, Config{Hosts: []string{s.Addr}, Keyspace: "mouseauth_restart", TLS: client, CreateSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := st.CreateSession(ctx, store.Session{ID: "s", User: "u", Accepted: true, Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err = st.Session(ctx, "u", "s")
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("after a restart: %v", err)
	}
}

// TestRealCluster runs the suite against a real Cassandra with mutual TLS.
func TestRealCluster(t *testing.T) {
	t.Parallel()
	hosts := os.Getenv("MOUSEAUTH_TEST_CASSANDRA")
	if hosts == "" {
		t.Skip("set MOUSEAUTH_TEST_CASSANDRA=host:port[,host:port] with MOUSEAUTH_TEST_CASSANDRA_CA, " +
			"MOUSEAUTH_TEST_CASSANDRA_CERT and MOUSEAUTH_TEST_CASSANDRA_KEY (PEM paths) to test a real cluster")
	}
	ca, err := pki.ReadCert(os.Getenv("MOUSEAUTH_TEST_CASSANDRA_CA"))
	if err != nil {
		t.Fatalf("MOUSEAUTH_TEST_CASSANDRA_CA: %v", err)
	}
	cert, err := pki.LoadKeyPair(os.Getenv("MOUSEAUTH_TEST_CASSANDRA_CERT"), os.Getenv("MOUSEAUTH_TEST_CASSANDRA_KEY"))
	if err != nil {
		t.Fatalf("MOUSEAUTH_TEST_CASSANDRA_CERT/KEY: %v", err)
	}
	client, err := pki.ClientTLS(pki.Config{CA: ca, Certificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Hosts: strings.Split(hosts, ","), TLS: client, CreateSchema: true, Timeout: 20 * time.Second}
	run := time.Now().UnixNano()
	var keyspaces []string
	t.Cleanup(func() { dropKeyspaces(t, cfg, keyspaces) })
	storetest.Profiles(t, func(t *testing.T) store.Profiles {
		c := cfg
		c.Keyspace = fmt.Sprintf("mouseauth_t%d_%d", run%1e9, ksSeq.Add(1))
		keyspaces = append(keyspaces, c.Keyspace)
		st, err := Open(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}, storetest.PartialBatches())
}

func dropKeyspaces(t *testing.T, cfg Config, keyspaces []string) {
	if len(keyspaces) == 0 {
		return
	}
	st, err := cfg.validate()
	if err != nil {
		t.Error(err)
		return
	}
	sess, err := st.cluster(&cfg, "").CreateSession()
	if err != nil {
		t.Errorf("dropping the test keyspaces: %v", err)
		return
	}
	defer sess.Close()
	for _, ks := range keyspaces {
		if err := sess.Query(`DROP KEYSPACE IF EXISTS "` + ks + `"`).Exec(); err != nil {
			t.Errorf("drop keyspace %s: %v", ks, err)
		}
	}
}

// TestLargeBatch: a batch over Cassandra's 50 KiB batch limit (which the
// stub enforces) is split per user into batches under it.
func TestLargeBatch(t *testing.T) {
	t.Parallel()
	s, client := stub(t)
	ctx := context.Background()
	st, err := Open(ctx, Config{Hosts: []string{s.Addr}, Keyspace: "mouseauth_large", TLS: client, CreateSchema: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var vs []store.Vector
	var ds []store.Decision
	for seq := int64(0); seq < 300; seq++ {
		for _, user := range []string{"u1", "u2"} {
			vs = append(vs, store.Vector{User: user, Session: "s", Seq: seq, At: time.UnixMilli(seq), Values: make([]float64, 39)})
			ds = append(ds, store.Decision{User: user, Session: "s", Seq: seq, At: time.UnixMilli(seq)})
		}
	}
	iv, id, err := st.PutBatch(ctx, vs, ds)
	if err != nil {
		t.Fatal(err)
	}
	for i := range iv {
		if !iv[i] || !id[i] {
			t.Fatalf("row %d not inserted", i)
		}
	}
	for _, user := range []string{"u1", "u2"} {
		if nv, nd, err := st.Counts(ctx, user); err != nil || nv != 300 || nd != 300 {
			t.Fatalf("Counts(%s) = %d, %d, %v", user, nv, nd, err)
		}
	}
	batches := 0
	for _, q := range s.Queries() {
		if strings.HasPrefix(q, "INSERT INTO vectors") {
			batches++
		}
	}
	if batches != 1 {
		t.Fatalf("the vector insert was prepared %d times, want once", batches)
	}
}

// TestOlderSchema: a keyspace whose tables predate a column (the session
// key, the judged flag or the flags of decisions) is refused with the statement that
// brings it up to date.
func TestOlderSchema(t *testing.T) {
	t.Parallel()
	s, client := stub(t)
	ctx := context.Background()
	sessions := `CREATE TABLE %s.sessions (uid text, id text, client text, accepted boolean, reason text,
		alerted boolean, started timestamp %s, PRIMARY KEY ((uid), id))`
	for i, tc := range []struct {
		name, sessionKey, judged, want string
	}{
		{"no session key", "", ", judged boolean, flags int", `ALTER TABLE "%s".sessions ADD mac_key blob`},
		{"no judged", ", mac_key blob", ", flags int", `ALTER TABLE "%s".decisions ADD judged boolean`},
		{"no flags", ", mac_key blob", ", judged boolean", `ALTER TABLE "%s".decisions ADD flags int`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks := fmt.Sprintf("mouseauth_old%d", i)
			cfg := Config{Hosts: []string{s.Addr}, Keyspace: ks, TLS: client, CreateSchema: true}
			st, err := cfg.validate()
			if err != nil {
				t.Fatal(err)
			}
			sess, err := st.cluster(&cfg, "").CreateSession()
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				`CREATE KEYSPACE ` + ks + ` WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
				fmt.Sprintf(sessions, ks, tc.sessionKey),
				`CREATE TABLE ` + ks + `.decisions (uid text, session text, seq bigint, score double, mean double, win int,
					threshold double, accept boolean, alert boolean` + tc.judged + `, model_version int, at timestamp,
					PRIMARY KEY ((uid), session, seq))`,
			} {
				if err := sess.Query(q).Exec(); err != nil {
					t.Fatal(err)
				}
			}
			sess.Close()
			_, err = Open(ctx, cfg)
			if want := fmt.Sprintf(tc.want, ks); !errors.Is(err, store.ErrSchema) || !strings.Contains(err.Error(), want) {
				t.Fatalf("Open of a keyspace of an older version: err = %v, want ErrSchema with %s", err, want)
			}
		})
	}
}

func BenchmarkWrites(b *testing.B) {
	p := testpki.New(b)
	s := cqltest.Start(b, p.Server(b))
	storetest.Bench(b, func(b *testing.B) store.Profiles {
		st, err := Open(context.Background(), Config{Hosts: []string{s.Addr}, Keyspace: fmt.Sprintf("mouseauth_bench_%d", ksSeq.Add(1)),
			TLS: p.Client(b, "scorer"), CreateSchema: true})
		if err != nil {
			b.Fatal(err)
		}
		return st
	})
}
