package mysql

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/mouseauth/mouseauth/live/store/internal/sqlstore"
)

// Config configures [Open].
type Config struct {
	// DSN in the driver's form, user@tcp(host:port)/database. The account
	// authenticates with its client certificate; a password, if any, belongs
	// in the DSN, which comes from the environment or a file, never a flag.
	DSN string
	// TLS is required: the connection is refused without it.
	TLS *tls.Config
	// CreateSchema creates the database and missing tables.
	CreateSchema bool
	// MaxOpenConns bounds the pool; default 16.
	MaxOpenConns int
	// Logger receives the driver's messages (dropped connections during a
	// server restart, for example) at debug level; nil discards them.
	Logger *slog.Logger
}

// driverLogger routes the driver's log lines into slog instead of stderr.
type driverLogger struct{ l *slog.Logger }

func (d driverLogger) Print(v ...any) {
	if d.l != nil {
		d.l.Debug("mysql driver: " + fmt.Sprint(v...))
	}
}

func (c *Config) validate() (*driver.Config, error) {
	if c.TLS == nil {
		return nil, errors.New("mysql store: a TLS configuration is required (mutual TLS only)")
	}
	mc, err := driver.ParseDSN(c.DSN)
	if err != nil {
		return nil, fmt.Errorf("mysql store: DSN: %w", err)
	}
	if mc.DBName == "" {
		return nil, errors.New("mysql store: the DSN names no database (user@tcp(host:port)/mouseauth)")
	}
	if c.MaxOpenConns <= 0 {
		c.MaxOpenConns = 16
	}
	mc.TLS = c.TLS.Clone()
	mc.Logger = driverLogger{c.Logger}
	mc.ParseTime = false
	// The store tells inserted rows from existing ones by the affected-row
	// count, which found rows would blur.
	mc.ClientFoundRows = false
	if mc.Timeout == 0 {
		mc.Timeout = 5 * time.Second
	}
	return mc, nil
}

// Store is the MySQL store; it implements store.Profiles and
// store.Credentials.
type Store struct{ *sqlstore.Store }

// Open connects, checks the connection and, with CreateSchema, creates the
// database and tables.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	mc, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if cfg.CreateSchema {
		boot := *mc
		boot.DBName = ""
		conn, err := driver.NewConnector(&boot)
		if err != nil {
			return nil, fmt.Errorf("mysql store: %w", err)
		}
		db := sql.OpenDB(conn)
		_, err = db.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+mc.DBName+"` CHARACTER SET utf8mb4")
		db.Close()
		if err != nil {
			return nil, fmt.Errorf("mysql store: create database %s: %w", mc.DBName, err)
		}
	}
	conn, err := driver.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("mysql store: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	db.SetMaxIdleConns(cfg.MaxOpenConns)
	db.SetConnMaxLifetime(time.Hour)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("mysql store %s: %w", mc.Addr, err)
	}
	d := sqlstore.MySQL
	d.Retryable = retryable
	s, err := sqlstore.New(ctx, db, d, cfg.CreateSchema)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{s}, nil
}

// retryable reports InnoDB's deadlock and lock-wait timeout, after which the
// transaction was rolled back and may run again (concurrent batches with
// overlapping keys can deadlock).
func retryable(err error) bool {
	var me *driver.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205)
}
