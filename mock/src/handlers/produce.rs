//! Produce: leader checks, batch validation (CRC, every record decodes, one v2 batch per
//! partition as Kafka requires since Produce v3), offsets assigned, idempotent producers'
//! sequence and epoch checks, acks 0/1/all.

use bytes::{Bytes, BytesMut};
use kafkit_protocol::messages::produce_request::PartitionProduceData;
use kafkit_protocol::messages::produce_response::{
    LeaderIdAndEpoch, NodeEndpoint, PartitionProduceResponse, TopicProduceResponse,
};
use kafkit_protocol::messages::{ProduceRequest, ProduceResponse};
use kafkit_protocol::record::{set_base_offset, set_partition_leader_epoch, Batch, Batches, RecordBatch};
use kafkit_protocol::{ApiKey, ErrorCode};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;
use crate::state::{State, StoredBatch};

/// How many recent batches per producer the broker remembers for duplicate detection (Kafka: 5).
const RECENT_BATCHES: usize = 5;

pub(crate) fn handle(c: &Cluster, ctx: &RequestCtx, r: ProduceRequest) -> Option<ProduceResponse> {
    let mut appended = false;
    let mut leaders = Vec::new();
    let responses = {
        let mut st = c.state.lock().unwrap();
        r.topic_data
            .iter()
            .map(|t| TopicProduceResponse {
                name: t.name.clone(),
                partition_responses: t
                    .partition_data
                    .iter()
                    .map(|p| {
                        let resp = partition(c, &mut st, ctx, &r, &t.name, p, &mut appended);
                        if resp.error_code == ErrorCode::NOT_LEADER_OR_FOLLOWER.code()
                            && resp.current_leader.leader_id >= 0
                        {
                            leaders.push(resp.current_leader.leader_id);
                        }
                        resp
                    })
                    .collect(),
                ..Default::default()
            })
            .collect()
    };
    if appended {
        c.data_changed.notify_waiters();
    }
    if r.acks == 0 {
        return None;
    }
    leaders.sort_unstable();
    leaders.dedup();
    let node_endpoints = {
        let st = c.state.lock().unwrap();
        leaders
            .iter()
            .filter_map(|id| st.brokers.get(id).map(|b| (id, b)))
            .map(|(id, b)| NodeEndpoint {
                node_id: *id,
                host: b.host.clone(),
                port: i32::from(b.port),
                rack: b.rack.clone(),
                ..Default::default()
            })
            .collect()
    };
    Some(ProduceResponse { responses, node_endpoints, ..Default::default() })
}

fn error(index: i32, e: ErrorCode, message: impl Into<String>) -> PartitionProduceResponse {
    PartitionProduceResponse {
        index,
        error_code: e.code(),
        base_offset: -1,
        error_message: Some(message.into()),
        ..Default::default()
    }
}

