package policy

import "time"

// Fallback is graceful degradation (STANDARDS.md RS-16): package fallback.
// The substitute a file can name is the last good copy of a GET
// (pavedhttp.Stale), for the dependency's HTTP clients (HTTPClient,
// Transport); its gRPC calls and Pipeline are not answered. A fallback
// section turns it on. YAML: fallback.
type Fallback struct {
	Enabled bool
	// Outcomes are the failures answered (fallback.WithOutcomes): transient,
	// overload, fault, permanent, canceled, rejected. Default transient,
	// overload, fault, rejected (fallback.DefaultOutcomes).
	Outcomes []string
	Stale    Stale
}

// Stale is the copies a stale fallback keeps (pavedhttp.NewStale). YAML:
// fallback.stale.
type Stale struct {
	MaxAge     time.Duration // how long a copy may be served, 1ms..8760h; default 10m
	MaxEntries int           // URLs kept, 1..1000000; default 1000
	MaxBody    int           // bytes of a kept body, 1..1GiB; default 1MiB
}

// Chaos is fault injection for game days (STANDARDS.md RS-17): package
// chaos, innermost in the pipeline (inside the attempt timeout, where the
// dependency would fail). It is OFF unless Enabled is set to true in so
// many words: a chaos section alone does not turn it on. YAML: chaos,
// server.chaos.
type Chaos struct {
	Enabled bool
	Rate    float64 // share of calls each fault disturbs unless it says its own, 0..1; default 0.001
	Seed    uint64  // fault i is seeded with Seed+i (dependencies inheriting one seed pick alike); default a random seed
	Seeded  bool    // Seed was given
	Faults  []Fault // at least one when Enabled
}

// Fault is one fault a Chaos injects: exactly one of Error, Latency,
// LatencyMedian with LatencyP99, Hang, HTTPStatus, GRPCCode or Reset.
// YAML: chaos.faults[i].
//
// Error, Latency, LatencyMedian and Hang are the pipeline's (package
// chaos): every call of the dependency meets them, whatever carries it.
// HTTPStatus, GRPCCode and Reset are the wire's, applied by the
// constructor that knows the transport: HTTPStatus by HTTPClient and
// Transport (chaoshttp.Status) and, in server.chaos, by Handler; GRPCCode
// by DialOptions (chaosgrpc.Code) and ServerOptions; Reset by all four
// (chaoshttp.Reset, chaosgrpc.Reset; on a gRPC server only when it serves
// on Set.Listener). Where a wire fault does not fit (GRPCCode on an HTTP
// client, HTTPStatus on a gRPC server, any of them on Pipeline, whose
// calls have no wire) it is ignored: one dependency section may configure
// an HTTP client and a gRPC connection both, one server section an HTTP
// handler and a gRPC server both, so which fits is known only there.
type Fault struct {
	Error         string        // fail without running: transient, overload, fault or permanent (chaos.ErrorOutcome)
	Latency       time.Duration // delay, then run: (0, 1h] (chaos.Latency)
	LatencyMedian time.Duration // log-normal delay, 0 < median <= p99 <= 1h (chaos.LatencyLogNormal)
	LatencyP99    time.Duration
	Hang          bool          // block until the attempt's deadline (chaos.Hang)
	HTTPStatus    int           // answer with this status, 400..599, without reaching the server (chaoshttp.Status)
	RetryAfter    time.Duration // with HTTPStatus: its Retry-After, 0..1h; default 0, none
	GRPCCode      string        // fail with this status code, by name: unavailable, resource_exhausted, ... (chaosgrpc.Code)
	Pushback      time.Duration // with GRPCCode: its grpc-retry-pushback-ms, -1h..1h, negative: do not retry; default 0, none
	Reset         bool          // reset the connection (chaoshttp.Reset, chaosgrpc.Reset)
	Rate          float64       // this fault's share, 0..1; default Chaos.Rate
}

func defaultOutcomes() []string { return []string{"transient", "overload", "fault", "rejected"} }
