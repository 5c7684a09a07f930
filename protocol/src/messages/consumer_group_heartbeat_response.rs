//! `ConsumerGroupHeartbeatResponse`: the response of the ConsumerGroupHeartbeat API (key 68), versions 0–1, flexible from v0.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use crate::codec::Uuid;

kafka_message! {
    /// The body of a ConsumerGroupHeartbeat response (API key 68).
    ConsumerGroupHeartbeatResponse { api: ConsumerGroupHeartbeat, versions: 0-1, flexible: 0+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 0+.
        throttle_time_ms: i32 = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `ErrorMessage`: versions 0+, nullable in 0+.
        error_message: Option<String> = v(0+) null(0+),
        /// Kafka field `MemberId`: versions 0+, nullable in 0+.
        member_id: Option<String> = v(0+) null(0+),
        /// Kafka field `MemberEpoch`: versions 0+.
        member_epoch: i32 = v(0+),
        /// Kafka field `HeartbeatIntervalMs`: versions 0+.
        heartbeat_interval_ms: i32 = v(0+),
        /// Kafka field `Assignment`: versions 0+, nullable in 0+.
        assignment: Option<Assignment> = v(0+) null(0+),
    }
}

kafka_struct! {
    /// A `Assignment` entry of [`ConsumerGroupHeartbeatResponse::assignment`].
    Assignment {
        /// Kafka field `TopicPartitions`: versions 0+.
        topic_partitions: Vec<TopicPartitions> = v(0+),
    }
}

kafka_struct! {
    /// A `TopicPartitions` entry of [`Assignment::topic_partitions`].
    TopicPartitions {
        /// Kafka field `TopicId`: versions 0+.
        topic_id: Uuid = v(0+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<i32> = v(0+),
    }
}