fn partition(
    c: &Cluster,
    st: &mut State,
    ctx: &RequestCtx,
    r: &ProduceRequest,
    topic: &str,
    p: &PartitionProduceData,
    appended: &mut bool,
) -> PartitionProduceResponse {
    let index = p.index;
    if let Some(e) = c.faults.error(ApiKey::Produce, ctx.broker, Some((topic, index))) {
        let mut resp = error(index, e, format!("injected {}", e.name()));
        if e == ErrorCode::NOT_LEADER_OR_FOLLOWER {
            if let Some(part) = st.partition(topic, index) {
                resp.current_leader =
                    LeaderIdAndEpoch { leader_id: part.leader, leader_epoch: part.leader_epoch, ..Default::default() };
            }
        }
        return resp;
    }
    if ctx.version < 3 {
        return error(index, ErrorCode::UNSUPPORTED_VERSION, "the mock accepts Produce v3+ (record batches v2) only");
    }
    if !matches!(r.acks, -1..=1) {
        return error(index, ErrorCode::INVALID_REQUIRED_ACKS, format!("acks must be -1, 0 or 1, not {}", r.acks));
    }
    let Some(part) = st.partition(topic, index) else {
        return error(index, ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, format!("{topic}[{index}] does not exist"));
    };
    if part.leader != ctx.broker {
        let mut resp = error(
            index,
            ErrorCode::NOT_LEADER_OR_FOLLOWER,
            format!("broker {} does not lead {topic}[{index}]", ctx.broker),
        );
        resp.current_leader =
            LeaderIdAndEpoch { leader_id: part.leader, leader_epoch: part.leader_epoch, ..Default::default() };
        return resp;
    }
    let records = p.records.clone().unwrap_or_default();
    let batch = match single_batch(records) {
        Ok(b) => b,
        Err((e, msg)) => return error(index, e, msg),
    };
    let leader_epoch = part.leader_epoch;
    let pid = batch.producer_id;
    let issued_epoch = st.producers.epochs.get(&pid).copied();
    let duplicate_error = c.config.duplicate_sequence_error;
    let part = st.partition_mut(topic, index).expect("checked above");

    let last_offset_delta = i64::from(batch.last_offset_delta);
    let first_seq = batch.base_sequence;
    let last_seq = ((i64::from(first_seq) + last_offset_delta) % (i64::from(i32::MAX) + 1)) as i32;
    if pid >= 0 {
        let Some(issued_epoch) = issued_epoch else {
            return error(index, ErrorCode::UNKNOWN_PRODUCER_ID, format!("producer id {pid} was never issued"));
        };
        if batch.producer_epoch < issued_epoch {
            return error(
                index,
                ErrorCode::INVALID_PRODUCER_EPOCH,
                format!("epoch {} is fenced by {issued_epoch}", batch.producer_epoch),
            );
        }
        match part.producers.get(&pid) {
            Some(s) if batch.producer_epoch < s.epoch => {
                return error(
                    index,
                    ErrorCode::INVALID_PRODUCER_EPOCH,
                    format!("epoch {} is older than {}", batch.producer_epoch, s.epoch),
                );
            }
            Some(s) if batch.producer_epoch == s.epoch => {
                if let Some(&(_, _, base)) = s.recent.iter().find(|(f, l, _)| *f == first_seq && *l == last_seq) {
                    if duplicate_error {
                        return error(
                            index,
                            ErrorCode::DUPLICATE_SEQUENCE_NUMBER,
                            format!("sequence {first_seq} is a duplicate"),
                        );
                    }
                    // Kafka answers a retried batch it already has with its original offset.
                    return PartitionProduceResponse {
                        index,
                        base_offset: base,
                        log_start_offset: part.log_start_offset,
                        ..Default::default()
                    };
                }
                let expected = s.last_sequence().map_or(0, |l| if l == i32::MAX { 0 } else { l + 1 });
                if first_seq != expected {
                    return error(
                        index,
                        ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
                        format!("sequence {first_seq} where {expected} was expected"),
                    );
                }
            }
            // A new producer on this partition, or a bumped epoch: sequences start over at 0.
            _ if first_seq != 0 => {
                return error(
                    index,
                    ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
                    format!("a new epoch must start at sequence 0, not {first_seq}"),
                );
            }
            _ => {}
        }
    }

    // Append, with the offsets and leader epoch the log assigns.
    let base_offset = part.next_offset;
    let mut bytes = BytesMut::from(&batch_bytes(&batch)[..]);
    let _ = set_base_offset(&mut bytes, base_offset);
    let _ = set_partition_leader_epoch(&mut bytes, leader_epoch);
    let last_offset = base_offset + last_offset_delta;
    if batch.is_transactional() && pid >= 0 {
        part.ongoing_txns.entry(pid).or_insert(base_offset);
    }
    part.log.push(StoredBatch {
        last_offset,
        max_timestamp: batch.max_timestamp,
        control: batch.is_control(),
        bytes: bytes.freeze(),
    });
    part.next_offset = last_offset + 1;
    if pid >= 0 {
        let s = part.producers.entry(pid).or_default();
        if s.epoch != batch.producer_epoch {
            s.recent.clear();
            s.epoch = batch.producer_epoch;
        }
        s.recent.push((first_seq, last_seq, base_offset));
        if s.recent.len() > RECENT_BATCHES {
            s.recent.remove(0);
        }
    }
    *appended = true;
    PartitionProduceResponse { index, base_offset, log_start_offset: part.log_start_offset, ..Default::default() }
}

fn batch_bytes(b: &RecordBatch) -> Bytes {
    b.to_bytes().expect("a decoded batch re-encodes")
}

/// The one v2 batch of a partition's records, fully validated.
fn single_batch(records: Bytes) -> Result<RecordBatch, (ErrorCode, String)> {
    let mut batches = Batches::new(records.clone());
    let first = match batches.next() {
        Some(Ok(Batch::V2(b))) => b,
        Some(Ok(Batch::Legacy(_))) => {
            return Err((ErrorCode::UNSUPPORTED_FOR_MESSAGE_FORMAT, "Produce v3+ needs record batches v2".into()))
        }
        Some(Err(e)) => return Err((ErrorCode::CORRUPT_MESSAGE, e.to_string())),
        None => return Err((ErrorCode::INVALID_RECORD, "no complete record batch".into())),
    };
    if batches.next().is_some() || batches.truncated_bytes() > 0 {
        return Err((ErrorCode::INVALID_RECORD, "exactly one record batch per partition is allowed".into()));
    }
    if first.is_control() {
        return Err((ErrorCode::INVALID_RECORD, "clients may not write control batches".into()));
    }
    match first.to_records() {
        Ok(rs) if rs.len() as i64 == i64::from(first.last_offset_delta) + 1 => Ok(first),
        Ok(rs) => Err((
            ErrorCode::INVALID_RECORD,
            format!("{} records but last offset delta {}", rs.len(), first.last_offset_delta),
        )),
        Err(e) => Err((ErrorCode::CORRUPT_MESSAGE, e.to_string())),
    }
}
