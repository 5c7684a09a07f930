//! One connection per broker, created on demand and replaced when dead, with exponential
//! backoff between failed attempts to the same broker.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::time::Instant;
use tracing::debug;

use crate::backoff::Backoff;
use crate::config::{ClientConfig, ConnectionConfig};
use crate::connection::Connection;
use crate::error::{Error, Result};

struct Slot {
    /// The live connection, read without waiting.
    conn: Mutex<Option<Connection>>,
    /// Held while connecting, so that concurrent callers make one attempt, not many.
    connecting: tokio::sync::Mutex<Attempts>,
}

struct Attempts {
    backoff: Backoff,
    /// No attempt before this instant (set after a failure).
    not_before: Option<Instant>,
}

pub(super) struct Pool {
    config: ConnectionConfig,
    backoff: Backoff,
    slots: Mutex<HashMap<i32, Arc<Slot>>>,
    closed: AtomicBool,
}

impl Slot {
    fn live(&self, addr: &str) -> Option<Connection> {
        self.conn.lock().unwrap().as_ref().filter(|c| !c.is_dead() && c.addr() == addr).cloned()
    }
}

impl Pool {
    pub(super) fn new(config: &ClientConfig) -> Self {
        Pool {
            config: config.connection_config(),
            backoff: Backoff::new(config.reconnect_backoff, config.reconnect_backoff_max),
            slots: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
        }
    }

    pub(super) fn connection_config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// The live connection to broker `id` at `addr`, connecting (after the backoff, if the
    /// last attempt failed) when there is none.
    pub(super) async fn get(&self, id: i32, addr: &str) -> Result<Connection> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        let slot = {
            let mut slots = self.slots.lock().unwrap();
            slots
                .entry(id)
                .or_insert_with(|| {
                    Arc::new(Slot {
                        conn: Mutex::new(None),
                        connecting: tokio::sync::Mutex::new(Attempts {
                            backoff: self.backoff.clone(),
                            not_before: None,
                        }),
                    })
                })
                .clone()
        };
        if let Some(c) = slot.live(addr) {
            return Ok(c);
        }
        let mut attempts = slot.connecting.lock().await;
        if let Some(c) = slot.live(addr) {
            return Ok(c);
        }
        if let Some(t) = attempts.not_before {
            tokio::time::sleep_until(t).await;
        }
        match Connection::connect_to(addr, Some(id), &self.config).await {
            Ok(conn) => {
                attempts.backoff.reset();
                attempts.not_before = None;
                if let Some(old) = slot.conn.lock().unwrap().replace(conn.clone()) {
                    old.close();
                }
                if self.closed.load(Ordering::Acquire) {
                    conn.close();
                    return Err(Error::Closed);
                }
                Ok(conn)
            }
            Err(e) => {
                let delay = attempts.backoff.next_delay();
                debug!(broker = id, %addr, ?delay, failures = attempts.backoff.failures(), "connect failed: {e}");
                attempts.not_before = Some(Instant::now() + delay);
                Err(e)
            }
        }
    }

    /// The live connection to broker `id` at `addr`, if there is one (never connects).
    pub(super) fn live(&self, id: i32, addr: &str) -> Option<Connection> {
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        let slot = self.slots.lock().unwrap().get(&id).cloned()?;
        slot.live(addr)
    }

    /// Closes every connection; later calls fail with [`Error::Closed`].
    pub(super) fn close_all(&self) {
        self.closed.store(true, Ordering::Release);
        let slots: Vec<_> = self.slots.lock().unwrap().values().cloned().collect();
        for slot in slots {
            if let Some(c) = slot.conn.lock().unwrap().take() {
                c.close();
            }
        }
    }
}
