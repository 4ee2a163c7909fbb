package main

import (
	"fmt"

	"github.com/mouseauth/mouseauth/bench"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/reports"
)

// The tables and figures of bench pipeline's results, for the terminal and --out.

func latencyTables(rows []bench.LatencyRow) (*cli.Table, []reports.NamedTable, []reports.Figure, error) {
	t := &cli.Table{Columns: []string{"users", "vectors", "service_mean_ms", "service_std_ms", "service_min_ms", "service_max_ms",
		"service_p99_ms", "e2e_mean_ms", "e2e_std_ms", "e2e_min_ms", "e2e_max_ms", "e2e_p99_ms", "decided", "stored_vectors", "stored_decisions", "lost", "published_mean_ms", "ratio"}}
	var xs, svcY, e2eY []float64
	for _, r := range rows {
		sv, e2e := r.Result.Service, r.Result.Latency
		t.Add(r.Users, r.Result.Sent, r3(sv.Mean), r3(sv.Std), r3(sv.Min), r3(sv.Max), r3(sv.P99),
			r3(e2e.Mean), r3(e2e.Std), r3(e2e.Min), r3(e2e.Max), r3(e2e.P99),
			r.Result.Decided, r.Stored.Vectors, r.Stored.Decisions, r.Lost, float64(bench.PublishedClassifyStore.Milliseconds()), r2(r.Ratio()))
		xs, svcY, e2eY = append(xs, float64(r.Users)), append(svcY, sv.Mean), append(e2eY, e2e.Mean)
	}
	p, err := reports.LinePlot("Latency against users", "concurrent users", "mean latency (ms)", false,
		reports.Series{Label: "service: fetch to stored", X: xs, Y: svcY}, reports.Series{Label: "end to end: send to decision", X: xs, Y: e2eY})
	return t, []reports.NamedTable{{Name: "pipeline_users", Title: "Classification and store time per user count", Table: t}},
		[]reports.Figure{{Name: "latency_users", Caption: "Mean latency against users", Plot: p}}, err
}

func rateTables(res bench.PipelineResult) (*cli.Table, []reports.NamedTable, []reports.Figure, error) {
	t := &cli.Table{Columns: []string{"users", "offered_per_s", "achieved_per_s", "sent", "decided", "stored_vectors", "stored_decisions", "lost", "p50_ms", "p99_ms", "max_ms",
		"service_p99_ms", "login_p99_ms", "cpu_cores", "heap_mb", "rss_mb", "sustained"}}
	var series []reports.Series
	for i, r := range res.Rates {
		if i == 0 || res.Rates[i-1].Users != r.Users {
			series = append(series, reports.Series{Label: fmt.Sprintf("%d users", r.Users)})
		}
		x := r.Result
		t.Add(r.Users, r2(r.Offered), r2(x.Throughput), x.Sent, x.Decided, r.Stored.Vectors, r.Stored.Decisions, r.Lost, r3(x.Latency.P50), r3(x.Latency.P99),
			r3(x.Latency.Max), r3(x.Service.P99), r3(x.LoginLatency.P99), r2(r.CPUCores), r2(r.HeapMB), r2(r.RSSMB), r.Sustained)
		s := &series[len(series)-1]
		s.X, s.Y = append(s.X, r.Offered), append(s.Y, x.Throughput)
	}
	p, err := reports.LinePlot("Throughput against offered rate", "offered vectors/s", "decided vectors/s", true, series...)
	return t, []reports.NamedTable{{Name: "pipeline_rate", Title: "Throughput against offered rate", Table: t}},
		[]reports.Figure{{Name: "throughput_rate", Caption: "Decided against offered rate", Plot: p}}, err
}

func soakTables(s *bench.SoakResult) (*cli.Table, []reports.NamedTable, reports.Figure, error) {
	mt := &cli.Table{Columns: []string{"t_s", "heap_mb", "rss_mb"}}
	var ts, hs, rs []float64
	for _, m := range s.Samples {
		mt.Add(r2(m.Seconds), r2(m.HeapMB), r2(m.RSSMB))
		ts, hs, rs = append(ts, m.Seconds), append(hs, m.HeapMB), append(rs, m.RSSMB)
	}
	st := &cli.Table{Columns: []string{"users", "rate_per_s", "duration_s", "sent", "decided", "stored_vectors", "stored_decisions", "p99_ms", "cpu_cores", "heap_start_mb",
		"heap_mid_mb", "heap_end_mb", "rss_start_mb", "rss_mid_mb", "rss_end_mb"}}
	mid := s.Samples[len(s.Samples)/2]
	st.Add(s.Users, s.Rate, r2(s.Result.Span.Seconds()), s.Result.Sent, s.Result.Decided, s.Stored.Vectors, s.Stored.Decisions, r3(s.Result.Latency.P99),
		r2(s.CPUCores), r2(s.Before.HeapMB), r2(mid.HeapMB), r2(s.After.HeapMB), r2(s.Before.RSSMB), r2(mid.RSSMB), r2(s.After.RSSMB))
	p, err := reports.LinePlot("Memory during the soak", "seconds", "MB", false,
		reports.Series{Label: "heap after GC", X: ts, Y: hs}, reports.Series{Label: "resident set", X: ts, Y: rs})
	return st, []reports.NamedTable{{Name: "pipeline_soak", Title: "Soak: memory at start, middle and end", Table: st},
		{Name: "pipeline_soak_memory", Title: "Soak: memory over time", Table: mt}}, reports.Figure{Name: "soak_memory", Caption: "Memory during the soak", Plot: p}, err
}

func r3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
