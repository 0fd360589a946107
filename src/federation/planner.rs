//! The planner: notices story changes (stories.updated_at past a persisted
//! watermark — cheap, and it works across processes) and decides, per
//! actor, Create for a new story, a debounced Update for an edit or a new
//! translation, Delete for a retracted or merged-away story. Every decision
//! is written with its deliveries in one transaction; repeating a decision
//! is a no-op, so two processes or a crash-and-replay are harmless.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::activity::{self, tombstone, with_hosts};
use super::object;
use super::{Federation, FederationError};
use crate::config::ActorConfig;
use crate::store::{ChangedStory, NewPost, PostRow};

const TICK: Duration = Duration::from_secs(2);
const WATERMARK: &str = "planner.watermark";
/// Re-read changes this far behind the watermark: a slower writer may
/// commit a story stamped a little before one we already saw.
const OVERLAP: chrono::Duration = chrono::Duration::seconds(10);
const BATCH: i64 = 500;

/// How long a pass waits after being woken by a story change.
const BURST: std::time::Duration = std::time::Duration::from_millis(100);

/// Runs planning passes until `cancel`: every tick, and at once when this
/// process's linker changed a story (`stories` wakes on each change).
pub async fn run(
    fed: Arc<Federation>,
    mut stories: tokio::sync::watch::Receiver<u64>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    fed.ensure_actors().await?;
    loop {
        stories.mark_unchanged();
        if let Err(e) = pass(&fed, Utc::now()).await {
            tracing::warn!(error = %e, "federation planning pass failed; retrying");
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(TICK) => {}
            // A poll links entries in bursts: gather a burst into one pass.
            Ok(()) = stories.changed() => tokio::time::sleep(BURST).await,
        }
    }
}

/// One pass: changed stories, then Updates whose quiet time is over.
pub async fn pass(fed: &Federation, now: DateTime<Utc>) -> Result<(), FederationError> {
    let mark = fed.store.fed_state(WATERMARK).await?.unwrap_or(0);
    let mut since = DateTime::from_timestamp_millis(mark).unwrap_or_default() - OVERLAP;
    loop {
        let changed = fed.store.fed_changed_stories(since, BATCH).await?;
        for story in &changed {
            for actor in &fed.config.actors {
                plan_story(fed, actor, story, now).await?;
            }
        }
        let Some(last) = changed.last().map(|s| s.updated_at) else {
            break;
        };
        if last.timestamp_millis() > mark {
            fed.store
                .fed_set_state(WATERMARK, last.timestamp_millis())
                .await?;
        }
        // A full batch means more after its last story; a batch sharing
        // one timestamp cannot advance, so stop rather than spin.
        if (changed.len() as i64) < BATCH || last <= since {
            break;
        }
        since = last;
    }
    for post in fed.store.fed_posts_due(now).await? {
        if let Some(actor) = fed.actor(&post.actor) {
            send_update(fed, actor, &post, now).await?;
        }
    }
    Ok(())
}

async fn plan_story(
    fed: &Federation,
    actor: &ActorConfig,
    story: &ChangedStory,
    now: DateTime<Utc>,
) -> Result<(), FederationError> {
    let post = fed.store.fed_post(&actor.username, story.id).await?;
    if story.withdrawn {
        if let Some(post) = post.filter(|p| p.deleted_at.is_none()) {
            send_delete(fed, actor, &post, now).await?;
        }
        return Ok(());
    }
    match post {
        None => create(fed, actor, story, now).await,
        Some(post) if post.deleted_at.is_some() => Ok(()),
        Some(post) => {
            let members = fed.store.story_members(&[story.id]).await?;
            let Some(built) = object::build(&fed.config, &fed.urls, actor, story.id, &members)
            else {
                return Ok(());
            };
            if built.content_hash != post.content_hash {
                // Stamped from the story's change, not from now, so that
                // re-reading the same change does not push the Update back.
                let due = story.updated_at
                    + chrono::Duration::from_std(fed.config.federation.update_debounce)
                        .unwrap_or_default();
                if post.update_due_at != Some(due) {
                    fed.store.fed_update_due(post.id, due).await?;
                }
            }
            Ok(())
        }
    }
}

