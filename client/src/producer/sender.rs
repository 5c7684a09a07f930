//! The sender: the one background task of a producer, which owns draining, the requests in
//! flight, retries and the idempotent producer's id, epoch and sequences.
//!
//! Each turn of its loop:
//! 1. gets a producer id first if idempotence is on (and bumps the epoch when a sequence gap
//!    needs it, once nothing is in flight), as the Java `TransactionManager` does;
//! 2. takes the ready batches (full, lingered, flushed, or due for retry) out of the
//!    accumulator, grouped by the leader of their partition — one batch per partition per
//!    request, up to `max.request.size`, at most `max.in.flight.requests.per.connection`
//!    requests per broker — and fails batches past `delivery.timeout`;
//! 3. builds (compresses) the batches, writes one ProduceRequest per broker and keeps its
//!    pending response at the back of that broker's queue;
//! 4. waits for a new or full batch, a linger or retry deadline, or the response at the front
//!    of a broker's queue — responses are handled in the order the requests were sent (franz-go's
//!    `sink.go`), so a partition's batches complete in order.
//!
//! A retriable failure puts the batch back at the head of its partition (in batch order) after
//! a backoff; a retried batch is only resent once none of its partition's batches is in flight,
//! so retries do not reorder a partition. Unknown leaders and lost connections refresh the
//! metadata; connections are made on separate tasks so one unreachable broker does not hold up
//! the others.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;

use bytes::{Bytes, BytesMut};
use kafkit_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafkit_protocol::messages::produce_response::PartitionProduceResponse;
use kafkit_protocol::messages::{ApiVersionsRequest, InitProducerIdRequest, ProduceRequest, ProduceResponse};
use kafkit_protocol::record::set_producer_state;
use kafkit_protocol::ErrorCode;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::accumulator::{Accumulator, ProducerBatch, Records};
use super::config::{Acks, ProducerConfig};
use super::delivery::BatchAck;
use crate::client::Client;
use crate::connection::Connection;
use crate::error::{Error, Result};

/// The oldest Produce version kafkit sends: v3, the first with record batches v2.
const MIN_PRODUCE_VERSION: i16 = 3;

type ResponseFuture = Pin<Box<dyn Future<Output = Result<ProduceResponse>> + Send>>;

/// A Produce request waiting for its response.
struct InFlight {
    conn: Connection,
    batches: Vec<ProducerBatch>,
    response: ResponseFuture,
    /// An `acks = 0` request: `response` resolves when it is written, with nothing in it.
    no_response: bool,
}

/// The idempotent producer's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProducerId {
    id: i64,
    epoch: i16,
}

/// What one drain found.
#[derive(Default)]
struct Drained {
    /// Per broker: its connection and the batches for one request.
    requests: Vec<(i32, Connection, Vec<ProducerBatch>)>,
    /// Batches past their delivery timeout.
    expired: Vec<ProducerBatch>,
    /// When to look again even if nothing wakes the sender.
    next_wake: Option<Instant>,
    /// Some partition with batches has no known leader.
    leader_unknown: bool,
}

fn earliest(a: Option<Instant>, b: Instant) -> Option<Instant> {
    Some(a.map_or(b, |a| a.min(b)))
}

/// The sequence after `seq` and `count` records (sequences wrap from `i32::MAX` to 0).
fn next_sequence(seq: i32, count: i32) -> i32 {
    ((i64::from(seq) + i64::from(count)) % (i64::from(i32::MAX) + 1)) as i32
}

pub(crate) struct Sender {
    acc: Arc<Accumulator>,
    client: Client,
    config: Arc<ProducerConfig>,
    idempotent: bool,
    producer_id: Option<ProducerId>,
    /// A sequence gap needs a new epoch (KIP-360) before anything more is sent.
    bump_needed: bool,
    /// No InitProducerId attempt before this instant (after a failure).
    pid_not_before: Option<Instant>,
    pid_backoff: crate::Backoff,
    in_flight: HashMap<i32, VecDeque<InFlight>>,
    /// Brokers a connection is being made to.
    connecting: Arc<Mutex<HashSet<i32>>>,
    last_invalidate: Option<Instant>,
    /// Connections that carried `acks = 0` requests, by broker (see `unanswered_barrier`).
    unanswered: HashMap<i32, Connection>,
}

