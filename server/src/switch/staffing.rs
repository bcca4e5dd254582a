//! Who routing can choose from, kept in the order it chooses in, so that a
//! routing decision costs a few lookups whatever the number of agents:
//!
//! - for each queue, its Ready agents, most proficient first and the
//!   longest idle among equals (the choice of [`super::routing`]);
//! - for each queue, how many agents are logged in at each proficiency (a
//!   call kept for the best logged in until the queue's expansion).
//!
//! The lists may still hold agents who took a call since they were listed
//! (routing drops them when it meets them, see `Switch::route`); an agent is
//! listed again when its last call ends.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BTreeSet},
};

/// A listed agent's place in its queues' orders: proficiency (highest
/// first), when it became idle, its id.
type Place = (Reverse<u8>, u64, String);

#[derive(Debug, Default)]
pub(super) struct Staffing {
    /// The Ready agents listed, with the idle time they are listed at.
    listed: BTreeMap<String, u64>,
    /// Per queue, its listed agents in the order of choice.
    by_queue: BTreeMap<String, BTreeSet<Place>>,
    /// Per queue, the agents logged in at each proficiency (index 0–5).
    logged_in: BTreeMap<String, [u32; 6]>,
}

impl Staffing {
    /// Whether no agent is listed.
    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// Lists an agent serving `queues` (queue → proficiency) as idle since
    /// `idle_since`, in place of any earlier listing.
    pub fn list(&mut self, agent_id: &str, idle_since: u64, queues: &BTreeMap<String, u8>) {
        self.unlist(agent_id, queues);
        self.listed.insert(agent_id.to_string(), idle_since);
        for (queue, level) in queues {
            self.by_queue.entry(queue.clone()).or_default().insert((
                Reverse(*level),
                idle_since,
                agent_id.to_string(),
            ));
        }
    }

    /// Takes the agent out of the lists (nothing if it is not listed).
    pub fn unlist(&mut self, agent_id: &str, queues: &BTreeMap<String, u8>) {
        let Some(idle_since) = self.listed.remove(agent_id) else {
            return;
        };
        for (queue, level) in queues {
            if let Some(set) = self.by_queue.get_mut(queue) {
                set.remove(&(Reverse(*level), idle_since, agent_id.to_string()));
            }
        }
    }

    /// The listed agents of `queue` in the order of choice, with their
    /// proficiency there.
    pub fn in_order<'a>(&'a self, queue: &str) -> impl Iterator<Item = (u8, &'a str)> + 'a {
        self.by_queue
            .get(queue)
            .into_iter()
            .flatten()
            .map(|(level, _, id)| (level.0, id.as_str()))
    }

    /// Counts an agent serving `queues` (queue → proficiency) as logged in.
    pub fn log_in(&mut self, queues: &BTreeMap<String, u8>) {
        self.recount(queues, |n| n + 1);
    }

    /// Counts an agent serving `queues` as logged out.
    pub fn log_out(&mut self, queues: &BTreeMap<String, u8>) {
        self.recount(queues, |n| n.saturating_sub(1));
    }

    /// Changes the logged-in count of each of `queues` at the agent's level.
    fn recount(&mut self, queues: &BTreeMap<String, u8>, change: fn(u32) -> u32) {
        for (queue, level) in queues {
            let count =
                &mut self.logged_in.entry(queue.clone()).or_default()[usize::from((*level).min(5))];
            *count = change(*count);
        }
    }

    /// The best proficiency among the agents logged in who serve `queue`
    /// (0 when nobody is).
    pub fn best_logged_in(&self, queue: &str) -> u8 {
        self.logged_in
            .get(queue)
            .and_then(|counts| counts.iter().rposition(|n| *n > 0))
            .map_or(0, |level| level as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues(pairs: &[(&str, u8)]) -> BTreeMap<String, u8> {
        pairs.iter().map(|(q, l)| (q.to_string(), *l)).collect()
    }

    #[test]
    fn agents_come_most_proficient_first_then_longest_idle_and_relisting_moves_them() {
        let mut s = Staffing::default();
        let (a, b, c) = (
            queues(&[("5000", 3)]),
            queues(&[("5000", 5), ("5001", 1)]),
            queues(&[("5000", 3)]),
        );
        s.list("a", 10, &a);
        s.list("b", 30, &b);
        s.list("c", 20, &c);
        let order: Vec<_> = s.in_order("5000").collect();
        assert_eq!(order, [(5, "b"), (3, "a"), (3, "c")]);
        // Listed again, idle since later: behind its equals.
        s.list("a", 40, &a);
        assert_eq!(
            s.in_order("5000").map(|(_, id)| id).collect::<Vec<_>>(),
            ["b", "c", "a"]
        );
        s.unlist("b", &b);
        s.unlist("b", &b);
        assert_eq!(s.in_order("5001").count(), 0);
        assert!(!s.is_empty());
        s.unlist("a", &a);
        s.unlist("c", &c);
        assert!(s.is_empty());
    }

    #[test]
    fn the_best_logged_in_follows_logins_and_logouts() {
        let mut s = Staffing::default();
        let (expert, novice) = (queues(&[("5000", 5)]), queues(&[("5000", 2)]));
        assert_eq!(s.best_logged_in("5000"), 0);
        s.log_in(&novice);
        s.log_in(&expert);
        assert_eq!(s.best_logged_in("5000"), 5);
        s.log_out(&expert);
        assert_eq!(s.best_logged_in("5000"), 2);
        s.log_out(&novice);
        s.log_out(&novice);
        assert_eq!(s.best_logged_in("5000"), 0);
    }
}
