package policy

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
)

// EnvConfig is the environment variable FromEnv reads: the path of the
// service's policy file.
const EnvConfig = "PAVED_CONFIG"

// FromEnv returns a Set for the file named by the PAVED_CONFIG environment
// variable (Open), or for the built-in defaults when it is unset or empty,
// so that a service needs no code to take its configuration from the
// platform:
//
//	set, err := policy.FromEnv()
//	if err != nil { log.Fatal(err) } // every problem of the file, with paths
//	go set.Watch(ctx, "")           // follow the file; "" is PAVED_CONFIG's
func FromEnv(opts ...Option) (*Set, error) {
	path := os.Getenv(EnvConfig)
	if path == "" {
		return New(nil, opts...), nil
	}
	return Open(path, opts...)
}

// Watch follows the file at path until ctx is done, and returns ctx's
// error then. An empty path means the file the Set was opened from (Open,
// FromEnv). It reads the file every poll interval (WithPollInterval,
// default 2s) and, whenever its content differs from the configuration in
// force, reloads it: a valid file is put in force (Apply), swapping every
// pipeline at once; an invalid or unreadable one is rejected with a
// config_rejected event and the old configuration stays. WithReloadFunc
// hears of every attempt.
//
// Reading the content, rather than watching for file events, follows every
// way a file is replaced: an editor's rename, a Kubernetes ConfigMap
// volume's symlink swap, a file system without notifications. The file is
// read (and hashed) once per interval; it is parsed only when it changed.
//
// Watch puts the file in force at once if it differs from the
// configuration the Set has (a Set made with New from another
// configuration, or a file that changed since Open).
func (s *Set) Watch(ctx context.Context, path string) error {
	if path == "" {
		s.mu.Lock()
		path = s.source
		s.mu.Unlock()
		if path == "" {
			return errors.New("policy: Watch needs a path: the Set was not opened from a file")
		}
	}
	var lastErr string
	for {
		s.poll(path, &lastErr)
		t := s.o.clock.NewTimer(s.o.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}

// poll reads the file and reloads it if it changed. lastErr is the last
// read error reported, so a file missing for a while is reported once.
func (s *Set) poll(path string, lastErr *string) {
	data, err := readFile(path)
	if err != nil {
		if err.Error() != *lastErr {
			*lastErr = err.Error()
			s.rejected(err)
			s.notify(nil, err)
		}
		return
	}
	*lastErr = ""
	sum := sha256.Sum256(data)
	s.mu.Lock()
	same := s.applied == sum && s.hasApplied
	s.mu.Unlock()
	if same {
		return
	}
	cfg, problems := parse(data)
	if len(problems) > 0 {
		err = &Error{Source: path, Problems: problems}
	}
	err = s.reloaded(cfg, err, data)
	if err != nil {
		// Remember the rejected content too, so it is reported once, not
		// every interval; the next change is parsed again.
		s.mu.Lock()
		s.applied, s.hasApplied = sum, true
		s.mu.Unlock()
		s.notify(nil, err)
		return
	}
	s.notify(cfg, nil)
}

func (s *Set) notify(cfg *Config, err error) {
	if s.o.onReload != nil {
		s.o.onReload(cfg, err)
	}
}
