package live

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/live/store"
)

// Stats are the service's Prometheus metrics, on their own registry so
// several services (tests, replay with an embedded service) never collide.
type Stats struct {
	Registry    *prometheus.Registry
	Logins      *prometheus.CounterVec // result: accepted, or a refusal's cause (see LoginAccepted); redeliveries count in Redelivered
	Vectors     prometheus.Counter     // vectors stored (first delivery)
	Redelivered prometheus.Counter     // messages seen again after a restart or rebalance
	Decisions   *prometheus.CounterVec // accept: true|false
	// What operators read of the decisions, which clients are not told:
	// the actions' scores, the actions the decision rule did not judge
	// (the window rule before its window is full) and the actions that
	// counted against their session by flag (implausible, novel,
	// repeated).
	Scores   prometheus.Histogram
	Unjudged prometheus.Counter
	Flagged  *prometheus.CounterVec
	Alerts   prometheus.Counter
	// DeadLetters by class: the wire's (malformed, too large, version, bad
	// mac, bad seal, unknown key) and the service's (misrouted, length,
	// unknown user, no login, refused session, no session key, session key,
	// replay, no model, model invalid).
	DeadLetters *prometheus.CounterVec
	ModelLoads  prometheus.Counter
	// The model cache: lookups that found the model (hits) or not
	// (misses: a load, or a wait for one in flight), models evicted for
	// room, and what it holds (decoded size estimate, entries); its hit
	// ratio is exported as mouseauth_model_cache_hit_ratio.
	ModelCacheHits, ModelCacheMisses, ModelCacheEvictions prometheus.Counter
	ModelCacheBytes, ModelCacheEntries                    prometheus.Gauge
	// Retrains by result: ok (swapped in), skipped (too few clean
	// vectors), refused (the regression check kept the old model), dropped
	// (the queue was full), error.
	Retrains       *prometheus.CounterVec
	RetrainSeconds prometheus.Histogram // one retraining, from its start to its swap or refusal
	RetrainQueue   prometheus.Gauge     // users waiting for a retraining
	PoolRefreshes  prometheus.Counter   // negative pool samples drawn from the store
	StoreRetries   prometheus.Counter
	Latency        prometheus.Histogram // fetch to decision stored and published, seconds
	Generations    prometheus.Counter   // consumer group generations joined (1 + rebalances)
	Partitions     prometheus.Gauge     // partitions assigned in the current generation
	Commits        prometheus.Counter   // offset commits
}

