//! `ProduceResponse`: the response of the Produce API (key 0), versions 0–11, flexible from v9.
//!
//! Declared from Kafka's message definitions; see `crate::macros` for the notation.

kafka_message! {
    /// The body of a Produce response (API key 0).
    ProduceResponse { api: Produce, versions: 0-11, flexible: 9+ }
    {
        /// Kafka field `Responses`: versions 0+.
        responses: Vec<TopicProduceResponse> = v(0+),
        /// Kafka field `ThrottleTimeMs`: versions 1+.
        throttle_time_ms: i32 = v(1+),
        /// Kafka field `NodeEndpoints`: versions 10+, tagged (tag 0).
        node_endpoints: Vec<NodeEndpoint> = v(10+) tag(0),
    }
}

kafka_struct! {
    /// A `TopicProduceResponse` entry of [`ProduceResponse::responses`].
    TopicProduceResponse {
        /// Kafka field `Name`: versions 0+.
        name: String = v(0+),
        /// Kafka field `PartitionResponses`: versions 0+.
        partition_responses: Vec<PartitionProduceResponse> = v(0+),
    }
}

kafka_struct! {
    /// A `NodeEndpoint` entry of [`ProduceResponse::node_endpoints`].
    NodeEndpoint {
        /// Kafka field `NodeId`: versions 10+.
        node_id: i32 = v(10+),
        /// Kafka field `Host`: versions 10+.
        host: String = v(10+),
        /// Kafka field `Port`: versions 10+.
        port: i32 = v(10+),
        /// Kafka field `Rack`: versions 10+, nullable in 10+.
        rack: Option<String> = v(10+) null(10+),
    }
}

kafka_struct! {
    /// A `PartitionProduceResponse` entry of [`TopicProduceResponse::partition_responses`].
    PartitionProduceResponse {
        /// Kafka field `Index`: versions 0+.
        index: i32 = v(0+),
        /// Kafka field `ErrorCode`: versions 0+.
        error_code: i16 = v(0+),
        /// Kafka field `BaseOffset`: versions 0+.
        base_offset: i64 = v(0+),
        /// Kafka field `LogAppendTimeMs`: versions 2+, default `-1`.
        log_append_time_ms: i64 = v(2+) default(-1),
        /// Kafka field `LogStartOffset`: versions 5+, default `-1`.
        log_start_offset: i64 = v(5+) default(-1),
        /// Kafka field `RecordErrors`: versions 8+.
        record_errors: Vec<BatchIndexAndErrorMessage> = v(8+),
        /// Kafka field `ErrorMessage`: versions 8+, nullable in 8+.
        error_message: Option<String> = v(8+) null(8+),
        /// Kafka field `CurrentLeader`: versions 10+, tagged (tag 0).
        current_leader: LeaderIdAndEpoch = v(10+) tag(0),
    }
}

kafka_struct! {
    /// A `BatchIndexAndErrorMessage` entry of [`PartitionProduceResponse::record_errors`].
    BatchIndexAndErrorMessage {
        /// Kafka field `BatchIndex`: versions 8+.
        batch_index: i32 = v(8+),
        /// Kafka field `BatchIndexErrorMessage`: versions 8+, nullable in 8+.
        batch_index_error_message: Option<String> = v(8+) null(8+),
    }
}

kafka_struct! {
    /// A `LeaderIdAndEpoch` entry of [`PartitionProduceResponse::current_leader`].
    LeaderIdAndEpoch {
        /// Kafka field `LeaderId`: versions 10+, default `-1`.
        leader_id: i32 = v(10+) default(-1),
        /// Kafka field `LeaderEpoch`: versions 10+, default `-1`.
        leader_epoch: i32 = v(10+) default(-1),
    }
}
