//! ListOffsets: earliest (-2), latest (-1, the last stable offset under read_committed), max
//! timestamp (-3), earliest local (-4), and by timestamp (the first record at or after it).

use kafkit_protocol::messages::list_offsets_response::{ListOffsetsPartitionResponse, ListOffsetsTopicResponse};
use kafkit_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};
use kafkit_protocol::record::Batches;
use kafkit_protocol::{ApiKey, ErrorCode};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;
use crate::state::Partition;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;

pub(crate) fn handle(c: &Cluster, ctx: &RequestCtx, r: ListOffsetsRequest) -> ListOffsetsResponse {
    let st = c.state.lock().unwrap();
    let topics = r
        .topics
        .iter()
        .map(|t| ListOffsetsTopicResponse {
            name: t.name.clone(),
            partitions: t
                .partitions
                .iter()
                .map(|p| {
                    let mut resp =
                        ListOffsetsPartitionResponse { partition_index: p.partition_index, ..Default::default() };
                    let fail = |mut resp: ListOffsetsPartitionResponse, e: ErrorCode| {
                        resp.error_code = e.code();
                        resp
                    };
                    if let Some(e) = c.faults.error(ApiKey::ListOffsets, ctx.broker, Some((&t.name, p.partition_index)))
                    {
                        return fail(resp, e);
                    }
                    let Some(part) = st.partition(&t.name, p.partition_index) else {
                        return fail(resp, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
                    };
                    if part.leader != ctx.broker {
                        return fail(resp, ErrorCode::NOT_LEADER_OR_FOLLOWER);
                    }
                    if p.current_leader_epoch >= 0 && p.current_leader_epoch < part.leader_epoch {
                        return fail(resp, ErrorCode::FENCED_LEADER_EPOCH);
                    }
                    if p.current_leader_epoch > part.leader_epoch {
                        return fail(resp, ErrorCode::UNKNOWN_LEADER_EPOCH);
                    }
                    let read_committed = ctx.version >= 2 && r.isolation_level == 1;
                    let (offset, timestamp) = lookup(part, p.timestamp, read_committed);
                    resp.offset = offset;
                    resp.timestamp = timestamp;
                    resp.leader_epoch = part.leader_epoch;
                    resp.old_style_offsets = if offset >= 0 { vec![offset] } else { Vec::new() };
                    resp
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    ListOffsetsResponse { topics, ..Default::default() }
}

/// (offset, timestamp) for a ListOffsets query.
fn lookup(part: &Partition, query: i64, read_committed: bool) -> (i64, i64) {
    match query {
        LATEST if read_committed => (part.last_stable_offset(), -1),
        LATEST => (part.high_watermark(), -1),
        EARLIEST | EARLIEST_LOCAL => (part.log_start_offset, -1),
        MAX_TIMESTAMP => {
            let mut best = (-1, -1);
            for (offset, ts) in records_from(part, i64::MIN) {
                if ts > best.1 {
                    best = (offset, ts);
                }
            }
            best
        }
        ts if ts >= 0 => records_from(part, ts).find(|(_, t)| *t >= ts).unwrap_or((-1, -1)),
        _ => (-1, -1),
    }
}

/// (offset, timestamp) of the data records of every batch holding a timestamp ≥ `min_ts`.
fn records_from(part: &Partition, min_ts: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
    part.log.iter().filter(move |b| !b.control && b.max_timestamp >= min_ts).flat_map(|b| {
        Batches::new(b.bytes.clone())
            .filter_map(Result::ok)
            .flat_map(|batch| batch.to_records().unwrap_or_default())
            .map(|r| (r.offset, r.timestamp))
    })
}
