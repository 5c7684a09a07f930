//! Kafka error codes: the complete table, with what each code means and how a client reacts.
//!
//! Every response that can fail carries an `int16` error code. [`ErrorCode`] wraps that number
//! and knows, for each code Kafka defines, its name, a one-line description, whether a request
//! that failed with it is worth retrying, and whether it means the client's cluster metadata or
//! its coordinator is out of date.
//!
//! The table is a single declaration, `error_codes!` below, with one row per code; the constants,
//! [`ErrorCode::ALL`] and every lookup are generated from it. Names and numbers are those of
//! Kafka's `org.apache.kafka.common.protocol.Errors`, checked against the Kafka 4.0 sources
//! (trunk, October 2024, which ends at 128 `INVALID_REGULAR_EXPRESSION`); codes 129 to 133 were
//! added later (129 in Kafka 4.0, 130 to 133 in Kafka 4.1) and were checked against the newer
//! sources separately. A code missing from the table is still representable: it is reported as
//! `"UNKNOWN"` and is not retriable. The descriptions are our own wording.
//!
//! ```
//! use kafkit_protocol::ErrorCode;
//!
//! let err = ErrorCode::from_i16(6);
//! assert_eq!(err, ErrorCode::NOT_LEADER_OR_FOLLOWER);
//! assert_eq!(err.name(), "NOT_LEADER_OR_FOLLOWER");
//! assert!(err.is_retriable() && err.invalidates_metadata());
//! assert!(ErrorCode::NONE.into_result().is_ok());
//!
//! // The constants work as patterns.
//! match err {
//!     ErrorCode::NONE => unreachable!(),
//!     ErrorCode::NOT_LEADER_OR_FOLLOWER | ErrorCode::FENCED_LEADER_EPOCH => { /* refresh, retry */ }
//!     other if other.is_retriable() => { /* back off, retry */ }
//!     other => panic!("{other}"),
//! }
//! ```

use std::fmt;

/// A Kafka error code, as carried in the `ErrorCode` fields of responses.
///
/// The field is public on purpose: every `i16` is a valid value (codes Kafka has not defined, or
/// that were added after this table, simply report as `"UNKNOWN"`), so there is no invariant to
/// protect, and `ErrorCode(n)` / `.0` convert as cheaply as [`ErrorCode::from_i16`] /
/// [`ErrorCode::code`]. The associated constants (`ErrorCode::NONE`,
/// `ErrorCode::NOT_LEADER_OR_FOLLOWER`, ...) can be used as `match` patterns.
///
/// Ordering is by numeric code. The default value is [`ErrorCode::NONE`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ErrorCode(pub i16);

