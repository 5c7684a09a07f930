//! A minimal raw-protocol client for the mock's tests: framed requests over TCP, nothing more.
#![allow(dead_code)]

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use kafkit_protocol::header::{read_response, write_request};
use kafkit_protocol::messages::Request;
use kafkit_protocol::record::{Compression, RecordBatchBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Conn {
    stream: TcpStream,
    correlation_id: i32,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> Conn {
        Conn { stream: TcpStream::connect(addr).await.expect("connect to the mock"), correlation_id: 0 }
    }

    pub async fn write<R: Request>(&mut self, version: i16, req: &R) -> i32 {
        self.correlation_id += 1;
        let mut buf = BytesMut::new();
        write_request(&mut buf, self.correlation_id, Some("mock-test"), version, req).expect("encode");
        self.stream.write_all(&buf).await.expect("write");
        self.correlation_id
    }

    /// Reads one response frame; `None` if the connection was closed.
    pub async fn read_frame(&mut self) -> Option<Bytes> {
        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len).await.ok()?;
        let mut frame = vec![0u8; i32::from_be_bytes(len) as usize];
        self.stream.read_exact(&mut frame).await.ok()?;
        Some(Bytes::from(frame))
    }

    pub async fn send<R: Request>(&mut self, version: i16, req: &R) -> R::Response {
        let id = self.write(version, req).await;
        let frame = self.read_frame().await.expect("a response");
        let (header, resp) = read_response::<R>(frame, version).expect("decode response");
        assert_eq!(header.correlation_id, id);
        resp
    }

    /// Sends and expects the connection to close instead of an answer.
    pub async fn send_expect_close<R: Request>(&mut self, version: i16, req: &R) {
        self.write(version, req).await;
        assert!(self.read_frame().await.is_none(), "expected the connection to close");
    }

    pub async fn raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }
}

/// A batch of `values` (keys `k0`, `k1`, ...), timestamps from `ts`.
pub fn batch(values: &[&str], ts: i64) -> Bytes {
    let mut b = RecordBatchBuilder::new(0).with_compression(Compression::None);
    for (i, v) in values.iter().enumerate() {
        b.append(ts + i as i64, Some(format!("k{i}").as_bytes()), Some(v.as_bytes()), &[]).unwrap();
    }
    b.finish().unwrap()
}

/// An idempotent (or transactional) batch.
pub fn producer_batch(values: &[&str], pid: i64, epoch: i16, seq: i32, transactional: bool) -> Bytes {
    let mut b = RecordBatchBuilder::new(0).with_transactional(transactional);
    b.set_producer_state(pid, epoch, seq);
    for v in values {
        b.append(1_700_000_000_000, None, Some(v.as_bytes()), &[]).unwrap();
    }
    b.finish().unwrap()
}
