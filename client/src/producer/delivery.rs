//! Delivery futures: one completion per batch, shared by the futures of its records.
//!
//! A record's [`DeliveryFuture`] is a handle on its batch's [`Completion`] plus the record's
//! index in the batch and its timestamp (Java's `FutureRecordMetadata` over
//! `ProduceRequestResult`): the batch allocates once, a record adds a reference count.
//! Callbacks registered with [`DeliveryFuture::add_callback`] / [`add_errback`](DeliveryFuture::add_errback)
//! are kept on the completion and run by the producer's background task when the batch
//! completes (or at once, if it already has).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::record::RecordMetadata;
use crate::error::{Error, Result};

/// A callback run once with the outcome of one record.
type Callback = Box<dyn FnOnce(Result<RecordMetadata>) + Send>;

/// How a batch ended, as the broker told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchAck {
    /// The offset of the batch's first record (-1 if unknown).
    pub base_offset: i64,
    /// The broker's append time for `LogAppendTime` topics, else -1.
    pub log_append_time: i64,
}

struct State {
    result: Option<Result<BatchAck>>,
    wakers: Vec<Waker>,
    callbacks: Vec<(i32, i64, Callback)>,
}

/// The completion of one batch.
pub(crate) struct Completion {
    topic: Arc<str>,
    partition: i32,
    state: Mutex<State>,
    /// For blocking waits ([`DeliveryFuture::get`]).
    done: Condvar,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    // Nothing here can panic while holding the lock; a poisoned lock still holds valid data.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Completion {
    pub(crate) fn new(topic: Arc<str>, partition: i32) -> Arc<Self> {
        Arc::new(Completion {
            topic,
            partition,
            state: Mutex::new(State { result: None, wakers: Vec::new(), callbacks: Vec::new() }),
            done: Condvar::new(),
        })
    }

    pub(crate) fn topic(&self) -> &Arc<str> {
        &self.topic
    }

    pub(crate) fn partition(&self) -> i32 {
        self.partition
    }

    /// Completes the batch (once; later calls are ignored), wakes every waiter and runs the
    /// callbacks on this thread.
    pub(crate) fn complete(&self, result: Result<BatchAck>) {
        let (wakers, callbacks) = {
            let mut st = lock(&self.state);
            if st.result.is_some() {
                return;
            }
            st.result = Some(result.clone());
            (std::mem::take(&mut st.wakers), std::mem::take(&mut st.callbacks))
        };
        self.done.notify_all();
        for w in wakers {
            w.wake();
        }
        for (index, timestamp, cb) in callbacks {
            cb(self.outcome(&result, index, timestamp));
        }
    }

    pub(crate) fn is_complete(&self) -> bool {
        lock(&self.state).result.is_some()
    }

    fn outcome(&self, result: &Result<BatchAck>, index: i32, timestamp: i64) -> Result<RecordMetadata> {
        match result {
            Ok(ack) => Ok(RecordMetadata {
                topic: self.topic.clone(),
                partition: self.partition,
                offset: if ack.base_offset < 0 { -1 } else { ack.base_offset + i64::from(index) },
                timestamp: if ack.log_append_time >= 0 { ack.log_append_time } else { timestamp },
            }),
            Err(e) => Err(e.clone()),
        }
    }
}

enum Inner {
    Pending {
        completion: Arc<Completion>,
        index: i32,
        timestamp: i64,
    },
    /// Boxed: a future is kept per record, and most never fail.
    Failed(Box<Error>),
    Taken,
}

/// The outcome of one [`Producer::send`](super::Producer::send): resolves to the record's
/// [`RecordMetadata`] once the broker acknowledged it, or to the error that ended it (after
/// retries, if it was retriable).
///
/// Await it, or register callbacks (kafka-python's `add_callback` / `add_errback`), or block
/// on it from synchronous code with [`get`](Self::get). Dropping it does not cancel the
/// record: it is sent all the same, and registered callbacks still run.
pub struct DeliveryFuture {
    inner: Inner,
}