/// The table. Each row is
///
/// ```text
/// NAME = code [flags] "description";
/// ```
///
/// with rows in increasing code order and `flags` a (possibly empty) list of:
///
/// - `retriable`: the exception Kafka's Java client maps the code to extends
///   `org.apache.kafka.common.errors.RetriableException` (directly or through a subclass such as
///   `InvalidMetadataException`); see [`ErrorCode::is_retriable`].
/// - `metadata`: that exception extends `InvalidMetadataException`; see
///   [`ErrorCode::invalidates_metadata`].
/// - `coordinator`: the Java client forgets the group or transaction coordinator and looks it up
///   again; see [`ErrorCode::invalidates_coordinator`].
///
/// An unknown flag is a compile error.
macro_rules! error_codes {
    (@has retriable; retriable $($rest:ident)*) => { true };
    (@has metadata; metadata $($rest:ident)*) => { true };
    (@has coordinator; coordinator $($rest:ident)*) => { true };
    (@has $want:ident; retriable $($rest:ident)*) => { error_codes!(@has $want; $($rest)*) };
    (@has $want:ident; metadata $($rest:ident)*) => { error_codes!(@has $want; $($rest)*) };
    (@has $want:ident; coordinator $($rest:ident)*) => { error_codes!(@has $want; $($rest)*) };
    (@has $want:ident;) => { false };

    (@doc retriable) => { " Retriable." };
    (@doc metadata) => { " The client should refresh its metadata." };
    (@doc coordinator) => { " The client should look up the coordinator again." };

    ($($name:ident = $code:literal [$($flag:ident)*] $desc:literal;)*) => {
        impl ErrorCode {
            $(
                #[doc = concat!(
                    "`", stringify!($name), "` (", stringify!($code), "): ", $desc
                    $(, error_codes!(@doc $flag))*
                )]
                pub const $name: ErrorCode = ErrorCode($code);
            )*

            /// Every code Kafka defines, in increasing numeric order (from
            /// [`UNKNOWN_SERVER_ERROR`](Self::UNKNOWN_SERVER_ERROR), -1, upwards).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];

            /// Whether Kafka defines this code, i.e. whether it is one of [`ALL`](Self::ALL).
            // The codes happen to be contiguous today; listing them keeps that an accident.
            #[allow(clippy::manual_range_patterns)]
            pub const fn is_known(self) -> bool {
                matches!(self.0, $($code)|*)
            }

            /// The name Kafka gives this code, such as `"NOT_LEADER_OR_FOLLOWER"`, or
            /// `"UNKNOWN"` for a code Kafka does not define.
            pub const fn name(self) -> &'static str {
                match self.0 {
                    $($code => stringify!($name),)*
                    _ => "UNKNOWN",
                }
            }

            /// A one-line explanation of the code and, where useful, of what the client should
            /// do about it. Codes Kafka does not define get a generic text.
            pub const fn description(self) -> &'static str {
                match self.0 {
                    $($code => $desc,)*
                    _ => UNKNOWN_DESCRIPTION,
                }
            }

            /// Whether a request that failed with this code may succeed if sent again (after a
            /// backoff, and after whatever [`invalidates_metadata`](Self::invalidates_metadata)
            /// or [`invalidates_coordinator`](Self::invalidates_coordinator) call for).
            ///
            /// This is exactly the Java client's classification: a code is retriable when the
            /// exception `Errors` maps it to extends `RetriableException`. [`NONE`](Self::NONE)
            /// and codes Kafka does not define are not retriable (Java turns unknown codes into
            /// the non-retriable `UnknownServerException`).
            ///
            /// Retriable does not mean "safe to resend blindly": for produce requests, codes
            /// such as [`REQUEST_TIMED_OUT`](Self::REQUEST_TIMED_OUT) and
            /// [`NOT_ENOUGH_REPLICAS_AFTER_APPEND`](Self::NOT_ENOUGH_REPLICAS_AFTER_APPEND) leave
            /// the outcome unknown, and only an idempotent producer avoids duplicates.
            pub const fn is_retriable(self) -> bool {
                match self.0 {
                    $($code => error_codes!(@has retriable; $($flag)*),)*
                    _ => false,
                }
            }

            /// Whether the error means the client's cluster metadata (partition leaders, topic
            /// ids, broker endpoints) may be stale, so it should request a metadata update
            /// before retrying.
            ///
            /// This follows the Java client's producer (`Sender`) and `Metadata` code, which
            /// request an update for exactly the codes whose exception extends
            /// `InvalidMetadataException`: [`UNKNOWN_TOPIC_OR_PARTITION`](Self::UNKNOWN_TOPIC_OR_PARTITION),
            /// [`LEADER_NOT_AVAILABLE`](Self::LEADER_NOT_AVAILABLE),
            /// [`NOT_LEADER_OR_FOLLOWER`](Self::NOT_LEADER_OR_FOLLOWER),
            /// [`REPLICA_NOT_AVAILABLE`](Self::REPLICA_NOT_AVAILABLE),
            /// [`NETWORK_EXCEPTION`](Self::NETWORK_EXCEPTION),
            /// [`KAFKA_STORAGE_ERROR`](Self::KAFKA_STORAGE_ERROR),
            /// [`LISTENER_NOT_FOUND`](Self::LISTENER_NOT_FOUND),
            /// [`FENCED_LEADER_EPOCH`](Self::FENCED_LEADER_EPOCH),
            /// [`PREFERRED_LEADER_NOT_AVAILABLE`](Self::PREFERRED_LEADER_NOT_AVAILABLE),
            /// [`ELIGIBLE_LEADERS_NOT_AVAILABLE`](Self::ELIGIBLE_LEADERS_NOT_AVAILABLE),
            /// [`ELECTION_NOT_NEEDED`](Self::ELECTION_NOT_NEEDED),
            /// [`UNKNOWN_TOPIC_ID`](Self::UNKNOWN_TOPIC_ID) and
            /// [`INCONSISTENT_TOPIC_ID`](Self::INCONSISTENT_TOPIC_ID). All of them are
            /// retriable.
            ///
            /// Deliberately not included:
            /// - [`UNKNOWN_LEADER_EPOCH`](Self::UNKNOWN_LEADER_EPOCH): the broker is behind the
            ///   client, not the other way round; the Java consumer just retries the fetch.
            /// - [`OFFSET_NOT_AVAILABLE`](Self::OFFSET_NOT_AVAILABLE): the leader is right but
            ///   not ready yet. (The Java consumer's fetch path does also request an update for
            ///   it; a fetcher that wants to match that can test for it explicitly.)
            /// - Coordinator errors: see [`invalidates_coordinator`](Self::invalidates_coordinator).
            /// - [`REBOOTSTRAP_REQUIRED`](Self::REBOOTSTRAP_REQUIRED): a refresh is not enough;
            ///   the client must bootstrap again.
            pub const fn invalidates_metadata(self) -> bool {
                match self.0 {
                    $($code => error_codes!(@has metadata; $($flag)*),)*
                    _ => false,
                }
            }

            /// Whether the request reached a broker that is not (or no longer) the group or
            /// transaction coordinator, so the client should find the coordinator again
            /// (FindCoordinator) before retrying: [`COORDINATOR_NOT_AVAILABLE`](Self::COORDINATOR_NOT_AVAILABLE)
            /// and [`NOT_COORDINATOR`](Self::NOT_COORDINATOR), as in the Java client's
            /// group coordinator and transaction manager.
            ///
            /// [`COORDINATOR_LOAD_IN_PROGRESS`](Self::COORDINATOR_LOAD_IN_PROGRESS) is not one of
            /// them: the coordinator is right and only needs time, so retry it as is.
            pub const fn invalidates_coordinator(self) -> bool {
                match self.0 {
                    $($code => error_codes!(@has coordinator; $($flag)*),)*
                    _ => false,
                }
            }
        }
    };
}

