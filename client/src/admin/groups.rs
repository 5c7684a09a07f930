//! Consumer groups: listing them (every broker), describing them, their committed offsets, and
//! deleting them (each group's coordinator).

use std::collections::{BTreeMap, HashSet};

use bytes::Bytes;
use futures_util::future::join_all;
use kafkit_protocol::consumer_protocol::{ConsumerProtocolAssignment, ConsumerProtocolSubscription};
use kafkit_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafkit_protocol::messages::{
    DeleteGroupsRequest, DescribeGroupsRequest, ListGroupsRequest, ListGroupsResponse, OffsetFetchRequest,
    OffsetFetchResponse,
};
use kafkit_protocol::ErrorCode;
use tokio::time::Instant;
use tracing::debug;

use super::{is_retriable, timed_out, Admin, Outcome};
use crate::consumer::group::commit::{fetched_partitions, FetchedPartition};
use crate::consumer::{OffsetAndMetadata, TopicPartition};
use crate::error::{Error, Result};

/// The protocol type of consumer groups, whose member payloads are the consumer protocol's
/// (see [`Admin::describe_groups`], which decodes them).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use kafkit_client::admin::{Admin, CONSUMER_PROTOCOL_TYPE};
/// use kafkit_client::consumer::{Consumer, ConsumerConfig};
/// use kafkit_client::ClientConfig;
///
/// let cluster = kafkit_mock::MockCluster::start(1).await?;
/// cluster.create_topic("quotes", 1)?;
/// let mut consumer = Consumer::new(ConsumerConfig::new([cluster.bootstrap()]).group_id("readers")).await?;
/// consumer.subscribe(["quotes"])?;
/// while consumer.assignment().is_empty() {
///     consumer.poll(Duration::from_millis(50)).await?;
/// }
/// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
/// let listed = admin.list_groups().await?;
/// assert_eq!(listed[0].protocol_type, CONSUMER_PROTOCOL_TYPE);
/// # Ok(())
/// # }
/// ```
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";
/// The first ListGroups version whose answer has each group's state.
const FIRST_STATE_VERSION: i16 = 4;
/// The first OffsetFetch version that can ask for every partition (a null topic list).
const FIRST_ALL_PARTITIONS_VERSION: i16 = 2;
/// The first OffsetFetch version with the groups array.
const FIRST_GROUPS_VERSION: i16 = 8;

/// A group as ListGroups lists it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::collections::HashMap;
/// use kafkit_client::admin::Admin;
/// use kafkit_client::consumer::{Consumer, ConsumerConfig, OffsetAndMetadata, TopicPartition};
/// use kafkit_client::ClientConfig;
///
/// let cluster = kafkit_mock::MockCluster::start(2).await?;
/// cluster.create_topic("quotes", 1)?;
/// let mut consumer = Consumer::new(ConsumerConfig::new([cluster.bootstrap()]).group_id("readers")).await?;
/// consumer.commit_offsets(HashMap::from([(TopicPartition::new("quotes", 0), OffsetAndMetadata::new(1))])).await?;
///
/// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
/// let listed = admin.list_groups().await?;
/// assert_eq!(listed[0].group_id, "readers");
/// assert_eq!(listed[0].protocol_type, "", "it only committed: no protocol yet");
/// assert_eq!(listed[0].group_type.as_deref(), Some("classic"));
/// assert!(cluster.broker_ids().contains(&listed[0].coordinator));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    /// The group id.
    pub group_id: String,
    /// Its protocol type: `"consumer"` for consumer groups, `""` for a group that only has
    /// committed offsets (Kafka Connect and others use their own).
    pub protocol_type: String,
    /// Its state (`Stable`, `Empty`, `PreparingRebalance`, ...), when the broker says
    /// (ListGroups v4+).
    pub state: Option<String>,
    /// Its type (`classic`, `consumer`), when the broker says (ListGroups v5+).
    pub group_type: Option<String>,
    /// The node id of the broker that listed it (its coordinator).
    pub coordinator: i32,
}

