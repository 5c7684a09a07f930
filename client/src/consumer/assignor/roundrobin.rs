//! The round-robin assignor (Java's `RoundRobinAssignor`, librdkafka's `roundrobin`).

use std::collections::BTreeMap;

use super::{Assignor, Group, MemberSubscription};
use crate::consumer::types::TopicPartition;
use crate::error::Result;

/// `roundrobin`: every partition of every subscribed topic, in (topic, partition) order, is
/// dealt in turn to the members in Java's member order (static members by
/// `group.instance.id` first, then the others by member id), skipping members that do not
/// subscribe to its topic. Eager rebalancing only.
///
/// With identical subscriptions the partition counts differ by at most one; with different
/// subscriptions the result can be unbalanced (as in Java): prefer cooperative-sticky then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundRobinAssignor;

impl Assignor for RoundRobinAssignor {
    fn name(&self) -> &str {
        "roundrobin"
    }

    fn assign(
        &self,
        partitions_per_topic: &BTreeMap<String, i32>,
        members: &BTreeMap<String, MemberSubscription>,
    ) -> Result<BTreeMap<String, Vec<TopicPartition>>> {
        let group = Group::new(partitions_per_topic, members);
        let order = group.java_member_order();
        let mut assignment = vec![Vec::new(); group.members.len()];
        // The position of the next member in `order` (Java's CircularIterator).
        let mut next = 0;
        for (topic, partition) in group.all_partitions() {
            // Every topic in the group has a subscriber, so this stops within one turn.
            let Some(skip) = (0..order.len()).find(|i| group.subscribes(order[(next + i) % order.len()], topic)) else {
                continue;
            };
            let at = (next + skip) % order.len();
            assignment[order[at]].push((topic, partition));
            next = (at + 1) % order.len();
        }
        Ok(group.assignment_map(assignment))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn assign(
        counts: &[(&str, i32)],
        members: impl IntoIterator<Item = MemberSubscription>,
    ) -> BTreeMap<String, Vec<TopicPartition>> {
        run(&RoundRobinAssignor, counts, members)
    }

    // The scenarios of Java's RoundRobinAssignorTest (apache/kafka, clients/src/test/java/org/
    // apache/kafka/clients/consumer/RoundRobinAssignorTest.java).

    #[test]
    fn one_consumer_no_topic_or_nonexistent_topic() {
        let a = assign(&[], [member("consumer", &[])]);
        assert_eq!(a.len(), 1);
        assert!(a["consumer"].is_empty());
        let a = assign(&[], [member("consumer", &["topic"])]);
        assert!(a["consumer"].is_empty());
    }

    #[test]
    fn one_consumer_one_topic_and_only_subscribed_topics() {
        let a = assign(&[("topic", 3), ("other", 3)], [member("consumer", &["topic"])]);
        assert_eq!(a["consumer"], sorted(&[("topic", 0), ("topic", 1), ("topic", 2)]));
    }

    #[test]
    fn one_consumer_multiple_topics() {
        let a = assign(&[("topic1", 1), ("topic2", 2)], [member("consumer", &["topic1", "topic2"])]);
        assert_eq!(a["consumer"], sorted(&[("topic1", 0), ("topic2", 0), ("topic2", 1)]));
    }

    #[test]
    fn two_consumers_one_topic_one_and_two_partitions() {
        let a = assign(&[("topic", 1)], [member("consumer1", &["topic"]), member("consumer2", &["topic"])]);
        assert_eq!(a["consumer1"], sorted(&[("topic", 0)]));
        assert!(a["consumer2"].is_empty());
        let a = assign(&[("topic", 2)], [member("consumer1", &["topic"]), member("consumer2", &["topic"])]);
        assert_eq!(a["consumer1"], sorted(&[("topic", 0)]));
        assert_eq!(a["consumer2"], sorted(&[("topic", 1)]));
    }

    #[test]
    fn multiple_consumers_mixed_topics() {
        let a = assign(
            &[("topic1", 3), ("topic2", 2)],
            [
                member("consumer1", &["topic1"]),
                member("consumer2", &["topic1", "topic2"]),
                member("consumer3", &["topic1"]),
            ],
        );
        assert_eq!(a["consumer1"], sorted(&[("topic1", 0)]));
        assert_eq!(a["consumer2"], sorted(&[("topic1", 1), ("topic2", 0), ("topic2", 1)]));
        assert_eq!(a["consumer3"], sorted(&[("topic1", 2)]));
    }

    #[test]
    fn two_consumers_two_topics_six_partitions_dynamic_and_static() {
        let both = ["topic1", "topic2"];
        let counts_ = [("topic1", 3), ("topic2", 3)];
        let first = sorted(&[("topic1", 0), ("topic1", 2), ("topic2", 1)]);
        let second = sorted(&[("topic1", 1), ("topic2", 0), ("topic2", 2)]);
        let a = assign(&counts_, [member("consumer1", &both), member("consumer2", &both)]);
        assert_eq!((&a["consumer1"], &a["consumer2"]), (&first, &second));
        // Ordered by instance id, not member id.
        let a = assign(
            &counts_,
            [static_member("consumer-b", "instance1", &both), static_member("consumer-a", "instance2", &both)],
        );
        assert_eq!((&a["consumer-b"], &a["consumer-a"]), (&first, &second));
        // Static before dynamic.
        let a = assign(&counts_, [static_member("consumer-b", "instance1", &both), member("consumer-a", &both)]);
        assert_eq!((&a["consumer-b"], &a["consumer-a"]), (&first, &second));
    }

    #[test]
    fn static_member_assignment_persists() {
        let both = ["topic1", "topic2"];
        let counts_ = [("topic1", 3), ("topic2", 3)];
        let statics = [
            static_member("consumer1", "instance1", &both),
            static_member("consumer2", "instance2", &both),
            static_member("consumer3", "instance3", &both),
        ];
        let a = assign(&counts_, statics.iter().cloned().chain([member("consumer4", &both)]));
        assert_eq!(a["consumer1"], sorted(&[("topic1", 0), ("topic2", 1)]));
        assert_eq!(a["consumer2"], sorted(&[("topic1", 1), ("topic2", 2)]));
        assert_eq!(a["consumer3"], sorted(&[("topic1", 2)]));
        assert_eq!(a["consumer4"], sorted(&[("topic2", 0)]));
        let b = assign(&counts_, statics.iter().cloned().chain([member("consumer5", &both)]));
        assert_eq!(b["consumer5"], sorted(&[("topic2", 0)]));
        for id in ["consumer1", "consumer2", "consumer3"] {
            assert_eq!(a[id], b[id]);
        }
    }

    #[test]
    fn static_member_assignment_persists_after_member_id_changes() {
        let both = ["topic1", "topic2"];
        let counts_ = [("topic1", 5), ("topic2", 5)];
        let a = assign(
            &counts_,
            [
                static_member("consumer1", "instance1", &both),
                static_member("consumer2", "instance2", &both),
                static_member("consumer3", "instance3", &both),
            ],
        );
        assert_eq!(a["consumer1"], sorted(&[("topic1", 0), ("topic1", 3), ("topic2", 1), ("topic2", 4)]));
        assert_eq!(a["consumer2"], sorted(&[("topic1", 1), ("topic1", 4), ("topic2", 2)]));
        assert_eq!(a["consumer3"], sorted(&[("topic1", 2), ("topic2", 0), ("topic2", 3)]));
        let b = assign(
            &counts_,
            [
                static_member("consumer1", "instance1", &both),
                static_member("consumer5", "instance2", &both),
                static_member("consumer4", "instance3", &both),
            ],
        );
        assert_eq!(b["consumer1"], a["consumer1"]);
        assert_eq!(b["consumer5"], a["consumer2"]);
        assert_eq!(b["consumer4"], a["consumer3"]);
    }

    #[test]
    fn members_not_subscribed_are_skipped_without_losing_their_turn_order() {
        // a: [x, y], b: [y]; x has 2 partitions, y has 3.
        // x-0 → a, x-1 → (b skipped) a, y-0 → b, y-1 → a, y-2 → b.
        let a = assign(&[("x", 2), ("y", 3)], [member("a", &["x", "y"]), member("b", &["y"])]);
        assert_eq!(a["a"], sorted(&[("x", 0), ("x", 1), ("y", 1)]));
        assert_eq!(a["b"], sorted(&[("y", 0), ("y", 2)]));
    }
}
