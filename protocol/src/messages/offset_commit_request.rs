//! `OffsetCommitRequest`: the request of the OffsetCommit API (key 8), versions 0–9, flexible from v8.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a OffsetCommit request (API key 8).
    OffsetCommitRequest { api: OffsetCommit, versions: 0-9, flexible: 8+ }
    {
        /// Kafka field `GroupId`: versions 0+.
        group_id: String = v(0+),
        /// Kafka field `GenerationIdOrMemberEpoch`: versions 1+, default `-1`.
        generation_id_or_member_epoch: i32 = v(1+) default(-1),
        /// Kafka field `MemberId`: versions 1+.
        member_id: String = v(1+),
        /// Kafka field `GroupInstanceId`: versions 7+, nullable in 7+.
        group_instance_id: Option<String> = v(7+) null(7+),
        /// Kafka field `RetentionTimeMs`: versions 2-4, default `-1`.
        retention_time_ms: i64 = v(2-4) default(-1),
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<OffsetCommitRequestTopic> = v(0+),
    }
}

impl Request for OffsetCommitRequest {
    type Response = super::OffsetCommitResponse;
}

kafka_struct! {
    /// A `OffsetCommitRequestTopic` entry of [`OffsetCommitRequest::topics`].
    OffsetCommitRequestTopic {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<OffsetCommitRequestPartition> = v(0+),
    }
}

kafka_struct! {
    /// A `OffsetCommitRequestPartition` entry of [`OffsetCommitRequestTopic::partitions`].
    OffsetCommitRequestPartition {
        /// Kafka field `PartitionIndex`: versions 0+.
        partition_index: i32 = v(0+),
        /// Kafka field `CommittedOffset`: versions 0+.
        committed_offset: i64 = v(0+),
        /// Kafka field `CommittedLeaderEpoch`: versions 6+, default `-1`.
        committed_leader_epoch: i32 = v(6+) default(-1),
        /// Kafka field `CommitTimestamp`: versions 1, default `-1`.
        commit_timestamp: i64 = v(1) default(-1),
        /// Kafka field `CommittedMetadata`: versions 0+, nullable in 0+.
        committed_metadata: Option<String> = v(0+) null(0+),
    }
}
