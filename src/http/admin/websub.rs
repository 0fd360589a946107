//! The status page's WebSub section: our subscriptions to outlets' hubs
//! and our own hub's subscribers, with their leases, and the hub's queue.

use chrono::{DateTime, Utc};
use maud::{html, Markup};

use crate::domain::when::relative;
use crate::store::{HubSubscriber, Store, StoreError, Subscription, WebSubDeliveryCounts};

pub struct WebSubStatus {
    pub subscriptions: Vec<Subscription>,
    pub subscribers: Vec<HubSubscriber>,
    pub deliveries: WebSubDeliveryCounts,
    pub builtin_hub: bool,
}

impl WebSubStatus {
    pub async fn gather(store: &Store, builtin_hub: bool) -> Result<WebSubStatus, StoreError> {
        Ok(WebSubStatus {
            subscriptions: store.websub_subscriptions().await?,
            subscribers: store.websub_subscribers().await?,
            deliveries: store.websub_delivery_counts().await?,
            builtin_hub,
        })
    }
}

fn lease(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Markup {
    match t {
        Some(t) => html! { time datetime=(t.to_rfc3339()) { (relative(t, now)) } },
        None => html! { span.muted { "-" } },
    }
}

pub fn section(w: &WebSubStatus, now: DateTime<Utc>) -> Markup {
    html! {
        section #websub {
            h2 { "WebSub" }
            h3 { "Subscriptions to outlets' hubs" }
            @if w.subscriptions.is_empty() { p.muted { "No source advertises a hub." } }
            @else {
                table { thead { tr { th { "Source" } th { "Hub" } th { "State" } th { "Lease ends" } th { "Last error" } } }
                    tbody { @for s in &w.subscriptions {
                        tr { td { code { (s.source_id) } } td { code { (s.hub) } } td { (s.state) }
                             td { (lease(s.expires_at, now)) }
                             td.error { @if let Some(e) = &s.last_error { (e) } } }
                    } }
                }
            }
            h3 { "Subscribers of our hub" }
            @if !w.builtin_hub { p.muted { "Our hub is off (" code { "[websub] hub = \"builtin\"" } " turns it on)." } }
            @else if w.subscribers.is_empty() { p.muted { "Nobody has subscribed yet." } }
            @else {
                table { thead { tr { th { "Topic" } th { "Callback" } th { "Signed" } th { "Lease ends" } } }
                    tbody { @for s in &w.subscribers {
                        tr { td { code { (s.topic) } } td { code { (s.callback) } }
                             td { @if s.has_secret { "yes" } @else { "no" } }
                             td { (lease(s.expires_at, now)) } }
                    } }
                }
            }
            p { "Hub deliveries: " (w.deliveries.pending) " pending, " (w.deliveries.done) " done, "
                (w.deliveries.dropped) " dropped." }
        }
    }
}
