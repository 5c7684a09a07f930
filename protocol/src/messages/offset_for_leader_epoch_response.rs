//! `OffsetForLeaderEpochResponse`: the response of the OffsetForLeaderEpoch API (key 23), versions 0–4, flexible from v4.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a OffsetForLeaderEpoch response (API key 23).
    OffsetForLeaderEpochResponse { api: OffsetForLeaderEpoch, versions: 0-4, flexible: 4+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 2+.
        throttle_time_ms: i32 = v(2+),
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<OffsetForLeaderTopicResult> = v(0+),
    }
}

kafka_struct! {
    /// A `OffsetForLeaderTopicResult` entry of [`OffsetForLeaderEpochResponse::topics`].
    OffsetForLeaderTopicResult {
        /// Kafka field `Topic`: versions 0+.
        topic: String = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<EpochEndOffset> = v(0+),
    }
}

kafka_struct! {
    /// A `EpochEndOffset` entry of [`OffsetForLeaderTopicResult::partitions`].
    EpochEndOffset {
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `Partition`: versions 0+.
        partition: i32 = v(0+),
        /// Kafka field `LeaderEpoch`: versions 1+, default `-1`.
        leader_epoch: i32 = v(1+) default(-1),
        /// Kafka field `EndOffset`: versions 0+, default `-1`.
        end_offset: i64 = v(0+) default(-1),
    }
}
