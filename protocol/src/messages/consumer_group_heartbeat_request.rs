//! `ConsumerGroupHeartbeatRequest`: the request of the ConsumerGroupHeartbeat API (key 68), versions 0–1, flexible from v0.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;
use crate::codec::Uuid;

kafka_message! {
    /// The body of a ConsumerGroupHeartbeat request (API key 68).
    ConsumerGroupHeartbeatRequest { api: ConsumerGroupHeartbeat, versions: 0-1, flexible: 0+ }
    {
        /// Kafka field `GroupId`: versions 0+.
        group_id: String = v(0+),
        /// Kafka field `MemberId`: versions 0+.
        member_id: String = v(0+),
        /// Kafka field `MemberEpoch`: versions 0+.
        member_epoch: i32 = v(0+),
        /// Kafka field `InstanceId`: versions 0+, nullable in 0+.
        instance_id: Option<String> = v(0+) null(0+),
        /// Kafka field `RackId`: versions 0+, nullable in 0+.
        rack_id: Option<String> = v(0+) null(0+),
        /// Kafka field `RebalanceTimeoutMs`: versions 0+, default `-1`.
        rebalance_timeout_ms: i32 = v(0+) default(-1),
        /// Kafka field `SubscribedTopicNames`: versions 0+, nullable in 0+.
        subscribed_topic_names: Option<Vec<String>> = v(0+) null(0+),
        /// Kafka field `SubscribedTopicRegex`: versions 1+, nullable in 1+.
        subscribed_topic_regex: Option<String> = v(1+) null(1+),
        /// Kafka field `ServerAssignor`: versions 0+, nullable in 0+.
        server_assignor: Option<String> = v(0+) null(0+),
        /// Kafka field `TopicPartitions`: versions 0+, nullable in 0+.
        topic_partitions: Option<Vec<TopicPartitions>> = v(0+) null(0+),
    }
}

impl Request for ConsumerGroupHeartbeatRequest {
    type Response = super::ConsumerGroupHeartbeatResponse;
}

kafka_struct! {
    /// A `TopicPartitions` entry of [`ConsumerGroupHeartbeatRequest::topic_partitions`].
    TopicPartitions {
        /// Kafka field `TopicId`: versions 0+.
        topic_id: Uuid = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<i32> = v(0+),
    }
}