/// A group as its coordinator describes it (DescribeGroups).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::collections::HashMap;
/// use kafkit_client::admin::Admin;
/// use kafkit_client::consumer::{Consumer, ConsumerConfig, OffsetAndMetadata, TopicPartition};
/// use kafkit_client::ClientConfig;
///
/// let cluster = kafkit_mock::MockCluster::start(1).await?;
/// cluster.create_topic("quotes", 1)?;
/// let mut consumer = Consumer::new(ConsumerConfig::new([cluster.bootstrap()]).group_id("idle")).await?;
/// consumer.commit_offsets(HashMap::from([(TopicPartition::new("quotes", 0), OffsetAndMetadata::new(1))])).await?;
///
/// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
/// let described = admin.describe_groups(&["idle"]).await?;
/// let idle = described[0].result.as_ref().unwrap();
/// assert_eq!((idle.state.as_str(), idle.members.len()), ("Empty", 0));
/// assert_eq!(idle.coordinator, Some(cluster.broker_ids()[0]));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// The group id.
    pub group_id: String,
    /// Its state: `Stable`, `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Dead`.
    pub state: String,
    /// Its protocol type (`"consumer"` for consumer groups).
    pub protocol_type: String,
    /// The protocol the members agreed on (the assignor's name for consumer groups; set only
    /// while the group is `Stable`).
    pub protocol: String,
    /// The members.
    pub members: Vec<MemberDescription>,
    /// The node id of the coordinator that answered.
    pub coordinator: Option<i32>,
}

/// One member of a group.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use kafkit_client::admin::Admin;
/// use kafkit_client::consumer::{Consumer, ConsumerConfig};
/// use kafkit_client::ClientConfig;
///
/// let cluster = kafkit_mock::MockCluster::start(1).await?;
/// cluster.create_topic("quotes", 1)?;
/// let config = ConsumerConfig::new([cluster.bootstrap()]).group_id("readers").group_instance_id("reader-a");
/// let mut consumer = Consumer::new(config).await?;
/// consumer.subscribe(["quotes"])?;
/// while consumer.assignment().is_empty() {
///     consumer.poll(Duration::from_millis(50)).await?;
/// }
/// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
/// let described = admin.describe_groups(&["readers"]).await?;
/// let member = &described[0].result.as_ref().unwrap().members[0];
/// assert_eq!(member.group_instance_id.as_deref(), Some("reader-a"), "a static member");
/// assert_eq!(member.assignment.as_ref().map(Vec::len), Some(1));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    /// The member id the coordinator gave it.
    pub member_id: String,
    /// Its `group.instance.id`, if it is a static member.
    pub group_instance_id: Option<String>,
    /// Its `client.id`.
    pub client_id: String,
    /// The host it connects from, as the coordinator sees it.
    pub client_host: String,
    /// The topics it subscribes to, decoded with the consumer protocol (`None` for another
    /// protocol type, or when the coordinator sends no metadata: a group not `Stable`).
    pub subscription: Option<Vec<String>>,
    /// The partitions assigned to it, decoded with the consumer protocol (`None` as for
    /// `subscription`), sorted.
    pub assignment: Option<Vec<TopicPartition>>,
}

/// The topics of a consumer-protocol subscription.
fn decode_subscription(group_id: &str, member: &str, bytes: &Bytes) -> Option<Vec<String>> {
    if bytes.is_empty() {
        return None;
    }
    match ConsumerProtocolSubscription::from_bytes(bytes.clone()) {
        Ok((_, s)) => Some(s.topics),
        Err(e) => {
            debug!(group = %group_id, member, "the member's subscription is not the consumer protocol's: {e}");
            None
        }
    }
}

/// The partitions of a consumer-protocol assignment, sorted.
fn decode_assignment(group_id: &str, member: &str, bytes: &Bytes) -> Option<Vec<TopicPartition>> {
    if bytes.is_empty() {
        return None;
    }
    match ConsumerProtocolAssignment::from_bytes(bytes.clone()) {
        Ok((_, a)) => {
            let mut partitions: Vec<TopicPartition> = a
                .assigned_partitions
                .iter()
                .flat_map(|t| t.partitions.iter().map(|p| TopicPartition::new(t.topic.as_str(), *p)))
                .collect();
            partitions.sort();
            partitions.dedup();
            Some(partitions)
        }
        Err(e) => {
            debug!(group = %group_id, member, "the member's assignment is not the consumer protocol's: {e}");
            None
        }
    }
}

