//! Round-trip property tests for every message at every version.
