package waitfor

// During runs work on a goroutine of its own and calls check again and
// again while it runs, for tests of readers that run beside a writer: the
// loop ends once work has returned and check has run at least min times.
// check learns when work has returned (finished), so its last call sees
// everything work did. During returns work's error, as soon as it has it.
// It waits on work's end, not on time: on a loaded machine check simply
// runs fewer times while work runs.
func During(work func() error, min int, check func(finished bool)) error {
	done := make(chan error, 1)
	go func() { done <- work() }()
	finished := false
	for n := 0; !finished || n < min; n++ {
		select {
		case err := <-done:
			if err != nil {
				return err
			}
			finished = true
		default:
		}
		check(finished)
	}
	return nil
}
