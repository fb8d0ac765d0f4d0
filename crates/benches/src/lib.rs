//! Benchmarks live in the `kho-bench` binary (src/main.rs).
