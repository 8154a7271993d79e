//! The big reads: customers, projects, subsidiary links, changes and deletions, each a stream.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};

use super::{Client, Shape};
use crate::decode::{utc_to_local_text, RawRow, DATETIME_FORMAT_SQL};
use crate::error::Error;
use crate::model::{Change, Customer, Deletion, Project, RecordId, Scope, Stages, SubsidiaryLink};
use crate::plan::{self, Bucket, IdRange, IdStats};
use crate::read::{keyset_page, read, Decoder, RowStream};
use crate::records::{self, TableQuery};

impl Client {
    /// Customers (stage Customer) associated with `scope`: see [`Client::customers_in`].
    pub async fn customers(&self, scope: Scope) -> Result<RowStream<Customer>, Error> {
        self.customers_in(scope, Stages::CUSTOMERS).await
    }

    /// Customer records of the given stages associated with `scope`: through
    /// `customersubsidiaryrelationship`, primary or secondary, for a subsidiary; all of them for
    /// the whole account. The stage filter is in the query, so leads and prospects that are not
    /// wanted cost no pages.
    pub async fn customers_in(
        &self,
        scope: Scope,
        stages: Stages,
    ) -> Result<RowStream<Customer>, Error> {
        let stage = stages.condition("c");
        let filter = Some(
            match scope_text(scope, |s| {
                format!("EXISTS (SELECT 1 FROM customersubsidiaryrelationship r WHERE r.entity = c.id AND r.subsidiary = {s})")
            }) {
                Some(scope) => format!("{stage} AND {scope}"),
                None => stage,
            },
        );
        let start = self
            .start(scope, |one_world| {
                TableQuery::customers(one_world, filter.clone())
            })
            .await?;
        Ok(self.sized_read(start.query, records::customer, start.opening))
    }

    /// Projects of `scope` (a project's subsidiary is its own). Each carries its `parent` and
    /// `customer`, from which the caller builds the parent chain.
    pub async fn projects(&self, scope: Scope) -> Result<RowStream<Project>, Error> {
        let filter = scope_text(scope, |s| format!("j.subsidiary = {s}"));
        let start = self
            .start(scope, |one_world| {
                TableQuery::projects(one_world, filter.clone())
            })
            .await?;
        if !start.projects_enabled {
            return Err(Error::ProjectsDisabled);
        }
        Ok(self.sized_read(start.query, records::project, start.opening))
    }

    /// How a read of `scope` starts. Once the account's shape is known (from the probe, or
    /// from earlier reads), with the first page beside the sizing. Before, the read does not
    /// wait for the probe: it takes the account for OneWorld (the accounts that integrate a
    /// subsidiary are), and the credentials check (the probe's first query) goes out beside its
    /// first page and sizing, a request slot instead of a round trip. A first page NetSuite
    /// refuses is then explained by the whole probe: no subsidiaries, no Projects, or, for the
    /// whole account's read, a read again without the subsidiary columns. `shape` builds the
    /// query for an account that is OneWorld or not.
    async fn start(
        &self,
        scope: Scope,
        shape: impl Fn(bool) -> TableQuery,
    ) -> Result<Start, Error> {
        let Some(known) = self.known_shape() else {
            return Ok(Start {
                query: shape(true),
                projects_enabled: true,
                one_world: true,
                opening: Opening::Checked {
                    scope,
                    // Only the whole account's read is read again without subsidiaries.
                    otherwise: (scope == Scope::Account).then(|| shape(false)),
                },
            });
        };
        self.check_scope(scope, &known)?;
        Ok(Start {
            query: shape(known.one_world),
            projects_enabled: known.projects_enabled,
            one_world: known.one_world,
            opening: Opening::Ready,
        })
    }

