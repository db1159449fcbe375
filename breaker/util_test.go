package breaker_test

import "runtime"

func runtimeGosched() { runtime.Gosched() }