impl Sender {
    pub(crate) fn new(acc: Arc<Accumulator>, client: Client) -> Self {
        let config = acc.config.clone();
        Sender {
            idempotent: config.idempotence_enabled(),
            pid_backoff: crate::Backoff::new(config.retry_backoff, config.retry_backoff_max),
            acc,
            client,
            config,
            producer_id: None,
            bump_needed: false,
            pid_not_before: None,
            in_flight: HashMap::new(),
            connecting: Arc::new(Mutex::new(HashSet::new())),
            last_invalidate: None,
            unanswered: HashMap::new(),
        }
    }

    fn requests_in_flight(&self) -> usize {
        self.in_flight.values().map(VecDeque::len).sum()
    }

    /// Runs until the producer is closed and every batch is done (or aborted).
    pub(crate) async fn run(mut self) {
        loop {
            if self.acc.is_aborting() {
                self.abort_all();
                break;
            }
            if self.idempotent && (self.producer_id.is_none() || self.bump_needed) && self.requests_in_flight() == 0 {
                let has_batches = self.acc.lock().has_batches();
                let due = self.pid_not_before.is_none_or(|t| Instant::now() >= t);
                if has_batches && due {
                    self.init_producer_id().await;
                    continue;
                }
            }
            let now = Instant::now();
            let drained = self.drain(now);
            if !drained.expired.is_empty() {
                self.expire(drained.expired);
            }
            if drained.leader_unknown {
                self.invalidate(now);
            }
            let mut next_wake = drained.next_wake;
            if drained.leader_unknown {
                next_wake = earliest(next_wake, now + self.config.retry_backoff);
            }
            let sent = !drained.requests.is_empty();
            for (broker, conn, batches) in drained.requests {
                self.send(broker, conn, batches).await;
            }
            if sent {
                // A partition gives one batch per request: more of its batches may be ready
                // for the next request, within the in-flight limit. Drain again before waiting.
                continue;
            }
            if self.pid_pending() {
                if let Some(t) = self.pid_not_before {
                    next_wake = earliest(next_wake, t);
                }
            }
            if self.acc.is_closing() && self.requests_in_flight() == 0 && !self.acc.lock().has_batches() {
                break;
            }
            let sleep = async {
                match next_wake {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            let in_flight = &mut self.in_flight;
            let response = std::future::poll_fn(|cx| {
                for (broker, queue) in in_flight.iter_mut() {
                    if let Some(front) = queue.front_mut() {
                        if let Poll::Ready(r) = front.response.as_mut().poll(cx) {
                            return Poll::Ready((*broker, r));
                        }
                    }
                }
                Poll::Pending
            });
            tokio::select! {
                _ = self.acc.wake.notified() => {}
                _ = sleep => {}
                (broker, result) = response => self.handle_response(broker, result),
            }
        }
        self.unanswered_barrier().await;
        debug!("producer sender stopped");
        self.client.shutdown().await;
    }

    /// Before closing the connections that carried `acks = 0` requests, waits (at most
    /// `request.timeout`) for the answer to one more request on each: a broker handles a
    /// connection's requests in order, so once it answers, it has taken every Produce written
    /// before. Without this, a broker that drops unprocessed requests when the client
    /// disconnects (Tansu does) loses the last batches `close` wrote.
    async fn unanswered_barrier(&mut self) {
        let mut barriers = tokio::task::JoinSet::new();
        for conn in std::mem::take(&mut self.unanswered).into_values() {
            barriers.spawn(async move {
                if let Err(e) = conn.send(&ApiVersionsRequest::default()).await {
                    debug!(broker = %conn.addr(), "no answer after the last acks=0 request: {e}");
                }
            });
        }
        barriers.join_all().await;
    }

    /// Whether the idempotent producer is waiting for its id or a new epoch.
    fn pid_pending(&self) -> bool {
        self.idempotent && (self.producer_id.is_none() || self.bump_needed)
    }

    fn invalidate(&mut self, now: Instant) {
        if self.last_invalidate.is_none_or(|t| now >= t + self.config.retry_backoff) {
            self.last_invalidate = Some(now);
            self.client.invalidate();
        }
    }

    /// Takes the ready batches out of the accumulator.
    fn drain(&mut self, now: Instant) -> Drained {
        let config = &*self.config;
        let metadata = self.client.metadata();
        let everything = self.acc.send_everything();
        let delivery_timeout = config.effective_delivery_timeout();
        let can_send = !self.pid_pending();
        let max_in_flight = config.max_in_flight_requests_per_connection;
        // Per broker: its connection, batches, and request bytes so far; `None` when it takes
        // nothing this turn.
        let mut brokers: HashMap<i32, Option<(Connection, Vec<ProducerBatch>, usize)>> = HashMap::new();
        let mut out = Drained::default();
        let mut st = self.acc.lock();
        for topic in st.topics.values_mut() {
            let info = metadata.topic(&topic.name);
            for (p, q) in topic.partitions.iter_mut().enumerate() {
                if q.open.is_none() && q.queued.is_empty() {
                    continue;
                }
                // Expired batches: every queued one past its delivery timeout (they are in
                // creation order, retries included), and the open one.
                while q.queued.front().is_some_and(|b| now >= b.created + delivery_timeout) {
                    out.expired.extend(q.queued.pop_front());
                }
                if q.queued.is_empty() && q.open.as_ref().is_some_and(|b| now >= b.created + delivery_timeout) {
                    out.expired.extend(q.open.take());
                }
                let oldest = q.queued.front().or(q.open.as_ref());
                let Some(oldest) = oldest else { continue };
                out.next_wake = earliest(out.next_wake, oldest.created + delivery_timeout);

                let leader = info.and_then(|t| t.partition(p as i32)).and_then(|pi| pi.leader);
                let Some(leader) = leader else {
                    out.leader_unknown = true;
                    continue;
                };
                if !can_send || q.in_flight >= max_in_flight {
                    continue;
                }
                // Is the partition's next batch ready?
                match q.queued.front() {
                    Some(front) => {
                        if front.attempts > 0 && q.in_flight > 0 {
                            // A retry waits until its partition has nothing in flight.
                            continue;
                        }
                        if let Some(at) = front.retry_at.filter(|&at| at > now) {
                            out.next_wake = earliest(out.next_wake, at);
                            continue;
                        }
                    }
                    None => {
                        let open = q.open.as_ref().expect("checked above");
                        let due = open.created + config.linger;
                        if !everything && now < due {
                            out.next_wake = earliest(out.next_wake, due);
                            continue;
                        }
                    }
                }
                // Can its leader take it?
                let slot = brokers.entry(leader).or_insert_with(|| {
                    let busy = self.in_flight.get(&leader).map_or(0, VecDeque::len);
                    if busy >= max_in_flight {
                        return None;
                    }
                    match self.client.live_connection(leader) {
                        Some(conn) => Some((conn, Vec::new(), 0)),
                        None => {
                            start_connect(&self.client, &self.acc, &self.connecting, leader);
                            None
                        }
                    }
                });
                let Some((_, batches, bytes)) = slot else { continue };
                let size = q.queued.front().or(q.open.as_ref()).map_or(0, ProducerBatch::size);
                // Topic and partition framing in the request: generous.
                let framing = topic.name.len() + 32;
                if !batches.is_empty() && *bytes + size + framing > config.max_request_size {
                    continue;
                }
                if q.queued.is_empty() {
                    q.seal();
                }
                let mut batch = q.queued.pop_front().expect("a batch is queued");
                if self.idempotent {
                    let pid = self.producer_id.expect("can_send implies a producer id");
                    let current = batch.sequence.filter(|&(id, epoch, _)| id == pid.id && epoch == pid.epoch);
                    if current.is_none() {
                        batch.sequence = Some((pid.id, pid.epoch, q.next_sequence));
                        q.next_sequence = next_sequence(q.next_sequence, batch.record_count);
                    }
                }
                q.in_flight += 1;
                *bytes += size + framing;
                batches.push(batch);
            }
        }
        drop(st);
        out.requests = brokers
            .into_iter()
            .filter_map(|(broker, slot)| slot.filter(|(_, b, _)| !b.is_empty()).map(|(c, b, _)| (broker, c, b)))
            .collect();
        out
    }

    /// Fails batches past their delivery timeout.
    fn expire(&mut self, batches: Vec<ProducerBatch>) {
        let after = self.config.effective_delivery_timeout();
        let mut done = Vec::with_capacity(batches.len());
        for b in batches {
            if self.idempotent && b.sequence.is_some() {
                // Its sequence numbers may or may not be on the broker: start a new epoch.
                self.bump_needed = true;
            }
            let what = format!(
                "delivering {} record(s) to {}-{} ({} attempt(s))",
                b.record_count,
                b.topic(),
                b.partition(),
                b.attempts + u32::from(b.maybe_sent)
            );
            done.push((
                b,
                Err(Error::TimedOut {
                    what,
                    after,
                    hint: "the partition's leader did not take the records in time: check that the brokers are up \
                           and the topic exists, or raise delivery.timeout.ms",
                }),
            ));
        }
        self.acc.complete(done);
    }

    /// Builds the batches and writes one Produce request to `broker`.
    async fn send(&mut self, broker: i32, conn: Connection, batches: Vec<ProducerBatch>) {
        let mut ready = Vec::with_capacity(batches.len());
        let mut failed = Vec::new();
        for mut b in batches {
            match build(&mut b) {
                Ok(()) => ready.push(b),
                Err(e) => failed.push((b, e)),
            }
        }
        for (b, e) in failed {
            self.fail_unsent(b, e);
        }
        if ready.is_empty() {
            return;
        }
        let version = match conn.version_of::<ProduceRequest>() {
            Ok(v) if v >= MIN_PRODUCE_VERSION => v,
            Ok(v) => {
                let e = Error::kafka(
                    ErrorCode::UNSUPPORTED_VERSION,
                    format!(
                        "broker {} speaks Produce up to v{v}; kafkit needs v{MIN_PRODUCE_VERSION} (Kafka 0.11) or later",
                        conn.addr()
                    ),
                );
                for b in ready {
                    self.fail_unsent(b, e.clone());
                }
                return;
            }
            Err(e) => {
                for b in ready {
                    self.fail_unsent(b, e.clone());
                }
                return;
            }
        };
        let request = produce_request(&self.config, &ready);
        if self.config.acks == Acks::None {
            // Nothing answers: the batches are done once written to the socket (as in Java),
            // and until then they count as in flight, so close waits for the write.
            match conn.submit_no_response(&request, version).await {
                Ok(written) => {
                    self.unanswered.insert(broker, conn.clone());
                    self.in_flight.entry(broker).or_default().push_back(InFlight {
                        conn,
                        batches: ready,
                        response: Box::pin(async move { written.await.map(|()| ProduceResponse::default()) }),
                        no_response: true,
                    });
                }
                Err(e) => self.handle_failure(ready, e),
            }
            return;
        }
        match conn.submit(&request, version, self.config.client.request_timeout).await {
            Ok(pending) => {
                for b in &mut ready {
                    b.maybe_sent = true;
                }
                self.in_flight.entry(broker).or_default().push_back(InFlight {
                    conn,
                    batches: ready,
                    response: Box::pin(pending.wait()),
                    no_response: false,
                });
            }
            Err(e) => self.handle_failure(ready, e),
        }
    }

    /// Handles the response at the front of `broker`'s queue.
    fn handle_response(&mut self, broker: i32, result: Result<ProduceResponse>) {
        let Some(in_flight) = self.in_flight.get_mut(&broker).and_then(VecDeque::pop_front) else { return };
        let batches = in_flight.batches;
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                debug!(broker, "produce request failed: {e}");
                if let Error::Timeout { after, .. } = &e {
                    // Everything behind it on this connection would wait as long: give the
                    // connection up, so those fail now (retriably) and retries use a new one.
                    in_flight.conn.abandon(&format!("a Produce request got no answer in {after:?}"));
                }
                return self.handle_failure(batches, e);
            }
        };
        if in_flight.no_response {
            let acks = batches
                .into_iter()
                .map(|b| (b, Ok(BatchAck { base_offset: -1, log_append_time: -1 })))
                .collect::<Vec<_>>();
            self.partitions_done(&acks);
            return self.acc.complete(acks);
        }
        let mut by_partition: HashMap<(&str, i32), &PartitionProduceResponse> = HashMap::new();
        for t in &response.responses {
            for p in &t.partition_responses {
                by_partition.insert((t.name.as_str(), p.index), p);
            }
        }
        let mut acked = Vec::new();
        let mut errors = Vec::new();
        for b in batches {
            let topic = b.topic().clone();
            match by_partition.get(&(&*topic, b.partition())).copied() {
                None => {
                    let e = Error::Protocol(crate::error::ProtocolError::Framing(format!(
                        "broker {broker}'s Produce response has no answer for {}-{}",
                        b.topic(),
                        b.partition()
                    )));
                    errors.push((b, e));
                }
                Some(p) => {
                    let code = ErrorCode::from_i16(p.error_code);
                    if code.is_ok() {
                        acked.push((
                            b,
                            Ok(BatchAck { base_offset: p.base_offset, log_append_time: p.log_append_time_ms }),
                        ));
                    } else if code == ErrorCode::DUPLICATE_SEQUENCE_NUMBER && self.idempotent {
                        // The broker has it already (an earlier attempt got through) but no longer
                        // knows where: success with an unknown offset, as in Java.
                        acked.push((b, Ok(BatchAck { base_offset: -1, log_append_time: -1 })));
                    } else {
                        let mut context =
                            format!("producing {} record(s) to {}-{}", b.record_count, b.topic(), b.partition());
                        if let Some(m) = p.error_message.as_deref().filter(|m| !m.is_empty()) {
                            context.push_str(&format!(" (broker says: {m})"));
                        }
                        if code == ErrorCode::MESSAGE_TOO_LARGE {
                            context.push_str(&format!(
                                "; the broker's message.max.bytes is below this batch of {} bytes: lower batch.size",
                                b.size()
                            ));
                        }
                        errors.push((b, Error::kafka(code, context)));
                    }
                }
            }
        }
        if !acked.is_empty() {
            self.partitions_done(&acked);
            for (b, _) in &acked {
                if b.attempts > 0 {
                    debug!(topic = %b.topic(), partition = b.partition(), attempts = b.attempts, "retried batch delivered");
                }
            }
            self.acc.complete(acked);
        }
        for (b, e) in errors {
            self.retry_or_fail(b, e);
        }
    }

