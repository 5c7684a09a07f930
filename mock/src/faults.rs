//! Fault injection: errors, delays, dropped connections and throttling, armed from the test.

use std::sync::Mutex;
use std::time::Duration;

use kafkit_protocol::{ApiKey, ErrorCode};

/// An error to return instead of the normal answer, for the next `times` matching requests (or
/// partitions of a request, for Produce, Fetch and ListOffsets).
///
/// ```
/// use kafkit_mock::Fault;
/// use kafkit_protocol::{ApiKey, ErrorCode};
///
/// let f = Fault::error(ApiKey::Produce, ErrorCode::NOT_LEADER_OR_FOLLOWER).times(2).partition("quotes", 0);
/// ```
#[derive(Debug, Clone)]
pub struct Fault {
    pub(crate) api: ApiKey,
    pub(crate) action: Action,
    pub(crate) broker: Option<i32>,
    pub(crate) partition: Option<(String, i32)>,
    pub(crate) times: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    Error(ErrorCode),
    Delay(Duration),
    DropConnection,
    Throttle(i32),
}

impl Fault {
    /// Answer with `error` (once, unless [`Fault::times`] says otherwise).
    pub fn error(api: ApiKey, error: ErrorCode) -> Self {
        Self { api, action: Action::Error(error), broker: None, partition: None, times: 1 }
    }

    /// Hold the response for `delay` before sending it (a slow broker; a request timeout).
    pub fn delay(api: ApiKey, delay: Duration) -> Self {
        Self { api, action: Action::Delay(delay), broker: None, partition: None, times: 1 }
    }

    /// Close the connection instead of answering (the request may or may not have been applied:
    /// it is applied, as when a broker dies after writing but before answering).
    pub fn drop_connection(api: ApiKey) -> Self {
        Self { api, action: Action::DropConnection, broker: None, partition: None, times: 1 }
    }

    /// Answer normally but with `throttle_time_ms` set, as a broker enforcing a quota does.
    pub fn throttle(api: ApiKey, throttle_ms: i32) -> Self {
        Self { api, action: Action::Throttle(throttle_ms), broker: None, partition: None, times: 1 }
    }

    /// How many matching requests (or partitions) the fault applies to.
    #[must_use]
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }

    /// Only on this broker.
    #[must_use]
    pub fn broker(mut self, id: i32) -> Self {
        self.broker = Some(id);
        self
    }

    /// Only for this partition (Produce, Fetch, ListOffsets, OffsetCommit, OffsetFetch).
    #[must_use]
    pub fn partition(mut self, topic: &str, partition: i32) -> Self {
        self.partition = Some((topic.to_string(), partition));
        self
    }
}

/// The armed faults.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    armed: Mutex<Vec<Fault>>,
}

impl Faults {
    pub fn arm(&self, f: Fault) {
        if f.times > 0 {
            self.armed.lock().unwrap().push(f);
        }
    }

    pub fn clear(&self) {
        self.armed.lock().unwrap().clear();
    }

    /// Takes one use of the first armed fault matching, whose action `want` accepts.
    fn take(
        &self,
        api: ApiKey,
        broker: i32,
        tp: Option<(&str, i32)>,
        want: impl Fn(&Action) -> bool,
    ) -> Option<Action> {
        let mut armed = self.armed.lock().unwrap();
        let i = armed.iter().position(|f| {
            f.api == api
                && want(&f.action)
                && f.broker.is_none_or(|b| b == broker)
                && match (&f.partition, tp) {
                    (None, _) => true,
                    (Some((t, p)), Some((qt, qp))) => t == qt && *p == qp,
                    (Some(_), None) => false,
                }
        })?;
        let action = armed[i].action.clone();
        armed[i].times -= 1;
        if armed[i].times == 0 {
            armed.remove(i);
        }
        Some(action)
    }

    /// An injected error for a request (`tp` = None) or one of its partitions.
    pub fn error(&self, api: ApiKey, broker: i32, tp: Option<(&str, i32)>) -> Option<ErrorCode> {
        match self.take(api, broker, tp, |a| matches!(a, Action::Error(_)))? {
            Action::Error(e) => Some(e),
            _ => None,
        }
    }

    /// What to do with the response of a request: delay it, drop the connection, or throttle.
    pub fn response_actions(&self, api: ApiKey, broker: i32) -> Vec<Action> {
        let mut out = Vec::new();
        for kind in [0, 1, 2] {
            let want = move |a: &Action| match kind {
                0 => matches!(a, Action::Delay(_)),
                1 => matches!(a, Action::DropConnection),
                _ => matches!(a, Action::Throttle(_)),
            };
            if let Some(a) = self.take(api, broker, None, want) {
                out.push(a);
            }
        }
        out
    }
}
