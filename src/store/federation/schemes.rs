//! Which HTTP signature scheme each receiving host accepted, shared by
//! every instance on the database. The scheme is kept as its label
//! (`rfc9421`, `cavage`); what it means is `federation::knock`'s business.

use chrono::{DateTime, Utc};

use crate::store::{from_millis, get, to_millis, Store, StoreError};

impl Store {
    /// The scheme `host` last accepted and when that was learnt.
    pub async fn fed_signature_scheme(
        &self,
        host: &str,
    ) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let row =
            sqlx::query("SELECT scheme, decided_at FROM fed_signature_schemes WHERE host = $1")
                .bind(host)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| Ok((get(&r, "scheme")?, from_millis(get(&r, "decided_at")?)?)))
            .transpose()
    }

    /// `host` accepted `scheme` at `at` (replacing what was known).
    pub async fn fed_remember_signature_scheme(
        &self,
        host: &str,
        scheme: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO fed_signature_schemes (host, scheme, decided_at) VALUES ($1, $2, $3) \
             ON CONFLICT (host) DO UPDATE SET scheme = excluded.scheme, \
             decided_at = excluded.decided_at",
        )
        .bind(host)
        .bind(scheme)
        .bind(to_millis(at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
