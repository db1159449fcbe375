package ignore

import "net/http"

func suppressed(u string) {
	_, _ = http.Get(u) //pavedvet:ignore RS-1 the CLI's single request, bounded by its -timeout flag

	//pavedvet:ignore RS-1 a one-shot health probe with its own deadline
	_, _ = http.Get(u)

	//pavedvet:ignore RS-12,RS-1 both rules, one reason
	_, _ = http.Head(u)
}

func notSuppressed(u string) {
	//pavedvet:ignore RS-1 // a directive without a reason silences nothing
	_, _ = http.Get(u) // want `RS-1: http.Get`

	//pavedvet:ignore RS-12 another rule entirely
	_, _ = http.Get(u) // want `RS-1: http.Get`

	_ = u              //pavedvet:ignore RS-1 a trailing directive covers its own line only
	_, _ = http.Get(u) // want `RS-1: http.Get`

	//pavedvet:ignore RS-1 too far away

	_, _ = http.Get(u) // want `RS-1: http.Get`

	//pavedvet:ignore RS-99 an unknown rule
	_, _ = http.Get(u) // want `RS-1: http.Get`
}
