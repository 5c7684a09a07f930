//! `TxnOffsetCommitRequest`: the request of the TxnOffsetCommit API (key 28), versions 0–4, flexible from v3.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a TxnOffsetCommit request (API key 28).
    TxnOffsetCommitRequest { api: TxnOffsetCommit, versions: 0-4, flexible: 3+ }
    {
        /// Kafka field `TransactionalId`: versions 0+.
        transactional_id: String = v(0+),
        /// Kafka field `GroupId`: versions 0+.
        group_id: String = v(0+),
        /// Kafka field `ProducerId`: versions 0+.
        producer_id: i64 = v(0+),
        /// Kafka field `ProducerEpoch`: versions 0+.
        producer_epoch: i16 = v(0+),
        /// Kafka field `GenerationId`: versions 3+, default `-1`.
        generation_id: i32 = v(3+) default(-1),
        /// Kafka field `MemberId`: versions 3+.
        member_id: String = v(3+),
        /// Kafka field `GroupInstanceId`: versions 3+, nullable in 3+.
        group_instance_id: Option<String> = v(3+) null(3+),
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<TxnOffsetCommitRequestTopic> = v(0+),
    }
}

impl Request for TxnOffsetCommitRequest {
    type Response = super::TxnOffsetCommitResponse;
}

kafka_struct! {
    /// A `TxnOffsetCommitRequestTopic` entry of [`TxnOffsetCommitRequest::topics`].
    TxnOffsetCommitRequestTopic {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<TxnOffsetCommitRequestPartition> = v(0+),
    }
}

kafka_struct! {
    /// A `TxnOffsetCommitRequestPartition` entry of [`TxnOffsetCommitRequestTopic::partitions`].
    TxnOffsetCommitRequestPartition {
        /// Kafka field `PartitionIndex`: versions 0+.
        partition_index: i32 = v(0+),
        /// Kafka field `CommittedOffset`: versions 0+.
        committed_offset: i64 = v(0+),
        /// Kafka field `CommittedLeaderEpoch`: versions 2+, default `-1`.
        committed_leader_epoch: i32 = v(2+) default(-1),
        /// Kafka field `CommittedMetadata`: versions 0+, nullable in 0+.
        committed_metadata: Option<String> = v(0+) null(0+),
    }
}
