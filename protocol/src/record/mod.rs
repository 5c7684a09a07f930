//! Record batches (being written).