/// What [`ErrorCode::description`] says about a code Kafka does not define.
const UNKNOWN_DESCRIPTION: &str =
    "An error code this table does not define, probably from a newer broker; treat it as a non-retriable failure.";

error_codes! {
    UNKNOWN_SERVER_ERROR = -1 []
        "The broker hit an unexpected internal error while handling the request; the broker log has the details.";
    NONE = 0 []
        "No error: the operation succeeded.";
    OFFSET_OUT_OF_RANGE = 1 []
        "The requested offset is outside the range the log currently holds; the consumer should apply its offset reset policy.";
    CORRUPT_MESSAGE = 2 [retriable]
        "A record failed the broker's checks (bad CRC, bad size, a null key on a compacted topic or similar); sending it again may succeed.";
    UNKNOWN_TOPIC_OR_PARTITION = 3 [retriable metadata]
        "The broker does not host this topic-partition: it may not exist (yet) or the client's metadata is out of date; refresh metadata and retry.";
    INVALID_FETCH_SIZE = 4 []
        "The broker does not accept the fetch size given in the request.";
    LEADER_NOT_AVAILABLE = 5 [retriable metadata]
        "The partition has no leader at the moment, usually because an election is under way; refresh metadata and retry.";
    NOT_LEADER_OR_FOLLOWER = 6 [retriable metadata]
        "The broker is not the partition's leader (or, for requests any replica may serve, not one of its replicas); refresh metadata and go to the current leader.";
    REQUEST_TIMED_OUT = 7 [retriable]
        "The broker gave up on the request before it completed, so its outcome is unknown; retry it (idempotently where that matters).";
    BROKER_NOT_AVAILABLE = 8 []
        "The broker that the request refers to is down or unknown.";
    REPLICA_NOT_AVAILABLE = 9 [retriable metadata]
        "A replica the request needs is not available on the broker (offline or not created yet); refresh metadata and retry.";
    MESSAGE_TOO_LARGE = 10 []
        "A record or batch is bigger than the broker or topic allows; make it smaller or raise the size limit.";
    STALE_CONTROLLER_EPOCH = 11 []
        "The request carried an old controller epoch: another node has become the controller since.";
    OFFSET_METADATA_TOO_LARGE = 12 []
        "The metadata string attached to a committed offset is longer than the broker permits.";
    NETWORK_EXCEPTION = 13 [retriable metadata]
        "The connection dropped before the response arrived; reconnect, refresh metadata and retry.";
    COORDINATOR_LOAD_IN_PROGRESS = 14 [retriable]
        "The group or transaction coordinator is still loading its state; keep the same coordinator and retry after a backoff.";
    COORDINATOR_NOT_AVAILABLE = 15 [retriable coordinator]
        "No coordinator is available for the group or transactional id right now; find the coordinator again and retry.";
    NOT_COORDINATOR = 16 [retriable coordinator]
        "This broker is not the coordinator for the group or transactional id; find the coordinator again and retry.";
    INVALID_TOPIC_EXCEPTION = 17 []
        "The topic name is not valid, or the operation is not allowed on that topic (for example writing to an internal topic).";
    RECORD_LIST_TOO_LARGE = 18 []
        "A record batch is larger than the log segment size configured on the broker, so it can never be appended.";
    NOT_ENOUGH_REPLICAS = 19 [retriable]
        "The write was refused because fewer replicas are in sync than min.insync.replicas requires; retry later.";
    NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20 [retriable]
        "The leader appended the write, but too few in-sync replicas acknowledged it; a retry can duplicate it unless the producer is idempotent.";
    INVALID_REQUIRED_ACKS = 21 []
        "The acks value in the produce request is not one the broker accepts (-1, 0 or 1).";
    ILLEGAL_GENERATION = 22 []
        "The generation id in the request is not the group's current generation; the member has to rejoin the group.";
    INCONSISTENT_GROUP_PROTOCOL = 23 []
        "The member's protocol type or list of protocols is empty or incompatible with the group's current members, so it cannot join.";
    INVALID_GROUP_ID = 24 []
        "The group id is empty or otherwise not valid.";
    UNKNOWN_MEMBER_ID = 25 []
        "The coordinator does not recognise this member id; the member should clear its id and join the group afresh.";
    INVALID_SESSION_TIMEOUT = 26 []
        "The member's session timeout falls outside the bounds set by the broker's group.min.session.timeout.ms and group.max.session.timeout.ms; configure one within them.";
    REBALANCE_IN_PROGRESS = 27 []
        "The group is rebalancing; the member has to rejoin before its commits or heartbeats can succeed.";
    INVALID_COMMIT_OFFSET_SIZE = 28 []
        "The offset commit was refused because the data it carries is too large.";
    TOPIC_AUTHORIZATION_FAILED = 29 []
        "The principal lacks permission for the topic.";
    GROUP_AUTHORIZATION_FAILED = 30 []
        "The principal lacks permission for the group.";
    CLUSTER_AUTHORIZATION_FAILED = 31 []
        "The principal lacks permission for this cluster-level operation.";
    INVALID_TIMESTAMP = 32 []
        "A record's timestamp is further from the broker's clock than the topic tolerates.";
    UNSUPPORTED_SASL_MECHANISM = 33 []
        "The SASL mechanism the client asked for is not enabled on the broker.";
    ILLEGAL_SASL_STATE = 34 []
        "The request is not allowed at this stage of the SASL exchange.";
    UNSUPPORTED_VERSION = 35 []
        "The broker does not support the API version used; pick versions from the broker's ApiVersions response.";
    TOPIC_ALREADY_EXISTS = 36 []
        "A topic of that name exists already.";
    INVALID_PARTITIONS = 37 []
        "The number of partitions asked for is not valid (for example less than 1).";
    INVALID_REPLICATION_FACTOR = 38 []
        "The replication factor must be at least 1 and at most the number of brokers available.";
    INVALID_REPLICA_ASSIGNMENT = 39 []
        "The explicit assignment of replicas to brokers in the request is not valid.";
    INVALID_CONFIG = 40 []
        "A configuration key or value in the request is not valid.";
    NOT_CONTROLLER = 41 [retriable]
        "The node that received the request is not the active controller; find the controller again and retry.";
    INVALID_REQUEST = 42 []
        "The broker found the request malformed or self-contradictory, which usually means a client bug or a version mismatch; the broker log says more.";
    UNSUPPORTED_FOR_MESSAGE_FORMAT = 43 []
        "The request needs a newer message format than the one the topic or broker uses.";
    POLICY_VIOLATION = 44 []
        "The request breaks a policy configured on the broker (such as a topic creation policy).";
    OUT_OF_ORDER_SEQUENCE_NUMBER = 45 []
        "The broker saw a gap in the producer's sequence numbers, so records may have been lost; a plain retry cannot fix this.";
    DUPLICATE_SEQUENCE_NUMBER = 46 []
        "The broker already holds a batch with this producer sequence number: the batch is a duplicate of one already written.";
    INVALID_PRODUCER_EPOCH = 47 []
        "The producer used an epoch older than the current one for its producer id; a transactional producer should abort its transaction.";
    INVALID_TXN_STATE = 48 []
        "The transactional operation is not allowed in the transaction's current state.";
    INVALID_PRODUCER_ID_MAPPING = 49 []
        "The producer id is not the one currently assigned to the transactional id (it may have expired); the producer must get a new one.";
    INVALID_TRANSACTION_TIMEOUT = 50 []
        "The requested transaction timeout exceeds the broker's transaction.max.timeout.ms; lower the producer's transaction timeout.";
    CONCURRENT_TRANSACTIONS = 51 [retriable]
        "Another operation on the same transaction (such as a previous commit or abort) is still finishing; retry after a backoff.";
    TRANSACTION_COORDINATOR_FENCED = 52 []
        "The transaction coordinator that sent this request has been replaced by a newer coordinator for the producer.";
    TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53 []
        "The principal lacks permission for the transactional id.";
    SECURITY_DISABLED = 54 []
        "The operation needs security features that the broker has not enabled.";
    OPERATION_NOT_ATTEMPTED = 55 []
        "The broker skipped this operation because another operation in the same batched request failed.";
    KAFKA_STORAGE_ERROR = 56 [retriable metadata]
        "The broker had a disk error on the log directory holding the partition; refresh metadata (leadership may move) and retry.";
    LOG_DIR_NOT_FOUND = 57 []
        "The log directory named in the request is not among the broker's configured ones.";
    SASL_AUTHENTICATION_FAILED = 58 []
        "SASL authentication did not succeed, for instance because the credentials are wrong.";
    UNKNOWN_PRODUCER_ID = 59 []
        "The broker no longer has state for the producer id, typically because retention removed all its records; the producer has to reset its id or sequence.";
    REASSIGNMENT_IN_PROGRESS = 60 []
        "The operation clashes with a partition reassignment that is under way.";
    DELEGATION_TOKEN_AUTH_DISABLED = 61 []
        "The cluster does not have delegation token support switched on.";
    DELEGATION_TOKEN_NOT_FOUND = 62 []
        "The broker has no such delegation token.";
    DELEGATION_TOKEN_OWNER_MISMATCH = 63 []
        "The principal is neither the owner nor an allowed renewer of the token.";
    DELEGATION_TOKEN_REQUEST_NOT_ALLOWED = 64 []
        "Token operations are refused on connections without an authenticated identity (plaintext, one-way TLS) and on connections that logged in with a delegation token.";
    DELEGATION_TOKEN_AUTHORIZATION_FAILED = 65 []
        "The principal lacks permission for this delegation token operation.";
    DELEGATION_TOKEN_EXPIRED = 66 []
        "The delegation token is past its expiry time.";
    INVALID_PRINCIPAL_TYPE = 67 []
        "The principal type given is not one the broker supports.";
    NON_EMPTY_GROUP = 68 []
        "The group still has members, so it cannot be deleted.";
    GROUP_ID_NOT_FOUND = 69 []
        "There is no group with this id.";
    FETCH_SESSION_ID_NOT_FOUND = 70 [retriable]
        "The broker has no fetch session with this id (it expired or was evicted); start over with a full fetch.";
    INVALID_FETCH_SESSION_EPOCH = 71 [retriable]
        "The fetch session epoch does not match the broker's; start over with a full fetch.";
    LISTENER_NOT_FOUND = 72 [retriable metadata]
        "The partition leader has no listener with the name of the one this metadata request arrived on; refresh metadata and retry.";
    TOPIC_DELETION_DISABLED = 73 []
        "Deleting topics is switched off on the cluster (delete.topic.enable=false).";
    FENCED_LEADER_EPOCH = 74 [retriable metadata]
        "The request's leader epoch is older than the broker's, so the client's metadata is stale; refresh it and retry.";
    UNKNOWN_LEADER_EPOCH = 75 [retriable]
        "The request's leader epoch is newer than the broker knows, so the broker is lagging behind; retry after a backoff.";
    UNSUPPORTED_COMPRESSION_TYPE = 76 []
        "The request version is too old to carry data in the compression codec this partition uses (for example zstd).";
    STALE_BROKER_EPOCH = 77 []
        "The broker epoch in the request is out of date because the broker has registered again since.";
    OFFSET_NOT_AVAILABLE = 78 [retriable]
        "The new leader's high watermark has not caught up since the last election, so it cannot answer for this offset yet; retry later.";
    MEMBER_ID_REQUIRED = 79 []
        "The group wants the member to have an id first: rejoin with the member id handed back alongside this error.";
    PREFERRED_LEADER_NOT_AVAILABLE = 80 [retriable metadata]
        "The partition's preferred leader cannot be elected right now.";
    GROUP_MAX_SIZE_REACHED = 81 []
        "The group already has as many members as it is allowed.";
    FENCED_INSTANCE_ID = 82 []
        "Another member has joined with the same group.instance.id and a different member id, fencing out this static member.";
    ELIGIBLE_LEADERS_NOT_AVAILABLE = 83 [retriable metadata]
        "No replica that may become leader is available for the election asked for.";
    ELECTION_NOT_NEEDED = 84 [retriable metadata]
        "The leader election asked for is pointless: the partition already has the desired leader.";
    NO_REASSIGNMENT_IN_PROGRESS = 85 []
        "There is no partition reassignment under way to change or cancel.";
    GROUP_SUBSCRIBED_TO_TOPIC = 86 []
        "The group's offsets for the topic cannot be deleted while the group is subscribed to it.";
    INVALID_RECORD = 87 []
        "A record in the batch failed the broker's validation; sending it again unchanged will not help.";
    UNSTABLE_OFFSET_COMMIT = 88 [retriable]
        "Transactional offset commits for the partition are still pending; retry the offset fetch later.";
    THROTTLING_QUOTA_EXCEEDED = 89 [retriable]
        "The request would go over the principal's quota for cluster mutations; retry after the throttle time.";
    PRODUCER_FENCED = 90 []
        "A newer producer with the same transactional id has fenced this one; this producer instance must be closed.";
    RESOURCE_NOT_FOUND = 91 []
        "A resource named in the request does not exist.";
    DUPLICATE_RESOURCE = 92 []
        "The request names the same resource more than once.";
    UNACCEPTABLE_CREDENTIAL = 93 []
        "The credential supplied fails the broker's rules for acceptable credentials.";
    INCONSISTENT_VOTER_SET = 94 []
        "The sender or the receiver of a KRaft voter request is not in the expected set of voters.";
    INVALID_UPDATE_VERSION = 95 []
        "The version given in the feature update is not valid.";
    FEATURE_UPDATE_FAILED = 96 []
        "The finalized feature versions could not be updated because of an unexpected server error.";
    PRINCIPAL_DESERIALIZATION_FAILURE = 97 []
        "The principal of a forwarded request could not be deserialized, which points at a security misconfiguration inside the cluster.";
    SNAPSHOT_NOT_FOUND = 98 []
        "The KRaft snapshot asked for does not exist.";
    POSITION_OUT_OF_RANGE = 99 []
        "The position asked for is negative or beyond the end of the snapshot.";
    UNKNOWN_TOPIC_ID = 100 [retriable metadata]
        "The broker does not host a topic with this id; refresh metadata and retry.";
    DUPLICATE_BROKER_REGISTRATION = 101 []
        "Another broker has already registered under this broker id.";
    BROKER_ID_NOT_REGISTERED = 102 []
        "No broker has registered under this broker id.";
    INCONSISTENT_TOPIC_ID = 103 [retriable metadata]
        "The topic id in the request differs from the one of the partition's log (the topic may have been recreated); refresh metadata and retry.";
    INCONSISTENT_CLUSTER_ID = 104 []
        "The cluster id in the request differs from the receiver's own.";
    TRANSACTIONAL_ID_NOT_FOUND = 105 []
        "There is no transaction state for this transactional id.";
    FETCH_SESSION_TOPIC_ID_ERROR = 106 [retriable]
        "The fetch session used topic ids inconsistently (for example a topic id changed); start over with a new session.";
    INELIGIBLE_REPLICA = 107 []
        "The proposed in-sync replica set includes a replica that is not allowed in it.";
    NEW_LEADER_ELECTED = 108 []
        "The partition state change was applied, but meanwhile leadership moved to another replica.";
    OFFSET_MOVED_TO_TIERED_STORAGE = 109 []
        "The offset asked for is no longer on local disk and has to be read from tiered (remote) storage.";
    FENCED_MEMBER_EPOCH = 110 []
        "The group coordinator has fenced this member's epoch; the member must give up all its partitions and rejoin.";
    UNRELEASED_INSTANCE_ID = 111 []
        "Another member still holds this group instance id and has to leave the group before it can be reused.";
    UNSUPPORTED_ASSIGNOR = 112 []
        "The group does not support the server-side assignor (or the version range) asked for.";
    STALE_MEMBER_EPOCH = 113 []
        "The member's epoch is behind the coordinator's; retry once a group heartbeat response has delivered the current epoch.";
    MISMATCHED_ENDPOINT_TYPE = 114 []
        "The request reached the wrong kind of endpoint (for example a broker API sent to a controller).";
    UNSUPPORTED_ENDPOINT_TYPE = 115 []
        "The broker does not yet support the endpoint type requested.";
    UNKNOWN_CONTROLLER_ID = 116 []
        "No controller with the given id is known.";
    UNKNOWN_SUBSCRIPTION_ID = 117 []
        "The client telemetry subscription id is unknown or out of date; fetch a fresh subscription.";
    TELEMETRY_TOO_LARGE = 118 []
        "The client telemetry pushed is bigger than the broker accepts.";
    INVALID_REGISTRATION = 119 []
        "The controller rejected the broker's registration as invalid.";
    TRANSACTION_ABORTABLE = 120 []
        "The transaction ran into a server-side error; abort it, after which the transactional id is usable again.";
    INVALID_RECORD_STATE = 121 []
        "The share-group record is not in a state that permits this acknowledgement, so the acknowledgement was not applied.";
    SHARE_SESSION_NOT_FOUND = 122 [retriable]
        "The broker has no share session with this id; open a new share session.";
    INVALID_SHARE_SESSION_EPOCH = 123 [retriable]
        "The share session epoch does not match the broker's; open a new share session.";
    FENCED_STATE_EPOCH = 124 []
        "The share-group state epoch sent to the share coordinator is out of date, so the coordinator refused the request.";
    INVALID_VOTER_KEY = 125 []
        "The voter key does not match the key of the replica that received the request.";
    DUPLICATE_VOTER = 126 []
        "The replica named is already one of the KRaft voters.";
    VOTER_NOT_FOUND = 127 []
        "The replica named is not one of the current KRaft voters.";
    INVALID_REGULAR_EXPRESSION = 128 []
        "The regular expression (such as a subscription pattern) is not valid.";
    // Added after the 4.0 snapshot this table was checked against: 129 in Kafka 4.0, 130-133 in 4.1.
    REBOOTSTRAP_REQUIRED = 129 []
        "The client's metadata is too stale to be repaired by a refresh; throw it away and bootstrap again from the configured servers.";
    STREAMS_INVALID_TOPOLOGY = 130 []
        "The Streams topology sent to the group is not valid.";
    STREAMS_INVALID_TOPOLOGY_EPOCH = 131 []
        "The Streams topology epoch sent to the group is not valid.";
    STREAMS_TOPOLOGY_FENCED = 132 []
        "The Streams topology epoch sent is older than the group's current one.";
    SHARE_SESSION_LIMIT_REACHED = 133 [retriable]
        "The broker already has as many share sessions as it allows, so no new one could be opened; retry later.";
}

