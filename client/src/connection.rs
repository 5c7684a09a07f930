//! One multiplexed connection to one broker.
//!
//! A [`Connection`] is a handle on a socket owned by two tasks: a writer (`connection/writer.rs`) that
//! writes encoded frames in the order callers hand them over, and a reader (`connection/reader.rs`) that
//! reads response frames and routes each, by correlation id, to the caller waiting for it.
//! Callers encode their request and decode their response themselves, so the tasks only move
//! bytes. Many requests may be in flight at once; a request that times out gives up its slot
//! (its late response is discarded) without harming the others. When the socket fails, every
//! request in flight fails with [`Error::Disconnected`] and the connection is dead for good:
//! the [`Client`](crate::Client)'s pool replaces it.

mod reader;
mod writer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafkit_protocol::header::{read_response, write_request};
use kafkit_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse, Message, Request};
use kafkit_protocol::versions::ApiVersions;
use kafkit_protocol::{ApiKey, ErrorCode};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::debug;

use crate::config::ConnectionConfig;
use crate::error::{Error, ProtocolError, Result};

/// The client software name sent in ApiVersions v3+.
pub const CLIENT_SOFTWARE_NAME: &str = "kafkit";
/// The client software version sent in ApiVersions v3+ (this crate's version).
pub const CLIENT_SOFTWARE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The ApiVersions version tried first; a broker that does not know it answers
/// UNSUPPORTED_VERSION and the handshake falls back to v0.
const API_VERSIONS_FIRST: i16 = 3;

/// How many encoded frames may wait for the writer before senders wait.
const WRITE_QUEUE: usize = 256;

/// A response slot: the frame (header and body, without the size prefix), or why none came.
type Reply = std::result::Result<Bytes, Error>;

struct Waiter {
    tx: oneshot::Sender<Reply>,
    /// Set by the writer once the request is on the socket.
    sent: bool,
}

/// What the caller side and the tasks share: the requests in flight and whether the
/// connection is still usable.
pub(crate) struct Shared {
    pub(crate) addr: String,
    state: Mutex<State>,
    /// Buffers of large frames already written, for the next large requests (a fresh
    /// megabyte per Produce request costs a page fault every 4 KiB).
    spare_frames: Mutex<Vec<BytesMut>>,
}

/// Frames at least this large have their buffer kept for reuse once written.
const REUSE_FRAME_MIN: usize = 64 * 1024;
/// Frames larger than this are not kept.
const REUSE_FRAME_MAX: usize = 16 * 1024 * 1024;
/// How many written frames' buffers a connection keeps.
const SPARE_FRAMES: usize = 4;

struct State {
    in_flight: HashMap<i32, Waiter>,
    /// `Some` once the connection is dead: the error to give later callers.
    dead: Option<Dead>,
}

#[derive(Clone)]
enum Dead {
    Closed,
    Failed(String),
}

impl Shared {
    /// Marks the connection dead and fails every request in flight. Only the first call counts.
    pub(crate) fn fail_all(&self, closed: bool, reason: String) {
        let waiters = {
            let mut st = self.state.lock().unwrap();
            if st.dead.is_some() {
                return;
            }
            debug!(broker = %self.addr, %reason, "connection is dead");
            st.dead = Some(if closed { Dead::Closed } else { Dead::Failed(reason.clone()) });
            std::mem::take(&mut st.in_flight)
        };
        for (_, w) in waiters {
            let err = if closed {
                Error::Closed
            } else {
                Error::Disconnected { broker: self.addr.clone(), reason: reason.clone(), maybe_applied: w.sent }
            };
            let _ = w.tx.send(Err(err));
        }
    }

    /// Hands a response frame to its waiter; `false` if nobody waits for it any more.
    pub(crate) fn complete(&self, correlation_id: i32, frame: Bytes) -> bool {
        let waiter = self.state.lock().unwrap().in_flight.remove(&correlation_id);
        match waiter {
            Some(w) => {
                let _ = w.tx.send(Ok(frame));
                true
            }
            None => false,
        }
    }