    /// Lowers the in-flight count of the partitions of batches that completed.
    fn partitions_done(&self, batches: &[(ProducerBatch, Result<BatchAck>)]) {
        let mut st = self.acc.lock();
        for (b, _) in batches {
            if let Some(q) = st.topics.get_mut(&**b.topic()).and_then(|t| t.partitions.get_mut(b.partition() as usize))
            {
                q.in_flight = q.in_flight.saturating_sub(1);
            }
        }
    }

    /// A request failed as a whole (lost connection, timeout, undecodable response).
    fn handle_failure(&mut self, batches: Vec<ProducerBatch>, e: Error) {
        if e.invalidates_metadata() || matches!(e, Error::Timeout { .. }) {
            self.invalidate(Instant::now());
        }
        for b in batches {
            self.retry_or_fail(b, e.clone());
        }
    }

    /// Puts a failed batch back for a retry, or fails it.
    fn retry_or_fail(&mut self, mut batch: ProducerBatch, e: Error) {
        let now = Instant::now();
        let mut st = self.acc.lock();
        let Some(q) =
            st.topics.get_mut(&**batch.topic()).and_then(|t| t.partitions.get_mut(batch.partition() as usize))
        else {
            drop(st);
            return self.acc.complete(vec![(batch, Err(e))]);
        };
        q.in_flight = q.in_flight.saturating_sub(1);
        let mut retriable = e.is_retriable();
        if self.idempotent {
            match e.code() {
                Some(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER) => {
                    // If an earlier batch of the partition is unresolved (being retried, or in
                    // flight elsewhere), this one is only out of order behind it: retry as is.
                    // Otherwise the broker lost sequences: new epoch, new sequences.
                    let earlier = q.in_flight > 0 || q.queued.iter().any(|b| b.id < batch.id);
                    if !earlier {
                        self.bump_needed = true;
                    }
                    retriable = true;
                }
                Some(ErrorCode::UNKNOWN_PRODUCER_ID) => {
                    self.bump_needed = true;
                    retriable = true;
                }
                _ => {}
            }
        }
        let in_time = now < batch.created + self.config.effective_delivery_timeout();
        if retriable && batch.attempts < self.config.retries && in_time && !self.acc.is_aborting() {
            batch.attempts += 1;
            let backoff = self.acc.retry_backoff(batch.attempts);
            batch.retry_at = Some(now + backoff);
            debug!(
                topic = %batch.topic(), partition = batch.partition(), attempt = batch.attempts, ?backoff,
                "retrying a batch: {e}"
            );
            q.requeue(batch);
            drop(st);
            if e.invalidates_metadata() {
                self.invalidate(now);
            }
            return;
        }
        drop(st);
        let e = if in_time {
            e
        } else {
            Error::TimedOut {
                what: format!(
                    "delivering {} record(s) to {}-{} ({} attempt(s), the last failed with: {e})",
                    batch.record_count,
                    batch.topic(),
                    batch.partition(),
                    batch.attempts + 1
                ),
                after: self.config.effective_delivery_timeout(),
                hint: "the partition's leader did not take the records in time: check that the brokers are up and \
                       the topic exists, or raise delivery.timeout.ms",
            }
        };
        self.finish_failed(batch, e);
    }

