package policy

import "time"

// The file's shape, as written: every field a pointer (or a map), so that a
// field left out is told apart from one set to its zero value. Inheritance
// (inherit) fills a dependency's nil fields from defaults; resolve fills what
// is still nil from the built-in defaults.

type fileConfig struct {
	Defaults     *fileDependency            `yaml:"defaults"`
	Dependencies map[string]*fileDependency `yaml:"dependencies"`
	Server       *fileServer                `yaml:"server"`
}

type fileDependency struct {
	Timeout  *fileTimeout   `yaml:"timeout"`
	Retry    *fileRetry     `yaml:"retry"`
	Hedge    *fileHedge     `yaml:"hedge"`
	Breaker  *fileBreaker   `yaml:"breaker"`
	Bulkhead *fileBulkhead  `yaml:"bulkhead"`
	Limit    *fileRateLimit `yaml:"rate_limit"`
	Throttle *fileThrottle  `yaml:"throttle"`
	Fallback *fileFallback  `yaml:"fallback"`
	Chaos    *fileChaos     `yaml:"chaos"`
}

type fileFallback struct {
	Enabled  *bool      `yaml:"enabled"`
	Outcomes *[]string  `yaml:"outcomes"`
	Stale    *fileStale `yaml:"stale"`
}

type fileStale struct {
	MaxAge     *time.Duration `yaml:"max_age"`
	MaxEntries *int           `yaml:"max_entries"`
	MaxBody    *int           `yaml:"max_body"`
}

type fileChaos struct {
	Enabled *bool        `yaml:"enabled"`
	Rate    *float64     `yaml:"rate"`
	Seed    *uint64      `yaml:"seed"`
	Faults  *[]fileFault `yaml:"faults"`
}

type fileFault struct {
	Error         *string        `yaml:"error"`
	Latency       *time.Duration `yaml:"latency"`
	LatencyMedian *time.Duration `yaml:"latency_median"`
	LatencyP99    *time.Duration `yaml:"latency_p99"`
	Hang          *bool          `yaml:"hang"`
	HTTPStatus    *int           `yaml:"http_status"`
	RetryAfter    *time.Duration `yaml:"retry_after"`
	GRPCCode      *string        `yaml:"grpc_code"`
	Pushback      *time.Duration `yaml:"pushback"`
	Reset         *bool          `yaml:"reset"`
	Rate          *float64       `yaml:"rate"`
}

type fileBulkhead struct {
	Enabled       *bool          `yaml:"enabled"`
	MaxConcurrent *int           `yaml:"max_concurrent"`
	MaxWait       *time.Duration `yaml:"max_wait"`
	MaxQueue      *int           `yaml:"max_queue"`
	Adaptive      *bool          `yaml:"adaptive"`
	Algorithm     *string        `yaml:"algorithm"`
	InitialLimit  *int           `yaml:"initial_limit"`
	MinLimit      *int           `yaml:"min_limit"`
	MaxLimit      *int           `yaml:"max_limit"`
}

type fileRateLimit struct {
	Enabled         *bool          `yaml:"enabled"`
	Rate            *float64       `yaml:"rate"`
	Burst           *int           `yaml:"burst"`
	MaxWait         *time.Duration `yaml:"max_wait"`
	ServerFeedback  *bool          `yaml:"server_feedback"`
	MaxKeys         *int           `yaml:"max_keys"`
	Store           *string        `yaml:"store"`
	KeyPrefix       *string        `yaml:"key_prefix"`
	Key             *string        `yaml:"key"`
	FailClosed      *bool          `yaml:"fail_closed"`
	Replicas        *int           `yaml:"replicas"`
	DecisionTimeout *time.Duration `yaml:"decision_timeout"`
	StoreRetry      *time.Duration `yaml:"store_retry"`
}

type fileThrottle struct {
	Enabled              *bool          `yaml:"enabled"`
	K                    *float64       `yaml:"k"`
	Window               *time.Duration `yaml:"window"`
	MaxRejectProbability *float64       `yaml:"max_reject_probability"`
	MinRate              *float64       `yaml:"min_rate"`
}

