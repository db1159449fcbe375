package policy

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
)

// FleetClient is the connection to a fleet store that FleetOpener.Client
// opens (for package policy/stores, a *redis.Client with its pool). A Set
// opens one per store URL, as written, and shares it among every fleet-wide
// policy naming that URL, in every configuration it has in force or
// draining: twenty dependencies with breaker.store on one Redis make one
// pool, not twenty. The Set closes it after the last of those policies is
// closed.
type FleetClient interface{ Close() error }

// fleetClients are one Set's fleet store clients, by URL, each counted by
// the open fleet-wide policies that use it. A policy is closed by the
// Set's lifecycle (lifecycle.go) once no generation or call holds it; only
// then does it let go of its client, so a client outlives every policy
// using it, across reload generations.
type fleetClients struct {
	mu sync.Mutex
	m  map[string]*fleetClient // by URL
	of map[FleetPolicy]*fleetClient
}

type fleetClient struct {
	url     string
	c       FleetClient
	holders int // open policies on c
}

func newFleetClients() *fleetClients {
	return &fleetClients{m: map[string]*fleetClient{}, of: map[FleetPolicy]*fleetClient{}}
}

// open opens a fleet-wide policy, with newPolicy, on rawURL's client,
// opening the client with connect when no policy holds one.
func (f *fleetClients) open(rawURL string, connect func(string) (FleetClient, error), newPolicy func(FleetClient) (FleetPolicy, error)) (FleetPolicy, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.m[rawURL]
	if c == nil {
		cl, err := connect(rawURL)
		if err != nil {
			return nil, err
		}
		if cl == nil {
			return nil, errors.New("policy: FleetOpener.Client returned no client")
		}
		c = &fleetClient{url: rawURL, c: cl}
	}
	p, err := newPolicy(c.c)
	if err == nil && p == nil {
		err = errors.New("policy: FleetOpener returned no policy")
	}
	if err == nil && !reflect.TypeOf(p).Comparable() {
		err = fmt.Errorf("policy: a FleetPolicy must be comparable (a pointer), got %T", p)
		_ = p.Close()
	}
	if err != nil {
		if c.holders == 0 {
			err = errors.Join(err, c.c.Close())
		}
		return nil, err
	}
	c.holders++
	f.m[rawURL] = c
	f.of[p] = c
	return p, nil
}

// close closes r, a resource of the Set's, then lets go of the client it
// was opened on, if any, closing the client when r was its last holder.
func (f *fleetClients) close(r FleetPolicy) error {
	err := r.Close()
	f.mu.Lock()
	c := f.of[r]
	last := false
	if c != nil {
		delete(f.of, r)
		if c.holders--; c.holders == 0 {
			delete(f.m, c.url)
			last = true
		}
	}
	f.mu.Unlock()
	if last {
		err = errors.Join(err, c.c.Close())
	}
	return err
}