    /// Keeps the buffer of a written frame for a later request, if it is worth it.
    pub(crate) fn recycle(&self, frame: Bytes) {
        if !(REUSE_FRAME_MIN..=REUSE_FRAME_MAX).contains(&frame.len()) {
            return;
        }
        if let Ok(buf) = frame.try_into_mut() {
            let mut spare = self.spare_frames.lock().unwrap();
            if spare.len() < SPARE_FRAMES {
                spare.push(buf);
            }
        }
    }

    /// A buffer for a frame of `size` bytes: a recycled one if one is large enough.
    fn frame_buffer(&self, size: usize) -> BytesMut {
        if size >= REUSE_FRAME_MIN {
            let mut spare = self.spare_frames.lock().unwrap();
            if let Some(i) = spare.iter().position(|b| b.capacity() >= size) {
                let mut buf = spare.swap_remove(i);
                buf.clear();
                return buf;
            }
            // Room for the next frames of about this size too, so the buffer can be reused.
            return BytesMut::with_capacity(size.next_power_of_two().min(REUSE_FRAME_MAX).max(size));
        }
        BytesMut::new()
    }

    pub(crate) fn mark_sent(&self, correlation_id: i32) {
        if let Some(w) = self.state.lock().unwrap().in_flight.get_mut(&correlation_id) {
            w.sent = true;
        }
    }

    fn dead_error(&self, dead: &Dead) -> Error {
        match dead {
            Dead::Closed => Error::Closed,
            Dead::Failed(reason) => {
                Error::Disconnected { broker: self.addr.clone(), reason: reason.clone(), maybe_applied: false }
            }
        }
    }
}

/// A frame for the writer.
pub(crate) struct Outgoing {
    pub(crate) frame: Bytes,
    /// The correlation id, if a response is expected (the writer marks it sent).
    pub(crate) correlation_id: Option<i32>,
    /// Told once the frame is written (fire-and-forget sends wait for this).
    pub(crate) written: Option<oneshot::Sender<()>>,
}

struct Inner {
    shared: Arc<Shared>,
    broker_id: Option<i32>,
    config: ConnectionConfig,
    versions: ApiVersions,
    next_correlation_id: AtomicI32,
    outgoing: mpsc::Sender<Outgoing>,
    shutdown: watch::Sender<bool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// A connection to one broker, shared by every request to it (cloning is cheap: clones are
/// handles on the same socket).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use kafkit_client::{Connection, ConnectionConfig};
/// use kafkit_client::protocol::messages::MetadataRequest;
///
/// let cluster = kafkit_mock::MockCluster::start(1).await?;
/// let conn = Connection::connect(&cluster.bootstrap(), &ConnectionConfig::default()).await?;
/// let metadata = conn.send(&MetadataRequest { topics: Some(vec![]), ..Default::default() }).await?;
/// assert_eq!(metadata.brokers.len(), 1);
/// conn.close();
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("broker", &self.inner.shared.addr)
            .field("broker_id", &self.inner.broker_id)
            .field("dead", &self.is_dead())
            .finish()
    }
}

impl Connection {
    /// Connects to `addr` (`host:port`): TCP connect with `TCP_NODELAY`, then ApiVersions
    /// (v3, falling back to v0 if the broker answers UNSUPPORTED_VERSION), all within
    /// `config.connect_timeout`.
    pub async fn connect(addr: &str, config: &ConnectionConfig) -> Result<Connection> {
        Self::connect_to(addr, None, config).await
    }

