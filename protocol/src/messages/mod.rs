//! Every request and response kafkit speaks.
//!
//! Each message lives in a file named after it (`produce_request.rs`, `fetch_response.rs`, ...)
//! and is declared once, field by field, with the versions each field exists in; encode, decode
//! and size for every version follow from that declaration (see [`Message`]). The top-level types
//! are re-exported here; their nested structures stay in their message's module
//! (`messages::fetch_response::PartitionData`).
//!
//! Version ranges follow Kafka's message definitions as of Kafka 4.0.

mod message;

pub mod add_offsets_to_txn_request;
pub mod add_offsets_to_txn_response;
pub mod add_partitions_to_txn_request;
pub mod add_partitions_to_txn_response;
pub mod api_versions_request;
pub mod api_versions_response;
pub mod consumer_group_heartbeat_request;
pub mod consumer_group_heartbeat_response;
pub mod create_partitions_request;
pub mod create_partitions_response;
pub mod create_topics_request;
pub mod create_topics_response;
pub mod delete_groups_request;
pub mod delete_groups_response;
pub mod delete_records_request;
pub mod delete_records_response;
pub mod delete_topics_request;
pub mod delete_topics_response;
pub mod describe_cluster_request;
pub mod describe_cluster_response;
pub mod describe_configs_request;
pub mod describe_configs_response;
pub mod describe_groups_request;
pub mod describe_groups_response;
pub mod end_txn_request;
pub mod end_txn_response;
pub mod fetch_request;
pub mod fetch_response;
pub mod find_coordinator_request;
pub mod find_coordinator_response;
pub mod heartbeat_request;
pub mod heartbeat_response;
pub mod incremental_alter_configs_request;
pub mod incremental_alter_configs_response;
pub mod init_producer_id_request;
pub mod init_producer_id_response;
pub mod join_group_request;
pub mod join_group_response;
pub mod leave_group_request;
pub mod leave_group_response;
pub mod list_groups_request;
pub mod list_groups_response;
pub mod list_offsets_request;
pub mod list_offsets_response;
pub mod metadata_request;
pub mod metadata_response;
pub mod offset_commit_request;
pub mod offset_commit_response;
pub mod offset_fetch_request;
pub mod offset_fetch_response;
pub mod offset_for_leader_epoch_request;
pub mod offset_for_leader_epoch_response;
pub mod produce_request;
pub mod produce_response;
pub mod sasl_authenticate_request;
pub mod sasl_authenticate_response;
pub mod sasl_handshake_request;
pub mod sasl_handshake_response;
pub mod sync_group_request;
pub mod sync_group_response;
pub mod txn_offset_commit_request;
pub mod txn_offset_commit_response;

