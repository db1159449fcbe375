package policy

import (
	"context"

	"google.golang.org/grpc/metadata"
)

// metadataValue returns the first value of key in ctx's incoming metadata;
// empty when key is empty or absent.
func metadataValue(ctx context.Context, key string) string {
	if key == "" {
		return ""
	}
	if v := metadata.ValueFromIncomingContext(ctx, key); len(v) > 0 {
		return v[0]
	}
	return ""
}
