//! Transactions: AddPartitionsToTxn, AddOffsetsToTxn and EndTxn. Ending a transaction writes a
//! COMMIT or ABORT marker (a control batch) to every partition in it, moves the last stable
//! offset on, and records aborted ranges for read_committed fetches. The transaction
//! coordinator's own log, timeouts and two-phase recovery are not modelled.

use kafkit_protocol::messages::add_partitions_to_txn_response::{
    AddPartitionsToTxnPartitionResult, AddPartitionsToTxnResult, AddPartitionsToTxnTopicResult,
};
use kafkit_protocol::messages::*;
use kafkit_protocol::record::{set_base_offset, ControlRecord};
use kafkit_protocol::{ApiKey, ErrorCode};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;
use crate::state::{AbortedTxn, State, StoredBatch};

/// Checks a transactional producer's id and epoch against what InitProducerId issued.
fn check_producer(st: &State, transactional_id: &str, producer_id: i64, epoch: i16) -> ErrorCode {
    match st.producers.transactional.get(transactional_id) {
        None => ErrorCode::INVALID_PRODUCER_ID_MAPPING,
        Some((id, _)) if *id != producer_id => ErrorCode::INVALID_PRODUCER_ID_MAPPING,
        Some((_, e)) if *e > epoch => ErrorCode::PRODUCER_FENCED,
        Some((_, e)) if *e != epoch => ErrorCode::INVALID_PRODUCER_EPOCH,
        _ => ErrorCode::NONE,
    }
}

fn add(
    st: &mut State,
    transactional_id: &str,
    producer_id: i64,
    epoch: i16,
    topics: &[add_partitions_to_txn_request::AddPartitionsToTxnTopic],
    injected: Option<ErrorCode>,
) -> Vec<AddPartitionsToTxnTopicResult> {
    let check = injected.unwrap_or_else(|| check_producer(st, transactional_id, producer_id, epoch));
    topics
        .iter()
        .map(|t| AddPartitionsToTxnTopicResult {
            name: t.name.clone(),
            results_by_partition: t
                .partitions
                .iter()
                .map(|&p| {
                    let error = if check != ErrorCode::NONE {
                        check
                    } else if st.partition(&t.name, p).is_none() {
                        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
                    } else {
                        st.producers.txn_partitions.entry(producer_id).or_default().insert((t.name.clone(), p));
                        ErrorCode::NONE
                    };
                    AddPartitionsToTxnPartitionResult {
                        partition_index: p,
                        partition_error_code: error.code(),
                        ..Default::default()
                    }
                })
                .collect(),
            ..Default::default()
        })
        .collect()
}

pub(crate) fn add_partitions(
    c: &Cluster,
    ctx: &RequestCtx,
    r: AddPartitionsToTxnRequest,
) -> AddPartitionsToTxnResponse {
    let injected = c.faults.error(ApiKey::AddPartitionsToTxn, ctx.broker, None);
    let mut st = c.state.lock().unwrap();
    if ctx.version <= 3 {
        let results = add(
            &mut st,
            &r.v3_and_below_transactional_id,
            r.v3_and_below_producer_id,
            r.v3_and_below_producer_epoch,
            &r.v3_and_below_topics,
            injected,
        );
        return AddPartitionsToTxnResponse { results_by_topic_v3_and_below: results, ..Default::default() };
    }
    let results = r
        .transactions
        .iter()
        .map(|t| AddPartitionsToTxnResult {
            transactional_id: t.transactional_id.clone(),
            topic_results: add(&mut st, &t.transactional_id, t.producer_id, t.producer_epoch, &t.topics, injected),
            ..Default::default()
        })
        .collect();
    AddPartitionsToTxnResponse { results_by_transaction: results, ..Default::default() }
}

pub(crate) fn add_offsets(c: &Cluster, ctx: &RequestCtx, r: AddOffsetsToTxnRequest) -> AddOffsetsToTxnResponse {
    let error = c.faults.error(ApiKey::AddOffsetsToTxn, ctx.broker, None).unwrap_or_else(|| {
        let st = c.state.lock().unwrap();
        check_producer(&st, &r.transactional_id, r.producer_id, r.producer_epoch)
    });
    AddOffsetsToTxnResponse { error_code: error.code(), ..Default::default() }
}

pub(crate) fn end_txn(c: &Cluster, ctx: &RequestCtx, r: EndTxnRequest) -> EndTxnResponse {
    if let Some(e) = c.faults.error(ApiKey::EndTxn, ctx.broker, None) {
        return EndTxnResponse { error_code: e.code(), ..Default::default() };
    }
    let mut st = c.state.lock().unwrap();
    let check = check_producer(&st, &r.transactional_id, r.producer_id, r.producer_epoch);
    if check != ErrorCode::NONE {
        return EndTxnResponse { error_code: check.code(), ..Default::default() };
    }
    let partitions = st.producers.txn_partitions.remove(&r.producer_id).unwrap_or_default();
    let marker = if r.committed { ControlRecord::commit(0) } else { ControlRecord::abort(0) };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    for (topic, p) in partitions {
        let Some(part) = st.partition_mut(&topic, p) else { continue };
        let offset = part.next_offset;
        let Ok(batch) = marker.to_batch(offset, r.producer_id, r.producer_epoch, now, part.leader_epoch) else {
            continue;
        };
        let mut bytes = bytes::BytesMut::from(&batch[..]);
        let _ = set_base_offset(&mut bytes, offset);
        part.log.push(StoredBatch { last_offset: offset, max_timestamp: now, control: true, bytes: bytes.freeze() });
        part.next_offset = offset + 1;
        if let Some(first) = part.ongoing_txns.remove(&r.producer_id) {
            if !r.committed {
                part.aborted.push(AbortedTxn { producer_id: r.producer_id, first_offset: first, last_offset: offset });
            }
        }
    }
    drop(st);
    c.data_changed.notify_waiters();
    EndTxnResponse { producer_id: r.producer_id, producer_epoch: r.producer_epoch, ..Default::default() }
}