pub use add_offsets_to_txn_request::AddOffsetsToTxnRequest;
pub use add_offsets_to_txn_response::AddOffsetsToTxnResponse;
pub use add_partitions_to_txn_request::AddPartitionsToTxnRequest;
pub use add_partitions_to_txn_response::AddPartitionsToTxnResponse;
pub use api_versions_request::ApiVersionsRequest;
pub use api_versions_response::ApiVersionsResponse;
pub use consumer_group_heartbeat_request::ConsumerGroupHeartbeatRequest;
pub use consumer_group_heartbeat_response::ConsumerGroupHeartbeatResponse;
pub use create_partitions_request::CreatePartitionsRequest;
pub use create_partitions_response::CreatePartitionsResponse;
pub use create_topics_request::CreateTopicsRequest;
pub use create_topics_response::CreateTopicsResponse;
pub use delete_groups_request::DeleteGroupsRequest;
pub use delete_groups_response::DeleteGroupsResponse;
pub use delete_records_request::DeleteRecordsRequest;
pub use delete_records_response::DeleteRecordsResponse;
pub use delete_topics_request::DeleteTopicsRequest;
pub use delete_topics_response::DeleteTopicsResponse;
pub use describe_cluster_request::DescribeClusterRequest;
pub use describe_cluster_response::DescribeClusterResponse;
pub use describe_configs_request::DescribeConfigsRequest;
pub use describe_configs_response::DescribeConfigsResponse;
pub use describe_groups_request::DescribeGroupsRequest;
pub use describe_groups_response::DescribeGroupsResponse;
pub use end_txn_request::EndTxnRequest;
pub use end_txn_response::EndTxnResponse;
pub use fetch_request::FetchRequest;
pub use fetch_response::FetchResponse;
pub use find_coordinator_request::FindCoordinatorRequest;
pub use find_coordinator_response::FindCoordinatorResponse;
pub use heartbeat_request::HeartbeatRequest;
pub use heartbeat_response::HeartbeatResponse;
pub use incremental_alter_configs_request::IncrementalAlterConfigsRequest;
pub use incremental_alter_configs_response::IncrementalAlterConfigsResponse;
pub use init_producer_id_request::InitProducerIdRequest;
pub use init_producer_id_response::InitProducerIdResponse;
pub use join_group_request::JoinGroupRequest;
pub use join_group_response::JoinGroupResponse;
pub use leave_group_request::LeaveGroupRequest;
pub use leave_group_response::LeaveGroupResponse;
pub use list_groups_request::ListGroupsRequest;
pub use list_groups_response::ListGroupsResponse;
pub use list_offsets_request::ListOffsetsRequest;
pub use list_offsets_response::ListOffsetsResponse;
pub use message::{Message, Request};
pub use metadata_request::MetadataRequest;
pub use metadata_response::MetadataResponse;
pub use offset_commit_request::OffsetCommitRequest;
pub use offset_commit_response::OffsetCommitResponse;
pub use offset_fetch_request::OffsetFetchRequest;
pub use offset_fetch_response::OffsetFetchResponse;
pub use offset_for_leader_epoch_request::OffsetForLeaderEpochRequest;
pub use offset_for_leader_epoch_response::OffsetForLeaderEpochResponse;
pub use produce_request::ProduceRequest;
pub use produce_response::ProduceResponse;
pub use sasl_authenticate_request::SaslAuthenticateRequest;
pub use sasl_authenticate_response::SaslAuthenticateResponse;
pub use sasl_handshake_request::SaslHandshakeRequest;
pub use sasl_handshake_response::SaslHandshakeResponse;
pub use sync_group_request::SyncGroupRequest;
pub use sync_group_response::SyncGroupResponse;
pub use txn_offset_commit_request::TxnOffsetCommitRequest;
pub use txn_offset_commit_response::TxnOffsetCommitResponse;

/// Calls `$m!` with the list of every API kafkit implements, as
/// `(ApiName, RequestType, ResponseType)` tuples: the registry that dynamic decoding,
/// the mock cluster and the tests iterate over.
#[macro_export]
macro_rules! for_each_api {
    ($m:ident) => {
        $m! {
            (ApiVersions, ApiVersionsRequest, ApiVersionsResponse),
            (Metadata, MetadataRequest, MetadataResponse),
            (Produce, ProduceRequest, ProduceResponse),
            (Fetch, FetchRequest, FetchResponse),
            (ListOffsets, ListOffsetsRequest, ListOffsetsResponse),
            (FindCoordinator, FindCoordinatorRequest, FindCoordinatorResponse),
            (JoinGroup, JoinGroupRequest, JoinGroupResponse),
            (SyncGroup, SyncGroupRequest, SyncGroupResponse),
            (Heartbeat, HeartbeatRequest, HeartbeatResponse),
            (LeaveGroup, LeaveGroupRequest, LeaveGroupResponse),
            (OffsetCommit, OffsetCommitRequest, OffsetCommitResponse),
            (OffsetFetch, OffsetFetchRequest, OffsetFetchResponse),
            (DescribeGroups, DescribeGroupsRequest, DescribeGroupsResponse),
            (ListGroups, ListGroupsRequest, ListGroupsResponse),
            (InitProducerId, InitProducerIdRequest, InitProducerIdResponse),
            (CreateTopics, CreateTopicsRequest, CreateTopicsResponse),
            (DeleteTopics, DeleteTopicsRequest, DeleteTopicsResponse),
            (SaslHandshake, SaslHandshakeRequest, SaslHandshakeResponse),
            (SaslAuthenticate, SaslAuthenticateRequest, SaslAuthenticateResponse),
            (OffsetForLeaderEpoch, OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse),
            (DeleteRecords, DeleteRecordsRequest, DeleteRecordsResponse),
            (CreatePartitions, CreatePartitionsRequest, CreatePartitionsResponse),
            (DescribeConfigs, DescribeConfigsRequest, DescribeConfigsResponse),
            (IncrementalAlterConfigs, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse),
            (DescribeCluster, DescribeClusterRequest, DescribeClusterResponse),
            (DeleteGroups, DeleteGroupsRequest, DeleteGroupsResponse),
            (AddPartitionsToTxn, AddPartitionsToTxnRequest, AddPartitionsToTxnResponse),
            (AddOffsetsToTxn, AddOffsetsToTxnRequest, AddOffsetsToTxnResponse),
            (EndTxn, EndTxnRequest, EndTxnResponse),
            (TxnOffsetCommit, TxnOffsetCommitRequest, TxnOffsetCommitResponse),
            (ConsumerGroupHeartbeat, ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse),
        }
    };
}

