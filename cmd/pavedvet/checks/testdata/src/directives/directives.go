package directives

func f() {
	//pavedvet:ignore RS-1 a valid directive: no finding
	_ = 1
	_ = 2 //pavedvet:ignore RS-14 a valid trailing directive

	//pavedvet:ignore // want `pavedvet:ignore names no rule`
	//pavedvet:ignore RS-1 // want `pavedvet:ignore RS-1 needs a reason`
	//pavedvet:ignore RS-1,RS-12 // want `pavedvet:ignore RS-1,RS-12 needs a reason`
	//pavedvet:ignore RS-3 idempotency is not checked // want `pavedvet does not check RS-3`
	//pavedvet:ignore rs1 lower case // want `"rs1" is not a rule`
	//pavedvet:ignore RS-1, RS-12 a space after the comma // want `"" is not a rule`
	//pavedvet:ignored is another word: not a directive
	// pavedvet:ignore RS-1 with a space is not a directive either
}
