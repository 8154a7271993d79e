//! The connections behind one account: one SQLite database in WAL mode, in a file of the temp
//! folder that is removed on drop, opened by one writer and several readers. WAL lets the readers
//! run in parallel with each other and with the writer; a shared in-memory database (`memdb`)
//! serialises every page access behind one mutex, which halved throughput with 4 readers.
//! Readers are opened when concurrent reads first need them: an emulator serving thousands of
//! accounts, most of them read by one client at a time, would otherwise hold five connections
//! (and their file descriptors) per account and spend its start-up opening them.

use crate::functions::{self, Clock};
use crate::{DbError, SchemaOptions};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// Readers per account at most: the benchmark's 4 concurrent readers each get one.
const READERS: usize = 4;

static NEXT_DB: AtomicU64 = AtomicU64::new(0);

pub(crate) struct Store {
    path: std::path::PathBuf,
    writer: Mutex<Connection>,
    /// Opened on demand, in order.
    readers: Vec<OnceLock<Mutex<Connection>>>,
    next_reader: AtomicUsize,
    opts: SchemaOptions,
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
        Ok(Self {
            path,
            writer: Mutex::new(writer),
            readers: (0..READERS).map(|_| OnceLock::new()).collect(),
            next_reader: AtomicUsize::new(0),
            opts: opts.clone(),
            version: AtomicU64::new(0),
            clock,
        })
    }

    /// Runs `f` on a free reader: an open one, else a newly opened one while fewer than
    /// [`READERS`] are open, else it waits for an open one in turn. Should opening fail, the
    /// read runs on the writer connection (it reads as well).
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        let slots = || (0..n).map(|k| &self.readers[(start + k) % n]);
        for slot in slots() {
            if let Some(Ok(conn)) = slot.get().map(Mutex::try_lock) {
                return f(&conn);
            }
        }
        if let Some(slot) = self.readers.iter().find(|s| s.get().is_none()) {
            if let Ok(conn) = self.open_reader() {
                // Another thread may have filled the slot meanwhile: then ours is dropped.
                let _ = slot.set(Mutex::new(conn));
            }
            if let Some(Ok(conn)) = slot.get().map(Mutex::try_lock) {
                return f(&conn);
            }
        }
        match slots().find_map(OnceLock::get) {
            Some(reader) => f(&lock(reader)),
            None => f(&lock(&self.writer)),
        }
    }

    fn open_reader(&self) -> Result<Connection, DbError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        prepare(&conn, &self.opts, &self.clock)?;
        Ok(conn)
    }

    /// Runs `f` on the writer connection.
    pub fn write<T, E>(&self, f: impl FnOnce(&mut Connection) -> Result<T, E>) -> Result<T, E> {
        f(&mut lock(&self.writer))
    }

    /// After a bulk load: checkpoints the WAL into the database file and empties the writer's
    /// page cache. Loaded pages otherwise stay twice in memory (the cache, the WAL) until the
    /// WAL reaches SQLite's checkpoint size, which a small account never does: 2,000 accounts of
    /// 1,000 records held 1.2 GB that way. Readers then map the file (`mmap_size`).
    pub fn settle(&self) -> Result<(), DbError> {
        let conn = lock(&self.writer);
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        conn.execute_batch("PRAGMA shrink_memory;")?;
        Ok(())
    }

    /// Empties the writer's page cache after a write that read many pages (a churn scans
    /// every customer and project), so thousands of idle accounts do not each keep theirs.
    pub fn shrink_writer(&self) -> Result<(), DbError> {
        lock(&self.writer).execute_batch("PRAGMA shrink_memory;")?;
        Ok(())
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
