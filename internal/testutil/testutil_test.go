package testutil

import (
	"strings"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func TestCQLStubServesGocql(t *testing.T) {
	s := StartCQLStub(t, nil)
	host, port, _ := strings.Cut(s.Addr, ":")
	cl := gocql.NewCluster(host)
	cl.Port = atoi(t, port)
	cl.ProtoVersion = 4
	cl.Timeout = 2 * time.Second
	cl.NumConns = 1
	sess, err := cl.CreateSession()
	if err != nil {
		t.Fatalf("gocql could not connect to the stub: %v", err)
	}
	sess.Close()
	var local bool
	for _, q := range s.Queries() {
		local = local || strings.Contains(q, "system.local")
	}
	if !local {
		t.Fatalf("gocql connected without asking system.local: %q", s.Queries())
	}
}

func TestMariaDBStarts(t *testing.T) {
	m := StartMariaDB(t, MariaDBOptions{})
	m.Exec(t, "CREATE DATABASE mt", "CREATE TABLE mt.t (v INT)", "INSERT INTO mt.t VALUES (41),(1)")
	db, err := m.Root()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sum int
	if err := db.QueryRow("SELECT SUM(v) FROM mt.t").Scan(&sum); err != nil || sum != 42 {
		t.Fatalf("sum %d, err %v", sum, err)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("port %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}
