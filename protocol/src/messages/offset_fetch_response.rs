//! `OffsetFetchResponse`: the response of the OffsetFetch API (key 9), versions 0–9, flexible from v6.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a OffsetFetch response (API key 9).
    OffsetFetchResponse { api: OffsetFetch, versions: 0-9, flexible: 6+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 3+.
        throttle_time_ms: i32 = v(3+),
        /// Kafka field `Topics`: versions 0-7.
        topics: Vec<OffsetFetchResponseTopic> = v(0-7),
        /// Kafka field `ErrorCode`: versions 2-7.
        error_code: i16 = v(2-7),
        /// Kafka field `Groups`: versions 8+.
        groups: Vec<OffsetFetchResponseGroup> = v(8+),
    }
}

kafka_struct! {
    /// A `OffsetFetchResponseTopic` entry of [`OffsetFetchResponse::topics`].
    OffsetFetchResponseTopic {
        /// Kafka field `Name`: versions 0-7.
        name: String = v(0-7),
        /// Kafka field `Partitions`: versions 0-7.
        partitions: Vec<OffsetFetchResponsePartition> = v(0-7),
    }
}

kafka_struct! {
    /// A `OffsetFetchResponseGroup` entry of [`OffsetFetchResponse::groups`].
    OffsetFetchResponseGroup {
        /// Kafka field `GroupId`: versions 8+.
        group_id: String = v(8+),
        /// Kafka field `Topics`: versions 8+.
        topics: Vec<OffsetFetchResponseTopics> = v(8+),
        /// Kafka field `ErrorCode`: versions 8+.
        error_code: i16 = v(8+),
    }
}

kafka_struct! {
    /// A `OffsetFetchResponsePartition` entry of [`OffsetFetchResponseTopic::partitions`].
    OffsetFetchResponsePartition {
        /// Kafka field `PartitionIndex`: versions 0-7.
        partition_index: i32 = v(0-7),
        /// Kafka field `CommittedOffset`: versions 0-7.
        committed_offset: i64 = v(0-7),
        /// Kafka field `CommittedLeaderEpoch`: versions 5-7, default `-1`.
        committed_leader_epoch: i32 = v(5-7) default(-1),
        /// Kafka field `Metadata`: versions 0-7, nullable in 0-7.
        metadata: Option<String> = v(0-7) null(0-7),
        /// Kafka field `ErrorCode`: versions 0-7.
        error_code: i16 = v(0-7),
    }
}

kafka_struct! {
    /// A `OffsetFetchResponseTopics` entry of [`OffsetFetchResponseGroup::topics`].
    OffsetFetchResponseTopics {
        /// Kafka field `Name`: versions 8+.
        name: String = v(8+),
        /// Kafka field `Partitions`: versions 8+.
        partitions: Vec<OffsetFetchResponsePartitions> = v(8+),
    }
}

kafka_struct! {
    /// A `OffsetFetchResponsePartitions` entry of [`OffsetFetchResponseTopics::partitions`].
    OffsetFetchResponsePartitions {
        /// Kafka field `PartitionIndex`: versions 8+.
        partition_index: i32 = v(8+),
        /// Kafka field `CommittedOffset`: versions 8+.
        committed_offset: i64 = v(8+),
        /// Kafka field `CommittedLeaderEpoch`: versions 8+, default `-1`.
        committed_leader_epoch: i32 = v(8+) default(-1),
        /// Kafka field `Metadata`: versions 8+, nullable in 8+.
        metadata: Option<String> = v(8+) null(8+),
        /// Kafka field `ErrorCode`: versions 8+.
        error_code: i16 = v(8+),
    }
}
