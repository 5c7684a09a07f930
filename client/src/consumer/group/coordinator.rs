//! Finding the group coordinator (FindCoordinator) and connecting to it.
//!
//! The group task talks to its coordinator on a connection of its own, as the Java client does
//! (it gives the coordinator a separate node id): a broker answers a connection's requests one
//! at a time, so a JoinGroup parked for a whole rebalance must not hold up the fetches and
//! metadata requests that share the pooled connection to that broker.

use std::time::Duration;

use kafkit_protocol::messages::find_coordinator_response::Coordinator;
use kafkit_protocol::messages::{FindCoordinatorRequest, FindCoordinatorResponse};
use kafkit_protocol::ErrorCode;
use tracing::debug;

use crate::client::Client;
use crate::connection::Connection;
use crate::error::{Error, Result};

/// `FindCoordinator` key type of consumer groups.
const KEY_TYPE_GROUP: i8 = 0;

/// The coordinator found, and a connection of the group task's own to it.
pub(super) struct Found {
    pub node_id: i32,
    pub conn: Connection,
}

/// The FindCoordinator request for `group_id` at `version` (v4+: the batched form).
fn request(group_id: &str, version: i16) -> FindCoordinatorRequest {
    if version >= 4 {
        FindCoordinatorRequest {
            key_type: KEY_TYPE_GROUP,
            coordinator_keys: vec![group_id.to_string()],
            ..Default::default()
        }
    } else {
        FindCoordinatorRequest { key: group_id.to_string(), key_type: KEY_TYPE_GROUP, ..Default::default() }
    }
}

/// The coordinator's node id and `host:port` from a FindCoordinator answer, or its error.
fn read(group_id: &str, version: i16, resp: FindCoordinatorResponse) -> Result<(i32, String)> {
    let c = if version >= 4 {
        resp.coordinators.into_iter().find(|c| c.key == group_id).unwrap_or(Coordinator {
            error_code: ErrorCode::COORDINATOR_NOT_AVAILABLE.code(),
            error_message: Some("the answer does not name the group".into()),
            ..Default::default()
        })
    } else {
        Coordinator {
            key: group_id.to_string(),
            node_id: resp.node_id,
            host: resp.host,
            port: resp.port,
            error_code: resp.error_code,
            error_message: resp.error_message,
            ..Default::default()
        }
    };
    let code = ErrorCode::from_i16(c.error_code);
    if !code.is_ok() {
        let detail = c
            .error_message
            .filter(|m| !m.is_empty() && m != code.description())
            .map(|m| format!(" ({m})"))
            .unwrap_or_default();
        let hint = if code == ErrorCode::GROUP_AUTHORIZATION_FAILED {
            "; grant this principal DESCRIBE on the group"
        } else {
            ""
        };
        return Err(Error::kafka(code, format!("finding the coordinator of group {group_id}{detail}{hint}")));
    }
    let port = u16::try_from(c.port).ok().filter(|p| *p != 0);
    match port {
        Some(port) if c.node_id >= 0 && !c.host.is_empty() => {
            let addr = if c.host.contains(':') { format!("[{}]:{port}", c.host) } else { format!("{}:{port}", c.host) };
            Ok((c.node_id, addr))
        }
        _ => Err(Error::kafka(
            ErrorCode::COORDINATOR_NOT_AVAILABLE,
            format!(
                "finding the coordinator of group {group_id}: the broker named node {} at {}:{}, which is not an address",
                c.node_id, c.host, c.port
            ),
        )),
    }
}

/// Whether a failed lookup should stop the group rather than be retried.
pub(crate) fn is_fatal(e: &Error) -> bool {
    matches!(e, Error::Version(_)) || e.code() == Some(ErrorCode::GROUP_AUTHORIZATION_FAILED)
}

