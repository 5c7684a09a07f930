//! `ListOffsetsResponse`: the response of the ListOffsets API (key 2), versions 0–10, flexible from v6.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a ListOffsets response (API key 2).
    ListOffsetsResponse { api: ListOffsets, versions: 0-10, flexible: 6+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 2+.
        throttle_time_ms: i32 = v(2+),
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<ListOffsetsTopicResponse> = v(0+),
    }
}

kafka_struct! {
    /// A `ListOffsetsTopicResponse` entry of [`ListOffsetsResponse::topics`].
    ListOffsetsTopicResponse {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<ListOffsetsPartitionResponse> = v(0+),
    }
}

kafka_struct! {
    /// A `ListOffsetsPartitionResponse` entry of [`ListOffsetsTopicResponse::partitions`].
    ListOffsetsPartitionResponse {
        /// Kafka field `PartitionIndex`: versions 0+.
        partition_index: i32 = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `OldStyleOffsets`: versions 0.
        old_style_offsets: Vec<i64> = v(0),
        /// Kafka field `Timestamp`: versions 1+, default `-1`.
        timestamp: i64 = v(1+) default(-1),
        /// Kafka field `Offset`: versions 1+, default `-1`.
        offset: i64 = v(1+) default(-1),
        /// Kafka field `LeaderEpoch`: versions 4+, default `-1`.
        leader_epoch: i32 = v(4+) default(-1),
    }
}
