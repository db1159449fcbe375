package policy

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
)

type fakeClient struct{ closes int }

func (c *fakeClient) Close() error { c.closes++; return nil }

type fakeFleet struct {
	paved.Middleware
	closed bool
	client *fakeClient
}

func (f *fakeFleet) Close() error {
	if f.client.closes > 0 {
		return errors.New("the client was closed before its policy")
	}
	f.closed = true
	return nil
}

// mapPolicy is a FleetPolicy that is not comparable.
type mapPolicy map[string]int

func (mapPolicy) Wrap(next paved.Op) paved.Op { return next }
func (mapPolicy) Close() error                { return nil }

func TestFleetClientsShareAndClose(t *testing.T) {
	f := newFleetClients()
	var opened []*fakeClient
	connect := func(string) (FleetClient, error) {
		c := &fakeClient{}
		opened = append(opened, c)
		return c, nil
	}
	newPolicy := func(c FleetClient) (FleetPolicy, error) {
		return &fakeFleet{Middleware: paved.Chain(), client: c.(*fakeClient)}, nil
	}
	p1, err := f.open("redis://x", connect, newPolicy)
	require.NoError(t, err)
	p2, err := f.open("redis://x", connect, newPolicy)
	require.NoError(t, err)
	p3, err := f.open("redis://y", connect, newPolicy)
	require.NoError(t, err)
	require.Len(t, opened, 2, "one client per URL")

	_, err = f.open("redis://x", connect, func(FleetClient) (FleetPolicy, error) { return nil, errors.New("bad") })
	require.EqualError(t, err, "bad")
	assert.Zero(t, opened[0].closes, "a failed open leaves a held client open")
	_, err = f.open("redis://z", connect, func(FleetClient) (FleetPolicy, error) { return nil, errors.New("bad") })
	require.EqualError(t, err, "bad")
	assert.Equal(t, 1, opened[2].closes, "a failed open closes the client it opened")
	_, err = f.open("redis://x", connect, func(FleetClient) (FleetPolicy, error) { return mapPolicy{}, nil })
	require.ErrorContains(t, err, "must be comparable")

	require.NoError(t, f.close(p1))
	assert.Zero(t, opened[0].closes, "p2 still holds it")
	require.NoError(t, f.close(p2), "the policy is closed before its client")
	assert.Equal(t, 1, opened[0].closes)
	require.NoError(t, f.close(p3))
	assert.Equal(t, 1, opened[1].closes)
	assert.Empty(t, f.m)
	assert.Empty(t, f.of)

	_, err = f.open("redis://x", func(string) (FleetClient, error) { return nil, errors.New("no") }, newPolicy)
	require.EqualError(t, err, "no")
	require.NoError(t, f.close(closeOnly{opened[0]}), "a resource with no client just closes")
}
