package pki

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/internal/testutil"
	mysqlstore "github.com/mouseauth/mouseauth/live/store/mysql"
)

func TestMySQLRejectionMatrix(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	crt, key := CertPaths(f.dir, "server")
	db := testutil.StartMariaDB(t, testutil.MariaDBOptions{CA: f.path(CACertFile), Cert: crt, Key: key})
	// The account is bound to the scorer certificate's subject and our CA.
	stmt := MariaDBCreateUser("scorer", "%", f.issued["scorer"].Cert, f.ca.Cert, "")
	t.Logf("account: %s", strings.TrimSpace(stmt))
	db.Exec(t, stmt)

	dsn := fmt.Sprintf("scorer@tcp(%s)/", db.Addr)
	wrongName := f.client(t, "scorer")
	wrongName.ServerName = "db.elsewhere.example"
	otherCA := f.clientOtherCA(t)
	otherCA.GetClientCertificate = nil
	otherCA.Certificates = []tls.Certificate{tlsCert(f.otherIs["client"])}
	explWrongSubject := []string{"refused the account"}
	runMatrix(t, []matrixCase{
		{name: "positive", cfg: f.client(t, "scorer"), wantOK: true},
		{name: "no client certificate", cfg: f.clientNoCert(t), explain: append(explNoCert, explWrongSubject...)},
		{name: "client certificate from another CA", cfg: f.clientOtherCA(t), explain: append(explOtherCA, explWrongSubject...)},
		{name: "expired client certificate", cfg: f.client(t, "expired"), explain: append(explExpired, explWrongSubject...)},
		{name: "certificate for the wrong subject", cfg: f.client(t, "intruder"), explain: explWrongSubject},
		{name: "server name does not match", cfg: wrongName, explain: explName},
	}, func(tc matrixCase) CheckResult {
		return Check(context.Background(), "mysql", db.Addr, tc.cfg, mysqlstore.Probe(dsn))
	})
}
