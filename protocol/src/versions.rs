//! API version negotiation (being written).
