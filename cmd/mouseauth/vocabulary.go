package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
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
	"seeds":   {Type: "string", Meaning: "several seeds, list and ranges (0:9): one run each, folded into every figure and interval"},

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
	"trees":       {Type: "int", Meaning: "trees of a random forest (the published preset's classifier)"},
	"tree-counts": {Type: "string", Meaning: "tree counts to sweep (a forest's trees, gbdt's rounds), list and ranges (10:100:10)"},
	"neg-ratio":   {Type: "float64", Meaning: "training negatives (impostor rows) per genuine row (0: the preset's)"},
	"decision":    {Type: "string", Meaning: "decision policy recorded in a model (the decision engine's text, decide/1 ...)"},
	"preset": {Type: "string", Meaning: "settings preset: improved (the default everywhere: what the evaluation recommends and live trains) or published (it was called reference)",
		Values: []string{"improved\tgbdt, 8 negatives and 1 background negative per positive, log-odds window score", "published\tthe published code's: rf, 1 negative per positive, mean"}},
	"presets":   {Type: "string", Meaning: "presets to compare, comma-separated: improved, published, or both", Values: []string{"improved", "published", "both"}, List: true},
	"resamples": {Type: "int", Meaning: "bootstrap resamples of every 95% interval (over users)"},
	"protocol": {Type: "string", Meaning: "evaluation protocol: reference or strict",
		Values: []string{"reference\tthe published protocol", "strict\timpostors left out of training"}},
	"aggregate": {Type: "string", Meaning: "how a window's (or session's) score combines its actions' scores",
		Values: []string{"mean", "median", "trimmed\t10% cut at each end", "logodds\tmean log-odds"}},
	"windows":        {Type: "string", Meaning: "window sizes in actions, list and ranges (1,5,10,20 or 1:20)"},
	"window":         {Type: "int", Meaning: "actions per decision window of the live service"},
	"threshold":      {Type: "float64", Meaning: "alert when a window's score is below this"},
	"thresholds":     {Type: "string", Meaning: "thresholds on the window score given as values, list and ranges (0.2,0.5)"},
	"fmr-targets":    {Type: "string", Meaning: "target FMRs: the lowest threshold whose FMR is at most each"},
	"quantiles":      {Type: "string", Meaning: "quantiles of the window scores used as thresholds, list and ranges (0.05:0.95:0.05)"},
	"style":          {Type: "string", Meaning: "figure style: screen or paper (one column, 3.5 in)", Values: []string{"screen\t6x4 in, 10 pt, png and svg", "paper\t3.5x2.8 in, 8 pt, pdf, svg and png"}},
	"size":           {Type: "string", Meaning: "figure size WxH in inches (3.5x2.6)"},
	"font-size":      {Type: "float64", Meaning: "axis label size in points (ticks and legends 90% of it)"},
	"formats":        {Type: "string", Meaning: "figure files: png, svg, pdf, comma-separated", Values: []string{"png", "svg", "pdf"}, List: true},
	"roc-scale":      {Type: "string", Meaning: "the ROC's false-match-rate axis: linear or log", Values: []string{"linear\t0 to 1", "log\t0.001 to 1"}},
	"train-fraction": {Type: "float64", Meaning: "chronological share of each user's actions that trains"},
	"cross":          {Type: "bool", Meaning: "also score each genuine test session against every other test user's model"},
	"save-models":    {Type: "string", Meaning: "folder to save the trained models to", Path: cli.PathDir},
	"per-action":     {Type: "bool", Meaning: "one row per action instead of per session"},
	"deployments": {Type: "string", Meaning: "deployments (a preset's model and a decision rule) to judge with, comma-separated",
		Values: []string{"old\tthe live scorer before issue 18", "window\tthe improved preset, the published window rule", "sequential\tthe improved preset, judged from the first action"}, List: true},
	"policy": {Type: "string", Meaning: "a decision policy string (decide/1 key=value ...), as a model records it"},
	"split": {Type: "string", Meaning: "how users' data split into training and test sequences",
		Values: []string{"chronological\tthe first --train-fraction trains", "sessions\tthe last --test-sessions test"}},
	"session-actions": {Type: "int", Meaning: "actions per session, each a new login"},
	"test-sessions":   {Type: "int", Meaning: "each user's last N sessions test"},
	"attacks":         {Type: "string", Meaning: "attacks to run, comma-separated", Values: evaluate.AttackNames, List: true},
	"probes":          {Type: "int", Meaning: "actions a hill-climbing attacker may send to craft a vector"},
	"attack-sessions": {Type: "int", Meaning: "attack sessions per attack and victim"},
	"continuous":      {Type: "bool", Meaning: "also judge the continuous sequences (ANIA, ANGA) on the same models"},

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
	"lockout":              {Type: "int", Meaning: "failed logins one client may make for a user before it waits (1 s, doubling)"},
	"lock-for":             {Type: "duration", Meaning: "the longest wait of a client after repeated failed logins"},
	"flood":                {Type: "int", Meaning: "measure a flood of this many wrong passwords against honest users"},
	"lockouts":             {Type: "bool", Meaning: "list the failed-login records, per user and per client, and how long each waits"},
	"login-client":         {Type: "string", Meaning: "the client a login names: only that client's failed-login count"},
	"retrain-every":        {Type: "int64", Meaning: "retrain a user's model after this many new vectors (-1: never)"},
	"retrain-age":          {Type: "duration", Meaning: "retrain a model older than this"},
	"model-cache":          {Type: "int", Meaning: "MiB of decoded models the live service keeps in memory (least recently used evicted beyond)"},
	"department":           {Type: "string", Meaning: "the user's department"},
	"password-file":        {Type: "string", Meaning: "file whose first line is a password (the user's, or the keystore's)", Path: cli.PathFile},
	"topic":                {Type: "stringSlice", Meaning: "topics to read", Values: tailTopics(), List: true},
	"from-beginning":       {Type: "bool", Meaning: "start at the oldest record each partition keeps"},
	"no-follow":            {Type: "bool", Meaning: "stop at the end of the topics instead of waiting for new records"},
	"no-gates":             {Type: "bool", Meaning: "judge without the models' gates (physical bounds, the user's range): every vector reaches the model"},
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