impl ErrorCode {
    /// The error code with this number (any `i16` is accepted; see [`is_known`](Self::is_known)).
    pub const fn from_i16(code: i16) -> ErrorCode {
        ErrorCode(code)
    }

    /// The number sent on the wire.
    pub const fn code(self) -> i16 {
        self.0
    }

    /// Whether this is [`NONE`](Self::NONE) (code 0), i.e. success.
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// `Ok(())` for [`NONE`](Self::NONE), otherwise `Err(self)`, so that `?` can propagate
    /// error codes.
    pub const fn into_result(self) -> Result<(), ErrorCode> {
        if self.is_ok() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl From<i16> for ErrorCode {
    fn from(code: i16) -> ErrorCode {
        ErrorCode(code)
    }
}

impl From<ErrorCode> for i16 {
    fn from(code: ErrorCode) -> i16 {
        code.0
    }
}

/// `NAME (code): description`, e.g. `NOT_LEADER_OR_FOLLOWER (6): The broker is not ...`.
impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.name(), self.0, self.description())
    }
}

/// `NAME(code)`, e.g. `NOT_LEADER_OR_FOLLOWER(6)` or `UNKNOWN(999)`.
impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl std::error::Error for ErrorCode {}

#[cfg(test)]
mod tests {
    use super::ErrorCode;
    use std::collections::HashSet;