    /// Customer-subsidiary links of `scope` (OneWorld accounts only; empty otherwise).
    pub async fn subsidiary_links(&self, scope: Scope) -> Result<RowStream<SubsidiaryLink>, Error> {
        let filter = scope_text(scope, |s| format!("r.subsidiary = {s}"));
        if scope == Scope::Account {
            // Links exist only on OneWorld accounts: ask before reading them.
            self.shape().await?;
        }
        let start = self
            .start(scope, |_| TableQuery::links(filter.clone()))
            .await?;
        if !start.one_world {
            return Ok(stream::empty().boxed());
        }
        Ok(self.sized_read(start.query, records::link, start.opening))
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
        let facts = self.shape().await?;
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
        let facts = self.shape().await?;
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
        // After the probe's first request, which proves the credentials on its own.
        self.access().await?;
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

    /// Refuses a subsidiary scope on an account without subsidiaries.
    fn check_scope(&self, scope: Scope, facts: &Shape) -> Result<(), Error> {
        match scope {
            Scope::Subsidiary(s) if !facts.one_world => Err(Error::NotOneWorld(s.to_string())),
            _ => Ok(()),
        }
    }

    /// The filter of `scope` once the probe has answered: [`scope_text`], after [`Client::check_scope`].
    fn scope_filter(
        &self,
        scope: Scope,
        facts: &Shape,
        filter: impl Fn(i64) -> String,
    ) -> Result<Option<String>, Error> {
        self.check_scope(scope, facts)?;
        Ok(scope_text(scope, filter))
    }

    /// A change read: one open range (changes are usually few), or a split read from scratch.
    async fn changed<T: Send + 'static>(
        &self,
        q: TableQuery,
        decode: Decoder<T>,
        from_scratch: bool,
    ) -> Result<RowStream<T>, Error> {
        if from_scratch {
            return Ok(self.sized_read(q, decode, Opening::Ready));
        }
        Ok(self.single_range(q, decode))
    }

    fn single_range<T: Send + 'static>(&self, q: TableQuery, decode: Decoder<T>) -> RowStream<T> {
        let page = self.config.page_size;
        self.planned.fetch_add(1, Ordering::Relaxed);
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