impl Admin {
    /// Every group of the cluster (Java's `listGroups`): each broker lists the groups it
    /// coordinates, all asked at once; COORDINATOR_LOAD_IN_PROGRESS and the other retriable
    /// errors are retried with a backoff until the timeout. Fails if a broker still fails
    /// then (a partial list would look complete). Sorted by group id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::collections::HashMap;
    /// use kafkit_client::admin::Admin;
    /// use kafkit_client::consumer::{Consumer, ConsumerConfig, OffsetAndMetadata, TopicPartition};
    /// use kafkit_client::ClientConfig;
    ///
    /// let cluster = kafkit_mock::MockCluster::start(3).await?;
    /// cluster.create_topic("quotes", 1)?;
    /// for group in ["loaders", "readers"] {
    ///     // A group with a committed offset and no member: Empty.
    ///     let mut consumer = Consumer::new(ConsumerConfig::new([cluster.bootstrap()]).group_id(group)).await?;
    ///     consumer.commit_offsets(HashMap::from([(TopicPartition::new("quotes", 0), OffsetAndMetadata::new(1))])).await?;
    ///     consumer.close().await?;
    /// }
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    /// let groups = admin.list_groups().await?;
    /// let ids: Vec<&str> = groups.iter().map(|g| g.group_id.as_str()).collect();
    /// assert_eq!(ids, ["loaders", "readers"]);
    /// assert_eq!(groups[0].state.as_deref(), Some("Empty"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_groups(&self) -> Result<Vec<GroupListing>> {
        let deadline = self.deadline();
        // Every broker the cluster has now (the snapshot may predate one that joined).
        let md = match tokio::time::timeout_at(deadline, self.client.refresh_metadata()).await {
            Ok(Ok(md)) => md,
            Ok(Err(e)) if self.client.metadata().brokers().next().is_none() => return Err(e),
            _ => self.client.metadata(),
        };
        let ids: Vec<i32> = md.brokers().map(|b| b.id).collect();
        if ids.is_empty() {
            return Err(timed_out("listing the groups: no broker is known", self.timeout, None));
        }
        let lists = join_all(ids.into_iter().map(|id| self.list_groups_of(id, deadline))).await;
        let mut seen = HashSet::new();
        let mut groups = Vec::new();
        for list in lists {
            for g in list? {
                if seen.insert(g.group_id.clone()) {
                    groups.push(g);
                }
            }
        }
        groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        Ok(groups)
    }

    /// The groups broker `id` coordinates, retrying until `deadline`.
    async fn list_groups_of(&self, id: i32, deadline: Instant) -> Result<Vec<GroupListing>> {
        let what = format!("listing the groups of broker {id}");
        let mut backoff = Self::backoff();
        let mut last = None;
        loop {
            let attempt = async {
                let conn = self.client.connection(id).await?;
                let version = conn.version_of::<ListGroupsRequest>()?;
                let response: ListGroupsResponse =
                    conn.send_with(&ListGroupsRequest::default(), version, self.request_timeout(deadline)).await?;
                let code = ErrorCode::from_i16(response.error_code);
                if !code.is_ok() {
                    return Err(Error::kafka(code, what.clone()));
                }
                Ok(response
                    .groups
                    .into_iter()
                    .map(|g| GroupListing {
                        group_id: g.group_id,
                        protocol_type: g.protocol_type,
                        state: (version >= FIRST_STATE_VERSION && !g.group_state.is_empty()).then_some(g.group_state),
                        group_type: (!g.group_type.is_empty()).then_some(g.group_type),
                        coordinator: id,
                    })
                    .collect())
            };
            match tokio::time::timeout_at(deadline, attempt).await {
                Err(_) => return Err(timed_out(&what, self.timeout, last)),
                Ok(Ok(groups)) => return Ok(groups),
                Ok(Err(e)) if is_retriable(&e) => {
                    debug!("{what} failed: {e}; retrying");
                    if e.invalidates_metadata() {
                        self.client.invalidate();
                    }
                    last = Some(e);
                }
                Ok(Err(e)) => return Err(e),
            }
            if !backoff.sleep_before(deadline).await {
                return Err(timed_out(&what, self.timeout, last));
            }
        }
    }

    /// Describes the groups named (Java's `describeConsumerGroups`), each asked of its
    /// coordinator, all at once; each gets its own [`Outcome`], in the order given. Members'
    /// subscriptions and assignments are decoded when the protocol type is `"consumer"`. A
    /// group the coordinator does not know fails with GROUP_ID_NOT_FOUND (Kafka answers it
    /// as a `Dead` group with no members).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use kafkit_client::admin::Admin;
    /// use kafkit_client::consumer::{Consumer, ConsumerConfig, TopicPartition};
    /// use kafkit_client::protocol::ErrorCode;
    /// use kafkit_client::ClientConfig;
    ///
    /// let cluster = kafkit_mock::MockCluster::start(2).await?;
    /// cluster.create_topic("quotes", 2)?;
    /// let config = ConsumerConfig::new([cluster.bootstrap()]).group_id("readers").client_id("reader-1");
    /// let mut consumer = Consumer::new(config).await?;
    /// consumer.subscribe(["quotes"])?;
    /// while consumer.assignment().is_empty() {
    ///     consumer.poll(Duration::from_millis(100)).await?;
    /// }
    ///
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    /// let described = admin.describe_groups(&["readers", "nobody"]).await?;
    /// let readers = described[0].result.as_ref().unwrap();
    /// assert_eq!((readers.state.as_str(), readers.protocol_type.as_str()), ("Stable", "consumer"));
    /// assert_eq!(readers.members[0].client_id, "reader-1");
    /// assert_eq!(readers.members[0].subscription.as_deref(), Some(&["quotes".to_string()][..]));
    /// let assigned = readers.members[0].assignment.clone().unwrap();
    /// assert_eq!(assigned, [TopicPartition::new("quotes", 0), TopicPartition::new("quotes", 1)]);
    /// assert_eq!(described[1].error_code(), Some(ErrorCode::GROUP_ID_NOT_FOUND));
    /// consumer.close().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn describe_groups<S: AsRef<str>>(&self, group_ids: &[S]) -> Result<Vec<Outcome<GroupDescription>>> {
        let described = join_all(group_ids.iter().map(|g| self.describe_group(g.as_ref()))).await;
        Ok(group_ids
            .iter()
            .zip(described)
            .map(|(name, result)| Outcome { name: name.as_ref().to_string(), result })
            .collect())
    }

    async fn describe_group(&self, group_id: &str) -> Result<GroupDescription> {
        let what = format!("describing group {group_id}");
        self.on_coordinator(group_id, &what, |conn, deadline| {
            let what = what.clone();
            async move {
                let version = conn.version_of::<DescribeGroupsRequest>()?;
                let request = DescribeGroupsRequest { groups: vec![group_id.to_string()], ..Default::default() };
                let response = conn.send_with(&request, version, self.request_timeout(deadline)).await?;
                let g = response.groups.into_iter().find(|g| g.group_id == group_id).ok_or_else(|| {
                    Error::kafka(ErrorCode::UNKNOWN_SERVER_ERROR, format!("{what}: the coordinator left it out"))
                })?;
                let code = ErrorCode::from_i16(g.error_code);
                if !code.is_ok() {
                    let hint = if code == ErrorCode::GROUP_AUTHORIZATION_FAILED {
                        "; grant this principal DESCRIBE on the group"
                    } else {
                        ""
                    };
                    return Err(Error::kafka(code, format!("{what}{hint}")));
                }
                if g.group_state == "Dead" && g.members.is_empty() && g.protocol_type.is_empty() {
                    return Err(Error::kafka(
                        ErrorCode::GROUP_ID_NOT_FOUND,
                        format!("{what}: the group does not exist"),
                    ));
                }
                let consumer = g.protocol_type == CONSUMER_PROTOCOL_TYPE;
                let members = g
                    .members
                    .into_iter()
                    .map(|m| MemberDescription {
                        subscription: consumer
                            .then(|| decode_subscription(group_id, &m.member_id, &m.member_metadata))
                            .flatten(),
                        assignment: consumer
                            .then(|| decode_assignment(group_id, &m.member_id, &m.member_assignment))
                            .flatten(),
                        member_id: m.member_id,
                        group_instance_id: m.group_instance_id,
                        client_id: m.client_id,
                        client_host: m.client_host,
                    })
                    .collect();
                Ok(GroupDescription {
                    group_id: g.group_id,
                    state: g.group_state,
                    protocol_type: g.protocol_type,
                    protocol: g.protocol_data,
                    members,
                    coordinator: conn.broker_id(),
                })
            }
        })
        .await
    }

    /// The committed offsets of every partition of `group_id` (Java's
    /// `listConsumerGroupOffsets`), asked of its coordinator, sorted by partition. Partitions
    /// without a committed offset are left out; a group with no commits (or none at all) has
    /// an empty map.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::collections::HashMap;
    /// use kafkit_client::admin::Admin;
    /// use kafkit_client::consumer::{Consumer, ConsumerConfig, OffsetAndMetadata, TopicPartition};
    /// use kafkit_client::ClientConfig;
    ///
    /// let cluster = kafkit_mock::MockCluster::start(1).await?;
    /// cluster.create_topic("quotes", 3)?;
    /// let mut consumer = Consumer::new(ConsumerConfig::new([cluster.bootstrap()]).group_id("readers")).await?;
    /// consumer
    ///     .commit_offsets(HashMap::from([
    ///         (TopicPartition::new("quotes", 0), OffsetAndMetadata::with_metadata(5, "checkpoint")),
    ///         (TopicPartition::new("quotes", 2), OffsetAndMetadata::new(7)),
    ///     ]))
    ///     .await?;
    ///
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    /// let committed = admin.list_group_offsets("readers").await?;
    /// let offsets: Vec<(i32, i64, &str)> =
    ///     committed.iter().map(|(tp, o)| (tp.partition, o.offset, o.metadata.as_str())).collect();
    /// assert_eq!(offsets, [(0, 5, "checkpoint"), (2, 7, "")]);
    /// assert!(admin.list_group_offsets("nobody").await?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_group_offsets(&self, group_id: &str) -> Result<BTreeMap<TopicPartition, OffsetAndMetadata>> {
        let what = format!("fetching the committed offsets of group {group_id}");
        self.on_coordinator(group_id, &what, |conn, deadline| {
            let what = what.clone();
            async move {
                let version = conn.version_of::<OffsetFetchRequest>()?;
                if version < FIRST_ALL_PARTITIONS_VERSION {
                    return Err(Error::kafka(
                        ErrorCode::UNSUPPORTED_VERSION,
                        format!(
                            "{what}: broker {} speaks OffsetFetch up to v{version}, which cannot ask for every \
                             partition",
                            conn.addr()
                        ),
                    ));
                }
                let request = if version >= FIRST_GROUPS_VERSION {
                    OffsetFetchRequest {
                        groups: vec![OffsetFetchRequestGroup {
                            group_id: group_id.to_string(),
                            topics: None,
                            ..Default::default()
                        }],
                        ..Default::default()
                    }
                } else {
                    OffsetFetchRequest { group_id: group_id.to_string(), topics: None, ..Default::default() }
                };
                let response = conn.send_with(&request, version, self.request_timeout(deadline)).await?;
                read_offsets(group_id, &what, version, response)
            }
        })
        .await
    }

    /// Deletes the groups named (Java's `deleteConsumerGroups`), each asked of its
    /// coordinator; each gets its own [`Outcome`], in the order given. Only a group with no
    /// members can be deleted (NON_EMPTY_GROUP otherwise); an unknown one fails with
    /// GROUP_ID_NOT_FOUND. Its committed offsets go with it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::collections::HashMap;
    /// use kafkit_client::admin::Admin;
    /// use kafkit_client::consumer::{Consumer, ConsumerConfig, OffsetAndMetadata, TopicPartition};
    /// use kafkit_client::protocol::ErrorCode;
    /// use kafkit_client::ClientConfig;
    ///
    /// let cluster = kafkit_mock::MockCluster::start(1).await?;
    /// cluster.create_topic("quotes", 1)?;
    /// let mut consumer = Consumer::new(ConsumerConfig::new([cluster.bootstrap()]).group_id("old")).await?;
    /// consumer.commit_offsets(HashMap::from([(TopicPartition::new("quotes", 0), OffsetAndMetadata::new(3))])).await?;
    /// consumer.close().await?;
    ///
    /// let admin = Admin::connect(ClientConfig::new([cluster.bootstrap()])).await?;
    /// let deleted = admin.delete_groups(&["old", "nobody"]).await?;
    /// assert!(deleted[0].is_ok());
    /// assert_eq!(deleted[1].error_code(), Some(ErrorCode::GROUP_ID_NOT_FOUND));
    /// assert!(admin.list_group_offsets("old").await?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_groups<S: AsRef<str>>(&self, group_ids: &[S]) -> Result<Vec<Outcome<()>>> {
        let deleted = join_all(group_ids.iter().map(|g| self.delete_group(g.as_ref()))).await;
        Ok(group_ids
            .iter()
            .zip(deleted)
            .map(|(name, result)| Outcome { name: name.as_ref().to_string(), result })
            .collect())
    }

    async fn delete_group(&self, group_id: &str) -> Result<()> {
        let what = format!("deleting group {group_id}");
        self.on_coordinator(group_id, &what, |conn, deadline| {
            let what = what.clone();
            async move {
                let version = conn.version_of::<DeleteGroupsRequest>()?;
                let request = DeleteGroupsRequest { groups_names: vec![group_id.to_string()], ..Default::default() };
                let response = conn.send_with(&request, version, self.request_timeout(deadline)).await?;
                let r = response.results.iter().find(|r| r.group_id == group_id).ok_or_else(|| {
                    Error::kafka(ErrorCode::UNKNOWN_SERVER_ERROR, format!("{what}: the coordinator left it out"))
                })?;
                let code = ErrorCode::from_i16(r.error_code);
                if code.is_ok() {
                    return Ok(());
                }
                let hint = match code {
                    ErrorCode::NON_EMPTY_GROUP => ": the group has members; stop its consumers first",
                    ErrorCode::GROUP_ID_NOT_FOUND => ": the group does not exist",
                    ErrorCode::GROUP_AUTHORIZATION_FAILED => ": grant this principal DELETE on the group",
                    _ => "",
                };
                Err(Error::kafka(code, format!("{what}{hint}")))
            }
        })
        .await
    }
}

