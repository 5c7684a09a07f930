//! The rebalance listener: the application's say when the group moves partitions.

use std::collections::HashMap;

use super::types::{OffsetAndMetadata, TopicPartition};

/// Told when the group takes partitions from this member or gives it new ones (Java's
/// `ConsumerRebalanceListener`). The methods run inside [`poll`](super::Consumer::poll) (or
/// the record stream), on the application's task, as in Java: the rebalance waits for them.
///
/// Each gets a [`Rebalance`] to read positions, commit and seek: commits asked for in
/// [`on_partitions_revoked`](Self::on_partitions_revoked) are made (synchronously) before the
/// partitions are given up.
///
/// ```
/// use kafkit_client::consumer::{Rebalance, RebalanceListener, TopicPartition};
///
/// /// Commits exactly what was processed before giving partitions up.
/// struct CommitOnRevoke;
///
/// impl RebalanceListener for CommitOnRevoke {
///     fn on_partitions_revoked(&mut self, rebalance: &mut Rebalance<'_>, partitions: &[TopicPartition]) {
///         for tp in partitions {
///             if let Some(next) = rebalance.position(tp) {
///                 rebalance.commit(tp.clone(), next);
///             }
///         }
///     }
/// }
/// ```
pub trait RebalanceListener: Send {
    /// These partitions are being taken away (the member still owns them: commits work).
    /// With eager assignors every partition is revoked before each rebalance; with
    /// cooperative-sticky only those that move.
    fn on_partitions_revoked(&mut self, rebalance: &mut Rebalance<'_>, partitions: &[TopicPartition]) {
        let _ = (rebalance, partitions);
    }

    /// These partitions were assigned (eager: the whole assignment; cooperative: those
    /// added). Seeks made here decide where reading starts.
    fn on_partitions_assigned(&mut self, rebalance: &mut Rebalance<'_>, partitions: &[TopicPartition]) {
        let _ = (rebalance, partitions);
    }

    /// These partitions were lost: the member was removed from the group (session timeout,
    /// poll interval exceeded, fenced generation). They may already be another member's, so
    /// commits asked for here are not made. By default the same as
    /// [`on_partitions_revoked`](Self::on_partitions_revoked), as in Java.
    fn on_partitions_lost(&mut self, rebalance: &mut Rebalance<'_>, partitions: &[TopicPartition]) {
        self.on_partitions_revoked(rebalance, partitions)
    }
}

/// What a [`RebalanceListener`] can do during a rebalance.
pub struct Rebalance<'a> {
    pub(crate) positions: &'a (dyn Fn(&TopicPartition) -> Option<i64> + Sync),
    pub(crate) commits: HashMap<TopicPartition, OffsetAndMetadata>,
    pub(crate) seeks: Vec<(TopicPartition, i64)>,
}

impl std::fmt::Debug for Rebalance<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rebalance").field("commits", &self.commits).field("seeks", &self.seeks).finish_non_exhaustive()
    }
}

impl Rebalance<'_> {
    /// The next offset this member would read from `partition` (what `commit` would store),
    /// if it has one.
    pub fn position(&self, partition: &TopicPartition) -> Option<i64> {
        (self.positions)(partition)
    }

    /// Commits `offset` (the next offset to read) for `partition` before the rebalance goes on.
    pub fn commit(&mut self, partition: TopicPartition, offset: impl Into<OffsetAndMetadata>) {
        self.commits.insert(partition, offset.into());
    }

    /// Starts reading an assigned partition at `offset` (in `on_partitions_assigned`).
    pub fn seek(&mut self, partition: TopicPartition, offset: i64) {
        self.seeks.push((partition, offset));
    }
}