    /// Fails for good a batch that was drained but never sent.
    fn fail_unsent(&mut self, batch: ProducerBatch, e: Error) {
        {
            let mut st = self.acc.lock();
            let q = st.topics.get_mut(&**batch.topic()).and_then(|t| t.partitions.get_mut(batch.partition() as usize));
            if let Some(q) = q {
                q.in_flight = q.in_flight.saturating_sub(1);
            }
        }
        self.finish_failed(batch, e);
        // The partition may have more to send: look again at once.
        self.acc.wake.notify_one();
    }

    /// Fails a batch for good.
    fn finish_failed(&mut self, batch: ProducerBatch, e: Error) {
        if self.idempotent && batch.sequence.is_some() {
            // Later batches of the partition carry sequences after this one's: a gap the broker
            // will refuse. A new epoch starts the sequences over.
            self.bump_needed = true;
        }
        warn!(topic = %batch.topic(), partition = batch.partition(), records = batch.record_count, "batch failed: {e}");
        self.acc.complete(vec![(batch, Err(e))]);
    }

    /// Gets a producer id, or a new epoch for the current one (KIP-360), then restarts every
    /// partition's sequences.
    async fn init_producer_id(&mut self) {
        let bump = self.producer_id.filter(|_| self.bump_needed);
        match request_producer_id(self.client.clone(), self.config.clone(), bump).await {
            Ok(pid) => {
                debug!(producer_id = pid.id, epoch = pid.epoch, bumped = bump.is_some(), "producer id");
                self.producer_id = Some(pid);
                self.bump_needed = false;
                self.pid_not_before = None;
                self.pid_backoff.reset();
                let mut st = self.acc.lock();
                for t in st.topics.values_mut() {
                    for q in &mut t.partitions {
                        q.next_sequence = 0;
                    }
                }
            }
            Err(e) => {
                let delay = self.pid_backoff.next_delay();
                debug!(?delay, "InitProducerId failed: {e}");
                self.pid_not_before = Some(Instant::now() + delay);
                if !e.is_retriable() {
                    // Nothing can be sent without an id: fail what waits, keep trying for later records.
                    warn!("the idempotent producer cannot get a producer id: {e}");
                    let batches = self.acc.take_all();
                    self.acc.complete(batches.into_iter().map(|b| (b, Err(e.clone()))).collect());
                } else {
                    self.invalidate(Instant::now());
                }
            }
        }
    }

