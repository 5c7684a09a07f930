//! The range assignor (Java's `RangeAssignor`, librdkafka's `range`).

use std::collections::BTreeMap;

use super::{Assignor, Group, MemberSubscription};
use crate::consumer::types::TopicPartition;
use crate::error::Result;

/// `range`: topic by topic, the partitions are split into consecutive ranges over the members
/// subscribed to the topic, in Java's member order (static members by `group.instance.id`
/// first, then the others by member id); with `n` partitions and `m` members, the first
/// `n % m` members get one partition more. Eager rebalancing only.
///
/// Members subscribed to the same topics get the same partition numbers of every topic
/// (co-partitioning), which is what joins across topics rely on. Java's rack-aware variant
/// (KIP-881) is not implemented: racks are ignored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RangeAssignor;

impl Assignor for RangeAssignor {
    fn name(&self) -> &str {
        "range"
    }

    fn assign(
        &self,
        partitions_per_topic: &BTreeMap<String, i32>,
        members: &BTreeMap<String, MemberSubscription>,
    ) -> Result<BTreeMap<String, Vec<TopicPartition>>> {
        let group = Group::new(partitions_per_topic, members);
        let order = group.java_member_order();
        let mut assignment = vec![Vec::new(); group.members.len()];
        for topic in 0..group.topics.len() {
            let subscribers: Vec<usize> = order.iter().copied().filter(|&m| group.subscribes(m, topic)).collect();
            if subscribers.is_empty() {
                continue;
            }
            let count = group.partition_count(topic);
            let m = subscribers.len() as i32;
            let (each, extra) = (count / m, count % m);
            let mut next = 0;
            for (i, member) in subscribers.into_iter().enumerate() {
                let take = each + i32::from((i as i32) < extra);
                assignment[member].extend((next..next + take).map(|p| (topic, p)));
                next += take;
            }
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
        run(&RangeAssignor, counts, members)
    }

    // The scenarios of Java's RangeAssignorTest (apache/kafka, clients/src/test/java/org/
    // apache/kafka/clients/consumer/RangeAssignorTest.java), without racks.

    #[test]
    fn one_consumer_no_topic() {
        let a = assign(&[], [member("consumer1", &[])]);
        assert_eq!(a.keys().collect::<Vec<_>>(), ["consumer1"]);
        assert!(a["consumer1"].is_empty());
    }

    #[test]
    fn one_consumer_nonexistent_topic() {
        let a = assign(&[], [member("consumer1", &["topic1"])]);
        assert_eq!(a.len(), 1);
        assert!(a["consumer1"].is_empty());
    }

    #[test]
    fn one_consumer_one_topic_and_only_subscribed_topics() {
        let a = assign(&[("topic1", 3), ("other", 3)], [member("consumer1", &["topic1"])]);
        assert_eq!(a["consumer1"], sorted(&[("topic1", 0), ("topic1", 1), ("topic1", 2)]));
    }

    #[test]
    fn one_consumer_multiple_topics() {
        let a = assign(&[("topic1", 1), ("topic2", 2)], [member("consumer1", &["topic1", "topic2"])]);
        assert_eq!(a["consumer1"], sorted(&[("topic1", 0), ("topic2", 0), ("topic2", 1)]));
    }

    #[test]
    fn two_consumers_one_topic_one_partition() {
        let a = assign(&[("topic1", 1)], [member("consumer1", &["topic1"]), member("consumer2", &["topic1"])]);
        assert_eq!(a["consumer1"], sorted(&[("topic1", 0)]));
        assert!(a["consumer2"].is_empty());
    }

    #[test]
    fn two_consumers_one_topic_two_partitions() {
        let a = assign(&[("topic1", 2)], [member("consumer1", &["topic1"]), member("consumer2", &["topic1"])]);
        assert_eq!(a["consumer1"], sorted(&[("topic1", 0)]));
        assert_eq!(a["consumer2"], sorted(&[("topic1", 1)]));
    }

    #[test]
    fn two_consumers_one_topic_three_partitions() {
        let a = assign(&[("topic1", 3)], [member("consumer1", &["topic1"]), member("consumer2", &["topic1"])]);
        assert_eq!(a["consumer1"], sorted(&[("topic1", 0), ("topic1", 1)]));
        assert_eq!(a["consumer2"], sorted(&[("topic1", 2)]));
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
    fn two_consumers_two_topics_six_partitions() {
        let both = ["topic1", "topic2"];
        let a = assign(&[("topic1", 3), ("topic2", 3)], [member("consumer1", &both), member("consumer2", &both)]);
        assert_eq!(a["consumer1"], sorted(&[("topic1", 0), ("topic1", 1), ("topic2", 0), ("topic2", 1)]));
        assert_eq!(a["consumer2"], sorted(&[("topic1", 2), ("topic2", 2)]));
    }

    #[test]
    fn static_members_are_ordered_by_instance_id_not_member_id() {
        let both = ["topic1", "topic2"];
        // consumer-a sorts first by member id, but its instance id sorts second.
        let a = assign(
            &[("topic1", 3), ("topic2", 3)],
            [static_member("consumer-b", "instance1", &both), static_member("consumer-a", "instance2", &both)],
        );
        assert_eq!(a["consumer-b"], sorted(&[("topic1", 0), ("topic1", 1), ("topic2", 0), ("topic2", 1)]));
        assert_eq!(a["consumer-a"], sorted(&[("topic1", 2), ("topic2", 2)]));
        // A static member comes before a dynamic one whatever their member ids.
        let a = assign(
            &[("topic1", 3), ("topic2", 3)],
            [static_member("consumer-b", "instance1", &both), member("consumer-a", &both)],
        );
        assert_eq!(a["consumer-b"], sorted(&[("topic1", 0), ("topic1", 1), ("topic2", 0), ("topic2", 1)]));
        assert_eq!(a["consumer-a"], sorted(&[("topic1", 2), ("topic2", 2)]));
    }

    #[test]
    fn static_member_assignment_persists_across_member_changes() {
        let both = ["topic1", "topic2"];
        let counts_ = [("topic1", 5), ("topic2", 4)];
        let statics = [
            static_member("consumer1", "instance1", &both),
            static_member("consumer2", "instance2", &both),
            static_member("consumer3", "instance3", &both),
        ];
        let a = assign(&counts_, statics.iter().cloned().chain([member("consumer4", &both)]));
        assert_eq!(a["consumer1"], sorted(&[("topic1", 0), ("topic1", 1), ("topic2", 0)]));
        assert_eq!(a["consumer2"], sorted(&[("topic1", 2), ("topic2", 1)]));
        assert_eq!(a["consumer3"], sorted(&[("topic1", 3), ("topic2", 2)]));
        assert_eq!(a["consumer4"], sorted(&[("topic1", 4), ("topic2", 3)]));
        // A new dynamic member replaces consumer4: it gets consumer4's partitions.
        let b = assign(&counts_, statics.iter().cloned().chain([member("consumer5", &both)]));
        assert_eq!(b["consumer5"], a["consumer4"]);
        for id in ["consumer1", "consumer2", "consumer3"] {
            assert_eq!(a[id], b[id]);
        }
        // Static members that come back with new member ids keep their partitions.
        let renamed = [
            static_member("consumer9", "instance1", &both),
            static_member("consumer0", "instance2", &both),
            static_member("consumer3", "instance3", &both),
        ];
        let c = assign(&counts_, renamed.iter().cloned().chain([member("consumer4", &both)]));
        assert_eq!(c["consumer9"], a["consumer1"]);
        assert_eq!(c["consumer0"], a["consumer2"]);
    }

    #[test]
    fn every_member_gets_an_entry_and_every_partition_one_member() {
        let a = assign(
            &[("a", 7), ("b", 2)],
            [member("m1", &["a"]), member("m2", &["a", "b"]), member("m3", &["c"]), member("m4", &["a"])],
        );
        assert_eq!(a.len(), 4);
        assert!(a["m3"].is_empty());
        // a: 7 over 3 members → 3, 2, 2; b: 2 to m2.
        assert_eq!(a["m1"], sorted(&[("a", 0), ("a", 1), ("a", 2)]));
        assert_eq!(a["m2"], sorted(&[("a", 3), ("a", 4), ("b", 0), ("b", 1)]));
        assert_eq!(a["m4"], sorted(&[("a", 5), ("a", 6)]));
    }
}
