//! The coordinator's shared core: one lock over every group and over which broker coordinates
//! which key, plus the timer tasks that re-take that lock when a deadline passes.
//!
//! Lock discipline: the core lock is never held across an `.await`, and never taken while the
//! cluster's `state` lock is held (nor the other way round): callers read what they need from
//! `cluster.state` first, release it, then lock the core.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Weak};
use std::time::Duration;

use kafkit_protocol::ErrorCode;
use tokio::time::Instant;

use super::state::Group;
use crate::cluster::Cluster;

/// `FindCoordinator` key type of consumer groups.
pub(super) const KEY_GROUP: i8 = 0;
/// `FindCoordinator` key type of transactional ids.
pub(super) const KEY_TRANSACTION: i8 = 1;

/// The group settings of the cluster config.
#[derive(Debug, Clone, Copy)]
pub(super) struct GroupConfig {
    pub min_session_timeout: Duration,
    pub max_session_timeout: Duration,
    pub initial_rebalance_delay: Duration,
}

/// What group logic needs besides the group itself: the settings, and a way to start timers.
pub(super) struct Cx {
    pub config: GroupConfig,
    core: Weak<Core>,
}

/// Every group, behind one lock.
pub(super) struct Core {
    pub cx: Cx,
    inner: Mutex<Inner>,
}

/// The state under the lock.
#[derive(Default)]
pub(super) struct Inner {
    /// Every group by id (a deleted group is removed, not kept as `Dead`).
    pub groups: HashMap<String, Group>,
    /// Which broker coordinates a (key type, key); assigned on first use, kept until that
    /// broker stops (so a coordinator does not move back when a broker restarts).
    coordinators: HashMap<(i8, String), i32>,
}

/// The brokers, read from the cluster state before the core lock is taken.
pub(super) struct Brokers {
    /// Every broker id, sorted.
    all: Vec<i32>,
    /// The ids of the brokers that are up, sorted.
    up: Vec<i32>,
    /// Every broker's host and port.
    addrs: BTreeMap<i32, (String, u16)>,
}

impl Brokers {
    pub fn read(cluster: &Cluster) -> Self {
        let st = cluster.state.lock().unwrap_or_else(|e| e.into_inner());
        Brokers {
            all: st.brokers.keys().copied().collect(),
            up: st.up_brokers(),
            addrs: st.brokers.iter().map(|(id, b)| (*id, (b.host.clone(), b.port))).collect(),
        }
    }

    /// A broker's host and port.
    pub fn addr(&self, id: i32) -> Option<&(String, u16)> {
        self.addrs.get(&id)
    }
}

/// A deterministic string hash (FNV-1a), so that placement does not change between runs.
fn hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A new unique token, naming one timer.
pub(super) fn next_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A new member id: `prefix-` and a random-looking UUID, as Kafka makes them.
pub(super) fn new_member_id(prefix: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let token = next_token();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let mut words = [0u64; 2];
    for (i, w) in words.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(token);
        h.write_u128(nanos);
        h.write_usize(i);
        *w = h.finish();
    }
    let [a, b] = words;
    format!(
        "{prefix}-{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

impl Core {
    pub fn new(config: GroupConfig) -> std::sync::Arc<Core> {
        std::sync::Arc::new_cyclic(|weak| Core { cx: Cx { config, core: weak.clone() }, inner: Mutex::default() })
    }

    /// Locks the core (a panic elsewhere does not poison it for good).
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    /// The broker coordinating `key`, or None when no broker is up.
    ///
    /// A key's home is a hash of the key over every broker id; if its home is down, a hash over
    /// the live brokers. The choice sticks until the chosen broker stops.
    pub fn coordinator(&mut self, brokers: &Brokers, key_type: i8, key: &str) -> Option<i32> {
        let k = (key_type, key.to_string());
        if let Some(b) = self.coordinators.get(&k) {
            if brokers.up.contains(b) {
                return Some(*b);
            }
        }
        if brokers.up.is_empty() || brokers.all.is_empty() {
            return None;
        }
        let h = hash(key);
        let home = brokers.all[(h % brokers.all.len() as u64) as usize];
        let chosen = if brokers.up.contains(&home) { home } else { brokers.up[(h % brokers.up.len() as u64) as usize] };
        self.coordinators.insert(k, chosen);
        Some(chosen)
    }

    /// Ok if `broker` coordinates group `group_id`; NOT_COORDINATOR if another broker does.
    pub fn check_coordinator(&mut self, brokers: &Brokers, broker: i32, group_id: &str) -> Result<(), ErrorCode> {
        match self.coordinator(brokers, KEY_GROUP, group_id) {
            Some(b) if b == broker => Ok(()),
            Some(_) => Err(ErrorCode::NOT_COORDINATOR),
            None => Err(ErrorCode::COORDINATOR_NOT_AVAILABLE),
        }
    }

    /// Forgets every key `broker` coordinated; returns the group ids among them.
    pub fn forget_broker(&mut self, broker: i32) -> Vec<String> {
        let mut groups = Vec::new();
        self.coordinators.retain(|(kt, key), b| {
            if *b != broker {
                return true;
            }
            if *kt == KEY_GROUP {
                groups.push(key.clone());
            }
            false
        });
        groups
    }
}

/// What a timer watches. Each timer names its group by id and uid (a group deleted and created
/// again is another group) and carries a token that the watched state must still hold for the
/// timer to act: a superseded timer finds another token and ends.
#[derive(Debug, Clone)]
pub(super) enum TimerKind {
    /// A member's session (the member whose `timer` is the token).
    Session,
    /// A member id handed out with MEMBER_ID_REQUIRED that has not joined yet.
    Pending(String),
    /// The rebalance of a group in PreparingRebalance.
    Rebalance,
    /// The SyncGroup requests expected after a join completed.
    Sync,
}

impl Cx {
    /// Starts a timer task that wakes at `at` and lets the group act (and maybe sleep again).
    /// Outside a tokio runtime nothing is started (the deadline then never fires).
    pub fn start_timer(&self, group_id: &str, uid: u64, kind: TimerKind, token: u64, at: Instant) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
        rt.spawn(run_timer(self.core.clone(), group_id.to_string(), uid, kind, token, at));
    }
}

async fn run_timer(core: Weak<Core>, group_id: String, uid: u64, kind: TimerKind, token: u64, mut at: Instant) {
    loop {
        tokio::time::sleep_until(at).await;
        let Some(core) = core.upgrade() else { return };
        let next = {
            let mut inner = core.lock();
            match inner.groups.get_mut(&group_id) {
                Some(g) if g.uid == uid => g.fire(&core.cx, &kind, token, Instant::now()),
                _ => None,
            }
        };
        match next {
            Some(t) => at = t,
            None => return,
        }
    }
}
