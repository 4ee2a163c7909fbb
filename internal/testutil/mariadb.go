package testutil

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MariaDBOptions configure [StartMariaDB]. The three paths turn on TLS and
// require_secure_transport.
type MariaDBOptions struct {
	CA, Cert, Key string
}

// MariaDB is a private mariadbd running in a temporary directory.
type MariaDB struct {
	Addr   string // 127.0.0.1:port (TCP; TLS only when configured)
	Socket string // unix socket; root@localhost without password
	Dir    string
	Log    string // error log path
	cmd    *exec.Cmd
	done   chan error
	args   []string
	bin    string
}

// StartMariaDB initialises a data directory with mariadb-install-db, starts
// mariadbd on a free port with the socket in t.TempDir(), waits until it
// answers and stops it when the test ends. It skips (or fails under
// MOUSEAUTH_REQUIRE_ALL=1) when mariadbd is not installed.
func StartMariaDB(t testing.TB, o MariaDBOptions) *MariaDB {
	t.Helper()
	mariadbd, err := lookPath("mariadbd", "/usr/sbin/mariadbd", "/usr/libexec/mariadbd")
	if err != nil {
		SkipOrFail(t, "mariadbd is not installed (apt-get install mariadb-server): "+err.Error())
	}
	installDB, err := lookPath("mariadb-install-db", "/usr/bin/mariadb-install-db", "/usr/scripts/mariadb-install-db")
	if err != nil {
		SkipOrFail(t, "mariadb-install-db is not installed (apt-get install mariadb-server)")
	}
	// Unix socket paths are limited to ~107 bytes; t.TempDir() can be longer.
	dir, err := os.MkdirTemp("", "mdb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	m := &MariaDB{Dir: dir, Socket: filepath.Join(dir, "s"), Log: filepath.Join(dir, "err.log"), done: make(chan error, 1)}
	user := currentUser()
	inst := exec.Command(installDB, "--no-defaults", "--datadir="+data, "--user="+user,
		"--auth-root-authentication-method=normal", "--skip-test-db")
	if out, err := inst.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	m.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"--no-defaults", "--datadir=" + data, "--user=" + user,
		"--socket=" + m.Socket, "--port=" + fmt.Sprint(port), "--bind-address=127.0.0.1",
		"--pid-file=" + filepath.Join(dir, "pid"), "--log-error=" + m.Log,
		"--skip-log-bin", "--innodb-buffer-pool-size=16M", "--skip-name-resolve",
		"--innodb-log-file-size=8M", "--max-connections=50"}
	if o.CA != "" {
		args = append(args, "--ssl-ca="+o.CA, "--ssl-cert="+o.Cert, "--ssl-key="+o.Key,
			"--require-secure-transport=ON", "--tls-version=TLSv1.2,TLSv1.3")
	}
	m.bin, m.args = mariadbd, args
	if err := m.start(); err != nil {
		t.Fatalf("start mariadbd: %v", err)
	}
	t.Cleanup(m.stop)
	m.wait(t)
	return m
}

func (m *MariaDB) start() error {
	m.cmd = exec.Command(m.bin, m.args...)
	m.done = make(chan error, 1)
	if err := m.cmd.Start(); err != nil {
		return err
	}
	cmd, done := m.cmd, m.done
	go func() { done <- cmd.Wait() }()
	return nil
}

// Restart stops mariadbd (SIGTERM, as an operator's restart) and starts it
// again on the same port and data directory, waiting until it answers.
// Down, if positive, is how long it stays stopped.
func (m *MariaDB) Restart(t testing.TB, down time.Duration) {
	t.Helper()
	m.stop()
	time.Sleep(down)
	if err := m.start(); err != nil {
		t.Fatalf("restart mariadbd: %v", err)
	}
	m.wait(t)
}

func (m *MariaDB) wait(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		db, err := m.Root()
		if err == nil {
			err = db.Ping()
			db.Close()
		}
		if err == nil {
			return
		}
		select {
		case werr := <-m.done:
			log, _ := os.ReadFile(m.Log)
			t.Fatalf("mariadbd exited: %v\n%s", werr, log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(m.Log)
			t.Fatalf("mariadbd not ready after 60s: %v\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Root opens a root connection over the unix socket (allowed even when
// require_secure_transport is ON).
func (m *MariaDB) Root() (*sql.DB, error) {
	c := mysql.NewConfig()
	c.User = "root"
	c.Net = "unix"
	c.Addr = m.Socket
	c.MultiStatements = true
	c.Timeout = 2 * time.Second
	return sql.Open("mysql", c.FormatDSN())
}

// Exec runs statements as root, failing the test on error.
func (m *MariaDB) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	db, err := m.Root()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func (m *MariaDB) stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(20 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.done
	}
	m.cmd = nil
}

func lookPath(name string, fallbacks ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, f := range fallbacks {
		if st, err := os.Stat(f); err == nil && !st.IsDir() {
			return f, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH or %s", name, strings.Join(fallbacks, ", "))
}

func currentUser() string {
	if os.Geteuid() == 0 {
		return "root"
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "nobody"
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
