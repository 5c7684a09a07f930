//! Consumer group protocol payloads (being written).
