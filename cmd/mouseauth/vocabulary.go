package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/pki"
)

// word is one flag name of the vocabulary: its pflag type, what it means
// in every command that has it, and how the shell completes its value.
type word struct {
	Type    string
	Meaning string
	// Values complete the flag's value ("value\tdescription"); with List
	// the value is a comma-separated list of them.
	Values []string
	List   bool
	// Path completes file names (PathFile, optionally with Exts) or
	// folders (PathDir).
	Path string
	Exts []string
	// Complete, when set, completes the value (certificates of --pki-dir,
	// classifier parameters).
	Complete cobra.CompletionFunc
}

// vocabulary is every flag of the command tree: the same name means the
// same thing, with the same type, in every command. docs/cli.md is made
// from it (TestFlagVocabulary -update) and TestFlagVocabulary fails when a
// command's flag is missing here, has another type, or a documented flag is
// missing from docs/cli.md. Deprecated names (cli.Alias) are listed in
// renamed.
var vocabulary = map[string]word{
	// Output and common behaviour.
	"output":  {Type: "string", Meaning: "result format: table (aligned text), csv or json", Values: cli.Formats},
	"out":     {Type: "string", Meaning: "where results are written: a file or folder, created (preprocess features: - for stdout)", Path: cli.PathFile},
	"quiet":   {Type: "bool", Meaning: "no progress output on stderr"},
	"version": {Type: "bool", Meaning: "print the version, commit and Go version"},
	"force":   {Type: "bool", Meaning: "write into a folder that is not empty"},
	"workers": {Type: "int", Meaning: "work done in parallel (0 = GOMAXPROCS); results do not depend on it"},
	"seed":    {Type: "int64", Meaning: "random seed, default 0: the same seed gives the same result"},
	"seeds":   {Type: "string", Meaning: "several seeds, list and ranges (0:9): one run each, mean ± sd over them"},

	// Inputs.
	"data":      {Type: "string", Meaning: "raw mouse logs: a session file, a user folder or a folder of user folders (DFL or Balabit)", Path: cli.PathFile},
	"features":  {Type: "string", Meaning: "a feature CSV: mouseauth's (preprocess features) or a published one", Path: cli.PathFile, Exts: []string{"csv"}},
	"model":     {Type: "string", Meaning: "a model file (classify train), or a folder of them", Path: cli.PathFile, Exts: []string{"model"}},
	"run":       {Type: "string", Meaning: "folder holding run.json (evaluate --out)", Path: cli.PathDir},
	"published": {Type: "string", Meaning: "a published feature file (39 features, then userid)", Path: cli.PathFile, Exts: []string{"csv"}},
	"train":     {Type: "string", Meaning: "training set: a feature CSV or a folder of user folders of raw logs", Path: cli.PathFile},
	"test":      {Type: "string", Meaning: "test set: a feature CSV with sessions or a folder of user folders of raw logs", Path: cli.PathFile},
	"labels":    {Type: "string", Meaning: "labels file filename,is_illegal (the Balabit challenge's)", Path: cli.PathFile, Exts: []string{"csv"}},

	// Data sets.
	"users":       {Type: "int", Meaning: "how many users (replay, bench pipeline: one round with this many)"},
	"user-counts": {Type: "string", Meaning: "user counts, list and ranges (1,4,14 or 1:14): one round each"},
	"user":        {Type: "string", Meaning: "one user's name: only this user's models or records"},
	"sessions":    {Type: "int", Meaning: "sessions per user (synthetic users)"},
	"actions":     {Type: "int", Meaning: "pointing actions per session (synthetic users)"},
	"start":       {Type: "string", Meaning: "date of the first synthetic session, RFC 3339"},
	"screen":      {Type: "string", Meaning: "screen size WxH: coordinates beyond it are out of range"},
	"strict":      {Type: "bool", Meaning: "make the first malformed row an error"},
	"compat": {Type: "string", Meaning: "feature conventions: clean or reference (the published extractor's)",
		Values: []string{"clean\tmouseauth's definitions", "reference\tthe published extractor's conventions"}},
	"max-actions": {Type: "int", Meaning: "keep the first N actions of each user (replay: of each session); 0 = all"},

	// Models and evaluation.
	"classifier":  {Type: "string", Meaning: "classifier: " + strings.Join(classify.Names(), ", "), Values: classify.Names()},
	"classifiers": {Type: "string", Meaning: "classifiers to compare, comma-separated", Values: classify.Names(), List: true},
	"param":       {Type: "stringArray", Meaning: "a classifier parameter name=value, repeatable", Complete: completeParam},
	"trees":       {Type: "int", Meaning: "trees of a random forest (the reference preset's classifier)"},
	"tree-counts": {Type: "string", Meaning: "tree counts to sweep, list and ranges (10:100:10)"},
	"neg-ratio":   {Type: "float64", Meaning: "training negatives (impostor rows) per genuine row"},
	"decision":    {Type: "string", Meaning: "decision policy recorded in a model (the decision engine's text, decide/1 ...)"},
	"preset": {Type: "string", Meaning: "settings preset: improved (what the evaluation recommends and live trains) or reference (published)",
		Values: []string{"reference\tthe published settings: rf, 1 negative per positive, mean", "improved\tgbdt, 8 negatives and 1 background negative per positive, log-odds window score"}},
	"presets": {Type: "string", Meaning: "presets to compare, comma-separated", Values: []string{"reference", "improved"}, List: true},
	"protocol": {Type: "string", Meaning: "evaluation protocol: reference or strict",
		Values: []string{"reference\tthe published protocol", "strict\timpostors left out of training"}},
	"aggregate": {Type: "string", Meaning: "how a window's (or session's) score combines its actions' scores",
		Values: []string{"mean", "median", "trimmed\t10% cut at each end", "logodds\tmean log-odds"}},
	"windows":        {Type: "string", Meaning: "window sizes in actions, list and ranges (1,5,10,20 or 1:20)"},
	"thresholds":     {Type: "string", Meaning: "alarm thresholds, list and ranges (0:1:0.05)"},
	"train-fraction": {Type: "float64", Meaning: "chronological share of each user's actions that trains"},
	"cross":          {Type: "bool", Meaning: "also score each genuine test session against every other test user's model"},
	"save-models":    {Type: "string", Meaning: "folder to save the trained models to", Path: cli.PathDir},
	"per-action":     {Type: "bool", Meaning: "one row per action instead of per session"},

	// The live pipeline: where it runs.
	"state":      {Type: "string", Meaning: "state folder of the embedded default: CA and certificates, broker data, database", Path: cli.PathDir},
	"brokers":    {Type: "stringSlice", Meaning: "Kafka brokers host:port"},
	"pki-dir":    {Type: "string", Meaning: "PKI folder: ca.crt, ca.key, issued/NAME.crt|key (mouseauth pki)", Path: cli.PathDir},
	"cert":       {Type: "string", Meaning: "a certificate of --pki-dir by name (issued/NAME.crt): the one to connect with, or the server's", Complete: completeCert},
	"partitions": {Type: "int", Meaning: "partitions of each topic created"},
	"profiles": {Type: "string", Meaning: "profile store: embedded, mysql or cassandra",
		Values: []string{"embedded\tSQLite in the state folder", "mysql\tMariaDB or MySQL (a DSN)", "cassandra\tCassandra (--cassandra)"}},
	"mysql-dsn-file":     {Type: "string", Meaning: "file holding the MySQL DSN (or MOUSEAUTH_MYSQL_DSN)", Path: cli.PathFile},
	"cassandra":          {Type: "stringSlice", Meaning: "Cassandra contact points host:port"},
	"keyspace":           {Type: "string", Meaning: "Cassandra keyspace"},
	"replication":        {Type: "string", Meaning: "keyspace replication: SimpleStrategy:N or NetworkTopologyStrategy:dc1=N,..."},
	"models-dir":         {Type: "string", Meaning: "keep models in this folder (file store) instead of the profile store", Path: cli.PathDir},
	"topic-per-user":     {Type: "bool", Meaning: "one feature topic per user, as the enterprise design had"},
	"retention":          {Type: "duration", Meaning: "how long the embedded broker keeps decisions, alerts and dead letters (default 7 days; bench 10 min)"},
	"input-retention":    {Type: "duration", Meaning: "how long the embedded broker keeps logins and feature vectors (default 10 min)"},
	"sasl-user":          {Type: "string", Meaning: "SASL/SCRAM user on SASL_SSL brokers (the principal User:NAME)"},
	"sasl-password-file": {Type: "string", Meaning: "file (mode 0600) holding the SASL password (or MOUSEAUTH_SASL_PASSWORD)", Path: cli.PathFile},
	"sasl-mechanism":     {Type: "string", Meaning: "SASL mechanism", Values: []string{"SCRAM-SHA-512", "SCRAM-SHA-256"}},
	"group":              {Type: "string", Meaning: "the scorer's Kafka consumer group"},
	"session-timeout":    {Type: "duration", Meaning: "consumer group session timeout: how long a dead instance's partitions wait"},

	// The live service.
	"listen":               {Type: "string", Meaning: "address of /metrics and /healthz (empty: off)"},
	"allow-remote-metrics": {Type: "bool", Meaning: "allow a --listen address other than loopback"},
	"log-level":            {Type: "string", Meaning: "log level (logs go to stderr)", Values: []string{"debug", "info", "warn", "error"}},
	"lockout":              {Type: "int", Meaning: "failed logins before the account is locked"},
	"lock-for":             {Type: "duration", Meaning: "how long a locked account stays locked"},
	"retrain-every":        {Type: "int64", Meaning: "retrain a user's model after this many new vectors (-1: never)"},
	"retrain-age":          {Type: "duration", Meaning: "retrain a model older than this"},
	"model-cache":          {Type: "int", Meaning: "MiB of decoded models the live service keeps in memory (least recently used evicted beyond)"},
	"department":           {Type: "string", Meaning: "the user's department"},
	"password-file":        {Type: "string", Meaning: "file whose first line is a password (the user's, or the keystore's)", Path: cli.PathFile},
	"topic":                {Type: "stringSlice", Meaning: "topics to read", Values: tailTopics(), List: true},
	"from-beginning":       {Type: "bool", Meaning: "start at the oldest record each partition keeps"},
	"no-follow":            {Type: "bool", Meaning: "stop at the end of the topics instead of waiting for new records"},
	"max":                  {Type: "int", Meaning: "stop after this many records (0: no limit)"},

	// Replay and bench.
	"impostors":      {Type: "int", Meaning: "sessions replayed again under another user's login"},
	"train-sessions": {Type: "int", Meaning: "first sessions of each user that train its model"},
	"speed":          {Type: "float64", Meaning: "replay the recorded timing this many times faster"},
	"interval":       {Type: "duration", Meaning: "send one vector per session (per user) every interval"},
	"stagger":        {Type: "duration", Meaning: "pause between logins"},
	"wait":           {Type: "duration", Meaning: "how long to wait for outstanding decisions (pki bundle: for the running broker to admit the identity)"},
	"bundle":         {Type: "string", Meaning: "a client bundle folder (pki bundle): replay as that workstation, from its files alone", Path: cli.PathDir},
	"pprof":          {Type: "string", Meaning: "folder for CPU, block, mutex and heap profiles of the run (go tool pprof)", Path: cli.PathDir},
	"no-service":     {Type: "bool", Meaning: "run no scoring service in this process (one runs elsewhere)"},
	"scorer-key":     {Type: "string", Meaning: "the scorer's public key (PEM) logins are sealed to", Path: cli.PathFile, Exts: []string{"pub"}},
	"rounds":         {Type: "int", Meaning: "timed rounds; the best is reported"},
	"stores": {Type: "stringSlice", Meaning: "model stores to measure", List: true,
		Values: []string{"file", "embedded", "mysql", "cassandra"}},
	"repeat":    {Type: "int", Meaning: "loads of each user's model per store"},
	"rates":     {Type: "string", Meaning: "total vectors per second: a list, or auto (saturation)"},
	"rate":      {Type: "float64", Meaning: "vectors per second, all users together"},
	"duration":  {Type: "duration", Meaning: "how long each rate is held"},
	"soak":      {Type: "duration", Meaning: "hold the first rate this long and report memory"},
	"vectors":   {Type: "int", Meaning: "vectors per user per round"},
	"phase":     {Type: "duration", Meaning: "length of each phase"},
	"instances": {Type: "int", Meaning: "'live serve' instances at the start"},
	"add":       {Type: "int", Meaning: "instances added after the first phase"},
	"kill":      {Type: "bool", Meaning: "kill the first instance with SIGKILL after the second phase"},

	// pki.
	"cn":      {Type: "string", Meaning: "subject common name"},
	"org":     {Type: "string", Meaning: "subject organization"},
	"ou":      {Type: "string", Meaning: "subject organizational unit"},
	"country": {Type: "string", Meaning: "subject country (two letters)"},
	"key": {Type: "string", Meaning: "key type",
		Values: []string{string(pki.ECDSAP256), string(pki.RSA2048), string(pki.RSA4096)}},
	"validity": {Type: "duration", Meaning: "how long a certificate (or the CA) is valid"},
	"role": {Type: "string", Meaning: "certificate role: server, client or both",
		Values: []string{string(pki.RoleServer), string(pki.RoleClient), string(pki.RoleBoth)}},
	"dns":                       {Type: "stringSlice", Meaning: "DNS name of the certificate (repeatable)"},
	"ip":                        {Type: "stringSlice", Meaning: "IP address of the certificate (repeatable)"},
	"allow-wildcard":            {Type: "bool", Meaning: "sign wildcard DNS names"},
	"allow-unspecified-ip":      {Type: "bool", Meaning: "sign the unspecified addresses 0.0.0.0 and ::"},
	"allow-duplicate-principal": {Type: "bool", Meaning: "sign a subject an issued certificate already has"},
	"encoding": {Type: "string", Meaning: "PKCS#12 encoding",
		Values: []string{string(pki.EncodingModern) + "\tPBES2/AES-256 (Java 17, Kafka)", string(pki.EncodingLegacyDES) + "\t3DES/SHA-1 for older Java"}},
	"mysql":         {Type: "bool", Meaning: "check MySQL/MariaDB with the DSN of MOUSEAUTH_MYSQL_DSN or --mysql-dsn-file"},
	"server-name":   {Type: "string", Meaning: "host name to verify on servers"},
	"listener":      {Type: "string", Meaning: "a broker's SSL listener host:port"},
	"client":        {Type: "string", Meaning: "a client certificate by name: bound to the MariaDB account (config mariadb), a client identity (config acl, bundle)", Complete: completeCert},
	"bind-users":    {Type: "stringSlice", Meaning: "users a client identity may act for, comma-separated"},
	"bind-any-user": {Type: "bool", Meaning: "a client identity bound to every user: the shared replay identity"},
	"operator":      {Type: "string", Meaning: "certificate of --pki-dir of the operator who reads decisions, alerts and dead letters (ACL role operator)", Complete: completeCert},
	"account":       {Type: "string", Meaning: "MariaDB account name"},
	"host":          {Type: "string", Meaning: "MariaDB account host"},
	"grant":         {Type: "string", Meaning: "MariaDB privileges to grant"},
	"scorer":        {Type: "string", Meaning: "certificate of --pki-dir of the scoring service (ACL role scorer)", Complete: completeCert},
	"replay":        {Type: "string", Meaning: "certificate of --pki-dir of the shared replay client, bound to every user (ACL role replay)", Complete: completeCert},
	"admin":         {Type: "string", Meaning: "certificate of --pki-dir of the administrator who creates topics (ACL role admin)", Complete: completeCert},
	"principal":     {Type: "stringArray", Meaning: "ROLE=User:NAME, a role's principal on a SASL_SSL cluster"},
}

// renamed are the deprecated flag names (cli.Alias) and the name each
// stands for: each had two meanings or another type in another command, or
// named one idea two ways. They still work, with a warning on stderr.
var renamed = map[string]string{
	"dir":              "pki-dir (pki) or out (demo)",
	"tls-dir":          "pki-dir",
	"tls-name":         "cert",
	"name":             "cert",
	"kafka":            "brokers",
	"bootstrap-server": "brokers",
	"user":             "account (pki config mariadb)",
	"report":           "out",
	"models":           "save-models",
	"window":           "windows (evaluate)",
	"trees":            "tree-counts (evaluate sweep)",
	"rate":             "rates (bench pipeline)",
	"start":            "instances (bench scaleout)",
}
