//! InitProducerId: a new producer id for idempotent producers; for transactional ids a stable
//! id whose epoch is bumped on every call (fencing the previous producer); KIP-360 epoch bumps for
//! an existing id (v3+).

use kafkit_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse};
use kafkit_protocol::{ApiKey, ErrorCode};

use crate::broker::RequestCtx;
use crate::cluster::Cluster;

pub(crate) fn handle(c: &Cluster, ctx: &RequestCtx, r: InitProducerIdRequest) -> InitProducerIdResponse {
    if let Some(e) = c.faults.error(ApiKey::InitProducerId, ctx.broker, None) {
        return InitProducerIdResponse { error_code: e.code(), ..Default::default() };
    }
    let mut st = c.state.lock().unwrap();
    let p = &mut st.producers;
    let (id, epoch) = match &r.transactional_id {
        Some(tid) if !tid.is_empty() => {
            let entry = p.transactional.get(tid).copied();
            let (id, epoch) = match entry {
                Some((id, epoch)) if epoch < i16::MAX - 1 => (id, epoch + 1),
                _ => {
                    let id = p.next_id;
                    p.next_id += 1;
                    (id, 0)
                }
            };
            p.transactional.insert(tid.clone(), (id, epoch));
            (id, epoch)
        }
        _ if r.producer_id >= 0 => match p.epochs.get(&r.producer_id).copied() {
            // KIP-360: the producer asks to bump its own epoch after a fatal sequence error.
            Some(epoch) if epoch == r.producer_epoch && epoch < i16::MAX - 1 => (r.producer_id, epoch + 1),
            Some(_) => {
                return InitProducerIdResponse {
                    error_code: ErrorCode::INVALID_PRODUCER_EPOCH.code(),
                    ..Default::default()
                }
            }
            None => {
                let id = p.next_id;
                p.next_id += 1;
                (id, 0)
            }
        },
        _ => {
            let id = p.next_id;
            p.next_id += 1;
            (id, 0)
        }
    };
    p.epochs.insert(id, epoch);
    InitProducerIdResponse { producer_id: id, producer_epoch: epoch, ..Default::default() }
}