    /// Reads all of `q`. Its first page goes out beside the histogram that sizes the rest, so the
    /// sizing costs a request slot rather than a round trip of its own, and a read of one page
    /// is over when that page comes back. The rest is planned from the ids above that page
    /// (from one `MIN/MAX/COUNT` query where there is no histogram) and read within the budget.
    /// Nothing is sent until the stream is first polled; every error comes through the stream.
    /// `opening`: how the read starts (see [`Client::start`]).
    fn sized_read<T: Send + 'static>(
        &self,
        q: TableQuery,
        decode: Decoder<T>,
        opening: Opening,
    ) -> RowStream<T> {
        let client = self.clone();
        stream::once(async move { client.opened_read(q, decode, opening).await })
            .flat_map(|read| match read {
                Ok(rows) => rows,
                Err(err) => stream::iter([Err(err)]).boxed(),
            })
            .boxed()
    }

    /// [`Client::sized_read`], once polled.
    async fn opened_read<T: Send + 'static>(
        &self,
        q: TableQuery,
        decode: Decoder<T>,
        opening: Opening,
    ) -> Result<RowStream<T>, Error> {
        let page_size = self.config.page_size;
        let (checked, otherwise) = match opening {
            Opening::Checked { scope, otherwise } => (Some(scope), otherwise),
            Opening::Ready => (None, None),
        };
        let (first, last, sized) = match self.first_page(&q, decode, checked).await? {
            FirstPage::More { rows, last, sized } => (rows, last, sized),
            FirstPage::All(rows) => return Ok(rows),
            FirstPage::NotOneWorld => {
                // The whole account's read of an account without subsidiaries: again, without
                // the subsidiary columns, now that the probe has answered.
                let q = otherwise.ok_or(Error::NotOneWorld("the account".to_owned()))?;
                return Box::pin(self.opened_read(q, decode, Opening::Ready)).await;
            }
        };
        let ranges = match sized? {
            Sized::Histogram(buckets) => {
                plan::plan_histogram(&plan::buckets_above(&buckets, last), page_size)
            }
            other => {
                if let Sized::Refused(detail) = other {
                    // The query was otherwise sound (the caller checked its scope): NetSuite does
                    // not take histograms here. Do not ask again.
                    tracing::warn!(%detail, "NetSuite refused the histogram query; reads are sized by MIN/MAX/COUNT");
                    self.histograms_refused.store(true, Ordering::Relaxed);
                }
                let stats = self.stats(&q).await?;
                self.saw_ids(q.table, stats);
                plan::plan(stats, page_size)
            }
        };
        let ranges = plan::ranges_above(ranges, last);
        self.planned
            .fetch_add(ranges.len() as u64, Ordering::Relaxed);
        tracing::debug!(table = q.table, ranges = ranges.len(), "planned read");
        // Twice the budget in readers: one waiting out a backoff leaves its slot to another, so
        // the budget stays full. The account semaphore still caps requests in flight.
        let workers = self.config.concurrency * 2;
        let rest = read(
            self.transport.clone(),
            q,
            ranges,
            workers,
            page_size,
            self.ctx(),
            decode,
        );
        Ok(first.chain(rest).boxed())
    }

    /// A read's first page, beside its sizing (and the credentials check of a read of the
    /// `checked` scope that did not wait for the probe).
    async fn first_page<T: Send + 'static>(
        &self,
        q: &TableQuery,
        decode: Decoder<T>,
        checked: Option<Scope>,
    ) -> Result<FirstPage<T>, Error> {
        let page_size = self.config.page_size;
        let opening = keyset_page(
            &self.transport,
            q,
            IdRange::ALL,
            page_size,
            self.ctx(),
            decode,
        );
        // The opening page and the sizing query, and the credentials check of a read that did
        // not wait for the probe.
        self.planned.fetch_add(2, Ordering::Relaxed);
        let check = async {
            match checked {
                Some(_) => self.access().await,
                None => Ok(()),
            }
        };
        let (check, opening, sized) = tokio::join!(check, opening, self.histogram(q));
        // The check's answer first: it says best what is wrong with the credentials.
        check?;
        let opening = match (opening, checked) {
            (Ok(opening), checked) => {
                if checked.is_some() {
                    self.learn(true, (q.table == "job").then_some(true));
                }
                opening
            }
            (
                Err(err @ (Error::InvalidQuery { .. } | Error::InsufficientPermission { .. })),
                Some(scope),
            ) => {
                let facts = self.facts().await?;
                if q.table == "job" && !facts.projects_enabled {
                    return Err(Error::ProjectsDisabled);
                }
                return match scope {
                    _ if facts.one_world => Err(err),
                    Scope::Subsidiary(s) => Err(Error::NotOneWorld(s.to_string())),
                    Scope::Account => Ok(FirstPage::NotOneWorld),
                };
            }
            (Err(err), _) => return Err(err),
        };
        let rows = stream::iter(opening.rows.into_iter().map(Ok).collect::<Vec<_>>()).boxed();
        if !opening.has_more {
            // Everything came in the first page: what the histogram said no longer matters.
            return Ok(FirstPage::All(rows));
        }
        match opening.last {
            Some(last) if last > 0 => Ok(FirstPage::More { rows, last, sized }),
            _ => {
                let err = Error::Decode(format!(
                    "a full page of `{}` has no readable id to continue after",
                    q.table
                ));
                Ok(FirstPage::All(rows.chain(stream::iter([Err(err)])).boxed()))
            }
        }
    }

    /// Rows per bucket of ids. With a span of ids known (from the probe, or an earlier read)
    /// the buckets are sized so that the span fills most of one page of buckets; without one
    /// (a read that goes out beside the probe) a bucket is half a page's worth of ids: none can
    /// overflow a page, and ranges cut from them are packed closely enough that few spill into
    /// a second request (measured: 88 requests instead of 89 for 84 pages of projects, one
    /// subsidiary of `large`). [`Sized::Unknown`] when the buckets run past a few pages or a
    /// row cannot be read: the read is then sized the plain way.
    async fn histogram(&self, q: &TableQuery) -> Result<Sized, Error> {
        /// Pages of buckets read at most before the plain sizing query is the cheaper way.
        const MAX_PAGES: u32 = 4;
        if self.histograms_refused.load(Ordering::Relaxed) {
            return Ok(Sized::Unknown);
        }
        /// Buckets come in pages of NetSuite's largest size, whatever the rows' page size.
        const BUCKET_PAGE: u32 = 1000;
        // A tenth of the page left free: the span grows as records are created.
        let target = i64::from(BUCKET_PAGE - BUCKET_PAGE / 10);
        let width = match self.span(q.table) {
            Some(span) => (span.max - span.min) / target + 1,
            None => i64::from((self.config.page_size / 2).max(1)),
        };
        let text = q.histogram(width);
        let mut buckets = Vec::new();
        for n in 0..MAX_PAGES {
            let page = match self
                .transport
                .suiteql(&text, BUCKET_PAGE, n * BUCKET_PAGE)
                .await
            {
                Ok(page) => page,
                Err(Error::InvalidQuery { detail } | Error::Rejected { detail, .. }) => {
                    return Ok(Sized::Refused(detail));
                }
                Err(e) => return Err(e),
            };
            for item in page.items {
                match records::histogram_bucket(&RawRow::new(q.table, item)) {
                    Some(bucket) => buckets.push(bucket),
                    None => return Ok(Sized::Unknown),
                }
            }
            if !page.has_more {
                let stats = IdStats {
                    min: buckets.iter().map(|b: &Bucket| b.first).min().unwrap_or(0),
                    max: buckets.iter().map(|b| b.last).max().unwrap_or(0),
                    count: buckets.iter().map(|b| b.rows).sum(),
                };
                self.saw_ids(q.table, Some(stats));
                return Ok(Sized::Histogram(buckets));
            }
        }
        Ok(Sized::Unknown)
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

/// How a read starts (see [`Client::start`]).
struct Start {
    query: TableQuery,
    one_world: bool,
    projects_enabled: bool,
    opening: Opening,
}

/// What goes out first.
enum Opening {
    /// The account's shape is known: the first page beside the sizing.
    Ready,
    /// A read of `scope` before the probe answered: the credentials check beside those two,
    /// the query built for a OneWorld account; `otherwise` is the whole account's query for one
    /// without.
    Checked {
        scope: Scope,
        otherwise: Option<TableQuery>,
    },
}

/// A read's first page.
enum FirstPage<T> {
    /// The whole read (the page held everything, or a full page had no id to go on after).
    All(RowStream<T>),
    /// The account has no subsidiaries: the whole account's read starts again without them.
    NotOneWorld,
    /// Its rows, the id to go on after, and the sizing that went out beside it.
    More {
        rows: RowStream<T>,
        last: i64,
        sized: Result<Sized, Error>,
    },
}

/// What sizes a split read.
enum Sized {
    /// Rows per bucket of ids.
    Histogram(Vec<Bucket>),
    /// Nothing yet: the read asks `MIN/MAX/COUNT`.
    Unknown,
    /// NetSuite refused the histogram query, with its words.
    Refused(String),
}

/// The filter of a subsidiary scope, `None` for the whole account. Whether the account has
/// subsidiaries is checked once the probe has answered.
fn scope_text(scope: Scope, filter: impl Fn(i64) -> String) -> Option<String> {
    match scope {
        Scope::Account => None,
        Scope::Subsidiary(s) => Some(filter(s.0)),
    }
}
