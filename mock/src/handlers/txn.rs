//! Transactions (being written).

use kafkit_protocol::messages::*;

use crate::broker::RequestCtx;
use crate::cluster::Cluster;

pub(crate) fn add_partitions(
    _c: &Cluster,
    _ctx: &RequestCtx,
    _r: AddPartitionsToTxnRequest,
) -> AddPartitionsToTxnResponse {
    AddPartitionsToTxnResponse::default()
}
pub(crate) fn add_offsets(_c: &Cluster, _ctx: &RequestCtx, _r: AddOffsetsToTxnRequest) -> AddOffsetsToTxnResponse {
    AddOffsetsToTxnResponse::default()
}
pub(crate) fn end_txn(_c: &Cluster, _ctx: &RequestCtx, _r: EndTxnRequest) -> EndTxnResponse {
    EndTxnResponse::default()
}
