//! The poller's politeness: at most `max_concurrent` fetches at once, and
//! `max_per_host` to any one host, for feeds and article pages alike.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;
use url::Url;

use crate::net::{FetchOutcome, Fetcher, Validators};

pub(super) struct FetchLimits {
    global: Semaphore,
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl FetchLimits {
    pub(super) fn new(global: usize, per_host: usize) -> FetchLimits {
        FetchLimits {
            global: Semaphore::new(global.max(1)),
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// One fetch of `url` once both its global and its host's slot are
    /// free (waiting for them); `None` if the limits were closed.
    pub(super) async fn fetch(
        &self,
        fetcher: &Fetcher,
        url: &Url,
        validators: &Validators,
    ) -> Option<FetchOutcome> {
        let _global = self.global.acquire().await.ok()?;
        let host = self.host(url);
        let _host = host.acquire().await.ok()?;
        Some(fetcher.fetch(url, validators).await)
    }

    /// The limit of `url`'s host. Hosts nobody is fetching from (the map
    /// holds their only reference) are forgotten on the way, so the map
    /// holds hosts in use, not every host ever polled.
    fn host(&self, url: &Url) -> Arc<Semaphore> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let mut map = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| Arc::strong_count(s) > 1);
        Arc::clone(
            map.entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host))),
        )
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
    fn hosts_nobody_fetches_from_are_forgotten() {
        let limits = FetchLimits::new(4, 2);
        let held: Vec<_> = (0..3)
            .map(|n| limits.host(&Url::parse(&format!("https://h{n}.example/")).expect("url")))
            .collect();
        for n in 3..1000 {
            drop(limits.host(&Url::parse(&format!("https://h{n}.example/")).expect("url")));
        }
        let _next = limits.host(&Url::parse("https://last.example/").expect("url"));
        assert_eq!(limits.tracked_hosts(), 4, "the three held and the last");
        drop(held);
    }
}
