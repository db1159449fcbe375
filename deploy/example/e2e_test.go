package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paved-go/paved/deploy/grafana"
	"github.com/paved-go/paved/deploy/internal/promtest"
)

// fastRules rewrites paved-rules.yml for a test that cannot wait minutes:
// every `for:` becomes 2s and the breaker alert's 1m window 3s. The
// expressions are the committed ones; promtool's unit tests
// (deploy/prometheus) prove the committed durations.
func fastRules(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join("..", "prometheus", "paved-rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	s := regexp.MustCompile(`for: \S+`).ReplaceAllString(string(b), "for: 2s")
	s = strings.ReplaceAll(s, "[1m]", "[3s]")
	path := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// End to end on loopback: a real Prometheus scrapes the example service
// while its dependency goes down and comes back; the breaker alert goes
// pending, fires and clears, and every dashboard panel's query returns data.
func TestAlertsAndDashboardAgainstRealPrometheus(t *testing.T) {
	promtest.Binary(t, "prometheus")
	var down atomic.Bool
	dep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("{}"))
	}))
	defer dep.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	svcCtx, stopSvc := context.WithCancel(ctx)
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(svcCtx, config{Listen: "127.0.0.1:0", Dependency: dep.URL, RPS: 40,
			BreakerOpen: time.Second, Ready: func(a string) { addr <- a }})
	}()
	defer func() {
		stopSvc()
		if err := <-done; err != nil {
			t.Errorf("service: %v", err)
		}
	}()
	var target string
	select {
	case target = <-addr:
	case err := <-done:
		t.Fatalf("service stopped: %v", err)
	}
	prom := promtest.Start(t, target, fastRules(t))

	waitFor := func(what string, limit time.Duration, cond func() (bool, error)) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for {
			ok, err := cond()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v (last error: %v)", what, limit, err)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	state := func() string {
		s, err := prom.AlertState(ctx, "PavedBreakerOpen")
		if err != nil {
			t.Logf("alerts: %v", err)
		}
		return s
	}

	waitFor("calls scraped", 20*time.Second, func() (bool, error) {
		r, err := prom.Query(ctx, `resilience_call_duration_seconds_count{resilience_pipeline="inventory"}`)
		return len(r) > 0, err
	})
	if s := state(); s != "" {
		t.Fatalf("breaker alert %q while the dependency is healthy", s)
	}

	down.Store(true)
	seen := map[string]bool{}
	waitFor("breaker alert firing", 30*time.Second, func() (bool, error) {
		s := state()
		seen[s] = true
		return s == "firing", nil
	})
	if !seen["pending"] {
		t.Log("the alert was never seen pending (it went from inactive to firing between two polls)")
	}
	checkPanels(t, ctx, prom)

	down.Store(false)
	waitFor("breaker alert cleared after recovery", 30*time.Second, func() (bool, error) {
		return state() == "", nil
	})
}

// checkPanels runs every panel query of the committed dashboard, with its
// variables as Grafana would expand them for "All" pipelines, and requires
// data from each.
func checkPanels(t *testing.T, ctx context.Context, prom *promtest.Server) {
	t.Helper()
	panels, err := grafana.QueriesIn(filepath.Join("..", "grafana", grafana.File))
	if err != nil {
		t.Fatal(err)
	}
	expand := strings.NewReplacer(`$pipeline`, `.*`, `$__rate_interval`, `10s`)
	for title, qs := range panels {
		for _, q := range qs {
			q := expand.Replace(q)
			var n int
			deadline := time.Now().Add(15 * time.Second)
			for {
				r, err := prom.Query(ctx, q)
				if err != nil {
					t.Fatalf("panel %q: %v", title, err)
				}
				if n = len(r); n > 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(500 * time.Millisecond)
			}
			if n == 0 {
				t.Errorf("panel %q: query returned no data: %s", title, q)
			}
		}
	}
}
