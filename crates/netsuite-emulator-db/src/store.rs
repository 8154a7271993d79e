//! The connections behind one account: one SQLite in-memory database (the `memdb` VFS, shared
//! by name) opened by one writer and several readers, so reads run in parallel.

use crate::functions::{self, Clock};
use crate::{DbError, SchemaOptions};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Readers per account: the benchmark's 4 concurrent readers each get one.
const READERS: usize = 4;

static NEXT_DB: AtomicU64 = AtomicU64::new(0);

pub(crate) struct Store {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    version: AtomicU64,
    clock: Clock,
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding a connection leaves SQLite consistent (statements are transactional).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Store {
    pub fn open(opts: &SchemaOptions) -> Result<Self, DbError> {
        let n = NEXT_DB.fetch_add(1, Ordering::Relaxed);
        // A name starting with '/' makes memdb share the database between connections.
        let uri = format!("file:/nsemu-{}-{n}?vfs=memdb", std::process::id());
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let clock: Clock = Arc::new(
            crate::dataset::default_clock_start()
                .timestamp_millis()
                .into(),
        );
        let writer = Connection::open_with_flags(&uri, flags)?;
        prepare(&writer, opts, &clock)?;
        writer.execute_batch(crate::schema::DDL)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let conn = Connection::open_with_flags(&uri, flags)?;
            prepare(&conn, opts, &clock)?;
            readers.push(Mutex::new(conn));
        }
        Ok(Self {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
            version: AtomicU64::new(0),
            clock,
        })
    }

    /// Runs `f` on a free reader (or waits for the next one in turn).
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for k in 0..self.readers.len() {
            if let Ok(conn) = self.readers[(start + k) % self.readers.len()].try_lock() {
                return f(&conn);
            }
        }
        f(&lock(&self.readers[start % self.readers.len()]))
    }

    /// Runs `f` on the writer connection.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut Connection) -> Result<T, E>) -> Result<T, E> {
        f(&mut lock(&self.writer))
    }

    pub fn bump_version(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn set_clock(&self, now: DateTime<Utc>) {
        self.clock.store(now.timestamp_millis(), Ordering::Relaxed);
    }
}

/// Per-connection settings: Oracle's case-sensitive LIKE, waiting for locks, our SQL functions.
fn prepare(conn: &Connection, opts: &SchemaOptions, clock: &Clock) -> Result<(), DbError> {
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.execute_batch(
        "PRAGMA case_sensitive_like = ON; PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;",
    )?;
    functions::register(conn, opts, clock)?;
    Ok(())
}
