//! `OffsetFetchRequest`: the request of the OffsetFetch API (key 9), versions 0–9, flexible from v6.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

use super::Request;

kafka_message! {
    /// The body of a OffsetFetch request (API key 9).
    OffsetFetchRequest { api: OffsetFetch, versions: 0-9, flexible: 6+ }
    {
        /// Kafka field `GroupId`: versions 0-7.
        group_id: String = v(0-7),
        /// Kafka field `Topics`: versions 0-7, nullable in 2-7.
        topics: Option<Vec<OffsetFetchRequestTopic>> = v(0-7) null(2-7),
        /// Kafka field `Groups`: versions 8+.
        groups: Vec<OffsetFetchRequestGroup> = v(8+),
        /// Kafka field `RequireStable`: versions 7+.
        require_stable: bool = v(7+),
    }
}

impl Request for OffsetFetchRequest {
    type Response = super::OffsetFetchResponse;
}

kafka_struct! {
    /// A `OffsetFetchRequestTopic` entry of [`OffsetFetchRequest::topics`].
    OffsetFetchRequestTopic {
        /// Kafka field `Name`: versions 0-7.
        name: String = v(0-7),
        /// Kafka field `PartitionIndexes`: versions 0-7.
        partition_indexes: Vec<i32> = v(0-7),
    }
}

kafka_struct! {
    /// A `OffsetFetchRequestGroup` entry of [`OffsetFetchRequest::groups`].
    OffsetFetchRequestGroup {
        /// Kafka field `GroupId`: versions 8+.
        group_id: String = v(8+),
        /// Kafka field `MemberId`: versions 9+, nullable in 9+.
        member_id: Option<String> = v(9+) null(9+),
        /// Kafka field `MemberEpoch`: versions 9+, default `-1`.
        member_epoch: i32 = v(9+) default(-1),
        /// Kafka field `Topics`: versions 8+, nullable in 8+.
        topics: Option<Vec<OffsetFetchRequestTopics>> = v(8+) null(8+),
    }
}

kafka_struct! {
    /// A `OffsetFetchRequestTopics` entry of [`OffsetFetchRequestGroup::topics`].
    OffsetFetchRequestTopics {
        /// Kafka field `Name`: versions 8+.
        name: String = v(8+),
        /// Kafka field `PartitionIndexes`: versions 8+.
        partition_indexes: Vec<i32> = v(8+),
    }
}
