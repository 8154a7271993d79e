//! The big reads: customers, projects, subsidiary links, changes and deletions, each a stream.

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};

use super::Client;
use crate::decode::{utc_to_local_text, RawRow, DATETIME_FORMAT_SQL};
use crate::error::Error;
use crate::model::{Change, Customer, Deletion, Project, RecordId, Scope, SubsidiaryLink};
use crate::plan::{self, IdRange, IdStats};
use crate::read::{read, Decoder, RowStream};
use crate::records::{self, TableQuery};

impl Client {
    /// Customers associated with `scope`: through `customersubsidiaryrelationship`, primary or
    /// secondary, for a subsidiary; all of them for the whole account.
    pub async fn customers(&self, scope: Scope) -> Result<RowStream<Customer>, Error> {
        let facts = self.facts().await?;
        let filter = self.scope_filter(scope, &facts, |s| {
            format!("EXISTS (SELECT 1 FROM customersubsidiaryrelationship r WHERE r.entity = c.id AND r.subsidiary = {s})")
        })?;
        self.split_read(
            TableQuery::customers(facts.one_world, filter),
            records::customer,
        )
        .await
    }

    /// Projects of `scope` (a project's subsidiary is its own). Each carries its `parent` and
    /// `customer`, from which the caller builds the parent chain.
    pub async fn projects(&self, scope: Scope) -> Result<RowStream<Project>, Error> {
        let facts = self.facts().await?;
        if !facts.projects_enabled {
            return Err(Error::ProjectsDisabled);
        }
        let filter = self.scope_filter(scope, &facts, |s| format!("j.subsidiary = {s}"))?;
        self.split_read(
            TableQuery::projects(facts.one_world, filter),
            records::project,
        )
        .await
    }

    /// Customer-subsidiary links of `scope` (OneWorld accounts only; empty otherwise).
    pub async fn subsidiary_links(&self, scope: Scope) -> Result<RowStream<SubsidiaryLink>, Error> {
        let facts = self.facts().await?;
        if !facts.one_world {
            return Ok(stream::empty().boxed());
        }
        let filter = self.scope_filter(scope, &facts, |s| format!("r.subsidiary = {s}"))?;
        self.split_read(TableQuery::links(filter), records::link)
            .await
    }

    /// Links of `scope` for these customers only: what an incremental read needs to tell whether
    /// a changed customer is still associated with the subsidiary (a removed link leaves no row
    /// behind; only the customer's own last-modified stamp moves). Empty on non-OneWorld
    /// accounts. Ids go out in batches, so the query text stays small.
    pub async fn subsidiary_links_of(
        &self,
        scope: Scope,
        customers: &[RecordId],
    ) -> Result<RowStream<SubsidiaryLink>, Error> {
        const BATCH: usize = 200;
        let facts = self.facts().await?;
        if !facts.one_world || customers.is_empty() {
            return Ok(stream::empty().boxed());
        }
        let mut parts = Vec::new();
        for batch in customers.chunks(BATCH) {
            let ids: Vec<String> = batch.iter().map(|id| id.0.to_string()).collect();
            let filter = self.scope_filter(scope, &facts, |s| {
                format!("r.subsidiary = {s} AND r.entity IN ({})", ids.join(", "))
            })?;
            let filter = filter.unwrap_or_else(|| format!("r.entity IN ({})", ids.join(", ")));
            parts.push(self.single_range(TableQuery::links(Some(filter)), records::link));
        }
        Ok(stream::iter(parts).flatten().boxed())
    }

