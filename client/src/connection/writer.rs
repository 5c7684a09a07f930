//! The writer task: the only code that writes to the socket.

use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, watch};
use tracing::debug;

use super::{Outgoing, Shared};

/// Writes frames in the order they were queued until the socket fails, the connection is
/// closed, or every handle is gone.
pub(crate) async fn run(
    shared: Arc<Shared>,
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Outgoing>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let out = tokio::select! {
            out = rx.recv() => out,
            _ = shutdown.wait_for(|stop| *stop) => None,
        };
        let Some(out) = out else { break };
        if let Err(e) = wr.write_all(&out.frame).await {
            debug!(broker = %shared.addr, "write failed: {e}");
            shared.fail_all(false, format!("write failed: {e}"));
            break;
        }
        if let Some(id) = out.correlation_id {
            shared.mark_sent(id);
        }
        if let Some(written) = out.written {
            let _ = written.send(());
        }
        shared.recycle(out.frame);
    }
    let _ = wr.shutdown().await;
}
