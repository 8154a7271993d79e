//! The connections behind one account: one SQLite database in WAL mode, in a file of the temp
//! folder that is removed on drop, opened by one writer and several readers. WAL lets the readers
//! run in parallel with each other and with the writer; a shared in-memory database (`memdb`)
//! serialises every page access behind one mutex, which halved throughput with 4 readers.

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
    path: std::path::PathBuf,
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
        let path = std::env::temp_dir().join(format!("nsemu-{}-{n}.db", std::process::id()));
        remove_files(&path);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let clock: Clock = Arc::new(
            crate::dataset::default_clock_start()
                .timestamp_millis()
                .into(),
        );
        let writer = Connection::open_with_flags(&path, flags)?;
        writer.execute_batch("PRAGMA journal_mode = WAL;")?;
        prepare(&writer, opts, &clock)?;
        writer.execute_batch(crate::schema::DDL)?;
        crate::load::seed_statuses(&writer)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let conn = Connection::open_with_flags(&path, flags)?;
            prepare(&conn, opts, &clock)?;
            readers.push(Mutex::new(conn));
        }
        Ok(Self {
            path,
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

impl Drop for Store {
    fn drop(&mut self) {
        remove_files(&self.path);
    }
}

/// Removes the database and its WAL files; a missing file is fine.
fn remove_files(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
}

/// Per-connection settings: Oracle's case-sensitive LIKE, waiting for locks, our SQL functions.
fn prepare(conn: &Connection, opts: &SchemaOptions, clock: &Clock) -> Result<(), DbError> {
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.execute_batch(
        "PRAGMA case_sensitive_like = ON; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536; \
         PRAGMA mmap_size = 1073741824; PRAGMA temp_store = MEMORY;",
    )?;
    functions::register(conn, opts, clock)?;
    Ok(())
}
