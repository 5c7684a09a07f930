//! Choosing which version of each API to speak to a broker.
//!
//! A client sends ApiVersions first; the broker answers with the range of versions it accepts
//! for every API. [`ApiVersions::negotiate`] intersects those ranges with the ones kafkit
//! implements ([`crate::messages::IMPLEMENTED`]), and [`ApiVersions::version`] gives the highest
//! version both sides speak — or an error naming the API and both ranges when there is none.

use std::fmt;

use crate::messages::{ApiVersionsResponse, Message, IMPLEMENTED};
use crate::ApiKey;

/// No version of an API is spoken by both the broker and kafkit (or by the caller's bounds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoCommonVersion {
    /// The API.
    pub api: ApiKey,
    /// What kafkit (or the caller) can use, inclusive.
    pub ours: Option<(i16, i16)>,
    /// What the broker accepts, inclusive; `None` if it does not list the API at all.
    pub broker: Option<(i16, i16)>,
}

impl fmt::Display for NoCommonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let range = |r: Option<(i16, i16)>| match r {
            Some((lo, hi)) => format!("v{lo}–v{hi}"),
            None => "none".to_string(),
        };
        write!(
            f,
            "no version of {} is supported by both the broker ({}) and kafkit ({}); upgrade the broker or kafkit",
            self.api.name(),
            range(self.broker),
            range(self.ours)
        )
    }
}

impl std::error::Error for NoCommonVersion {}

/// The version ranges a broker accepts, as learned from its ApiVersions response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersions {
    /// Indexed by API key: the broker's (min, max), if it listed the API.
    broker: Vec<Option<(i16, i16)>>,
}

impl ApiVersions {
    /// The broker's ranges from its ApiVersions response (its error code is the caller's to check).
    pub fn negotiate(resp: &ApiVersionsResponse) -> Self {
        let mut broker = vec![None; ApiKey::ALL.len()];
        for k in &resp.api_keys {
            if let Ok(i) = usize::try_from(k.api_key) {
                if let Some(slot) = broker.get_mut(i) {
                    if k.min_version <= k.max_version {
                        *slot = Some((k.min_version, k.max_version));
                    }
                }
            }
        }
        Self { broker }
    }

    /// The broker's range for `api`, if it listed it.
    pub fn broker_range(&self, api: ApiKey) -> Option<(i16, i16)> {
        self.broker.get(api.as_i16() as usize).copied().flatten()
    }

    /// The range kafkit implements for `api`, if any.
    pub fn kafkit_range(api: ApiKey) -> Option<(i16, i16)> {
        IMPLEMENTED.iter().find(|(k, _, _)| *k == api).map(|(_, lo, hi)| (*lo, *hi))
    }

    /// The highest version of `api` that both the broker and kafkit speak.
    pub fn version(&self, api: ApiKey) -> Result<i16, NoCommonVersion> {
        self.version_within(api, i16::MIN, i16::MAX)
    }

    /// The highest version of `api` that the broker, kafkit and the caller's bounds
    /// (`min..=max`, e.g. "Produce v3 or later, for record batches v2") all allow.
    pub fn version_within(&self, api: ApiKey, min: i16, max: i16) -> Result<i16, NoCommonVersion> {
        let ours = Self::kafkit_range(api).and_then(|(lo, hi)| {
            let (lo, hi) = (lo.max(min), hi.min(max));
            (lo <= hi).then_some((lo, hi))
        });
        let broker = self.broker_range(api);
        match (ours, broker) {
            (Some((olo, ohi)), Some((blo, bhi))) if olo.max(blo) <= ohi.min(bhi) => Ok(ohi.min(bhi)),
            _ => Err(NoCommonVersion { api, ours, broker }),
        }
    }

    /// The highest version of message `M`'s API both sides speak.
    pub fn version_of<M: Message>(&self) -> Result<i16, NoCommonVersion> {
        self.version(M::API_KEY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::api_versions_response::ApiVersion;
    use crate::messages::{FetchRequest, ProduceRequest};

    fn broker(ranges: &[(ApiKey, i16, i16)]) -> ApiVersions {
        ApiVersions::negotiate(&ApiVersionsResponse {
            api_keys: ranges
                .iter()
                .map(|(k, lo, hi)| ApiVersion {
                    api_key: k.as_i16(),
                    min_version: *lo,
                    max_version: *hi,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
    }

    #[test]
    fn picks_the_highest_common_version() {
        // The sink test broker's ranges: Produce 3–7, Fetch 4–11.
        let v = broker(&[(ApiKey::Produce, 3, 7), (ApiKey::Fetch, 4, 11)]);
        assert_eq!(v.version_of::<ProduceRequest>(), Ok(7));
        assert_eq!(v.version(ApiKey::Fetch), Ok(11));
        // A broker newer than kafkit: kafkit's maximum.
        let v = broker(&[(ApiKey::Fetch, 0, 400)]);
        assert_eq!(v.version(ApiKey::Fetch), Ok(FetchRequest::MAX_VERSION));
        assert_eq!(v.version_within(ApiKey::Fetch, 4, 11), Ok(11));
    }

    #[test]
    fn no_common_version_names_the_api() {
        let v = broker(&[(ApiKey::Produce, 0, 2)]);
        let err = v.version_within(ApiKey::Produce, 3, i16::MAX).unwrap_err();
        assert_eq!(err.broker, Some((0, 2)));
        assert!(err.to_string().contains("Produce"), "{err}");
        let err = v.version(ApiKey::Fetch).unwrap_err();
        assert_eq!(err.broker, None);
        assert!(err.to_string().contains("Fetch (none)") || err.to_string().contains("broker (none)"), "{err}");
        // An API kafkit does not implement.
        assert_eq!(broker(&[(ApiKey::Vote, 0, 1)]).version(ApiKey::Vote).unwrap_err().ours, None);
    }

    #[test]
    fn hostile_ranges_are_ignored() {
        let v = ApiVersions::negotiate(&ApiVersionsResponse {
            api_keys: vec![
                ApiVersion { api_key: -5, min_version: 0, max_version: 3, ..Default::default() },
                ApiVersion { api_key: 30000, min_version: 0, max_version: 3, ..Default::default() },
                ApiVersion { api_key: 3, min_version: 9, max_version: 2, ..Default::default() },
            ],
            ..Default::default()
        });
        assert!(v.version(ApiKey::Metadata).is_err());
    }
}
