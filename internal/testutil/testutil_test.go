package testutil

import "testing"

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
