//! Fetch: leader and leader-epoch checks, offset range (OFFSET_OUT_OF_RANGE), size limits
//! (`partition_max_bytes`, `max_bytes`, at least one batch as KIP-74 wants), isolation level
//! (read_committed stops at the last stable offset and lists aborted transactions), and long
//! polling (`min_bytes`, `max_wait_ms`). Fetch sessions are not kept: every answer says session
//! 0, which tells the client to send full fetch requests.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafkit_protocol::messages::fetch_response::{
    AbortedTransaction, FetchableTopicResponse, LeaderIdAndEpoch, PartitionData,
};
use kafkit_protocol::messages::{FetchRequest, FetchResponse};
use kafkit_protocol::{ApiKey, ErrorCode};
use tokio::time::Instant;

use crate::broker::RequestCtx;
use crate::cluster::Cluster;
use crate::state::State;

const READ_COMMITTED: i8 = 1;

pub(crate) async fn handle(c: &Cluster, ctx: &RequestCtx, r: FetchRequest) -> FetchResponse {
    let deadline = Instant::now() + Duration::from_millis(r.max_wait_ms.max(0) as u64);
    let min_bytes = r.min_bytes.max(0) as usize;
    loop {
        // Register for wake-ups before looking, so that an append in between is not missed.
        let notified = c.data_changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let (resp, bytes, errors) = build(c, ctx, &r);
        if bytes >= min_bytes || errors || Instant::now() >= deadline {
            return resp;
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep_until(deadline) => return build(c, ctx, &r).0,
        }
    }
}

/// One pass over the request: the response, the record bytes in it, whether any partition erred.
fn build(c: &Cluster, ctx: &RequestCtx, r: &FetchRequest) -> (FetchResponse, usize, bool) {
    if r.session_id != 0 {
        let resp = FetchResponse { error_code: ErrorCode::FETCH_SESSION_ID_NOT_FOUND.code(), ..Default::default() };
        return (resp, 0, true);
    }
    let st = c.state.lock().unwrap();
    let mut total = 0usize;
    let mut any_error = false;
    let max_bytes = if ctx.version >= 3 { r.max_bytes.max(0) as usize } else { usize::MAX };
    let responses = r
        .topics
        .iter()
        .map(|t| {
            let name = if ctx.version >= 13 {
                st.topic_by_id(t.topic_id).map(|(n, _)| n.clone())
            } else {
                Some(t.topic.clone())
            };
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let resp = match &name {
                        None => error(p.partition, ErrorCode::UNKNOWN_TOPIC_ID),
                        Some(name) => partition(c, &st, ctx, r, name, p, max_bytes, &mut total),
                    };
                    any_error |= resp.error_code != 0;
                    resp
                })
                .collect();
            FetchableTopicResponse { topic: t.topic.clone(), topic_id: t.topic_id, partitions, ..Default::default() }
        })
        .collect();
    (FetchResponse { responses, ..Default::default() }, total, any_error)
}

fn error(partition: i32, e: ErrorCode) -> PartitionData {
    PartitionData {
        partition_index: partition,
        error_code: e.code(),
        high_watermark: -1,
        records: Some(Bytes::new()),
        ..Default::default()
    }
}

#[allow(clippy::too_many_arguments)]
fn partition(
    c: &Cluster,
    st: &State,
    ctx: &RequestCtx,
    r: &FetchRequest,
    topic: &str,
    p: &kafkit_protocol::messages::fetch_request::FetchPartition,
    max_bytes: usize,
    total: &mut usize,
) -> PartitionData {
    let Some(part) = st.partition(topic, p.partition) else {
        return error(p.partition, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
    };
    let mut resp = PartitionData {
        partition_index: p.partition,
        high_watermark: part.high_watermark(),
        last_stable_offset: part.last_stable_offset(),
        log_start_offset: part.log_start_offset,
        records: Some(Bytes::new()),
        ..Default::default()
    };
    let fail = |mut resp: PartitionData, e: ErrorCode| {
        resp.error_code = e.code();
        resp
    };
    if let Some(e) = c.faults.error(ApiKey::Fetch, ctx.broker, Some((topic, p.partition))) {
        return fail(resp, e);
    }
    if ctx.version < 4 {
        // Like Kafka 4.0: Fetch v0–v3 would need the legacy message formats.
        return fail(resp, ErrorCode::UNSUPPORTED_VERSION);
    }
    if part.leader != ctx.broker {
        resp.current_leader =
            LeaderIdAndEpoch { leader_id: part.leader, leader_epoch: part.leader_epoch, ..Default::default() };
        return fail(resp, ErrorCode::NOT_LEADER_OR_FOLLOWER);
    }
    if p.current_leader_epoch >= 0 && p.current_leader_epoch < part.leader_epoch {
        return fail(resp, ErrorCode::FENCED_LEADER_EPOCH);
    }
    if p.current_leader_epoch > part.leader_epoch {
        return fail(resp, ErrorCode::UNKNOWN_LEADER_EPOCH);
    }
    if p.fetch_offset < part.log_start_offset || p.fetch_offset > part.high_watermark() {
        return fail(resp, ErrorCode::OFFSET_OUT_OF_RANGE);
    }
    let read_committed = ctx.version >= 4 && r.isolation_level == READ_COMMITTED;
    let upper = if read_committed { part.last_stable_offset() } else { part.high_watermark() };
    let partition_max = p.partition_max_bytes.max(0) as usize;
    let mut out = BytesMut::new();
    for b in &part.log[part.batch_index_from(p.fetch_offset)..] {
        if b.last_offset >= upper {
            break;
        }
        let first_of_response = *total == 0 && out.is_empty();
        let fits = out.len() + b.bytes.len() <= partition_max && *total + out.len() + b.bytes.len() <= max_bytes;
        if !fits && !first_of_response {
            break;
        }
        out.extend_from_slice(&b.bytes);
        if !fits {
            break; // KIP-74: one oversized batch is returned so that the consumer makes progress.
        }
    }
    if read_committed {
        let last = p.fetch_offset + out.len() as i64; // bound only; the exact end does not matter
        resp.aborted_transactions = Some(
            part.aborted
                .iter()
                .filter(|a| a.last_offset >= p.fetch_offset && a.first_offset <= last.max(upper))
                .map(|a| AbortedTransaction {
                    producer_id: a.producer_id,
                    first_offset: a.first_offset,
                    ..Default::default()
                })
                .collect(),
        );
    } else {
        resp.aborted_transactions = None;
    }
    *total += out.len();
    resp.records = Some(out.freeze());
    resp
}
