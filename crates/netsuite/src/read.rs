//! Runs a planned read: `workers` tasks take id ranges from a shared queue and page through each
//! by id, so the account budget stays full until the last range; rows stream to the caller through
//! a bounded channel (memory stays flat whatever the read's size).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use futures::stream::{self, BoxStream, StreamExt};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::decode::{RawRow, RowError};
use crate::error::Error;
use crate::plan::IdRange;
use crate::records::{DecodeCtx, TableQuery};
use crate::transport::Transport;

/// A stream of rows, each read exactly once. A row that cannot be decoded is an `Ok(Err(_))` and
/// the read goes on; a transport, auth or query error is an `Err(_)` and ends the stream.
pub type RowStream<T> = BoxStream<'static, Result<Result<T, RowError>, Error>>;

/// Turns one raw row into `T`.
pub(crate) type Decoder<T> = fn(&RawRow, DecodeCtx) -> Result<T, RowError>;

type Batch<T> = Result<Vec<Result<T, RowError>>, Error>;

/// Pages of rows buffered between the readers and the caller.
const CHANNEL_PAGES: usize = 8;

/// Starts reading `ranges` of `query` with `workers` concurrent readers.
pub(crate) fn read<T: Send + 'static>(
    transport: Arc<Transport>,
    query: TableQuery,
    ranges: Vec<IdRange>,
    workers: usize,
    page_size: u32,
    ctx: DecodeCtx,
    decode: Decoder<T>,
) -> RowStream<T> {
    let (tx, rx) = mpsc::channel::<Batch<T>>(CHANNEL_PAGES);
    let workers = workers.clamp(1, ranges.len().max(1));
    let queue = Arc::new(Mutex::new(VecDeque::from(ranges)));
    let query = Arc::new(query);
    for _ in 0..workers {
        let job = Worker {
            transport: Arc::clone(&transport),
            query: Arc::clone(&query),
            queue: Arc::clone(&queue),
            tx: tx.clone(),
            page_size,
            ctx,
            decode,
        };
        let worker = tokio::spawn(job.run());
        // A reader that panics drops its sender like one that finished: without this watch the
        // stream would end as if the read were complete. Say so instead.
        let watch = tx.clone();
        tokio::spawn(async move {
            if let Err(err) = worker.await {
                if err.is_panic() {
                    let _ = watch
                        .send(Err(Error::Decode(
                            "a reader stopped unexpectedly; the read is incomplete".to_owned(),
                        )))
                        .await;
                }
            }
        });
    }
    drop(tx);
    stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|batch| (batch, rx))
    })
    .flat_map(|batch| match batch {
        Ok(rows) => stream::iter(rows.into_iter().map(Ok).collect::<Vec<_>>()),
        Err(e) => stream::iter(vec![Err(e)]),
    })
    // The first error ends the stream, even if other readers still had rows in flight.
    .scan(false, |failed, item| {
        let out = if *failed { None } else { Some(item) };
        *failed = *failed || matches!(out, Some(Err(_)));
        futures::future::ready(out)
    })
    .boxed()
}

struct Worker<T> {
    transport: Arc<Transport>,
    query: Arc<TableQuery>,
    queue: Arc<Mutex<VecDeque<IdRange>>>,
    tx: mpsc::Sender<Batch<T>>,
    page_size: u32,
    ctx: DecodeCtx,
    decode: Decoder<T>,
}