/// The committed offsets in an OffsetFetch answer for every partition (Java's
/// `ListConsumerGroupOffsetsHandler`): a group-level error is returned (the coordinator ones
/// are retried by the caller); partitions with no commit (offset -1) are left out, and so are
/// partitions with an error of their own, as Java does, except the coordinator errors that
/// brokers before v2 reported per partition, which are returned to be retried.
fn read_offsets(
    group_id: &str,
    what: &str,
    version: i16,
    response: OffsetFetchResponse,
) -> Result<BTreeMap<TopicPartition, OffsetAndMetadata>> {
    let (top, parts): (ErrorCode, Vec<FetchedPartition<'_>>) = if version >= FIRST_GROUPS_VERSION {
        let g = response.groups.iter().find(|g| g.group_id == group_id).ok_or_else(|| {
            Error::kafka(ErrorCode::UNKNOWN_SERVER_ERROR, format!("{what}: the coordinator left the group out"))
        })?;
        (ErrorCode::from_i16(g.error_code), fetched_partitions!(g.topics))
    } else {
        (ErrorCode::from_i16(response.error_code), fetched_partitions!(response.topics))
    };
    if !top.is_ok() {
        let hint = if top == ErrorCode::GROUP_AUTHORIZATION_FAILED {
            "; grant this principal DESCRIBE on the group"
        } else {
            ""
        };
        return Err(Error::kafka(top, format!("{what}{hint}")));
    }
    let mut out = BTreeMap::new();
    for FetchedPartition { topic, partition, offset, leader_epoch: epoch, metadata, error } in parts {
        if !error.is_ok() {
            if error.invalidates_coordinator() || error == ErrorCode::COORDINATOR_LOAD_IN_PROGRESS {
                return Err(Error::kafka(error, format!("{what} (partition {topic}[{partition}])")));
            }
            debug!(group = %group_id, %topic, partition, "leaving out a partition that failed with {error:?}");
            continue;
        }
        if offset < 0 {
            continue;
        }
        out.insert(
            TopicPartition::new(topic, partition),
            OffsetAndMetadata {
                offset,
                metadata: metadata.cloned().unwrap_or_default(),
                leader_epoch: (epoch >= 0).then_some(epoch),
            },
        );
    }
    Ok(out)
}