    /// Fails everything left: the queued batches and the requests in flight.
    fn abort_all(&mut self) {
        let mut batches = self.acc.take_all();
        for (_, queue) in self.in_flight.drain() {
            for f in queue {
                batches.extend(f.batches);
            }
        }
        let e = Error::Closed;
        self.acc.complete(batches.into_iter().map(|b| (b, Err(e.clone()))).collect());
    }
}

/// Asks any broker for a producer id, or for a new epoch of `bump` (KIP-360).
async fn request_producer_id(
    client: Client,
    config: Arc<ProducerConfig>,
    bump: Option<ProducerId>,
) -> Result<ProducerId> {
    let metadata = client.metadata();
    let broker = metadata
        .brokers()
        .map(|b| b.id)
        .find(|id| client.live_connection(*id).is_some())
        .or_else(|| metadata.brokers().next().map(|b| b.id))
        .ok_or_else(|| Error::kafka(ErrorCode::BROKER_NOT_AVAILABLE, "no broker in the metadata"))?;
    let timeout = config.client.request_timeout;
    let conn = tokio::time::timeout(timeout, client.connection(broker)).await.map_err(|_| Error::Timeout {
        api: kafkit_protocol::ApiKey::InitProducerId,
        broker: format!("broker {broker}"),
        after: timeout,
    })??;
    let version = conn.version_of::<InitProducerIdRequest>()?;
    // Brokers before v3 cannot bump an epoch: a new id does the same for a non-transactional
    // producer.
    let (id, epoch) = match bump {
        Some(p) if version >= 3 => (p.id, p.epoch),
        _ => (-1, -1),
    };
    let request = InitProducerIdRequest {
        transactional_id: None,
        transaction_timeout_ms: i32::MAX,
        producer_id: id,
        producer_epoch: epoch,
        ..Default::default()
    };
    let resp = conn.send_version(&request, version).await?;
    let code = ErrorCode::from_i16(resp.error_code);
    if !code.is_ok() {
        return Err(Error::kafka(code, format!("InitProducerId v{version} to {}", conn.addr())));
    }
    if resp.producer_id < 0 {
        return Err(Error::kafka(
            ErrorCode::UNKNOWN_SERVER_ERROR,
            format!("InitProducerId v{version} to {} returned no producer id", conn.addr()),
        ));
    }
    Ok(ProducerId { id: resp.producer_id, epoch: resp.producer_epoch })
}

