// The libFuzzer driver is linked by -sanitize=fuzzer; this target only declares it.