    #[test]
    fn error_code_table_is_consistent() {
        let all = ErrorCode::ALL;
        assert_eq!(all.len(), 135);
        assert_eq!(all.first(), Some(&ErrorCode::UNKNOWN_SERVER_ERROR));
        assert_eq!(all.last(), Some(&ErrorCode::SHARE_SESSION_LIMIT_REACHED));
        // Strictly increasing codes: sorted and unique. Kafka's codes run from -1 without gaps.
        for pair in all.windows(2) {
            assert!(pair[0] < pair[1], "{:?} before {:?}", pair[0], pair[1]);
            assert_eq!(pair[0].code() + 1, pair[1].code(), "gap after {:?}", pair[0]);
        }
        let mut names = HashSet::new();
        let mut descriptions = HashSet::new();
        for &c in all {
            assert!(c.is_known());
            assert_eq!(ErrorCode::from_i16(c.code()), c);
            assert_eq!(ErrorCode::from(i16::from(c)), c);
            assert!(names.insert(c.name()), "duplicate name {}", c.name());
            assert_ne!(c.name(), "UNKNOWN");
            let d = c.description();
            assert!(descriptions.insert(d), "duplicate description for {c:?}");
            assert!(!d.is_empty() && d.ends_with('.') && !d.contains('\n'), "{c:?}: {d:?}");
            // Metadata errors are all retriable, and so are the coordinator ones.
            if c.invalidates_metadata() || c.invalidates_coordinator() {
                assert!(c.is_retriable(), "{c:?}");
            }
        }
    }

