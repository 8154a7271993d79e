//! A strict, stateful NetSuite stand-in for tests, the demo and benchmarks. Never used by production code paths.