    pub(crate) async fn connect_to(
        addr: &str,
        broker_id: Option<i32>,
        config: &ConnectionConfig,
    ) -> Result<Connection> {
        let timeout = config.connect_timeout;
        let timed_out = || Error::Timeout { api: ApiKey::ApiVersions, broker: addr.to_string(), after: timeout };
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| timed_out())?
            .map_err(|e| Error::io(addr, e))?;
        stream.set_nodelay(true).map_err(|e| Error::io(addr, e))?;
        let (rd, wr) = stream.into_split();
        let shared = Arc::new(Shared {
            addr: addr.to_string(),
            state: Mutex::new(State { in_flight: HashMap::new(), dead: None }),
            spare_frames: Mutex::new(Vec::new()),
        });
        let (outgoing, outgoing_rx) = mpsc::channel(WRITE_QUEUE);
        let (shutdown, shutdown_rx) = watch::channel(false);
        tokio::spawn(writer::run(shared.clone(), wr, outgoing_rx, shutdown_rx.clone()));
        tokio::spawn(reader::run(shared.clone(), rd, config.max_response_size, shutdown_rx));
        let mut conn = Connection {
            inner: Arc::new(Inner {
                shared,
                broker_id,
                config: config.clone(),
                versions: ApiVersions::negotiate(&ApiVersionsResponse::default()),
                next_correlation_id: AtomicI32::new(0),
                outgoing,
                shutdown,
            }),
        };
        let versions = match tokio::time::timeout(timeout, conn.handshake()).await {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                conn.close();
                return Err(e);
            }
            Err(_) => {
                conn.close();
                return Err(timed_out());
            }
        };
        // Nobody else holds the handle yet.
        match Arc::get_mut(&mut conn.inner) {
            Some(inner) => inner.versions = versions,
            None => unreachable!("the connection handle is not shared before connect returns"),
        }
        debug!(broker = %addr, ?broker_id, "connected");
        Ok(conn)
    }

    /// ApiVersions at v3, then v0 if the broker does not know v3.
    async fn handshake(&self) -> Result<ApiVersions> {
        let request = ApiVersionsRequest {
            client_software_name: CLIENT_SOFTWARE_NAME.to_string(),
            client_software_version: CLIENT_SOFTWARE_VERSION.to_string(),
            ..Default::default()
        };
        let mut version = API_VERSIONS_FIRST;
        loop {
            let frame =
                self.round_trip::<ApiVersionsRequest>(&request, version, self.inner.config.connect_timeout).await?;
            // A broker that cannot parse the request answers with a v0 body (Kafka does); the
            // Java client falls back to reading v0 the same way.
            let resp = match read_response::<ApiVersionsRequest>(frame.clone(), version) {
                Ok((_, r)) => r,
                Err(e) if version > 0 => match read_response::<ApiVersionsRequest>(frame, 0) {
                    Ok((_, r)) => r,
                    Err(_) => return Err(e.into()),
                },
                Err(e) => return Err(e.into()),
            };
            let code = ErrorCode::from_i16(resp.error_code);
            if code == ErrorCode::UNSUPPORTED_VERSION && version > 0 {
                debug!(broker = %self.inner.shared.addr, version, "ApiVersions version not supported; retrying at v0");
                version = 0;
                continue;
            }
            if !code.is_ok() {
                return Err(Error::kafka(code, format!("ApiVersions v{version} to {}", self.inner.shared.addr)));
            }
            return Ok(ApiVersions::negotiate(&resp));
        }
    }

    /// The broker's `host:port`.
    pub fn addr(&self) -> &str {
        &self.inner.shared.addr
    }

    /// The broker's node id, if the connection was made for a known broker (by a
    /// [`Client`](crate::Client)'s pool).
    pub fn broker_id(&self) -> Option<i32> {
        self.inner.broker_id
    }

    /// The version ranges the broker announced.
    pub fn api_versions(&self) -> &ApiVersions {
        &self.inner.versions
    }

    /// The highest version of `R` that both the broker and kafkit speak.
    pub fn version_of<R: Message>(&self) -> Result<i16> {
        Ok(self.inner.versions.version_of::<R>()?)
    }

    /// Whether the connection has failed or been closed (it never recovers: make a new one).
    pub fn is_dead(&self) -> bool {
        self.inner.shared.state.lock().unwrap().dead.is_some()
    }

    /// How many requests are waiting for their response.
    pub fn in_flight(&self) -> usize {
        self.inner.shared.state.lock().unwrap().in_flight.len()
    }

    /// Sends `request` at the highest common version and waits for its response, at most
    /// `request_timeout`.
    pub async fn send<R: Request>(&self, request: &R) -> Result<R::Response> {
        let version = self.version_of::<R>()?;
        self.send_with(request, version, self.inner.config.request_timeout).await
    }

    /// Sends `request` at `version` (check it with [`ApiVersions::version_within`] first).
    pub async fn send_version<R: Request>(&self, request: &R, version: i16) -> Result<R::Response> {
        self.send_with(request, version, self.inner.config.request_timeout).await
    }

    /// Sends `request` at `version` and waits at most `timeout` (for requests that
    /// legitimately take long, such as a Fetch with a long `max_wait` or a JoinGroup).
    pub async fn send_with<R: Request>(&self, request: &R, version: i16, timeout: Duration) -> Result<R::Response> {
        let frame = self.round_trip(request, version, timeout).await?;
        let (_, body) = read_response::<R>(frame, version)?;
        Ok(body)
    }

    /// Sends a request for which the broker sends no response (a Produce with `acks = 0`) and
    /// returns once it is written to the socket.
    pub async fn send_no_response<R: Request>(&self, request: &R, version: i16) -> Result<()> {
        let id = self.next_correlation_id();
        let frame = self.encode(request, id, version)?;
        let (tx, rx) = oneshot::channel();
        self.enqueue(Outgoing { frame, correlation_id: None, written: Some(tx) }).await?;
        rx.await.map_err(|_| self.current_dead_error())
    }

    /// Queues `request` at `version` for the writer and returns once it is queued, so that
    /// requests submitted one after the other are written in that order; the returned
    /// [`PendingResponse`] waits for the response, at most `timeout` from now. (The producer's
    /// sender pipelines its Produce requests this way and handles the responses in order.)
    pub(crate) async fn submit<R: Request>(
        &self,
        request: &R,
        version: i16,
        timeout: Duration,
    ) -> Result<PendingResponse<R>> {
        let id = self.next_correlation_id();
        let frame = self.encode(request, id, version)?;
        let (tx, rx) = oneshot::channel();
        let deadline = tokio::time::Instant::now() + timeout;
        {
            let mut st = self.inner.shared.state.lock().unwrap();
            if let Some(dead) = st.dead.clone() {
                drop(st);
                return Err(self.inner.shared.dead_error(&dead));
            }
            st.in_flight.insert(id, Waiter { tx, sent: false });
        }
        let slot = OwnedSlot { shared: self.inner.shared.clone(), id };
        self.inner
            .outgoing
            .send(Outgoing { frame, correlation_id: Some(id), written: None })
            .await
            .map_err(|_| self.current_dead_error())?;
        Ok(PendingResponse {
            conn: self.clone(),
            slot,
            rx,
            version,
            deadline,
            timeout,
            _request: std::marker::PhantomData,
        })
    }

    /// Queues a request for which the broker sends no response (a Produce with `acks = 0`), in
    /// order with [`submit`](Self::submit)ted ones, without waiting for the write; the returned
    /// future resolves once the frame is written to the socket (or fails if the connection
    /// died first, so the request was never sent).
    pub(crate) async fn submit_no_response<R: Request>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<impl std::future::Future<Output = Result<()>> + Send + 'static> {
        let id = self.next_correlation_id();
        let frame = self.encode(request, id, version)?;
        let (tx, rx) = oneshot::channel();
        self.enqueue(Outgoing { frame, correlation_id: None, written: Some(tx) }).await?;
        let conn = self.clone();
        Ok(async move { rx.await.map_err(|_| conn.current_dead_error()) })
    }

    /// Gives the connection up as broken: every request in flight fails with a retriable
    /// [`Error::Disconnected`] (saying `reason`) and the socket closes; the pool makes a new
    /// connection for the next request. For a caller that knows the broker will not answer on
    /// it any more — a request timed out, and a broker answers a connection's requests in
    /// order, so everything behind it would wait as long (Java disconnects the same way).
    pub(crate) fn abandon(&self, reason: &str) {
        self.inner.shared.fail_all(false, reason.to_string());
        let _ = self.inner.shutdown.send(true);
    }

    /// Fails every request in flight with [`Error::Closed`] and closes the socket.
    pub fn close(&self) {
        self.inner.shared.fail_all(true, "closed by the application".into());
        let _ = self.inner.shutdown.send(true);
    }

    fn next_correlation_id(&self) -> i32 {
        // Wraps from i32::MAX to negative ids, which Kafka accepts; no collision unless two
        // billion requests are in flight.
        self.inner.next_correlation_id.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
    }

    fn encode<R: Request>(&self, request: &R, correlation_id: i32, version: i16) -> Result<Bytes> {
        let size = request.encoded_size(version) + 64 + self.inner.config.client_id.len();
        let mut buf = self.inner.shared.frame_buffer(size);
        write_request(&mut buf, correlation_id, Some(&self.inner.config.client_id), version, request)
            .map_err(ProtocolError::from)?;
        Ok(buf.freeze())
    }

    fn current_dead_error(&self) -> Error {
        let shared = &self.inner.shared;
        let dead = shared.state.lock().unwrap().dead.clone();
        shared.dead_error(&dead.unwrap_or(Dead::Failed("the writer stopped".into())))
    }

    async fn enqueue(&self, out: Outgoing) -> Result<()> {
        if let Some(dead) = self.inner.shared.state.lock().unwrap().dead.clone() {
            return Err(self.inner.shared.dead_error(&dead));
        }
        self.inner.outgoing.send(out).await.map_err(|_| self.current_dead_error())
    }

    /// Sends a frame and waits for the response frame.
    async fn round_trip<R: Request>(&self, request: &R, version: i16, timeout: Duration) -> Result<Bytes> {
        let id = self.next_correlation_id();
        let frame = self.encode(request, id, version)?;
        let (tx, rx) = oneshot::channel();
        {
            let mut st = self.inner.shared.state.lock().unwrap();
            if let Some(dead) = st.dead.clone() {
                drop(st);
                return Err(self.inner.shared.dead_error(&dead));
            }
            st.in_flight.insert(id, Waiter { tx, sent: false });
        }
        // Whatever happens from here on, the slot must not outlive this call.
        let slot = SlotGuard { shared: &self.inner.shared, id };
        let wait = async {
            self.inner
                .outgoing
                .send(Outgoing { frame, correlation_id: Some(id), written: None })
                .await
                .map_err(|_| self.current_dead_error())?;
            rx.await.map_err(|_| self.current_dead_error())?
        };
        let result = match tokio::time::timeout(timeout, wait).await {
            Ok(r) => r,
            Err(_) => {
                debug!(broker = %self.addr(), api = ?R::API_KEY, correlation_id = id, "request timed out");
                Err(Error::Timeout { api: R::API_KEY, broker: self.addr().to_string(), after: timeout })
            }
        };
        drop(slot);
        result
    }
}

