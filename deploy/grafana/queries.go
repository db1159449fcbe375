package grafana

import (
	"encoding/json"
	"fmt"
	"os"
)

// Queries reads the committed dashboard JSON (File, relative to the working
// directory) and returns every panel's PromQL
// expressions by panel title, as Grafana will run them, variables unexpanded.
func Queries() (map[string][]string, error) {
	return QueriesIn(File)
}

// QueriesIn is Queries for the dashboard JSON at path.
func QueriesIn(path string) (map[string][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d struct {
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string][]string{}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		for _, t := range p.Targets {
			out[p.Title] = append(out[p.Title], t.Expr)
		}
	}
	return out, nil
}
