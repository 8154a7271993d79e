//! SQL functions the translated queries call: Oracle's date functions in the account's zone,
//! and the emulated clock.

use crate::time;
use crate::SchemaOptions;
use chrono::{DateTime, Duration, Utc};
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The emulated clock shared by every connection of an account, in milliseconds since the epoch.
pub(crate) type Clock = Arc<AtomicI64>;

pub(crate) fn now(clock: &Clock) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(clock.load(Ordering::Relaxed)).unwrap_or_default()
}

fn user_error(msg: String) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(msg.into())
}

fn text_arg(ctx: &Context<'_>, i: usize) -> Option<String> {
    match ctx.get_raw(i) {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

/// Registers `ns_to_char`, `ns_to_date`, `ns_now`, `ns_add_days` and `ns_trunc` on `conn`.
pub(crate) fn register(
    conn: &Connection,
    opts: &SchemaOptions,
    clock: &Clock,
) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let o = opts.clone();
    // ns_to_char(value, model or NULL, is_datetime): 1 = datetime, 0 = not, 2 = sniff.
    conn.create_scalar_function("ns_to_char", 3, flags, move |ctx| {
        let Some(value) = text_arg(ctx, 0) else {
            return Ok(None);
        };
        let model = text_arg(ctx, 1);
        let flag: i64 = ctx.get(2).unwrap_or(2);
        let stored = if flag == 0 {
            None
        } else {
            time::from_storage(&value)
        };
        match stored {
            Some(t) => {
                let local = t.with_timezone(&o.time_zone).naive_local();
                match model {
                    Some(m) => time::to_char(local, &m).map(Some).map_err(user_error),
                    None => Ok(Some(o.date_format.format(local.date()))),
                }
            }
            None => Ok(Some(value)),
        }
    })?;
    let o = opts.clone();
    conn.create_scalar_function("ns_to_date", 2, flags, move |ctx| {
        let Some(text) = text_arg(ctx, 0) else {
            return Ok(None);
        };
        let local = match text_arg(ctx, 1) {
            Some(model) => time::to_date(&text, &model).map_err(user_error)?,
            None => o
                .date_format
                .parse_date(text.trim())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .ok_or_else(|| user_error(format!("ORA-01858: invalid date {text:?}")))?,
        };
        Ok(Some(time::to_storage(time::local_to_utc(
            local,
            o.time_zone,
        ))))
    })?;
    let c = clock.clone();
    conn.create_scalar_function("ns_now", 0, FunctionFlags::SQLITE_UTF8, move |_| {
        Ok(time::to_storage(now(&c)))
    })?;
    conn.create_scalar_function("ns_add_days", 2, flags, move |ctx| {
        let Some(t) = text_arg(ctx, 0).and_then(|v| time::from_storage(&v)) else {
            return Ok(None);
        };
        let days: f64 = ctx.get::<Option<f64>>(1)?.unwrap_or(0.0);
        let delta = Duration::milliseconds((days * 86_400_000.0).clamp(-1e15, 1e15) as i64);
        Ok(t.checked_add_signed(delta).map(time::to_storage))
    })?;
    let o = opts.clone();
    conn.create_scalar_function("ns_trunc", 1, flags, move |ctx| {
        let Some(t) = text_arg(ctx, 0).and_then(|v| time::from_storage(&v)) else {
            return Ok(None);
        };
        let midnight = t
            .with_timezone(&o.time_zone)
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default();
        Ok(Some(time::to_storage(time::local_to_utc(
            midnight,
            o.time_zone,
        ))))
    })
}