    /// Customers, projects and subsidiary links created or modified since `cursor` (minus the
    /// overlap window), across the whole account, so records that left a subsidiary are seen too.
    /// Feed each change to [`crate::Cursor::observe_change`] once it is applied.
    pub async fn changes_since(&self, cursor: &crate::Cursor) -> Result<RowStream<Change>, Error> {
        let facts = self.facts().await?;
        let scratch = cursor.modified.is_none();
        let since = |alias: &str| {
            cursor
                .modified
                .map(|at| self.since_filter(alias, "lastmodifieddate", at))
        };
        let customers = self.changed(
            TableQuery::customers(facts.one_world, since("c")),
            records::customer,
            scratch,
        );
        let mut parts = vec![customers
            .await?
            .map(|r| r.map(|row| row.map(Change::Customer)))
            .boxed()];
        if facts.projects_enabled {
            let q = TableQuery::projects(facts.one_world, since("j"));
            let s = self.changed(q, records::project, scratch).await?;
            parts.push(s.map(|r| r.map(|row| row.map(Change::Project))).boxed());
        }
        if facts.one_world {
            let s = self
                .changed(TableQuery::links(since("r")), records::link, scratch)
                .await?;
            parts.push(s.map(|r| r.map(|row| row.map(Change::Link))).boxed());
        }
        Ok(stream::select_all(parts).boxed())
    }

    /// Customers and projects deleted since `cursor` (minus the overlap window), from
    /// `deletedrecord`. Feed each to [`crate::Cursor::observe_deletion`] once it is applied.
    pub async fn deletions_since(
        &self,
        cursor: &crate::Cursor,
    ) -> Result<RowStream<Deletion>, Error> {
        let filter = match cursor.deleted {
            Some(at) => self.since_filter("d", "deleteddate", at),
            None => "d.deleteddate IS NOT NULL".to_owned(),
        };
        let q = TableQuery::deletions(filter);
        Ok(self.single_range(q, records::deletion))
    }

    /// `alias.column >= TO_DATE(<cursor - overlap in the account's time zone>)`.
    fn since_filter(&self, alias: &str, column: &str, at: DateTime<Utc>) -> String {
        let overlap =
            chrono::Duration::from_std(self.config.overlap).unwrap_or(chrono::Duration::zero());
        let local = utc_to_local_text(at - overlap, self.config.time_zone);
        format!("{alias}.{column} >= TO_DATE('{local}', '{DATETIME_FORMAT_SQL}')")
    }

    fn scope_filter(
        &self,
        scope: Scope,
        facts: &crate::AccountFacts,
        filter: impl Fn(i64) -> String,
    ) -> Result<Option<String>, Error> {
        match scope {
            Scope::Account => Ok(None),
            Scope::Subsidiary(s) if facts.one_world => Ok(Some(filter(s.0))),
            Scope::Subsidiary(s) => Err(Error::NotOneWorld(s.to_string())),
        }
    }

    /// A change read: one open range (changes are usually few), or a split read from scratch.
    async fn changed<T: Send + 'static>(
        &self,
        q: TableQuery,
        decode: Decoder<T>,
        from_scratch: bool,
    ) -> Result<RowStream<T>, Error> {
        if from_scratch {
            return self.split_read(q, decode).await;
        }
        Ok(self.single_range(q, decode))
    }

    fn single_range<T: Send + 'static>(&self, q: TableQuery, decode: Decoder<T>) -> RowStream<T> {
        let page = self.config.page_size;
        read(
            self.transport.clone(),
            q,
            vec![IdRange::ALL],
            1,
            page,
            self.ctx(),
            decode,
        )
    }

    /// Sizes the read with one `MIN/MAX/COUNT` query, then reads the planned ranges within the
    /// budget.
    async fn split_read<T: Send + 'static>(
        &self,
        q: TableQuery,
        decode: Decoder<T>,
    ) -> Result<RowStream<T>, Error> {
        let stats = self.stats(&q).await?;
        let ranges = plan::plan(stats, self.config.page_size);
        tracing::debug!(
            table = q.table,
            ranges = ranges.len(),
            ?stats,
            "planned read"
        );
        // Twice the budget in readers: one waiting out a backoff leaves its slot to another, so
        // the budget stays full. The account semaphore still caps requests in flight.
        let workers = self.config.concurrency * 2;
        Ok(read(
            self.transport.clone(),
            q,
            ranges,
            workers,
            self.config.page_size,
            self.ctx(),
            decode,
        ))
    }

    async fn stats(&self, q: &TableQuery) -> Result<Option<IdStats>, Error> {
        let page = self.transport.suiteql(&q.stats(), 1, 0).await?;
        Ok(page
            .items
            .into_iter()
            .next()
            .and_then(|item| records::id_stats(&RawRow::new(q.table, item))))
    }
}
