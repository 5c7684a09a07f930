//! `CreatePartitionsRequest`: the request of the CreatePartitions API (key 37), versions 0–3, flexible from v2.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a CreatePartitions request (API key 37).
    CreatePartitionsRequest { api: CreatePartitions, versions: 0-3, flexible: 2+ }
    {
        /// Kafka field `Topics`: versions 0+.
        topics: Vec<CreatePartitionsTopic> = v(0+),
        /// Kafka field `TimeoutMs`: versions 0+.
        timeout_ms: i32 = v(0+),
        /// Kafka field `ValidateOnly`: versions 0+.
        validate_only: bool = v(0+),
    }
}

impl Request for CreatePartitionsRequest {
    type Response = super::CreatePartitionsResponse;
}

kafka_struct! {
    /// A `CreatePartitionsTopic` entry of [`CreatePartitionsRequest::topics`].
    CreatePartitionsTopic {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `Count`: versions 0+.
        count: i32 = v(0+),
        /// Kafka field `Assignments`: versions 0+, nullable in 0+.
        assignments: Option<Vec<CreatePartitionsAssignment>> = v(0+) null(0+),
    }
}

kafka_struct! {
    /// A `CreatePartitionsAssignment` entry of [`CreatePartitionsTopic::assignments`].
    CreatePartitionsAssignment {
        /// Kafka field `BrokerIds`: versions 0+.
        broker_ids: Vec<i32> = v(0+),
    }
}
