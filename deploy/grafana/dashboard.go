// Package grafana builds paved's Grafana dashboard as code, with the Grafana
// Foundation SDK (github.com/grafana/grafana-foundation-sdk, Apache-2.0), and
// keeps the JSON that users import, paved-dashboard.json, in the repository:
//
//	go generate ./grafana   # from deploy/: rewrites paved-dashboard.json
//
// A test fails when the JSON is stale, and deploy/example's end-to-end test
// checks that every panel's query returns data from a real Prometheus.
// docs/metrics.md lists the metrics the queries read.
package grafana

//go:generate go run ./gen

//lint:file-ignore SA1019 the classic dashboard schema (v1) is what every Grafana release imports; dashboardv2 needs Grafana 12 with its new dashboards API enabled.

import (
	"encoding/json"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// File is the name of the committed dashboard JSON, in this directory.
const File = "paved-dashboard.json"

// UID is the dashboard's stable uid, so links to it survive re-imports.
const UID = "paved-resilience"

// sel selects the series of the chosen pipelines.
const sel = `resilience_pipeline=~"$pipeline"`

var ds = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

func query(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Expr(expr).LegendFormat(legend).Datasource(ds)
}

func panel(title, description, unit string, queries ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().Title(title).Description(description).Unit(unit).
		Datasource(ds).Height(8).Span(12).Min(0)
	for _, q := range queries {
		p = p.WithTarget(q)
	}
	return p
}

func rate(metric, filter string) string {
	return `rate(` + metric + `{` + sel + filter + `}[$__rate_interval])`
}

func quantile(q, metric string) string {
	return `histogram_quantile(` + q + `, sum by (le, resilience_pipeline) (` + rate(metric+"_bucket", "") + `))`
}

// Dashboard builds the dashboard: one row per concern, every panel filtered
// by the pipeline variable.
func Dashboard() (dashboard.Dashboard, error) {
	pipelineVar := dashboard.NewQueryVariableBuilder("pipeline").Label("Pipeline").
		Datasource(ds).
		Query(dashboard.StringOrMap{String: cog.ToPtr(`label_values(resilience_call_duration_seconds_count, resilience_pipeline)`)}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Multi(true).IncludeAll(true).AllValue(".*").Sort(dashboard.VariableSortAlphabeticalAsc)
	dsVar := dashboard.NewDatasourceVariableBuilder("datasource").Label("Data source").Type("prometheus")

	const calls = "resilience_call_duration_seconds"
	const attempts = "resilience_attempt_duration_seconds"
	const events = "resilience_events_total"
	b := dashboard.NewDashboardBuilder("paved: resilience pipelines").
		Uid(UID).
		Description("Calls, attempts, latency and policy decisions of paved pipelines (docs/metrics.md, docs/runbooks.md).").
		Tags([]string{"paved", "resilience"}).
		Refresh("30s").Time("now-1h", "now").Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dsVar).WithVariable(pipelineVar).
		WithRow(dashboard.NewRowBuilder("Calls")).
		WithPanel(panel("Call rate by outcome",
			"Logical calls per second, by outcome (success, transient, overload, fault, permanent, canceled, rejected).", "reqps",
			query(`sum by (resilience_pipeline, resilience_outcome) (`+rate(calls+"_count", "")+`)`, "{{resilience_pipeline}} {{resilience_outcome}}"))).
		WithPanel(panel("Attempts per call",
			"Attempts divided by calls: 1 means no retries or hedges; a rise without more successes is a retry storm the budget should stop.", "short",
			query(`sum by (resilience_pipeline) (`+rate(attempts+"_count", "")+`) / sum by (resilience_pipeline) (`+rate(calls+"_count", "")+`)`, "{{resilience_pipeline}}"))).
		WithPanel(panel("Call duration p50 / p99",
			"Duration of a logical call, every attempt and wait included.", "s",
			query(quantile("0.5", calls), "{{resilience_pipeline}} p50"),
			query(quantile("0.99", calls), "{{resilience_pipeline}} p99"))).
		WithPanel(panel("Attempt duration p50 / p99",
			"Duration of one attempt: the dependency's latency as this client sees it.", "s",
			query(quantile("0.5", attempts), "{{resilience_pipeline}} p50"),
			query(quantile("0.99", attempts), "{{resilience_pipeline}} p99"))).
		WithRow(dashboard.NewRowBuilder("Policies")).
		WithPanel(panel("Breaker state",
			"0 closed, 1 half-open, 2 open (alert PavedBreakerOpen).", "short",
			query(`max by (resilience_pipeline, resilience_breaker) (resilience_breaker_state{`+sel+`})`, "{{resilience_pipeline}} {{resilience_breaker}}")).
			Max(2)).
		WithPanel(panel("Retries given up, by reason",
			"retries_exhausted events by reason; budget means the retry budget refused the retry (alert PavedRetryBudgetExhausted).", "reqps",
			query(`sum by (resilience_pipeline, resilience_retry_reason) (`+rate(events, `,resilience_event="retries_exhausted"`)+`)`, "{{resilience_pipeline}} {{resilience_retry_reason}}"))).
		WithPanel(panel("Concurrency limit and in flight",
			"Bulkhead and adaptive concurrency: the limit in force and the calls holding a slot.", "short",
			query(`max by (resilience_pipeline, resilience_policy) (resilience_concurrency_limit{`+sel+`})`, "{{resilience_pipeline}} {{resilience_policy}} limit"),
			query(`max by (resilience_pipeline, resilience_policy) (resilience_concurrency_inflight{`+sel+`})`, "{{resilience_pipeline}} {{resilience_policy}} in flight"))).
		WithPanel(panel("Shed, rate-limited and bulkhead refusals",
			"Calls refused by load shedding, rate limits and full bulkheads, per second.", "reqps",
			query(`sum by (resilience_pipeline, resilience_event) (`+rate(events, `,resilience_event=~"shed|rate_limited|bulkhead_rejected"`)+`)`, "{{resilience_pipeline}} {{resilience_event}}"))).
		WithPanel(panel("Policy decisions",
			"Every policy event per second: retries, hedges, timeouts, breaker transitions and refusals, idempotent replays and conflicts.", "reqps",
			query(`sum by (resilience_pipeline, resilience_policy, resilience_event) (`+rate(events, "")+`)`, "{{resilience_pipeline}} {{resilience_policy}} {{resilience_event}}")))
	return b.Build()
}

// JSON returns the dashboard as the JSON committed in File.
func JSON() ([]byte, error) {
	d, err := Dashboard()
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