macro_rules! body_enums {
    ($(($api:ident, $req:ident, $resp:ident)),* $(,)?) => {
        /// Any request body kafkit implements, for code that dispatches on the API key
        /// (a broker, a mock cluster, a protocol dump).
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        #[non_exhaustive]
        pub enum RequestBody {
            $(
                #[doc = concat!("A ", stringify!($api), " request.")]
                $api($req),
            )*
        }

        /// Any response body kafkit implements.
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        #[non_exhaustive]
        pub enum ResponseBody {
            $(
                #[doc = concat!("A ", stringify!($api), " response.")]
                $api($resp),
            )*
        }

        impl RequestBody {
            /// Decodes a request body of `api_key` at `version` from `r`.
            pub fn decode(api_key: $crate::ApiKey, version: i16, r: &mut $crate::codec::Reader) -> $crate::DecodeResult<Self> {
                match api_key {
                    $( $crate::ApiKey::$api => <$req as Message>::decode(r, version).map(Self::$api), )*
                    other => Err(r.invalid(format!("API {other} is not implemented by kafkit"))),
                }
            }

            /// The API this body belongs to.
            pub fn api_key(&self) -> $crate::ApiKey {
                match self {
                    $( Self::$api(_) => $crate::ApiKey::$api, )*
                }
            }

            /// Encodes the body at `version`.
            pub fn encode<B: bytes::BufMut>(&self, buf: &mut B, version: i16) -> $crate::EncodeResult<()> {
                match self {
                    $( Self::$api(m) => m.encode(buf, version), )*
                }
            }
        }

        impl ResponseBody {
            /// Decodes a response body of `api_key` at `version` from `r`.
            pub fn decode(api_key: $crate::ApiKey, version: i16, r: &mut $crate::codec::Reader) -> $crate::DecodeResult<Self> {
                match api_key {
                    $( $crate::ApiKey::$api => <$resp as Message>::decode(r, version).map(Self::$api), )*
                    other => Err(r.invalid(format!("API {other} is not implemented by kafkit"))),
                }
            }

            /// The API this body belongs to.
            pub fn api_key(&self) -> $crate::ApiKey {
                match self {
                    $( Self::$api(_) => $crate::ApiKey::$api, )*
                }
            }

            /// Encodes the body at `version`.
            pub fn encode<B: bytes::BufMut>(&self, buf: &mut B, version: i16) -> $crate::EncodeResult<()> {
                match self {
                    $( Self::$api(m) => m.encode(buf, version), )*
                }
            }
        }

        /// The versions kafkit implements for each API: `(api, min, max)`.
        pub const IMPLEMENTED: &[($crate::ApiKey, i16, i16)] = &[
            $( ($crate::ApiKey::$api, <$req as Message>::MIN_VERSION, <$req as Message>::MAX_VERSION), )*
        ];
    };
}

for_each_api!(body_enums);

#[cfg(test)]
mod tests;
