//! Turns a parsed query into SQLite SQL, checking every table and column against the
//! account's schema on the way and recording the kind of each output column.

use super::ast::*;
use super::scope::{quote, Frame, Scopes, Source};
use crate::encode::OutCol;
use crate::schema::Schema;
use crate::SuiteQlError;

type R<T> = Result<T, SuiteQlError>;

/// A translated query.
#[derive(Debug, Clone)]
pub(crate) struct Emitted {
    pub sql: String,
    pub columns: Vec<OutCol>,
    /// Whether the SQL already ends in LIMIT (from FETCH FIRST, TOP or ROWNUM).
    pub limited: bool,
}

pub(crate) struct Emitter<'s> {
    pub schema: &'s Schema,
    pub scopes: Scopes,
    derived: usize,
}

impl<'s> Emitter<'s> {
    pub fn new(schema: &'s Schema) -> Self {
        Self {
            schema,
            scopes: Scopes::default(),
            derived: 0,
        }
    }

    pub fn query(&mut self, q: &Query) -> R<Emitted> {
        let (mut sql, columns, mut limit) = match &q.body {
            Body::Select(s) => {
                let (sql, cols, limit) = self.select(s)?;
                let order = self.order_by(&q.order_by, &cols, true);
                self.scopes.frames.pop();
                (sql + &order?, cols, limit)
            }
            Body::SetOps(first, rest) => self.set_ops(first, rest, &q.order_by)?,
        };
        if let Some(fetch) = &q.fetch {
            let n = self.limit_value(fetch)?;
            limit = Some(limit.map_or(n.clone(), |l| format!("MIN({l}, {n})")));
        }
        let offset = q.offset.as_ref().map(|o| self.limit_value(o)).transpose()?;
        let limited = limit.is_some() || offset.is_some();
        if limited {
            sql.push_str(&format!(" LIMIT {}", limit.unwrap_or_else(|| "-1".into())));
            if let Some(o) = offset {
                sql.push_str(&format!(" OFFSET {o}"));
            }
        }
        Ok(Emitted {
            sql,
            columns,
            limited,
        })
    }

    fn set_ops(
        &mut self,
        first: &Select,
        rest: &[(SetOp, Select)],
        order: &[OrderItem],
    ) -> R<(String, Vec<OutCol>, Option<String>)> {
        let (mut sql, cols, limit) = self.select(first)?;
        self.scopes.frames.pop();
        if limit.is_some() {
            return Err(SuiteQlError::invalid("TOP/ROWNUM inside a set operation"));
        }
        for (op, s) in rest {
            let (part, part_cols, limit) = self.select(s)?;
            self.scopes.frames.pop();
            if part_cols.len() != cols.len() || limit.is_some() {
                return Err(SuiteQlError::invalid("set operands differ in columns"));
            }
            let op = match op {
                SetOp::Union => "UNION",
                SetOp::UnionAll => "UNION ALL",
                SetOp::Intersect => "INTERSECT",
                SetOp::Minus => "EXCEPT",
            };
            sql = format!("{sql} {op} {part}");
        }
        // With no FROM scope left, ORDER BY may only name output columns or positions.
        self.scopes.frames.push(Frame::default());
        let order = self.order_by(order, &cols, false);
        self.scopes.frames.pop();
        Ok((sql + &order?, cols, None))
    }

    fn limit_value(&mut self, e: &Expr) -> R<String> {
        match e {
            Expr::Number(n) => match n.parse::<u32>() {
                Ok(v) => Ok(v.to_string()),
                Err(_) => Err(SuiteQlError::invalid("row limits must be whole numbers")),
            },
            Expr::Param(_) => Ok(self.expr(e)?.0),
            _ => Err(SuiteQlError::invalid("row limits must be whole numbers")),
        }
    }

