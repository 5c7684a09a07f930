//! `MetadataResponse`: the response of the Metadata API (key 3), versions 0–12, flexible from v9.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use crate::codec::Uuid;

kafka_message! {
    /// The body of a Metadata response (API key 3).
    MetadataResponse { api: Metadata, versions: 0-12, flexible: 9+ }
    {
        /// Kafka field `ThrottleTimeMs`: versions 3+.
        throttle_time_ms: i32 = v(3+),
        /// Kafka field `Brokers`: versions 0+.
        brokers: Vec<MetadataResponseBroker> = v(0+),
        /// Kafka field `ClusterId`: versions 2+, nullable in 2+.
        cluster_id: Option<String> = v(2+) null(2+),
        /// Kafka field `ControllerId`: versions 1+, default `-1`.
        controller_id: i32 = v(1+) default(-1),
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<MetadataResponseTopic> = v(0+),
        /// Kafka field `ClusterAuthorizedOperations`: versions 8-10, default `-2147483648`.
        cluster_authorized_operations: i32 = v(8-10) default(i32::MIN),
    }
}

kafka_struct! {
    /// A `MetadataResponseBroker` entry of [`MetadataResponse::brokers`].
    MetadataResponseBroker {
        /// Kafka field `NodeId`: versions 0+.
        node_id: i32 = v(0+),
        /// Kafka field `Host`: versions 0+.
        host: String = v(0+),
        /// Kafka field `Port`: versions 0+.
        port: i32 = v(0+),
        /// Kafka field `Rack`: versions 1+, nullable in 1+.
        rack: Option<String> = v(1+) null(1+),
    }
}

kafka_struct! {
    /// A `MetadataResponseTopic` entry of [`MetadataResponse::topics`].
    MetadataResponseTopic {
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `Name`: versions 0+, nullable in 12+.
        name: Option<String> = v(0+) null(12+),
        /// Kafka field `TopicId`: versions 10+.
        topic_id: Uuid = v(10+),
        /// Kafka field `IsInternal`: versions 1+.
        is_internal: bool = v(1+),
        /// Kafka field `Partitions`: versions 0+.
        partitions: Vec<MetadataResponsePartition> = v(0+),
        /// Kafka field `TopicAuthorizedOperations`: versions 8+, default `-2147483648`.
        topic_authorized_operations: i32 = v(8+) default(i32::MIN),
    }
}

kafka_struct! {
    /// A `MetadataResponsePartition` entry of [`MetadataResponseTopic::partitions`].
    MetadataResponsePartition {
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `PartitionIndex`: versions 0+.
        partition_index: i32 = v(0+),
        /// Kafka field `LeaderId`: versions 0+.
        leader_id: i32 = v(0+),
        /// Kafka field `LeaderEpoch`: versions 7+, default `-1`.
        leader_epoch: i32 = v(7+) default(-1),
        /// Kafka field `ReplicaNodes`: versions 0+.
        replica_nodes: Vec<i32> = v(0+),
        /// Kafka field `IsrNodes`: versions 0+.
        isr_nodes: Vec<i32> = v(0+),
        /// Kafka field `OfflineReplicas`: versions 5+.
        offline_replicas: Vec<i32> = v(5+),
    }
}
