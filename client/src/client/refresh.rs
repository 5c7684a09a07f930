//! Fetching metadata: from the bootstrap servers, and in the background task that refreshes
//! it on age and on demand, one request serving every caller that asked while it waited.

use std::sync::Arc;

use kafkit_protocol::messages::metadata_request::MetadataRequestTopic;
use kafkit_protocol::messages::MetadataRequest;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tracing::{debug, warn};

use super::Shared;
use crate::backoff::Backoff;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::metadata::Metadata;

/// A refresh request; `None` asks for a refresh without waiting for its result.
pub(super) type RefreshRequest = Option<oneshot::Sender<Result<Arc<Metadata>>>>;

fn request_for(topics: &[String], allow_auto_create: bool) -> MetadataRequest {
    MetadataRequest {
        topics: Some(
            topics.iter().map(|t| MetadataRequestTopic { name: Some(t.clone()), ..Default::default() }).collect(),
        ),
        allow_auto_topic_creation: allow_auto_create,
        ..Default::default()
    }
}

async fn fetch(shared: &Shared, conn: &Connection, topics: &[String]) -> Result<Metadata> {
    let resp = conn.send(&request_for(topics, shared.config.allow_auto_create_topics)).await?;
    Ok(Metadata::from_response(&resp))
}

/// Metadata from the first bootstrap server that answers, tried in random order; each
/// bootstrap connection is closed after use.
pub(super) async fn bootstrap(shared: &Shared, topics: &[String]) -> Result<Metadata> {
    let mut addrs = shared.config.bootstrap_servers.clone();
    fastrand::shuffle(&mut addrs);
    let mut errors = Vec::new();
    for addr in addrs {
        let result = match Connection::connect(&addr, shared.pool.connection_config()).await {
            Ok(conn) => {
                let r = fetch(shared, &conn, topics).await;
                conn.close();
                r
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(md) => return Ok(md),
            Err(e) => {
                debug!(%addr, "bootstrap server failed: {e}");
                errors.push((addr, e));
            }
        }
    }
    Err(Error::NoBrokerAvailable(errors))
}

/// Metadata from any known broker (random order), else from the bootstrap servers.
async fn refresh_once(shared: &Shared) -> Result<Metadata> {
    let topics: Vec<String> = shared.topics.lock().unwrap().iter().cloned().collect();
    let mut brokers: Vec<_> = shared.metadata.load().brokers().map(|b| (b.id, b.addr())).collect();
    fastrand::shuffle(&mut brokers);
    for (id, addr) in brokers {
        let result = match shared.pool.get(id, &addr).await {
            Ok(conn) => fetch(shared, &conn, &topics).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(md) => return Ok(md),
            Err(Error::Closed) => return Err(Error::Closed),
            Err(e) => debug!(broker = id, %addr, "metadata request failed: {e}"),
        }
    }
    bootstrap(shared, &topics).await
}

/// The background task: refreshes when the snapshot reaches `metadata_max_age` and whenever
/// asked; requests that arrive while a refresh runs are answered by the next one.
pub(super) async fn run(
    shared: Arc<Shared>,
    mut requests: mpsc::UnboundedReceiver<RefreshRequest>,
    mut shutdown: watch::Receiver<bool>,
) {
    let max_age = shared.config.metadata_max_age;
    let mut retry = Backoff::new(shared.config.reconnect_backoff, shared.config.reconnect_backoff_max);
    let mut due = Instant::now() + max_age;
    loop {
        let mut waiters = Vec::new();
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            _ = tokio::time::sleep_until(due) => debug!("metadata reached metadata.max.age.ms; refreshing"),
            req = requests.recv() => match req {
                Some(w) => waiters.extend(w),
                None => break,
            },
        }
        while let Ok(w) = requests.try_recv() {
            waiters.extend(w);
        }
        let result = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            r = refresh_once(&shared) => r.map(Arc::new),
        };
        match &result {
            Ok(md) => {
                shared.metadata.store(md.clone());
                retry.reset();
                due = Instant::now() + max_age;
            }
            Err(e) => {
                let delay = retry.next_delay();
                warn!(?delay, "metadata refresh failed: {e}");
                due = Instant::now() + delay.min(max_age);
            }
        }
        for w in waiters {
            let _ = w.send(result.clone());
        }
    }
    debug!("metadata task stopped");
}