    /// Emits a SELECT without ORDER BY; leaves its frame pushed (ORDER BY needs it).
    fn select(&mut self, s: &Select) -> R<(String, Vec<OutCol>, Option<String>)> {
        self.scopes.frames.push(Frame::default());
        // Register every table first: ON conditions may name any table of the FROM clause.
        let mut parts = Vec::new();
        for item in &s.from {
            let base = self.table(&item.base)?;
            let mut joins = Vec::new();
            for join in &item.joins {
                joins.push((join.kind, self.table(&join.table)?, join.on.as_ref()));
            }
            parts.push((base, joins));
        }
        let mut from_parts = Vec::new();
        for (base, joins) in parts {
            let mut part = base;
            for (kind, table, on) in joins {
                let kw = match kind {
                    JoinKind::Inner => "JOIN",
                    JoinKind::Left => "LEFT JOIN",
                    JoinKind::Right => "RIGHT JOIN",
                    JoinKind::Full => "FULL JOIN",
                    JoinKind::Cross => "CROSS JOIN",
                };
                part = format!("{part} {kw} {table}");
                if let Some(on) = on {
                    part = format!("{part} ON {}", self.expr(on)?.0);
                }
            }
            from_parts.push(part);
        }
        let from = from_parts.join(", ");
        let (items, columns) = self.select_items(&s.items)?;
        let (where_, rownum) = self.where_clause(s.where_.as_ref())?;
        let mut sql = format!(
            "SELECT {}{items} FROM {from}",
            if s.distinct { "DISTINCT " } else { "" }
        );
        if let Some(w) = where_ {
            sql.push_str(&format!(" WHERE {w}"));
        }
        if !s.group_by.is_empty() {
            let groups = s
                .group_by
                .iter()
                .map(|g| self.expr(g).map(|(sql, _)| sql))
                .collect::<R<Vec<_>>>()?;
            sql.push_str(&format!(" GROUP BY {}", groups.join(", ")));
        }
        if let Some(h) = &s.having {
            sql.push_str(&format!(" HAVING {}", self.expr(h)?.0));
        }
        let top = s.top.as_ref().map(|t| self.limit_value(t)).transpose()?;
        let limit = match (top, rownum) {
            (Some(a), Some(b)) => Some(format!("MIN({a}, {b})")),
            (a, b) => a.or(b),
        };
        Ok((sql, columns, limit))
    }

