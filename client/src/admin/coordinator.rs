//! Requests to a group's coordinator: found with FindCoordinator (the consumer's lookup),
//! retried on the coordinator errors with a backoff until the deadline.

use std::future::Future;

use kafkit_protocol::ErrorCode;
use tokio::time::Instant;
use tracing::debug;

use super::{is_retriable, timed_out, Admin};
use crate::connection::Connection;
use crate::consumer::group::coordinator;
use crate::error::{Error, Result};

/// Whether `e`, met talking to the coordinator, means it must be looked up again: it moved or
/// is not there yet (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE), or the connection failed.
/// COORDINATOR_LOAD_IN_PROGRESS is retried at the same coordinator, as in Java.
fn coordinator_lost(e: &Error) -> bool {
    match e {
        Error::Io { .. } | Error::Timeout { .. } | Error::Disconnected { .. } => true,
        Error::Kafka { code, .. } => code.invalidates_coordinator() || *code == ErrorCode::BROKER_NOT_AVAILABLE,
        _ => false,
    }
}

impl Admin {
    /// Runs `op` with a connection to the coordinator of `group_id` (and the deadline) until
    /// it succeeds, fails with an error that retrying cannot fix, or the admin's timeout
    /// passes. `op` should turn the group-level codes of its answer into errors
    /// ([`Error::kafka`]) so that the coordinator ones are retried here.
    pub(super) async fn on_coordinator<T, F, Fut>(&self, group_id: &str, what: &str, mut op: F) -> Result<T>
    where
        F: FnMut(Connection, Instant) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let deadline = self.deadline();
        let mut backoff = Self::backoff();
        let mut known: Option<i32> = None;
        let mut last: Option<Error> = None;
        loop {
            let attempt = async {
                let node = match known {
                    Some(node) => node,
                    None => {
                        let node = self.find_coordinator(group_id, deadline).await?;
                        known = Some(node);
                        node
                    }
                };
                let conn = match self.client.connection(node).await {
                    Err(e) if e.code() == Some(ErrorCode::BROKER_NOT_AVAILABLE) => {
                        // A coordinator the snapshot does not have yet.
                        self.client.refresh_metadata().await?;
                        self.client.connection(node).await?
                    }
                    other => other?,
                };
                op(conn, deadline).await
            };
            match tokio::time::timeout_at(deadline, attempt).await {
                Err(_) => return Err(timed_out(what, self.timeout, last)),
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) if is_retriable(&e) => {
                    debug!(group = %group_id, "{what} failed: {e}; retrying");
                    if coordinator_lost(&e) {
                        known = None;
                    }
                    if e.invalidates_metadata() {
                        self.client.invalidate();
                    }
                    last = Some(e);
                }
                Ok(Err(e)) => return Err(e),
            }
            if !backoff.sleep_before(deadline).await {
                return Err(timed_out(what, self.timeout, last));
            }
        }
    }

    /// The coordinator of `group_id`, asked of the brokers in random order (the consumer's
    /// lookup); the last error if none answers, an error that retrying cannot fix
    /// (authorization) at once.
    async fn find_coordinator(&self, group_id: &str, deadline: Instant) -> Result<i32> {
        let (node_id, _addr) = coordinator::locate(&self.client, group_id, self.request_timeout(deadline)).await?;
        Ok(node_id)
    }
}
