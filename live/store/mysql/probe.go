package mysql

import (
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	driver "github.com/go-sql-driver/mysql"
)

// Probe returns a probe for pki.Check: it connects with dsn over cfg and
// asks the server which cipher the session uses. The driver logs a TLS or
// account refusal and returns only "invalid connection", so the probe puts
// what the driver logged first in the error, where the explanation finds it.
func Probe(dsn string) func(ctx context.Context, cfg *tls.Config) error {
	return func(ctx context.Context, cfg *tls.Config) error {
		mc, err := driver.ParseDSN(dsn)
		if err != nil {
			return fmt.Errorf("MySQL DSN: %w", err)
		}
		mc.TLS = cfg
		var logged driverLog
		mc.Logger = &logged
		conn, err := driver.NewConnector(mc)
		if err != nil {
			return err
		}
		db := sql.OpenDB(conn)
		defer db.Close()
		var cipher string
		err = db.QueryRowContext(ctx, "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME='Ssl_cipher'").Scan(&cipher)
		if err == nil && cipher == "" {
			err = fmt.Errorf("the server reports no TLS cipher on this session")
		}
		if err != nil && logged.String() != "" {
			return fmt.Errorf("%s (driver: %w)", logged.String(), err)
		}
		return err
	}
}

// Addr returns the host:port of a DSN, for reports.
func Addr(dsn string) string {
	if mc, err := driver.ParseDSN(dsn); err == nil {
		return mc.Addr
	}
	return ""
}

// driverLog collects what the driver logs.
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
