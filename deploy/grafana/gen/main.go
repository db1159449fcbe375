// Command gen writes paved-dashboard.json from the dashboard built in
// package grafana: run by `go generate ./grafana` from deploy/.
package main

import (
	"log"
	"os"

	"github.com/paved-go/paved/deploy/grafana"
)

func main() {
	out, err := grafana.JSON()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(grafana.File, out, 0o644); err != nil {
		log.Fatal(err)
	}
}