    fn table(&mut self, t: &TableRef) -> R<String> {
        let (sql, source) = match t {
            TableRef::Table { name, alias } => {
                let table = self
                    .schema
                    .table(name)
                    .ok_or_else(|| SuiteQlError::UnknownTable(name.clone()))?;
                let alias = alias.as_deref().unwrap_or(name).to_lowercase();
                let columns = self
                    .schema
                    .columns(table)
                    .map(|c| (c.name.to_owned(), c.kind))
                    .collect();
                let sql = format!("{} AS {}", quote(table.name), quote(&alias));
                (
                    sql,
                    Source {
                        alias,
                        table: table.name.to_owned(),
                        columns,
                    },
                )
            }
            TableRef::Derived { query, alias } => {
                let inner = self.query(query)?;
                self.derived += 1;
                let alias = alias
                    .as_ref()
                    .map_or_else(|| format!("_d{}", self.derived), |a| a.to_lowercase());
                let columns = inner
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), c.kind))
                    .collect();
                let sql = format!("({}) AS {}", inner.sql, quote(&alias));
                (
                    sql,
                    Source {
                        table: alias.clone(),
                        alias,
                        columns,
                    },
                )
            }
        };
        if let Some(frame) = self.scopes.frames.last_mut() {
            frame.sources.push(source);
        }
        Ok(sql)
    }

    fn select_items(&mut self, items: &[SelectItem]) -> R<(String, Vec<OutCol>)> {
        let mut sql = Vec::new();
        let mut cols = Vec::new();
        let mut unnamed = 0;
        for item in items {
            let expanded = match item {
                SelectItem::Wildcard => self.scopes.wildcard(None)?,
                SelectItem::QualifiedWildcard(q) => self.scopes.wildcard(Some(q.as_str()))?,
                SelectItem::Expr { expr, alias } => {
                    let (s, kind) = self.expr(expr)?;
                    let name = match (alias, expr) {
                        (Some(a), _) => a.to_lowercase(),
                        (None, Expr::Column(parts)) => {
                            parts.last().map(|p| p.to_lowercase()).unwrap_or_default()
                        }
                        (None, _) => {
                            unnamed += 1;
                            format!("expr{unnamed}")
                        }
                    };
                    vec![(s, name, kind)]
                }
            };
            for (s, name, kind) in expanded {
                sql.push(format!("{s} AS {}", quote(&name)));
                cols.push(OutCol { name, kind });
            }
        }
        Ok((sql.join(", "), cols))
    }

    /// WHERE, with top-level `ROWNUM <= n` / `ROWNUM < n` / `ROWNUM = 1` turned into a limit.
    fn where_clause(&mut self, w: Option<&Expr>) -> R<(Option<String>, Option<String>)> {
        let Some(w) = w else { return Ok((None, None)) };
        let conjuncts: Vec<&Expr> = match w {
            Expr::And(terms) => terms.iter().collect(),
            other => vec![other],
        };
        let mut kept = Vec::new();
        let mut limit = None;
        for c in conjuncts {
            match c {
                Expr::Cmp(l, op, r) if matches!(**l, Expr::Rownum) => {
                    let n = self.limit_value(r)?;
                    limit = Some(match op {
                        CmpOp::Le => n,
                        CmpOp::Lt => format!("MAX(({n}) - 1, 0)"),
                        CmpOp::Eq if n == "1" => n,
                        _ => return Err(SuiteQlError::invalid("ROWNUM only as ROWNUM <= n")),
                    });
                }
                other => kept.push(self.expr(other)?.0),
            }
        }
        let sql = (!kept.is_empty()).then(|| format!("({})", kept.join(" AND ")));
        Ok((sql, limit))
    }

    fn order_by(&mut self, items: &[OrderItem], cols: &[OutCol], from_scope: bool) -> R<String> {
        if items.is_empty() {
            return Ok(String::new());
        }
        let mut parts = Vec::new();
        for item in items {
            let target = match &item.expr {
                Expr::Number(n) => match n.parse::<usize>() {
                    Ok(i) if (1..=cols.len()).contains(&i) => i.to_string(),
                    _ => return Err(SuiteQlError::invalid("ORDER BY position out of range")),
                },
                Expr::Column(p)
                    if p.len() == 1 && cols.iter().any(|c| c.name == p[0].to_lowercase()) =>
                {
                    quote(&p[0].to_lowercase())
                }
                e if from_scope => self.expr(e)?.0,
                Expr::Column(p) => {
                    return Err(SuiteQlError::UnknownIdentifier {
                        name: p.join("."),
                        available: String::new(),
                    })
                }
                _ => {
                    return Err(SuiteQlError::invalid(
                        "ORDER BY of a set operation must name a column",
                    ))
                }
            };
            // Oracle sorts NULLs as the largest value. Ids are never NULL, and leaving their
            // NULLS clause out lets SQLite walk the primary key instead of sorting.
            let is_id = matches!(&item.expr, Expr::Column(p) if p.last().is_some_and(|c| c.eq_ignore_ascii_case("id")));
            let dir = match (item.desc, item.nulls) {
                (false, None) if is_id => "ASC",
                (true, None) if is_id => "DESC",
                (false, None | Some(false)) => "ASC NULLS LAST",
                (false, Some(true)) => "ASC NULLS FIRST",
                (true, None | Some(true)) => "DESC NULLS FIRST",
                (true, Some(false)) => "DESC NULLS LAST",
            };
            parts.push(format!("{target} {dir}"));
        }
        Ok(format!(" ORDER BY {}", parts.join(", ")))
    }
}