async fn create(
    fed: &Federation,
    actor: &ActorConfig,
    story: &ChangedStory,
    now: DateTime<Utc>,
) -> Result<(), FederationError> {
    let members = fed.store.story_members(&[story.id]).await?;
    let Some(built) = object::build(&fed.config, &fed.urls, actor, story.id, &members) else {
        return Ok(());
    };
    let keys = fed.keys(&actor.username).await?;
    let delivered = story.first_seen_at >= keys.created_at
        || (actor.backfill > 0
            && fed
                .store
                .fed_stories_between(story.first_seen_at, keys.created_at)
                .await?
                < actor.backfill as i64);
    let inboxes = if delivered {
        followers_inboxes(fed, &actor.username).await?
    } else {
        Vec::new()
    };
    let create = activity::wrap(
        &fed.urls,
        &actor.username,
        "Create",
        built.object.clone(),
        now,
        inboxes,
    );
    let recorded = fed
        .store
        .fed_record_post(&NewPost {
            actor: actor.username.clone(),
            story_id: story.id,
            object_json: built.object.to_string(),
            content_hash: built.content_hash,
            delivered,
            create,
        })
        .await?;
    if recorded {
        tracing::info!(actor = %actor.username, story = story.id, delivered, "posted a story");
    }
    Ok(())
}

async fn send_update(
    fed: &Federation,
    actor: &ActorConfig,
    post: &PostRow,
    now: DateTime<Utc>,
) -> Result<(), FederationError> {
    let members = fed.store.story_members(&[post.story_id]).await?;
    let Some(built) = object::build(&fed.config, &fed.urls, actor, post.story_id, &members) else {
        return Ok(());
    };
    let mut object = built.object;
    object["updated"] = serde_json::json!(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    // Backfilled posts were never delivered: nobody has one to update.
    let inboxes = if post.delivered && built.content_hash != post.content_hash {
        followers_inboxes(fed, &actor.username).await?
    } else {
        Vec::new()
    };
    let update = (!inboxes.is_empty()).then(|| {
        activity::wrap(
            &fed.urls,
            &actor.username,
            "Update",
            object.clone(),
            now,
            inboxes,
        )
    });
    fed.store
        .fed_revise_post(
            post.id,
            &object.to_string(),
            &built.content_hash,
            false,
            update.as_ref(),
            now,
        )
        .await?;
    if update.is_some() {
        tracing::info!(actor = %actor.username, story = post.story_id, "sent an update");
    }
    Ok(())
}

async fn send_delete(
    fed: &Federation,
    actor: &ActorConfig,
    post: &PostRow,
    now: DateTime<Utc>,
) -> Result<(), FederationError> {
    let id = fed.urls.object(&actor.username, post.story_id);
    let stone = tombstone(&id, actor.object_type.as_str(), now);
    let inboxes = if post.delivered {
        followers_inboxes(fed, &actor.username).await?
    } else {
        Vec::new()
    };
    let mut object = stone.clone();
    if let Some(o) = object.as_object_mut() {
        o.remove("@context");
    }
    let delete = activity::wrap(&fed.urls, &actor.username, "Delete", object, now, inboxes);
    let done = fed
        .store
        .fed_revise_post(
            post.id,
            &stone.to_string(),
            &post.content_hash,
            true,
            Some(&delete),
            now,
        )
        .await?;
    if done {
        tracing::info!(actor = %actor.username, story = post.story_id, "withdrew a story");
    }
    Ok(())
}

async fn followers_inboxes(
    fed: &Federation,
    actor: &str,
) -> Result<Vec<(String, String)>, FederationError> {
    let unavailable = fed.store.fed_unavailable_hosts().await?;
    Ok(with_hosts(
        fed.store.fed_delivery_inboxes(actor).await?,
        &unavailable,
    ))
}