/// A request written (or queued to be written) whose response has not been read yet; see
/// [`Connection::submit`].
pub(crate) struct PendingResponse<R: Request> {
    conn: Connection,
    slot: OwnedSlot,
    rx: oneshot::Receiver<Reply>,
    version: i16,
    deadline: tokio::time::Instant,
    timeout: Duration,
    _request: std::marker::PhantomData<fn() -> R>,
}

impl<R: Request> PendingResponse<R> {
    /// Waits for the response (until the deadline set at submission) and decodes it.
    pub(crate) async fn wait(self) -> Result<R::Response> {
        let PendingResponse { conn, slot, rx, version, deadline, timeout, .. } = self;
        let result = match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Err(conn.current_dead_error()),
            Err(_) => {
                debug!(broker = %conn.addr(), api = ?R::API_KEY, correlation_id = slot.id, "request timed out");
                Err(Error::Timeout { api: R::API_KEY, broker: conn.addr().to_string(), after: timeout })
            }
        };
        drop(slot);
        let (_, body) = read_response::<R>(result?, version)?;
        Ok(body)
    }
}

/// [`SlotGuard`] for a request whose waiting outlives the call that submitted it.
struct OwnedSlot {
    shared: Arc<Shared>,
    id: i32,
}

impl Drop for OwnedSlot {
    fn drop(&mut self) {
        self.shared.state.lock().unwrap().in_flight.remove(&self.id);
    }
}

/// Removes a request's slot when its caller stops waiting (done, timed out or cancelled), so a
/// late response finds nobody and is discarded.
struct SlotGuard<'a> {
    shared: &'a Shared,
    id: i32,
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        self.shared.state.lock().unwrap().in_flight.remove(&self.id);
    }
}
