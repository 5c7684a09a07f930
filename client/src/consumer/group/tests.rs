//! The group task against the mock cluster.
