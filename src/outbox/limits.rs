//! A delivery queue's concurrency: a global limit and one per host. A
//! claimed copy starts only when both slots are free at once, and a copy
//! whose host is full is given back rather than left waiting for its host
//! while holding a global slot — one slow host's backlog would otherwise
//! stall every other host.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct Limits {
    global: Arc<Semaphore>,
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Both slots of one delivery in flight, released on drop.
pub struct Slot {
    _global: OwnedSemaphorePermit,
    _host: OwnedSemaphorePermit,
}

impl Limits {
    pub fn new(global: usize, per_host: usize) -> Limits {
        Limits {
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// How many more deliveries may start now (how many to claim).
    pub fn free(&self) -> i64 {
        self.global.available_permits() as i64
    }

    /// Hosts with every slot taken: the claim leaves them out. Hosts with
    /// nothing in flight are forgotten here, so the map holds only hosts
    /// with a delivery under way, however many hosts a queue ever met.
    pub fn busy_hosts(&self) -> Vec<String> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.retain(|_, s| s.available_permits() < self.per_host);
        hosts
            .iter()
            .filter(|(_, s)| s.available_permits() == 0)
            .map(|(h, _)| h.clone())
            .collect()
    }

    /// Both slots for a delivery to `host`, or `None` without waiting.
    /// The host's slot is taken under the map's lock, so the sweep in
    /// `busy_hosts` can never forget a host between lookup and take.
    pub fn try_take(&self, host: &str) -> Option<Slot> {
        let host = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            let limit = hosts
                .entry(host.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)));
            Arc::clone(limit).try_acquire_owned().ok()?
        };
        let global = Arc::clone(&self.global).try_acquire_owned().ok()?;
        Some(Slot {
            _global: global,
            _host: host,
        })
    }

    /// Hosts the map remembers (for tests of its bound).
    #[cfg(test)]
    fn tracked_hosts(&self) -> usize {
        self.hosts.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_gets_no_more_than_its_slots_and_idle_hosts_are_forgotten() {
        let limits = Limits::new(100, 2);
        let a1 = limits.try_take("a.example").expect("first slot");
        let _a2 = limits.try_take("a.example").expect("second slot");
        assert!(limits.try_take("a.example").is_none(), "third refused");
        assert_eq!(limits.busy_hosts(), vec!["a.example".to_string()]);
        for n in 0..1000 {
            drop(limits.try_take(&format!("h{n}.example")).expect("slot"));
        }
        drop(a1);
        assert!(limits.busy_hosts().is_empty());
        assert_eq!(limits.tracked_hosts(), 1, "only the host still in flight");
        // Still limited after the sweep: one slot in flight, one free.
        let _again = limits.try_take("a.example").expect("freed slot");
        assert!(limits.try_take("a.example").is_none());
    }
}