    #[test]
    fn error_code_unknown_codes() {
        let known: HashSet<i16> = ErrorCode::ALL.iter().map(|c| c.code()).collect();
        let samples = [i16::MIN, -1000, -2, 134, 999, 1000, i16::MAX];
        for code in (-300..=300).chain(samples) {
            if known.contains(&code) {
                continue;
            }
            let c = ErrorCode::from(code);
            assert!(!c.is_known());
            assert_eq!(c.name(), "UNKNOWN");
            assert!(!c.is_retriable());
            assert!(!c.invalidates_metadata());
            assert!(!c.invalidates_coordinator());
            assert!(!c.is_ok());
            assert_eq!(c.into_result(), Err(c));
            assert!(!c.description().is_empty());
        }
        assert_eq!(format!("{:?}", ErrorCode(999)), "UNKNOWN(999)");
        assert!(ErrorCode(999).to_string().starts_with("UNKNOWN (999): "));
    }

    /// Spot checks, each verified against the exception class Kafka's `Errors` maps the code to
    /// (org.apache.kafka.common.errors, trunk October 2024) and its superclasses.
    #[test]
    fn error_code_retriability_matches_java() {
        let retriable = [
            ErrorCode::CORRUPT_MESSAGE,                  // CorruptRecordException
            ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,       // via InvalidMetadataException
            ErrorCode::LEADER_NOT_AVAILABLE,             // via InvalidMetadataException
            ErrorCode::NOT_LEADER_OR_FOLLOWER,           // via NotLeaderForPartitionException
            ErrorCode::REQUEST_TIMED_OUT,                // TimeoutException
            ErrorCode::REPLICA_NOT_AVAILABLE,            // via InvalidMetadataException
            ErrorCode::NETWORK_EXCEPTION,                // via InvalidMetadataException
            ErrorCode::COORDINATOR_LOAD_IN_PROGRESS,     // RetriableException
            ErrorCode::COORDINATOR_NOT_AVAILABLE,        // RetriableException
            ErrorCode::NOT_COORDINATOR,                  // RetriableException
            ErrorCode::NOT_ENOUGH_REPLICAS,              // RetriableException
            ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND, // RetriableException
            ErrorCode::NOT_CONTROLLER,                   // RetriableException
            ErrorCode::CONCURRENT_TRANSACTIONS,          // RetriableException
            ErrorCode::KAFKA_STORAGE_ERROR,              // via InvalidMetadataException
            ErrorCode::FETCH_SESSION_ID_NOT_FOUND,       // RetriableException
            ErrorCode::INVALID_FETCH_SESSION_EPOCH,      // RetriableException
            ErrorCode::FENCED_LEADER_EPOCH,              // via InvalidMetadataException
            ErrorCode::UNKNOWN_LEADER_EPOCH,             // RetriableException
            ErrorCode::OFFSET_NOT_AVAILABLE,             // RetriableException
            ErrorCode::UNSTABLE_OFFSET_COMMIT,           // RetriableException
            ErrorCode::THROTTLING_QUOTA_EXCEEDED,        // RetriableException
            ErrorCode::UNKNOWN_TOPIC_ID,                 // via InvalidMetadataException
            ErrorCode::SHARE_SESSION_LIMIT_REACHED,      // RetriableException (Kafka 4.1)
        ];
        let not_retriable = [
            ErrorCode::NONE,
            ErrorCode::UNKNOWN_SERVER_ERROR,
            ErrorCode::OFFSET_OUT_OF_RANGE,
            ErrorCode::BROKER_NOT_AVAILABLE,
            ErrorCode::MESSAGE_TOO_LARGE,
            ErrorCode::RECORD_LIST_TOO_LARGE,
            ErrorCode::INVALID_REQUIRED_ACKS,
            ErrorCode::ILLEGAL_GENERATION,
            ErrorCode::UNKNOWN_MEMBER_ID,
            ErrorCode::REBALANCE_IN_PROGRESS,
            ErrorCode::TOPIC_AUTHORIZATION_FAILED,
            ErrorCode::GROUP_AUTHORIZATION_FAILED,
            ErrorCode::UNSUPPORTED_VERSION,
            ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER,
            ErrorCode::DUPLICATE_SEQUENCE_NUMBER,
            ErrorCode::INVALID_PRODUCER_EPOCH,
            ErrorCode::UNKNOWN_PRODUCER_ID, // extends OutOfOrderSequenceException
            ErrorCode::PRODUCER_FENCED,
            ErrorCode::FENCED_INSTANCE_ID,
            ErrorCode::INVALID_RECORD,
            ErrorCode::FENCED_MEMBER_EPOCH,
            ErrorCode::STALE_MEMBER_EPOCH,
            ErrorCode::TRANSACTION_ABORTABLE,
            ErrorCode::REBOOTSTRAP_REQUIRED,
        ];
        for c in retriable {
            assert!(c.is_retriable(), "{c:?} should be retriable");
        }
        for c in not_retriable {
            assert!(!c.is_retriable(), "{c:?} should not be retriable");
        }
        let count = ErrorCode::ALL.iter().filter(|c| c.is_retriable()).count();
        assert_eq!(count, 32);
    }

