//! The reader task: reads response frames and routes each to its waiting caller.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::watch;
use tracing::debug;

use super::Shared;

/// The most a frame buffer grows by before the bytes behind it have arrived, so that a
/// corrupt or hostile size prefix cannot make the client allocate it up front.
const READ_CHUNK: usize = 64 * 1024;

/// Reads one frame (without its size prefix). `Ok(None)` at a clean end of stream between
/// frames.
pub(crate) async fn read_frame<R: AsyncRead + Unpin>(rd: &mut R, max: usize) -> Result<Option<Bytes>, String> {
    let mut len = [0u8; 4];
    match rd.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(format!("read failed: {e}")),
    }
    let len = i32::from_be_bytes(len);
    if len < 4 {
        return Err(format!("the broker sent a frame of {len} bytes, too short for a response header"));
    }
    let len = len as usize;
    if len > max {
        return Err(format!(
            "the broker sent a frame of {len} bytes, over the limit of {max} (raise receive.message.max.bytes \
             if this is expected)"
        ));
    }
    let mut buf = BytesMut::with_capacity(len.min(READ_CHUNK));
    while buf.len() < len {
        let want = (len - buf.len()).min(READ_CHUNK);
        buf.reserve(want);
        let n = (&mut *rd).take(want as u64).read_buf(&mut buf).await.map_err(|e| format!("read failed: {e}"))?;
        if n == 0 {
            return Err(format!("connection closed in the middle of a {len}-byte frame"));
        }
    }
    Ok(Some(buf.freeze()))
}

/// Reads frames until the socket fails or closes, or the connection is shut down; then fails
/// every request still in flight.
pub(crate) async fn run(shared: Arc<Shared>, mut rd: OwnedReadHalf, max: usize, mut shutdown: watch::Receiver<bool>) {
    let reason = loop {
        let frame = tokio::select! {
            f = read_frame(&mut rd, max) => f,
            _ = shutdown.wait_for(|stop| *stop) => break None,
        };
        match frame {
            Ok(Some(frame)) => {
                let id = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
                if !shared.complete(id, frame) {
                    debug!(broker = %shared.addr, correlation_id = id, "discarding a response nobody waits for");
                }
            }
            Ok(None) => break Some("the broker closed the connection".to_string()),
            Err(reason) => break Some(reason),
        }
    };
    match reason {
        Some(reason) => shared.fail_all(false, reason),
        None => shared.fail_all(true, "closed".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_are_bounded_and_allocated_as_bytes_arrive() {
        // A size prefix over the maximum is refused before anything is allocated.
        let mut input: &[u8] = &[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1];
        let err = read_frame(&mut input, 1 << 20).await.unwrap_err();
        assert!(err.contains("over the limit"), "{err}");
        // A large claimed size whose bytes never come fails without growing past what arrived.
        let mut input: &[u8] = &[0, 0x10, 0, 0, 1, 2, 3, 4, 5];
        let err = read_frame(&mut input, 100 << 20).await.unwrap_err();
        assert!(err.contains("middle of a 1048576-byte frame"), "{err}");
        // Too short for a correlation id.
        let mut input: &[u8] = &[0, 0, 0, 2, 1, 2];
        assert!(read_frame(&mut input, 1024).await.is_err());
        // A whole frame, read across chunks.
        let mut bytes = vec![0, 3, 0, 0];
        bytes.extend((0..0x30000u32).map(|i| i as u8));
        let frame = read_frame(&mut bytes.as_slice(), 1 << 20).await.unwrap().unwrap();
        assert_eq!(frame.len(), 0x30000);
        assert_eq!(&frame[..], &bytes[4..]);
        // End of stream between frames.
        assert_eq!(read_frame(&mut (&[] as &[u8]), 1024).await.unwrap(), None);
    }
}
