package rs2

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

func call() error { return errors.New("down") }

func forever() {
	for { // want `RS-2: hand-written retry loop has no bound on its attempts and no jitter in its sleep`
		if err := call(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func foreverJittered() {
	for { // want `RS-2: hand-written retry loop has no bound on its attempts \(nor a deadline\)`
		err := call()
		if err == nil {
			break
		}
		time.Sleep(time.Duration(rand.Int64N(int64(time.Second))))
	}
}

func whileFailing() {
	err := call()
	for err != nil { // want `no bound on its attempts and no jitter`
		time.Sleep(time.Second)
		err = call()
	}
}

func fixedDelay() error {
	var err error
	for i := 0; i < 3; i++ { // want `RS-2: hand-written retry loop sleeps without jitter, so clients that failed together retry together`
		if err = call(); err == nil {
			return nil
		}
		time.Sleep(time.Duration(i+1) * 200 * time.Millisecond)
	}
	return err
}

func fixedInSelect(ctx context.Context) error {
	for attempt := 0; ; attempt++ { // want `sleeps without jitter`
		err := call()
		if err == nil || attempt == 4 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func continueOnFailure() {
	for { // want `no bound on its attempts and no jitter`
		if err := call(); err != nil {
			time.Sleep(time.Second)
			continue
		}
		return
	}
}

// Negatives.

func boundedJittered() error {
	var err error
	delay := 100 * time.Millisecond
	for attempt := 1; attempt <= 3; attempt++ {
		if err = call(); err == nil {
			return nil
		}
		sleep := delay/2 + rand.N(delay/2)
		time.Sleep(sleep)
		delay *= 2
	}
	return err
}

func counterInBody() error {
	attempts := 0
	for {
		err := call()
		if err == nil {
			return nil
		}
		attempts++
		if attempts >= 5 {
			return err
		}
		time.Sleep(jitter(time.Second))
	}
}

func jitter(d time.Duration) time.Duration { return d/2 + rand.N(d/2) }

func untilDeadline(ctx context.Context) error {
	for ctx.Err() == nil {
		if call() == nil {
			return nil
		}
		time.Sleep(backoff(1))
	}
	return ctx.Err()
}

func backoff(n int) time.Duration { return time.Duration(n) * time.Second }

func poll(stop chan struct{}) { // a periodic worker, not a retry: no success exit
	for {
		select {
		case <-stop:
			return
		default:
		}
		if err := call(); err != nil {
			println(err.Error())
		}
		time.Sleep(time.Second)
	}
}

func ticker() { // sleeps but retries nothing
	for i := 0; i < 10; i++ {
		println(i)
		time.Sleep(time.Millisecond)
	}
}

func helperDelay() error {
	for i := 0; i < 3; i++ {
		if call() == nil {
			return nil
		}
		time.Sleep(delayFor(i)) // this package's helper, with rand inside
	}
	return nil
}

func delayFor(i int) time.Duration {
	return time.Duration(i)*time.Second + time.Duration(rand.IntN(1000))*time.Millisecond
}

func suppressed() {
	//pavedvet:ignore RS-2 a dev-only wait for the local database container
	for {
		if call() == nil {
			return
		}
		time.Sleep(time.Second)
	}
}

func nestedBreak() error {
	for { // want `no bound on its attempts and no jitter`
		err := call()
		switch {
		case err == nil:
		}
		if err == nil {
			break
		}
		time.Sleep(time.Second)
	}
	return nil
}