    #[test]
    fn error_code_metadata_and_coordinator_sets() {
        let metadata: Vec<ErrorCode> = ErrorCode::ALL.iter().copied().filter(|c| c.invalidates_metadata()).collect();
        assert_eq!(
            metadata,
            [
                ErrorCode::UNKNOWN_TOPIC_OR_PARTITION,
                ErrorCode::LEADER_NOT_AVAILABLE,
                ErrorCode::NOT_LEADER_OR_FOLLOWER,
                ErrorCode::REPLICA_NOT_AVAILABLE,
                ErrorCode::NETWORK_EXCEPTION,
                ErrorCode::KAFKA_STORAGE_ERROR,
                ErrorCode::LISTENER_NOT_FOUND,
                ErrorCode::FENCED_LEADER_EPOCH,
                ErrorCode::PREFERRED_LEADER_NOT_AVAILABLE,
                ErrorCode::ELIGIBLE_LEADERS_NOT_AVAILABLE,
                ErrorCode::ELECTION_NOT_NEEDED,
                ErrorCode::UNKNOWN_TOPIC_ID,
                ErrorCode::INCONSISTENT_TOPIC_ID,
            ]
        );
        assert!(!ErrorCode::UNKNOWN_LEADER_EPOCH.invalidates_metadata());
        assert!(!ErrorCode::NOT_COORDINATOR.invalidates_metadata());
        let coordinator: Vec<ErrorCode> =
            ErrorCode::ALL.iter().copied().filter(|c| c.invalidates_coordinator()).collect();
        assert_eq!(coordinator, [ErrorCode::COORDINATOR_NOT_AVAILABLE, ErrorCode::NOT_COORDINATOR]);
    }

