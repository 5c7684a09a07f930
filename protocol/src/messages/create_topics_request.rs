//! `CreateTopicsRequest`: the request of the CreateTopics API (key 19), versions 0–7, flexible from v5.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a CreateTopics request (API key 19).
    CreateTopicsRequest { api: CreateTopics, versions: 0-7, flexible: 5+ }
    {
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<CreatableTopic> = v(0+),
        /// Kafka field `timeoutMs`: versions 0+, default `60000`.
        timeout_ms: i32 = v(0+) default(60000),
        /// Kafka field `validateOnly`: versions 1+.
        validate_only: bool = v(1+),
    }
}

impl Request for CreateTopicsRequest {
    type Response = super::CreateTopicsResponse;
}

kafka_struct! {
    /// A `CreatableTopic` entry of [`CreateTopicsRequest::topics`].
    CreatableTopic {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `NumPartitions`: versions 0+.
        num_partitions: i32 = v(0+),
        /// Kafka field `ReplicationFactor`: versions 0+.
        replication_factor: i16 = v(0+),
        /// Kafka field `Assignments`: versions 0+.
        assignments: Vec<CreatableReplicaAssignment> = v(0+),
        /// Kafka field `Configs`: versions 0+.
        configs: Vec<CreatableTopicConfig> = v(0+),
    }
}

kafka_struct! {
    /// A `CreatableReplicaAssignment` entry of [`CreatableTopic::assignments`].
    CreatableReplicaAssignment {
        /// Kafka field `PartitionIndex`: versions 0+.
        partition_index: i32 = v(0+),
        /// Kafka field `BrokerIds`: versions 0+.
        broker_ids: Vec<i32> = v(0+),
    }
}

kafka_struct! {
    /// A `CreatableTopicConfig` entry of [`CreatableTopic::configs`].
    CreatableTopicConfig {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Value`: versions 0+, nullable in 0+.
        value: Option<String> = v(0+) null(0+),
    }
}
