//! `retract URL`: the operator withdraws a story. The feeds drop it and the
//! running daemon's federation planner sends `Delete` to every follower
//! (the store change is all this command does, so it works while a daemon
//! runs, even on another machine sharing PostgreSQL).

use anyhow::Context;
use chrono::Utc;

use crate::config::Config;
use crate::store::{Store, StoreError};

pub async fn retract(config: Config, url: &str) -> anyhow::Result<()> {
    let store = Store::open(&config.database.url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            crate::config::mask_url(&config.database.url)
        )
    })?;
    // Stories are found by the canonical form: any way of writing the URL.
    let key = crate::normalize::canonical_url(url).unwrap_or_else(|| url.to_string());
    let keys = crate::link::url_lookup_keys(&key);
    let story = match store.story_id_for_url(&key, &keys).await {
        Ok(id) => id,
        Err(StoreError::NotFound) => anyhow::bail!("no story has the URL {url}"),
        Err(e) => return Err(e).context("looking the story up"),
    };
    let row = store.story(story).await.context("reading the story")?;
    if row.retracted_at.is_some() {
        println!("story {story} was already retracted");
        return Ok(());
    }
    store
        .retract_story(story, Utc::now())
        .await
        .context("retracting the story")?;
    println!(
        "story {story} retracted: it leaves the feeds now; `wirebridge serve` sends Delete to followers"
    );
    store.close().await;
    Ok(())
}
