//! NetSuite's record-list `q` filter (`isInactive IS false AND lastModifiedDate ON_OR_AFTER "1/1/2024"`)
//! translated to a parameterised SQLite condition. AND binds tighter than OR; parentheses group.

use super::Field;
use crate::schema::Kind;
use crate::time::{local_to_utc, to_storage};
use crate::{RecordError, SchemaOptions};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::types::Value as SqlValue;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Sym(char),
}

fn bad(detail: impl Into<String>) -> RecordError {
    RecordError::InvalidQuery(format!("Invalid search query. {}", detail.into()))
}

fn lex(q: &str) -> Result<Vec<Tok>, RecordError> {
    let mut out = Vec::new();
    let mut chars = q.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if "()[],".contains(c) {
            out.push(Tok::Sym(c));
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next() {
                    Some('\\') => s.extend(chars.next()),
                    Some('"') => break,
                    Some(ch) => s.push(ch),
                    None => return Err(bad("Unterminated quoted value.")),
                }
            }
            out.push(Tok::Quoted(s));
        } else {
            let mut s = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() || "()[],\"".contains(ch) {
                    break;
                }
                s.push(ch);
                chars.next();
            }
            out.push(Tok::Word(s));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    fields: &'a [&'static Field],
    opts: &'a SchemaOptions,
    values: Vec<SqlValue>,
    depth: usize,
}