/// Connects to `broker` on a separate task (once at a time), then wakes the sender.
fn start_connect(client: &Client, acc: &Arc<Accumulator>, connecting: &Arc<Mutex<HashSet<i32>>>, broker: i32) {
    if !connecting.lock().unwrap().insert(broker) {
        return;
    }
    let (client, acc, connecting) = (client.clone(), acc.clone(), connecting.clone());
    tokio::spawn(async move {
        if let Err(e) = client.connection(broker).await {
            debug!(broker, "producer could not connect: {e}");
            client.invalidate();
        }
        connecting.lock().unwrap().remove(&broker);
        acc.wake.notify_one();
    });
}

/// Finishes a batch's records (compression, producer id, epoch and sequence, CRC), or rewrites
/// the producer state of one already built.
fn build(batch: &mut ProducerBatch) -> Result<()> {
    let (id, epoch, seq) = batch.sequence.unwrap_or((-1, -1, -1));
    match std::mem::replace(&mut batch.records, Records::Built(Bytes::new())) {
        Records::Open(mut builder) => {
            builder.set_producer_state(id, epoch, seq);
            batch.records = Records::Built(builder.finish()?);
        }
        Records::Built(bytes) => {
            let mut bytes = bytes;
            if batch.sequence.is_some() && header_producer_state(&bytes) != (id, epoch, seq) {
                let mut copy = BytesMut::from(&bytes[..]);
                set_producer_state(&mut copy, id, epoch, seq)?;
                bytes = copy.freeze();
            }
            batch.records = Records::Built(bytes);
        }
    }
    Ok(())
}

