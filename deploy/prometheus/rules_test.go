// Package prometheus holds paved's Prometheus rules (paved-rules.yml) and
// their promtool unit tests (paved-rules.test.yml); this test runs both
// through promtool.
package prometheus

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/paved-go/paved/deploy/internal/promtest"
)

func TestRulesAreValid(t *testing.T) {
	promtool := promtest.Binary(t, "promtool")
	out, err := exec.Command(promtool, "check", "rules", "paved-rules.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// Every alert has a promtool unit test that makes it fire and one that keeps
// it quiet (paved-rules.test.yml).
func TestRulesUnitTests(t *testing.T) {
	promtool := promtest.Binary(t, "promtool")
	out, err := exec.Command(promtool, "test", "rules", "paved-rules.test.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// Every alert names its runbook, the section exists in docs/runbooks.md,
// names the same standard, and paved-rules.test.yml tests the alert.
func TestEveryAlertHasARunbookAndATest(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	read := func(path string, v any) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if v != nil {
			if err := yaml.Unmarshal(b, v); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		return b
	}
	read("paved-rules.yml", &rules)
	tests := string(read("paved-rules.test.yml", nil))
	runbooks := string(read(filepath.Join("..", "..", "docs", "runbooks.md"), nil))
	sections := map[string]string{} // anchor -> section text
	for _, part := range strings.Split(runbooks, "\n## ")[1:] {
		title, body, _ := strings.Cut(part, "\n")
		sections[strings.ToLower(title)] = body
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			anchor := strings.TrimPrefix(r.Annotations["runbook"], "docs/runbooks.md#")
			body, ok := sections[anchor]
			if !ok || anchor != strings.ToLower(r.Alert) {
				t.Errorf("%s: runbook %q has no section ## %s in docs/runbooks.md", r.Alert, r.Annotations["runbook"], r.Alert)
				continue
			}
			std := r.Annotations["standard"]
			if !regexp.MustCompile(`^RS-[0-9]+$`).MatchString(std) || !strings.Contains(body, "STANDARDS.md "+std) {
				t.Errorf("%s: standard %q is not cited by its runbook section", r.Alert, std)
			}
			if !strings.Contains(tests, "alertname: "+r.Alert+"\n") {
				t.Errorf("%s: no promtool unit test", r.Alert)
			}
		}
	}
	if n < 10 {
		t.Fatalf("%d alerts, want at least 10", n)
	}
}
