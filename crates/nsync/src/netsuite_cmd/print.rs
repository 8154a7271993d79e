//! Printing what `nsync netsuite` read: a table for a terminal, JSON lines otherwise, and the
//! summary of bad rows and requests.

use std::io::{IsTerminal, Write};

use anyhow::bail;
use futures::StreamExt;
use netsuite::RowStream;
use serde::Serialize;

pub(super) fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

pub(super) fn flag(b: bool) -> String {
    if b { "yes" } else { "" }.to_owned()
}

pub(super) fn person(c: &netsuite::Customer) -> String {
    [&c.first_name, &c.middle_name, &c.last_name]
        .iter()
        .filter_map(|n| n.as_deref())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn print_one<T: Serialize + std::fmt::Debug>(
    value: &T,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(value)?);
    } else {
        println!("{}", serde_json::to_string_pretty(value)?);
    }
    Ok(())
}

/// Prints every row of a read, with a progress spinner on a terminal; bad rows go to stderr.
pub(super) async fn drain<T: Serialize>(
    mut stream: RowStream<T>,
    mut out: Printer,
    cells: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message("reading NetSuite");
        bar
    });
    let mut bad = 0usize;
    while let Some(item) = stream.next().await {
        match item? {
            Ok(row) => out.row(&row, &cells(&row))?,
            Err(e) => {
                bad += 1;
                eprintln!("skipped: {e}");
            }
        }
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    out.finish()?;
    summary(bad, 0)
}

pub(super) fn summary(bad: usize, requests: u64) -> anyhow::Result<()> {
    if requests > 0 {
        eprintln!("{requests} NetSuite requests");
    }
    if bad > 0 {
        bail!("{bad} rows could not be read (see above)");
    }
    Ok(())
}

/// A table (columns sized to their content, cells stripped of control characters) or JSON lines.
pub(super) struct Printer {
    json: bool,
    /// JSON lines go through a buffer: one write per row would be a system call per row.
    out: std::io::BufWriter<std::io::Stdout>,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Printer {
    pub(super) fn new(json: bool, headers: &[&str]) -> Self {
        Self {
            json,
            out: std::io::BufWriter::with_capacity(1 << 16, std::io::stdout()),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub(super) fn row<T: Serialize>(&mut self, value: &T, cells: &[String]) -> anyhow::Result<()> {
        if self.json {
            serde_json::to_writer(&mut self.out, value)?;
            self.out.write_all(b"\n")?;
        } else {
            // NetSuite text is untrusted: never let it move the terminal's cursor.
            self.rows.push(
                cells
                    .iter()
                    .map(|c| {
                        c.chars()
                            .map(|ch| if ch.is_control() { ' ' } else { ch })
                            .collect()
                    })
                    .collect(),
            );
        }
        Ok(())
    }

    pub(super) fn finish(mut self) -> anyhow::Result<()> {
        if self.json {
            self.out.flush()?;
            return Ok(());
        }
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([self.headers[i].len()])
                    .max()
                    .unwrap_or(0)
                    .min(60)
            })
            .collect();
        let stdout = &mut self.out;
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{:<w$}", c.chars().take(*w).collect::<String>(), w = *w))
                .collect();
            writeln!(stdout, "{}", line.join("  ").trim_end())?;
        }
        stdout.flush()?;
        Ok(())
    }
}