/// The producer id, epoch and base sequence in an encoded batch's header.
fn header_producer_state(b: &[u8]) -> (i64, i16, i32) {
    if b.len() < 61 {
        return (-1, -1, -1);
    }
    let id = i64::from_be_bytes(b[43..51].try_into().unwrap_or_default());
    let epoch = i16::from_be_bytes(b[51..53].try_into().unwrap_or_default());
    let seq = i32::from_be_bytes(b[53..57].try_into().unwrap_or_default());
    (id, epoch, seq)
}

fn produce_request(config: &ProducerConfig, batches: &[ProducerBatch]) -> ProduceRequest {
    let mut topics: Vec<TopicProduceData> = Vec::new();
    for b in batches {
        let records = match &b.records {
            Records::Built(bytes) => bytes.clone(),
            Records::Open(_) => unreachable!("batches are built before the request"),
        };
        let data = PartitionProduceData { index: b.partition(), records: Some(records), ..Default::default() };
        match topics.iter_mut().find(|t| *t.name == **b.topic()) {
            Some(t) => t.partition_data.push(data),
            None => topics.push(TopicProduceData {
                name: b.topic().to_string(),
                partition_data: vec![data],
                ..Default::default()
            }),
        }
    }
    ProduceRequest {
        transactional_id: None,
        acks: config.acks.as_i16(),
        timeout_ms: i32::try_from(config.client.request_timeout.as_millis()).unwrap_or(i32::MAX),
        topic_data: topics,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_wrap_to_zero() {
        assert_eq!(next_sequence(0, 5), 5);
        assert_eq!(next_sequence(i32::MAX - 1, 1), i32::MAX);
        assert_eq!(next_sequence(i32::MAX, 1), 0);
        assert_eq!(next_sequence(i32::MAX - 2, 5), 2);
    }
}