/// Asks the brokers (in random order) for the coordinator of `group_id` and connects to it.
/// The last failure is returned if no broker answers or the coordinator cannot be reached; a
/// fatal answer (authorization) is returned at once.
pub(super) async fn find(client: Client, group_id: String) -> Result<Found> {
    let timeout = client.config().request_timeout;
    let (node_id, addr) = locate(&client, &group_id, timeout).await?;
    let config = client.config().connection_config();
    let conn = Connection::connect_to(&addr, Some(node_id), &config).await?;
    debug!(group = %group_id, node_id, %addr, "found the group coordinator");
    Ok(Found { node_id, conn })
}

/// The node id and `host:port` of the coordinator of `group_id`, asked of the brokers in
/// random order (each request waiting at most `timeout`); the last failure if none answers, a
/// fatal answer (authorization) at once.
pub(crate) async fn locate(client: &Client, group_id: &str, timeout: Duration) -> Result<(i32, String)> {
    let mut ids: Vec<i32> = client.metadata().brokers().map(|b| b.id).collect();
    if ids.is_empty() {
        ids = client.refresh_metadata().await?.brokers().map(|b| b.id).collect();
    }
    fastrand::shuffle(&mut ids);
    let mut last = None;
    for id in ids {
        match ask(client, id, group_id, timeout).await {
            Ok(found) => return Ok(found),
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => {
                debug!(group = %group_id, broker = id, "FindCoordinator failed: {e}");
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| {
        Error::kafka(
            ErrorCode::COORDINATOR_NOT_AVAILABLE,
            format!("finding the coordinator of group {group_id}: no broker is known"),
        )
    }))
}

async fn ask(client: &Client, broker: i32, group_id: &str, timeout: Duration) -> Result<(i32, String)> {
    let conn = client.connection(broker).await?;
    let version = conn.version_of::<FindCoordinatorRequest>()?;
    let resp = conn.send_with(&request(group_id, version), version, timeout).await?;
    read(group_id, version, resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_by_version() {
        let v4 = request("g", 4);
        assert_eq!((v4.coordinator_keys.clone(), v4.key_type), (vec!["g".to_string()], 0));
        let v3 = request("g", 3);
        assert_eq!((v3.key.as_str(), v3.key_type), ("g", 0));
        assert!(v3.coordinator_keys.is_empty());
    }

    #[test]
    fn answers_by_version() {
        let v4 = FindCoordinatorResponse {
            coordinators: vec![
                Coordinator { key: "other".into(), node_id: 9, host: "x".into(), port: 1, ..Default::default() },
                Coordinator { key: "g".into(), node_id: 2, host: "::1".into(), port: 9093, ..Default::default() },
            ],
            ..Default::default()
        };
        assert_eq!(read("g", 4, v4).unwrap(), (2, "[::1]:9093".to_string()));
        let v0 = FindCoordinatorResponse { node_id: 1, host: "b1".into(), port: 9092, ..Default::default() };
        assert_eq!(read("g", 0, v0).unwrap(), (1, "b1:9092".to_string()));
        let busy = FindCoordinatorResponse {
            error_code: ErrorCode::COORDINATOR_NOT_AVAILABLE.code(),
            node_id: -1,
            ..Default::default()
        };
        let e = read("g", 3, busy).unwrap_err();
        assert!(e.is_retriable() && !is_fatal(&e), "{e}");
        let denied = FindCoordinatorResponse {
            coordinators: vec![Coordinator {
                key: "g".into(),
                error_code: ErrorCode::GROUP_AUTHORIZATION_FAILED.code(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let e = read("g", 4, denied).unwrap_err();
        assert!(is_fatal(&e) && e.to_string().contains("DESCRIBE"), "{e}");
        let nonsense = FindCoordinatorResponse { node_id: 1, host: "h".into(), port: 70000, ..Default::default() };
        assert!(read("g", 2, nonsense).unwrap_err().is_retriable());
        let missing = FindCoordinatorResponse::default();
        assert!(read("g", 4, missing).unwrap_err().is_retriable());
    }
}
