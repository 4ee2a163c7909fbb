package faultpoint

import "context"

// Points the backends check.
const (
	// BatchVectorsWritten is inside PutBatch after the vectors are written
	// (in the transaction, for SQL stores) and before the decisions.
	BatchVectorsWritten = "batch: vectors written"
)

type ctxKey struct{}

type armed struct {
	point string
	err   error
}

// With returns a context under which Check(ctx, point) returns err.
func With(ctx context.Context, point string, err error) context.Context {
	return context.WithValue(ctx, ctxKey{}, armed{point, err})
}

// Check returns the error armed for point in ctx, or nil.
func Check(ctx context.Context, point string) error {
	if a, ok := ctx.Value(ctxKey{}).(armed); ok && a.point == point {
		return a.err
	}
	return nil
}
