//! `file:` sources (the bundled demo feeds, operators' local exports): read
//! the file under the same size cap as HTTP bodies. No validators: the poll
//! layer recognises an unchanged file by the hash of its body.

use tokio::io::AsyncReadExt;
use url::Url;

use super::{CacheHints, FetchError, FetchOutcome, Fetched, Validators};

pub async fn read(url: &Url, cap: u64) -> FetchOutcome {
    match read_capped(url, cap).await {
        Ok(body) => FetchOutcome::Fetched(Fetched {
            body: body.into(),
            content_type: None,
            final_url: url.clone(),
            moved_permanently_to: None,
            validators: Validators::default(),
            cache: CacheHints::default(),
        }),
        Err(e) => FetchOutcome::Failed(e),
    }
}

async fn read_capped(url: &Url, cap: u64) -> Result<Vec<u8>, FetchError> {
    let path = url
        .to_file_path()
        .map_err(|()| FetchError::File(format!("{url} does not name a local path")))?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| FetchError::File(format!("{}: {e}", path.display())))?;
    // Read one byte past the cap rather than trusting the size in the
    // metadata: the file may grow while we read, or be a FIFO.
    let mut body = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut body)
        .await
        .map_err(|e| FetchError::File(format!("{}: {e}", path.display())))?;
    if body.len() as u64 > cap {
        return Err(FetchError::TooLarge(cap));
    }
    Ok(body)
}
