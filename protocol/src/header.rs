//! Request and response headers (being written).
