package policy_test

import (
	"testing"

	"github.com/paved-go/paved/policy"
)

// FuzzParse: no input makes Parse panic, an invalid one always has
// problems with paths or a reason, and every configuration Parse accepts
// builds: validation admits nothing the policy packages refuse.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", designExample, fastRetries,
		"defaults: {hedge: {adaptive: false, delay: 1ms}, timeout: {attempt: 2ms, total: 3ms}, breaker: {window: 10ms}}",
		"server: {name: api, deadline: {max: 1s}, caller_key: {header: X-Tenant, metadata: x-tenant}}",
		"dependencies: {a: &a {retry: {max_attempts: 2}}, b: *a}",
		"a: [\n", "? [a]\n: 1", "dependencies: {a: {timeout: {total: 1e9}}}",
		"defaults: {retry: {budget: {ratio: .nan, capacity: .inf}}}",
		"defaults: {bulkhead: {adaptive: true, algorithm: vegas}, rate_limit: {rate: 5}, throttle: {k: 3}}",
		"server: {load_shed: {max_queue: 0}, rate_limit: {burst: 1}, idempotency: {required: true}}",
		"defaults: {breaker: {per_key: caller, max_keys: 1}, fallback: {outcomes: [fault, rejected], stale: {max_body: 1}}}",
		"dependencies: {d: {chaos: {enabled: true, seed: -1, faults: [{latency_median: 1ms, latency_p99: 1h, rate: 1}, {hang: true}, {error: permanent}]}}}",
		"server: {chaos: {enabled: true, rate: 0, faults: [{latency: 1ns}]}}",
		"dependencies: {d: {chaos: {faults: &f [{hang: true}]}}, e: {chaos: {faults: *f}}}",
		"dependencies: {d: {chaos: {enabled: true, faults: [{http_status: 503, retry_after: 1s}, {grpc_code: UNAVAILABLE, pushback: -1ms}, {reset: true}]}}}",
		"server: {chaos: {enabled: true, faults: [{grpc_code: data_loss}, {reset: true}, {http_status: 599}]}}",
		"dependencies: {d: {rate_limit: {store: 'redis://h/0'}, breaker: {store: 'rediss://h'}}}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := policy.Parse(data)
		if err != nil {
			if cfg != nil {
				t.Fatal("a Config with an error")
			}
			ps := policy.ProblemsOf(err)
			if len(ps) == 0 {
				t.Fatalf("an error without problems: %v", err)
			}
			for _, p := range ps {
				if p.Rule == "" {
					t.Fatalf("a problem without a rule: %+v", p)
				}
			}
			return
		}
		s := policy.New(cfg) // panics if a validated section does not build
		for _, name := range append(cfg.Names(), "unknown") {
			s.Pipeline(name)
		}
		s.ServerPipeline()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