    #[test]
    fn error_code_names_numbers_and_formatting() {
        assert_eq!(ErrorCode::NONE.code(), 0);
        assert_eq!(ErrorCode::UNKNOWN_SERVER_ERROR.code(), -1);
        assert_eq!(ErrorCode::OFFSET_OUT_OF_RANGE.code(), 1);
        assert_eq!(ErrorCode::NOT_LEADER_OR_FOLLOWER.code(), 6);
        assert_eq!(ErrorCode::REBALANCE_IN_PROGRESS.code(), 27);
        assert_eq!(ErrorCode::UNKNOWN_PRODUCER_ID.code(), 59);
        assert_eq!(ErrorCode::FENCED_LEADER_EPOCH.code(), 74);
        assert_eq!(ErrorCode::UNKNOWN_TOPIC_ID.code(), 100);
        assert_eq!(ErrorCode::INVALID_REGULAR_EXPRESSION.code(), 128);
        assert_eq!(ErrorCode::SHARE_SESSION_LIMIT_REACHED.code(), 133);
        assert_eq!(ErrorCode(6).name(), "NOT_LEADER_OR_FOLLOWER");
        assert_eq!(ErrorCode(-1).name(), "UNKNOWN_SERVER_ERROR");

        let c = ErrorCode::NOT_LEADER_OR_FOLLOWER;
        assert_eq!(format!("{c:?}"), "NOT_LEADER_OR_FOLLOWER(6)");
        assert_eq!(c.to_string(), format!("NOT_LEADER_OR_FOLLOWER (6): {}", c.description()));
        assert_eq!(format!("{:?}", ErrorCode::UNKNOWN_SERVER_ERROR), "UNKNOWN_SERVER_ERROR(-1)");
        let boxed: Box<dyn std::error::Error> = Box::new(c);
        assert!(boxed.to_string().starts_with("NOT_LEADER_OR_FOLLOWER (6): "));
    }

    #[test]
    fn error_code_results_defaults_and_patterns() {
        assert!(ErrorCode::NONE.is_ok());
        assert_eq!(ErrorCode::default(), ErrorCode::NONE);
        assert_eq!(ErrorCode::NONE.into_result(), Ok(()));
        assert_eq!(ErrorCode::MESSAGE_TOO_LARGE.into_result(), Err(ErrorCode::MESSAGE_TOO_LARGE));
        assert!(!ErrorCode::UNKNOWN_SERVER_ERROR.is_ok());

        fn classify(c: ErrorCode) -> &'static str {
            match c {
                ErrorCode::NONE => "ok",
                ErrorCode::NOT_LEADER_OR_FOLLOWER | ErrorCode::FENCED_LEADER_EPOCH => "leader",
                ErrorCode(-1) => "server",
                _ => "other",
            }
        }
        assert_eq!(classify(ErrorCode(0)), "ok");
        assert_eq!(classify(ErrorCode(74)), "leader");
        assert_eq!(classify(ErrorCode(-1)), "server");
        assert_eq!(classify(ErrorCode(10)), "other");

        // Usable in const contexts.
        const NAME: &str = ErrorCode::from_i16(16).name();
        assert_eq!(NAME, "NOT_COORDINATOR");
    }
}
