// Package promtest finds and starts Debian's prometheus and promtool for the
// tests of deploy/: they skip with a clear message when the binaries are
// absent and fail instead when PAVED_REQUIRE_SERVICES=1 (as .ci/run sets).
package promtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Binary returns the path of name (prometheus, promtool) on PATH, or skips t
// (fails it when PAVED_REQUIRE_SERVICES=1).
func Binary(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s is not on PATH (Debian: apt-get install prometheus): %v", name, err)
	if os.Getenv("PAVED_REQUIRE_SERVICES") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Server is a prometheus started by Start.
type Server struct {
	URL string // base URL of its HTTP API
}

// Start runs prometheus on a free loopback port, scraping target (host:port)
// every second and evaluating rulesFile every second, with its data in a
// temporary directory. It is stopped when t ends.
func Start(t testing.TB, target, rulesFile string) *Server {
	t.Helper()
	bin := Binary(t, "prometheus")
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rules, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: paved-example
    static_configs:
      - targets: [%q]
`, rules, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	logs, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		logs.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("prometheus log:\n%s", b)
		}
	})
	s := &Server{URL: "http://" + addr}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus on %s not ready after 20s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Sample is one series of an instant query's result.
type Sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// Query runs an instant PromQL query and returns its vector result.
func (s *Server) Query(ctx context.Context, promql string) ([]Sample, error) {
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string   `json:"resultType"`
			Result     []Sample `json:"result"`
		} `json:"data"`
	}
	if err := s.get(ctx, "/api/v1/query?query="+url.QueryEscape(promql), &out); err != nil {
		return nil, err
	}
	if out.Status != "success" {
		return nil, fmt.Errorf("query %q: %s", promql, out.Error)
	}
	return out.Data.Result, nil
}

// Alert is one alert as /api/v1/alerts reports it.
type Alert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"` // pending or firing
}

// Alerts returns the alerts that are pending or firing now.
func (s *Server) Alerts(ctx context.Context) ([]Alert, error) {
	var out struct {
		Data struct {
			Alerts []Alert `json:"alerts"`
		} `json:"data"`
	}
	err := s.get(ctx, "/api/v1/alerts", &out)
	return out.Data.Alerts, err
}

// AlertState returns the state of the alert named name ("pending",
// "firing"), or "" when it is inactive.
func (s *Server) AlertState(ctx context.Context, name string) (string, error) {
	alerts, err := s.Alerts(ctx)
	if err != nil {
		return "", err
	}
	state := ""
	for _, a := range alerts {
		if a.Labels["alertname"] == name && (state == "" || a.State == "firing") {
			state = a.State
		}
	}
	return state, nil
}

func (s *Server) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req) //pavedvet:ignore RS-1 the test's context bounds the call
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("GET %s: %s, content type %q", path, resp.Status, ct)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