pub(crate) fn translate(
    q: &str,
    fields: &[&'static Field],
    opts: &SchemaOptions,
) -> Result<(String, Vec<SqlValue>), RecordError> {
    let mut p = Parser {
        toks: lex(q)?,
        pos: 0,
        fields,
        opts,
        values: Vec::new(),
        depth: 0,
    };
    let cond = p.or()?;
    if p.pos != p.toks.len() {
        return Err(bad("Unexpected text after the condition."));
    }
    Ok((cond, p.values))
}

impl Parser<'_> {
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn peek_word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn or(&mut self) -> Result<String, RecordError> {
        let mut parts = vec![self.and()?];
        while self.peek_word("OR") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(format!("({})", parts.join(" OR ")))
    }

    fn and(&mut self) -> Result<String, RecordError> {
        let mut parts = vec![self.condition()?];
        while self.peek_word("AND") {
            self.pos += 1;
            parts.push(self.condition()?);
        }
        Ok(format!("({})", parts.join(" AND ")))
    }

    fn condition(&mut self) -> Result<String, RecordError> {
        if self.toks.get(self.pos) == Some(&Tok::Sym('(')) {
            self.pos += 1;
            self.depth += 1;
            if self.depth > 32 {
                return Err(bad("Too many parentheses."));
            }
            let inner = self.or()?;
            self.depth -= 1;
            return match self.next() {
                Some(Tok::Sym(')')) => Ok(inner),
                _ => Err(bad("Missing closing parenthesis.")),
            };
        }
        let Some(Tok::Word(name)) = self.next() else {
            return Err(bad("Expected a field name."));
        };
        let fields = self.fields;
        let field: &'static Field = fields
            .iter()
            .copied()
            .find(|f| f.name.eq_ignore_ascii_case(&name) || f.column.eq_ignore_ascii_case(&name))
            .ok_or_else(|| bad(format!("Unknown field: {name}.")))?;
        let Some(Tok::Word(op)) = self.next() else {
            return Err(bad("Expected an operator."));
        };
        let op = op.to_ascii_uppercase();
        let (base, negated) = match op.strip_suffix("_NOT") {
            Some(b) => (b.to_owned(), true),
            None => (op.clone(), false),
        };
        let cond = self.operator(field, &base)?;
        Ok(if negated {
            format!("NOT COALESCE({cond}, 0)")
        } else {
            cond
        })
    }

    fn value(&mut self) -> Result<String, RecordError> {
        match self.next() {
            Some(Tok::Word(w)) => Ok(w),
            Some(Tok::Quoted(q)) => Ok(q),
            _ => Err(bad("Expected a value.")),
        }
    }

    fn bind(&mut self, v: SqlValue) -> String {
        self.values.push(v);
        format!("?{}", self.values.len())
    }

    fn operator(&mut self, field: &Field, op: &str) -> Result<String, RecordError> {
        let col = field.column;
        if op == "EMPTY" {
            return Ok(format!("({col} IS NULL OR {col} = '')"));
        }
        match (field.kind, op) {
            (
                Kind::Int | Kind::Ref(_),
                "EQUAL" | "GREATER" | "GREATER_OR_EQUAL" | "LESS" | "LESS_OR_EQUAL",
            ) => {
                let v = self.number()?;
                let sym = match op {
                    "EQUAL" => "=",
                    "GREATER" => ">",
                    "GREATER_OR_EQUAL" => ">=",
                    "LESS" => "<",
                    _ => "<=",
                };
                Ok(format!("({col} {sym} {v})"))
            }
            (Kind::Int | Kind::Ref(_), "ANY_OF" | "BETWEEN") => {
                let list = self.list()?;
                if op == "BETWEEN" {
                    return match list.as_slice() {
                        [a, b] => Ok(format!("({col} BETWEEN {a} AND {b})")),
                        _ => Err(bad("BETWEEN needs two values.")),
                    };
                }
                Ok(format!("({col} IN ({}))", list.join(", ")))
            }
            (Kind::Bool, "IS") => {
                let v = self.value()?.to_ascii_lowercase();
                let tf = match v.as_str() {
                    "true" | "t" => "T",
                    "false" | "f" => "F",
                    _ => return Err(bad(format!("Invalid boolean value: {v}."))),
                };
                Ok(format!("({col} = '{tf}')"))
            }
            (Kind::Text, "IS" | "START_WITH" | "CONTAIN" | "END_WITH" | "ENDWITH") => {
                let v = self.value()?;
                let esc = v
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                let (pattern, like) = match op {
                    "IS" => (v.to_lowercase(), false),
                    "START_WITH" => (format!("{esc}%"), true),
                    "CONTAIN" => (format!("%{esc}%"), true),
                    _ => (format!("%{esc}"), true),
                };
                let p = self.bind(SqlValue::Text(pattern.to_lowercase()));
                Ok(if like {
                    format!("(lower({col}) LIKE {p} ESCAPE '\\')")
                } else {
                    format!("(lower({col}) = {p})")
                })
            }
            (Kind::DateTime, "AFTER" | "BEFORE" | "ON" | "ON_OR_AFTER" | "ON_OR_BEFORE") => {
                self.date_condition(col, op)
            }
            _ => Err(bad(format!(
                "Operator {op} is not valid for field {}.",
                field.name
            ))),
        }
    }

    fn number(&mut self) -> Result<String, RecordError> {
        let v = self.value()?;
        v.trim()
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|_| bad(format!("Invalid number: {v}.")))
    }

    fn list(&mut self) -> Result<Vec<String>, RecordError> {
        if self.toks.get(self.pos) != Some(&Tok::Sym('[')) {
            return Ok(vec![self.number()?]);
        }
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            out.push(self.number()?);
            match self.next() {
                Some(Tok::Sym(',')) => continue,
                Some(Tok::Sym(']')) => return Ok(out),
                _ => return Err(bad("Expected , or ] in a list.")),
            }
        }
    }

    /// A day (in the account's zone) or an instant; compared as stored UTC text.
    fn date_condition(&mut self, col: &str, op: &str) -> Result<String, RecordError> {
        let v = self.value()?;
        let (start, end) = parse_when(&v, self.opts)
            .ok_or_else(|| RecordError::InvalidQuery(format!("Unparseable date: \"{v}\"")))?;
        // Bind only the bounds the operator uses: SQLite refuses unused parameters.
        let mut bound = |t: DateTime<Utc>| self.bind(SqlValue::Text(to_storage(t)));
        Ok(match op {
            "AFTER" => format!("({col} >= {})", bound(end)),
            "BEFORE" => format!("({col} < {})", bound(start)),
            "ON" => {
                let (s, e) = (bound(start), bound(end));
                format!("({col} >= {s} AND {col} < {e})")
            }
            "ON_OR_AFTER" => format!("({col} >= {})", bound(start)),
            _ => format!("({col} < {})", bound(end)),
        })
    }
}

/// `[start, end)` of what the value names: an instant (ISO 8601 with offset) is one second wide;
/// a date (the user's format, or `M/D/YYYY`) is that day in the account's zone.
fn parse_when(v: &str, opts: &SchemaOptions) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v.trim()) {
        let t = t.with_timezone(&Utc);
        return Some((t, t + Duration::seconds(1)));
    }
    let us = crate::DateFormat::parse("M/D/YYYY").ok();
    let day: NaiveDate = opts
        .date_format
        .parse_date(v.trim())
        .or_else(|| us.and_then(|f| f.parse_date(v.trim())))?;
    let start = local_to_utc(day.and_hms_opt(0, 0, 0)?, opts.time_zone);
    let end = local_to_utc(day.succ_opt()?.and_hms_opt(0, 0, 0)?, opts.time_zone);
    Some((start, end))
}
