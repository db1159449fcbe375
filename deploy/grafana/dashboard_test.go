package grafana_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/paved-go/paved/deploy/grafana"
)

// The committed JSON is what the builder makes: CI fails when someone edits
// the builder and forgets `go generate ./grafana`, or edits the JSON by hand.
func TestCommittedJSONIsCurrent(t *testing.T) {
	want, err := grafana.JSON()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(grafana.File)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s is stale: run `go generate ./grafana` in deploy/ and commit it", grafana.File)
	}
}

// Every panel queries paved's metrics for the chosen pipelines, so that a
// dashboard showing one pipeline never mixes in another's series.
func TestEveryPanelIsFilteredByPipeline(t *testing.T) {
	exprs, err := grafana.Queries()
	if err != nil {
		t.Fatal(err)
	}
	if len(exprs) < 9 {
		t.Fatalf("%d panels, want at least 9", len(exprs))
	}
	for title, qs := range exprs {
		for _, q := range qs {
			if !strings.Contains(q, `resilience_pipeline=~"$pipeline"`) {
				t.Errorf("panel %q: query %q is not filtered by $pipeline", title, q)
			}
		}
	}
	var d map[string]any
	b, _ := os.ReadFile(grafana.File)
	if err := json.Unmarshal(b, &d); err != nil || d["uid"] != grafana.UID {
		t.Fatalf("uid = %v, err %v", d["uid"], err)
	}
}
