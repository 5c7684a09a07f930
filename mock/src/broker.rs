//! A broker: its listener, and one task per client connection that reads requests, answers
//! them in order (as a Kafka broker does: one request at a time per connection) and applies the
//! armed faults to the answers.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use kafkit_protocol::codec::Reader;
use kafkit_protocol::header::{read_request, response_header_version, ResponseHeader};
use kafkit_protocol::messages::api_versions_response::ApiVersion;
use kafkit_protocol::messages::{ApiVersionsResponse, Message, ResponseBody};
use kafkit_protocol::{ApiKey, ErrorCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tracing::{debug, warn};

use crate::cluster::Cluster;
use crate::faults::Action;
use crate::handlers;

/// Frames larger than this close the connection (Kafka's `socket.request.max.bytes`).
const MAX_FRAME: usize = 100 * 1024 * 1024;

/// What a handler needs to know about the request it answers.
#[derive(Debug, Clone)]
pub(crate) struct RequestCtx {
    pub broker: i32,
    pub version: i16,
    /// The client id of the request (member ids are built from it).
    pub client_id: String,
}

pub(crate) async fn serve(cluster: Arc<Cluster>, broker: i32, listener: TcpListener, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    debug!(broker, %peer, "connection accepted");
                    let _ = stream.set_nodelay(true);
                    let kill = cluster.connection_killer(broker);
                    tokio::spawn(connection(cluster.clone(), broker, stream, kill));
                }
                Err(e) => {
                    warn!(broker, "accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            _ = stop.changed() => return,
        }
    }
}

async fn read_frame(rd: &mut OwnedReadHalf) -> std::io::Result<Option<Bytes>> {
    let mut len = [0u8; 4];
    match rd.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = i32::from_be_bytes(len);
    if len < 0 || len as usize > MAX_FRAME {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("frame size {len} out of range")));
    }
    let mut buf = vec![0u8; len as usize];
    rd.read_exact(&mut buf).await?;
    Ok(Some(Bytes::from(buf)))
}

async fn connection(cluster: Arc<Cluster>, broker: i32, stream: TcpStream, mut kill: watch::Receiver<u64>) {
    let (mut rd, mut wr) = stream.into_split();
    loop {
        let frame = tokio::select! {
            f = read_frame(&mut rd) => f,
            _ = kill.changed() => { debug!(broker, "connection dropped by the test"); return; }
        };
        let frame = match frame {
            Ok(Some(f)) => f,
            Ok(None) => return,
            Err(e) => {
                warn!(broker, "closing connection: {e}");
                return;
            }
        };
        let (header, body) = match read_request(frame.clone()) {
            Ok(x) => x,
            Err(e) => {
                if let Some(correlation_id) = unsupported_api_versions(&frame) {
                    // Kafka answers an ApiVersions it cannot parse with a v0 UNSUPPORTED_VERSION
                    // response listing what it does support, so that the client can retry.
                    let resp = ApiVersionsResponse {
                        error_code: ErrorCode::UNSUPPORTED_VERSION.code(),
                        api_keys: supported_apis(&cluster),
                        ..Default::default()
                    };
                    let _ =
                        write(&mut wr, correlation_id, ApiKey::ApiVersions, 0, &ResponseBody::ApiVersions(resp)).await;
                    continue;
                }
                warn!(broker, "closing connection: malformed or unsupported request: {e}");
                return;
            }
        };
        let api = body.api_key();
        cluster.record_request(broker, &header, &body);
        let ctx =
            RequestCtx { broker, version: header.api_version, client_id: header.client_id.clone().unwrap_or_default() };
        let actions = cluster.faults.response_actions(api, broker);
        let response = handlers::handle(&cluster, &ctx, body).await;
        let mut response = match response {
            Some(r) => r,
            None => continue, // acks=0 produce: no answer
        };
        for action in &actions {
            match action {
                Action::Delay(d) => tokio::time::sleep(*d).await,
                Action::DropConnection => {
                    debug!(broker, ?api, "dropping the connection instead of answering");
                    return;
                }
                Action::Throttle(ms) => handlers::set_throttle(&mut response, *ms),
                Action::Error(_) => {}
            }
        }
        if let Err(e) = write(&mut wr, header.correlation_id, api, header.api_version, &response).await {
            debug!(broker, "write failed: {e}");
            return;
        }
    }
}

/// The correlation id of an ApiVersions request at a version kafkit cannot parse.
fn unsupported_api_versions(frame: &Bytes) -> Option<i32> {
    let mut r = Reader::new(frame.clone());
    let key = r.i16().ok()?;
    let version = r.i16().ok()?;
    let correlation_id = r.i32().ok()?;
    let supported = kafkit_protocol::messages::ApiVersionsRequest::supports(version);
    (key == ApiKey::ApiVersions.as_i16() && !supported).then_some(correlation_id)
}

/// The APIs the mock answers, with the versions it accepts: every version kafkit-protocol
/// implements, except that, like Kafka 4.0, Produce starts at v3 and Fetch at v4 (the mock stores
/// record batches v2 only). Ranges set with
/// [`MockClusterBuilder::advertise_versions`](crate::MockClusterBuilder::advertise_versions)
/// replace these.
pub(crate) fn supported_apis(cluster: &Cluster) -> Vec<ApiVersion> {
    kafkit_protocol::messages::IMPLEMENTED
        .iter()
        .filter(|(k, _, _)| handlers::HANDLED.contains(k))
        .map(|(k, lo, hi)| {
            let lo = match k {
                ApiKey::Produce => 3,
                ApiKey::Fetch => 4,
                _ => *lo,
            };
            let (lo, hi) = cluster
                .config
                .advertised_versions
                .iter()
                .find(|(api, _, _)| api == k)
                .map_or((lo, *hi), |&(_, lo, hi)| (lo, hi));
            ApiVersion { api_key: k.as_i16(), min_version: lo, max_version: hi, ..Default::default() }
        })
        .collect()
}

async fn write(
    wr: &mut OwnedWriteHalf,
    correlation_id: i32,
    api: ApiKey,
    version: i16,
    body: &ResponseBody,
) -> std::io::Result<()> {
    let header = ResponseHeader { correlation_id, unknown_tagged_fields: Vec::new() };
    let hv = response_header_version(api, version);
    let mut buf = BytesMut::new();
    buf.put_i32(0);
    header.encode(&mut buf, hv);
    body.encode(&mut buf, version).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
    let size = (buf.len() - 4) as i32;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    wr.write_all(&buf).await
}