type fileLoadShed struct {
	Enabled       *bool          `yaml:"enabled"`
	Algorithm     *string        `yaml:"algorithm"`
	InitialLimit  *int           `yaml:"initial_limit"`
	MinLimit      *int           `yaml:"min_limit"`
	MaxLimit      *int           `yaml:"max_limit"`
	MaxQueue      *int           `yaml:"max_queue"`
	CoDelTarget   *time.Duration `yaml:"codel_target"`
	CoDelInterval *time.Duration `yaml:"codel_interval"`
	RetryAfter    *time.Duration `yaml:"retry_after"`
}

type fileIdempotency struct {
	Enabled        *bool          `yaml:"enabled"`
	Store          *string        `yaml:"store"`
	Lease          *time.Duration `yaml:"lease"`
	Retention      *time.Duration `yaml:"retention"`
	StoreTimeout   *time.Duration `yaml:"store_timeout"`
	MaxStoredBytes *int           `yaml:"max_stored_bytes"`
	FailOpen       *bool          `yaml:"fail_open"`
	Required       *bool          `yaml:"required"`
}

type fileTimeout struct {
	Total   *time.Duration `yaml:"total"`
	Attempt *time.Duration `yaml:"attempt"`
}

type fileRetry struct {
	MaxAttempts    *int           `yaml:"max_attempts"`
	Backoff        *fileBackoff   `yaml:"backoff"`
	Budget         *fileBudget    `yaml:"budget"`
	MinAttemptTime *time.Duration `yaml:"min_attempt_time"`
}

type fileBackoff struct {
	Base   *time.Duration `yaml:"base"`
	Max    *time.Duration `yaml:"max"`
	Jitter *string        `yaml:"jitter"`
}

type fileBudget struct {
	Enabled      *bool    `yaml:"enabled"`
	Ratio        *float64 `yaml:"ratio"`
	MinPerSecond *float64 `yaml:"min_per_second"`
	Capacity     *float64 `yaml:"capacity"`
}

type fileHedge struct {
	Enabled     *bool          `yaml:"enabled"`
	Adaptive    *bool          `yaml:"adaptive"`
	Delay       *time.Duration `yaml:"delay"`
	Quantile    *float64       `yaml:"quantile"`
	MinSamples  *int           `yaml:"min_samples"`
	MaxHedges   *int           `yaml:"max_hedges"`
	MaxPushback *time.Duration `yaml:"max_pushback"`
	Budget      *fileBudget    `yaml:"budget"`
}

type fileBreaker struct {
	Enabled             *bool          `yaml:"enabled"`
	FailureRatio        *float64       `yaml:"failure_ratio"`
	MinRequests         *int           `yaml:"min_requests"`
	Window              *time.Duration `yaml:"window"`
	ConsecutiveFailures *int           `yaml:"consecutive_failures"`
	OpenFor             *time.Duration `yaml:"open_for"`
	Jitter              *float64       `yaml:"jitter"`
	HalfOpenRequests    *int           `yaml:"half_open_requests"`
	SlowCallThreshold   *time.Duration `yaml:"slow_call_threshold"`
	CountOverload       *bool          `yaml:"count_overload"`
	PerKey              *string        `yaml:"per_key"`
	MaxKeys             *int           `yaml:"max_keys"`
	IdleTimeout         *time.Duration `yaml:"idle_timeout"`
	Store               *string        `yaml:"store"`
	KeyPrefix           *string        `yaml:"key_prefix"`
	SyncPeriod          *time.Duration `yaml:"sync_period"`
}

type fileServer struct {
	Name        *string          `yaml:"name"`
	Deadline    *fileDeadline    `yaml:"deadline"`
	CallerKey   *fileCallerKey   `yaml:"caller_key"`
	LoadShed    *fileLoadShed    `yaml:"load_shed"`
	Limit       *fileRateLimit   `yaml:"rate_limit"`
	Idempotency *fileIdempotency `yaml:"idempotency"`
	Chaos       *fileChaos       `yaml:"chaos"`
}

type fileDeadline struct {
	Header *string        `yaml:"header"`
	Max    *time.Duration `yaml:"max"`
}

type fileCallerKey struct {
	Header   *string `yaml:"header"`
	Metadata *string `yaml:"metadata"`
}