impl std::fmt::Debug for DeliveryFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Pending { completion, index, .. } => f
                .debug_struct("DeliveryFuture")
                .field("topic", &completion.topic)
                .field("partition", &completion.partition)
                .field("index", index)
                .field("done", &completion.is_complete())
                .finish(),
            Inner::Failed(e) => f.debug_struct("DeliveryFuture").field("failed", e).finish(),
            Inner::Taken => f.debug_struct("DeliveryFuture").field("taken", &true).finish(),
        }
    }
}

impl DeliveryFuture {
    pub(crate) fn pending(completion: Arc<Completion>, index: i32, timestamp: i64) -> Self {
        DeliveryFuture { inner: Inner::Pending { completion, index, timestamp } }
    }

    /// A future that has already failed (the record was refused before it was buffered).
    pub(crate) fn failed(error: Error) -> Self {
        DeliveryFuture { inner: Inner::Failed(Box::new(error)) }
    }

    /// Whether the outcome is known (awaiting will not wait).
    pub fn is_done(&self) -> bool {
        match &self.inner {
            Inner::Pending { completion, .. } => completion.is_complete(),
            _ => true,
        }
    }

    /// The error, if the record was refused when it was sent (before it was buffered): too
    /// large, an unknown topic, no room in `buffer.memory` within `max.block`, a closed
    /// producer. `None` for a record that was buffered, whatever happens to it later.
    pub fn refused(&self) -> Option<&Error> {
        match &self.inner {
            Inner::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Runs `f` with the record's metadata once the broker acknowledged it (not if it
    /// failed). Runs on the producer's background task: keep it short and never block in it.
    pub fn add_callback(self, f: impl FnOnce(&RecordMetadata) + Send + 'static) -> Self {
        self.on_delivery(move |r| {
            if let Ok(m) = r {
                f(&m)
            }
        })
    }

    /// Runs `f` with the error if the record could not be delivered.
    pub fn add_errback(self, f: impl FnOnce(&Error) + Send + 'static) -> Self {
        self.on_delivery(move |r| {
            if let Err(e) = r {
                f(&e)
            }
        })
    }

    /// Runs `f` with the outcome, whichever it is (librdkafka's delivery report).
    pub fn on_delivery(self, f: impl FnOnce(Result<RecordMetadata>) + Send + 'static) -> Self {
        match &self.inner {
            Inner::Pending { completion, index, timestamp } => {
                let mut st = lock(&completion.state);
                match &st.result {
                    None => st.callbacks.push((*index, *timestamp, Box::new(f))),
                    Some(r) => {
                        let r = r.clone();
                        drop(st);
                        f(completion.outcome(&r, *index, *timestamp));
                    }
                }
            }
            Inner::Failed(e) => f(Err((**e).clone())),
            Inner::Taken => f(Err(Error::Closed)),
        }
        self
    }

    /// Blocks the calling thread until the outcome is known, at most `timeout` (`None`: no
    /// limit) — kafka-python's `future.get(timeout=…)`. For synchronous code: in async code,
    /// `.await` the future instead, as blocking would stall the runtime's thread.
    ///
    /// A wait that times out returns [`Error::Timeout`]; the record is still being delivered.
    pub fn get(self, timeout: Option<Duration>) -> Result<RecordMetadata> {
        match self.inner {
            Inner::Pending { completion, index, timestamp } => {
                let deadline = timeout.map(|t| Instant::now() + t);
                let mut st = lock(&completion.state);
                loop {
                    if let Some(r) = &st.result {
                        let r = r.clone();
                        drop(st);
                        return completion.outcome(&r, index, timestamp);
                    }
                    st = match deadline {
                        None => completion.done.wait(st).unwrap_or_else(PoisonError::into_inner),
                        Some(d) => {
                            let left = d.saturating_duration_since(Instant::now());
                            if left.is_zero() {
                                return Err(Error::TimedOut {
                                    what: format!(
                                        "waiting for the delivery of a record to {}-{}",
                                        completion.topic, completion.partition
                                    ),
                                    after: timeout.unwrap_or_default(),
                                    hint: "the record is still being delivered; wait again or give a longer timeout",
                                });
                            }
                            completion.done.wait_timeout(st, left).unwrap_or_else(PoisonError::into_inner).0
                        }
                    };
                }
            }
            Inner::Failed(e) => Err(*e),
            Inner::Taken => Err(Error::Closed),
        }
    }
}

impl Future for DeliveryFuture {
    type Output = Result<RecordMetadata>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &self.inner {
            Inner::Pending { completion, index, timestamp } => {
                let mut st = lock(&completion.state);
                match &st.result {
                    Some(r) => {
                        let r = r.clone();
                        drop(st);
                        let out = completion.outcome(&r, *index, *timestamp);
                        self.inner = Inner::Taken;
                        Poll::Ready(out)
                    }
                    None => {
                        if !st.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                            st.wakers.push(cx.waker().clone());
                        }
                        Poll::Pending
                    }
                }
            }
            Inner::Failed(_) => match std::mem::replace(&mut self.inner, Inner::Taken) {
                Inner::Failed(e) => Poll::Ready(Err(*e)),
                _ => unreachable!("matched Failed above"),
            },
            Inner::Taken => Poll::Ready(Err(Error::Closed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafkit_protocol::ErrorCode;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn records_share_the_batch_outcome() {
        let c = Completion::new("t".into(), 2);
        let a = DeliveryFuture::pending(c.clone(), 0, 100);
        let b = DeliveryFuture::pending(c.clone(), 3, 200);
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        let b = b.add_callback(move |m| {
            assert_eq!(m.offset, 13);
            s.fetch_add(1, Ordering::SeqCst);
        });
        let s = seen.clone();
        let b = b.add_errback(move |_| {
            s.fetch_add(100, Ordering::SeqCst);
        });
        assert!(!a.is_done());
        let waiter = tokio::spawn(a);
        tokio::task::yield_now().await;
        c.complete(Ok(BatchAck { base_offset: 10, log_append_time: -1 }));
        let m = waiter.await.unwrap().unwrap();
        assert_eq!((&*m.topic, m.partition, m.offset, m.timestamp), ("t", 2, 10, 100));
        assert_eq!(b.await.unwrap().timestamp, 200);
        assert_eq!(seen.load(Ordering::SeqCst), 1);
        // A second completion changes nothing.
        c.complete(Err(Error::Closed));
        let late = DeliveryFuture::pending(c, 1, 0).add_callback(|m| assert_eq!(m.offset, 11));
        assert_eq!(late.get(None).unwrap().offset, 11);
    }

    #[test]
    fn a_future_is_small() {
        // One is kept per record: a handle and two numbers, the rare error boxed.
        assert!(std::mem::size_of::<DeliveryFuture>() <= 32, "{}", std::mem::size_of::<DeliveryFuture>());
    }

    #[test]
    fn errors_append_time_and_blocking_get() {
        let c = Completion::new("t".into(), 0);
        let f = DeliveryFuture::pending(c.clone(), 1, 5);
        let err = DeliveryFuture::pending(c.clone(), 1, 5).get(Some(Duration::from_millis(10))).unwrap_err();
        assert!(matches!(err, Error::TimedOut { .. }), "{err}");
        let t = std::thread::spawn(move || f.get(Some(Duration::from_secs(10))));
        std::thread::sleep(Duration::from_millis(20));
        c.complete(Ok(BatchAck { base_offset: -1, log_append_time: 777 }));
        let m = t.join().unwrap().unwrap();
        assert_eq!((m.offset, m.timestamp), (-1, 777));

        let c = Completion::new("t".into(), 0);
        let got = Arc::new(Mutex::new(None));
        let g = got.clone();
        let f = DeliveryFuture::pending(c.clone(), 0, 0).add_errback(move |e| *g.lock().unwrap() = e.code());
        c.complete(Err(Error::kafka(ErrorCode::MESSAGE_TOO_LARGE, "x")));
        assert_eq!(*got.lock().unwrap(), Some(ErrorCode::MESSAGE_TOO_LARGE));
        assert_eq!(f.get(None).unwrap_err().code(), Some(ErrorCode::MESSAGE_TOO_LARGE));

        let refused = DeliveryFuture::failed(Error::Closed);
        assert!(refused.is_done() && matches!(refused.refused(), Some(Error::Closed)));
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let refused = refused.add_errback(move |_| {
            r.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert!(matches!(refused.get(None), Err(Error::Closed)));
    }
}
