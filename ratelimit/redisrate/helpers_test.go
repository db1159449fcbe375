package redisrate_test

import "golang.org/x/time/rate"

func ratelimitRate(r float64) rate.Limit { return rate.Limit(r) }
