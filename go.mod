module github.com/paved-go/paved

go 1.26.0

require github.com/redis/go-redis/v9 v9.23.0

require github.com/sony/gobreaker/v2 v2.4.0

require github.com/stretchr/testify v1.12.1

require go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc v0.72.0

require go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp v0.72.0

require go.opentelemetry.io/otel v1.47.0

require go.opentelemetry.io/otel/metric v1.47.0

require go.opentelemetry.io/otel/sdk v1.47.0

require go.opentelemetry.io/otel/sdk/metric v1.47.0

require go.opentelemetry.io/otel/trace v1.47.0

require go.uber.org/goleak v1.3.0

require google.golang.org/grpc v1.85.0

require (
	github.com/felixge/httpsnoop v1.1.0
	github.com/google/uuid v1.6.0
	github.com/jackc/pgx/v5 v5.13.0
	go.yaml.in/yaml/v3 v3.0.5
	golang.org/x/net v0.60.0
	golang.org/x/time v0.16.0
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260928230214-8a89bd6388cc
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel/log v1.47.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sync v0.23.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
)