// NewStats returns fresh metrics on a new registry.
func NewStats() *Stats {
	r := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { r.MustRegister(c) }
	s := &Stats{Registry: r,
		Logins:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mouseauth_logins_total", Help: "Logins by result."}, []string{"result"}),
		Vectors:     prometheus.NewCounter(prometheus.CounterOpts{Name: "mouseauth_vectors_total", Help: "Feature vectors stored."}),
		Redelivered: prometheus.NewCounter(prometheus.CounterOpts{Name: "mouseauth_redelivered_total", Help: "Messages already processed, seen again."}),
		Decisions:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mouseauth_decisions_total", Help: "Decisions stored, by verdict."}, []string{"accept"}),
		Scores: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "mouseauth_action_score", Help: "Scores of the actions decided (operators only: clients are told accept or refuse).",
			Buckets: prometheus.LinearBuckets(0.05, 0.05, 19)}),
		Unjudged:            prometheus.NewCounter(prometheus.CounterOpts{Name: "mouseauth_unjudged_total", Help: "Actions decided before the rule could judge them (refused)."}),
		Flagged:             prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mouseauth_flagged_total", Help: "Actions that counted against their session, by flag."}, []string{"flag"}),
		Alerts:              prometheus.NewCounter(prometheus.CounterOpts{Name: "mouseauth_alerts_total", Help: "Alerts raised."}),
		DeadLetters:         prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mouseauth_dead_letters_total", Help: "Messages sent to the dead-letter topic, by class."}, []string{"class"}),
		ModelLoads:          prometheus.NewCounter(prometheus.CounterOpts{Name: "mouseauth_model_loads_total", Help: "Models loaded from the profile store."}),
		ModelCacheHits:      prometheus.NewCounter(prometheus.CounterOpts{Name: "mouseauth_model_cache_hits_total", Help: "Model lookups served from the cache."}),
		ModelCacheMisses:    prometheus.NewCounter(prometheus.CounterOpts{Name: "mouseauth_model_cache_misses_total", Help: "Model lookups that loaded the model or waited for its load."}),
		ModelCacheEvictions: prometheus.NewCounter(prometheus.CounterOpts{Name: "mouseauth_model_cache_evictions_total", Help: "Models evicted from the cache to stay within its bound."}),
		ModelCacheBytes:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "mouseauth_model_cache_bytes", Help: "Decoded size estimate of the cached models."}),
		ModelCacheEntries:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "mouseauth_model_cache_entries", Help: "Models in the cache."}),
		Retrains:            prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mouseauth_retrains_total", Help: "Background retrainings by result (ok, skipped, refused, dropped, error)."}, []string{"result"}),
		RetrainSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "mouseauth_retrain_seconds", Help: "Duration of one retraining.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14)}),
		RetrainQueue:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "mouseauth_retrain_queue", Help: "Users waiting for a retraining."}),
		PoolRefreshes: prometheus.NewCounter(prometheus.CounterOpts{Name: "mouseauth_negative_pool_refreshes_total", Help: "Samples of other users' vectors drawn for retraining."}),
		StoreRetries:  prometheus.NewCounter(prometheus.CounterOpts{Name: "mouseauth_store_retries_total", Help: "Store operations retried after an error."}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "mouseauth_decision_seconds", Help: "Fetch to decision stored and published.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}),
		Generations: prometheus.NewCounter(prometheus.CounterOpts{Name: "mouseauth_group_generations_total", Help: "Consumer group generations joined (the first join and every rebalance)."}),
		Partitions:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "mouseauth_partitions_assigned", Help: "Partitions assigned to this instance."}),
		Commits:     prometheus.NewCounter(prometheus.CounterOpts{Name: "mouseauth_offset_commits_total", Help: "Offset commits."}),
	}
	hitRatio := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mouseauth_model_cache_hit_ratio",
		Help: "Share of model lookups served from the cache (0 before the first)."}, func() float64 {
		h, m := Value(s.ModelCacheHits), Value(s.ModelCacheMisses)
		if h+m == 0 {
			return 0
		}
		return h / (h + m)
	})
	for _, c := range []prometheus.Collector{s.Logins, s.Vectors, s.Redelivered, s.Decisions, s.Scores, s.Unjudged, s.Flagged, s.Alerts, s.DeadLetters,
		s.ModelLoads, s.ModelCacheHits, s.ModelCacheMisses, s.ModelCacheEvictions, s.ModelCacheBytes, s.ModelCacheEntries, hitRatio,
		s.Retrains, s.RetrainSeconds, s.RetrainQueue, s.PoolRefreshes, s.StoreRetries, s.Latency, s.Generations, s.Partitions, s.Commits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return s
}

// observe counts what operators read of a decision stored: its score, and
// whether it was judged or flagged.
func (s *Stats) observe(d store.Decision) {
	s.Scores.Observe(d.Score)
	if !d.Judged {
		s.Unjudged.Inc()
	}
	for _, f := range []decide.Flags{decide.Implausible, decide.Novel, decide.Repeated} {
		if decide.Flags(d.Flags)&f != 0 {
			s.Flagged.WithLabelValues(f.String()).Inc()
		}
	}
}

// Value reads a counter (summing over labels when vec is a *CounterVec and
// no labels are given).
func Value(c prometheus.Collector, labels ...string) float64 {
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	var sum float64
	for m := range ch {
		var d dto.Metric
		if m.Write(&d) != nil {
			continue
		}
		if len(labels) > 0 && !hasLabels(&d, labels) {
			continue
		}
		switch {
		case d.Counter != nil:
			sum += d.Counter.GetValue()
		case d.Gauge != nil:
			sum += d.Gauge.GetValue()
		case d.Histogram != nil:
			sum += float64(d.Histogram.GetSampleCount())
		}
	}
	return sum
}

func hasLabels(d *dto.Metric, want []string) bool {
	for i := 0; i+1 < len(want); i += 2 {
		ok := false
		for _, l := range d.Label {
			if l.GetName() == want[i] && l.GetValue() == want[i+1] {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// Handler serves /metrics (Prometheus text format) and /healthz: the
// [HealthReport] as JSON, with status 200 when healthy and 503 otherwise.
func Handler(s *Service) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.Stats().Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		rep := s.HealthReport()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if rep.Status != "ok" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	})
	return mux
}
