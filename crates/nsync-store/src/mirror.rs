//! Reading the upstream mirror (it is written only through plans).

use nsync_core::{IntegrationId, MirrorRecord, UpstreamKey};

use crate::row::Cols;
use crate::store::with_pool;
use crate::{Store, StoreError};

impl Store {
    /// The whole mirror of an integration (tombstones included), in key order.
    pub async fn mirror(
        &self,
        integration: IntegrationId,
    ) -> Result<Vec<MirrorRecord>, StoreError> {
        let sql =
            "SELECT record FROM mirror_records WHERE integration_id = $1 ORDER BY kind, record_id";
        with_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(integration.get()).fetch_all(pool).await?;
            rows.iter().map(record_from_row).collect()
        })
    }

    /// One page of the mirror in key order, after `after` (keyset paging, for lists that must
    /// not load 300,000 records at once).
    pub async fn mirror_page(
        &self,
        integration: IntegrationId,
        after: Option<UpstreamKey>,
        limit: u32,
    ) -> Result<Vec<MirrorRecord>, StoreError> {
        let (kind, id) = after.map_or((String::new(), 0), |k| {
            (k.kind.as_str().to_owned(), k.id.get())
        });
        let sql = "SELECT record FROM mirror_records WHERE integration_id = $1 \
                   AND (kind > $2 OR (kind = $2 AND record_id > $3)) ORDER BY kind, record_id LIMIT $4";
        with_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(integration.get()).bind(kind).bind(id).bind(i64::from(limit)).fetch_all(pool).await?;
            rows.iter().map(record_from_row).collect()
        })
    }

    /// One mirror record, if known.
    pub async fn mirror_record(
        &self,
        integration: IntegrationId,
        key: UpstreamKey,
    ) -> Result<Option<MirrorRecord>, StoreError> {
        let sql = "SELECT record FROM mirror_records WHERE integration_id = $1 AND kind = $2 AND record_id = $3";
        with_pool!(self, pool => {
            let row = sqlx::query(sql).bind(integration.get()).bind(key.kind.as_str()).bind(key.id.get()).fetch_optional(pool).await?;
            row.map(|r| record_from_row(&r)).transpose()
        })
    }
}

fn record_from_row(row: &impl Cols) -> Result<MirrorRecord, StoreError> {
    serde_json::from_str(&row.text("record")?).map_err(StoreError::corrupt)
}