impl<T: Send + 'static> Worker<T> {
    fn next_range(&self) -> Option<IdRange> {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
    }

    /// Reads ranges until the queue is empty, the caller hangs up, or an error ends the read.
    async fn run(self) {
        while let Some(range) = self.next_range() {
            if let Err(e) = self.read_range(range).await {
                // After an error nothing else is read: the caller must not act on a partial read.
                self.queue.lock().unwrap_or_else(|p| p.into_inner()).clear();
                let _ = self.tx.send(Err(e)).await;
                return;
            }
            if self.tx.is_closed() {
                return;
            }
        }
    }

    /// Pages through one range by id. `Ok` also when the caller stopped listening.
    async fn read_range(&self, range: IdRange) -> Result<(), Error> {
        let mut after = range.after;
        loop {
            let page = keyset_page(
                &self.transport,
                &self.query,
                IdRange {
                    after,
                    upto: range.upto,
                },
                self.page_size,
                self.ctx,
                self.decode,
            )
            .await?;
            if self.tx.send(Ok(page.rows)).await.is_err() {
                return Ok(());
            }
            if !page.has_more {
                return Ok(());
            }
            after = match page.last {
                Some(last) if last > after => last,
                _ => {
                    return Err(Error::Decode(format!(
                        "a full page of `{}` has no readable id to continue after {after}",
                        self.query.table
                    )))
                }
            };
        }
    }
}

/// One decoded keyset page.
pub(crate) struct KeysetPage<T> {
    pub rows: Vec<Result<T, RowError>>,
    /// The largest readable id: where the next page starts.
    pub last: Option<i64>,
    pub has_more: bool,
}

/// Reads the first page of `range`. A keyset page holds ids in rising order, each within the
/// range; a page that does not (a row repeated from an earlier page, ids out of order or out of
/// bounds) is broken: it is asked for once more, and if it comes back broken again the read
/// stops with an error. Its rows are never passed on, so no row is returned twice.
pub(crate) async fn keyset_page<T: Send + 'static>(
    transport: &Transport,
    query: &TableQuery,
    range: IdRange,
    page_size: u32,
    ctx: DecodeCtx,
    decode: Decoder<T>,
) -> Result<KeysetPage<T>, Error> {
    let q = query.page(range.after, range.upto);
    let table = query.table;
    let mut asked_again = false;
    loop {
        let page = transport.suiteql(&q, page_size, 0).await?;
        let has_more = page.has_more;
        // Off the async threads, like the parse (see `Transport::suiteql`).
        let (rows, ids) =
            tokio::task::spawn_blocking(move || decode_page(table, page.items, decode, ctx))
                .await
                .map_err(|e| Error::Decode(format!("decoding a page: {e}")))?;
        match keyset_order(&ids, range) {
            Ok(()) => {
                return Ok(KeysetPage {
                    rows,
                    last: ids.last().copied(),
                    has_more,
                })
            }
            Err(broken) if !asked_again => {
                tracing::warn!(table, %broken, "NetSuite sent a broken keyset page; asking again");
                asked_again = true;
            }
            Err(broken) => {
                return Err(Error::Decode(format!(
                    "NetSuite sent a broken page of `{table}` twice ({broken}); the read stops rather than return a row twice"
                )))
            }
        }
    }
}

/// Whether `ids` (the readable ids of a page, in the page's order) are a keyset page of `range`.
pub(crate) fn keyset_order(ids: &[i64], range: IdRange) -> Result<(), String> {
    let mut before = range.after;
    for id in ids {
        if *id <= before {
            return Err(format!("id {id} after {before}"));
        }
        if *id > range.upto {
            return Err(format!("id {id} past the range's end {}", range.upto));
        }
        before = *id;
    }
    Ok(())
}

/// Decodes one page's rows, each on its own, and lists the readable ids in the page's order.
pub(crate) fn decode_page<T>(
    table: &'static str,
    items: Vec<Map<String, Value>>,
    decode: Decoder<T>,
    ctx: DecodeCtx,
) -> (Vec<Result<T, RowError>>, Vec<i64>) {
    let rows: Vec<RawRow> = items
        .into_iter()
        .map(|item| RawRow::new(table, item))
        .collect();
    let ids = rows
        .iter()
        .filter_map(|r| r.id("id").ok().flatten())
        .collect();
    (rows.iter().map(|r| decode(r, ctx)).collect(), ids)
}
