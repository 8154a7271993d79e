//! A recursive-descent parser for the SuiteQL that clients send: Oracle-style SELECT with joins,
//! sub-queries, set operations, `TOP n`, `OFFSET n ROWS`, `FETCH FIRST n ROWS ONLY`.
//! Nesting is capped so that no input can exhaust the stack.

use super::ast::*;
use super::lexer::Tok;
use crate::SuiteQlError;

mod expr;

const MAX_DEPTH: usize = 48;
/// NetSuite refuses `IN` lists longer than this.
const MAX_IN_LIST: usize = 1000;

const RESERVED: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "ORDER",
    "HAVING",
    "UNION",
    "MINUS",
    "INTERSECT",
    "JOIN",
    "INNER",
    "LEFT",
    "RIGHT",
    "FULL",
    "CROSS",
    "ON",
    "FETCH",
    "OFFSET",
    "AND",
    "OR",
    "NOT",
    "AS",
    "IS",
    "IN",
    "LIKE",
    "BETWEEN",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "NULL",
    "EXISTS",
    "BY",
    "ASC",
    "DESC",
    "NULLS",
    "DISTINCT",
    "ALL",
    "WITH",
    "LIMIT",
    "ESCAPE",
    "OUTER",
    "TOP",
];

pub(crate) struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
    pub params: usize,
}

type R<T> = Result<T, SuiteQlError>;

fn err<T>(why: impl Into<String>) -> R<T> {
    Err(SuiteQlError::invalid(why))
}

impl Parser {
    pub fn new(toks: Vec<Tok>) -> Self {
        Self {
            toks,
            pos: 0,
            depth: 0,
            params: 0,
        }
    }

    /// The whole input must be one query.
    pub fn parse_statement(&mut self) -> R<Query> {
        if self.peek_kw("WITH") {
            return err("WITH is not supported");
        }
        let q = self.query()?;
        match self.toks.get(self.pos) {
            None => Ok(q),
            Some(t) => err(format!("unexpected {t:?} after the query")),
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_kw(&self, kw: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.peek_kw(kw);
        self.pos += usize::from(hit);
        hit
    }

    fn expect_kw(&mut self, kw: &str) -> R<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            err(format!("expected {kw}"))
        }
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym);
        self.pos += usize::from(hit);
        hit
    }

    fn expect_sym(&mut self, sym: &str) -> R<()> {
        if self.eat_sym(sym) {
            Ok(())
        } else {
            err(format!("expected {sym}"))
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err("query nested too deeply");
        }
        Ok(())
    }

    /// An identifier (bare non-reserved word or quoted), as written.
    fn ident(&mut self) -> R<String> {
        match self.peek().cloned() {
            Some(Tok::Word(w)) if !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&w)) => {
                self.pos += 1;
                Ok(w)
            }
            Some(Tok::Quoted(q)) => {
                self.pos += 1;
                Ok(q)
            }
            other => err(format!("expected an identifier, found {other:?}")),
        }
    }

    fn is_ident_next(&self) -> bool {
        match self.peek() {
            Some(Tok::Word(w)) => !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(w)),
            Some(Tok::Quoted(_)) => true,
            _ => false,
        }
    }

    fn query(&mut self) -> R<Query> {
        self.enter()?;
        let first = self.select()?;
        let mut rest = Vec::new();
        loop {
            let op = if self.eat_kw("UNION") {
                if self.eat_kw("ALL") {
                    SetOp::UnionAll
                } else {
                    SetOp::Union
                }
            } else if self.eat_kw("INTERSECT") {
                SetOp::Intersect
            } else if self.eat_kw("MINUS") {
                SetOp::Minus
            } else {
                break;
            };
            rest.push((op, self.select()?));
        }
        let body = if rest.is_empty() {
            Body::Select(Box::new(first))
        } else {
            Body::SetOps(Box::new(first), rest)
        };
        let order_by = if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            self.comma_list(Self::order_item)?
        } else {
            Vec::new()
        };
        let offset = if self.eat_kw("OFFSET") {
            let n = self.expr()?;
            if !(self.eat_kw("ROWS") || self.eat_kw("ROW")) {
                return err("expected ROWS after OFFSET n");
            }
            Some(n)
        } else {
            None
        };
        let fetch = if self.eat_kw("FETCH") {
            if !(self.eat_kw("FIRST") || self.eat_kw("NEXT")) {
                return err("expected FIRST or NEXT");
            }
            let n = self.expr()?;
            if !(self.eat_kw("ROWS") || self.eat_kw("ROW")) {
                return err("expected ROWS");
            }
            self.expect_kw("ONLY")?;
            Some(n)
        } else {
            None
        };
        self.depth -= 1;
        Ok(Query {
            body,
            order_by,
            offset,
            fetch,
        })
    }

    fn comma_list<T>(&mut self, mut item: impl FnMut(&mut Self) -> R<T>) -> R<Vec<T>> {
        let mut out = vec![item(self)?];
        while self.eat_sym(",") {
            out.push(item(self)?);
        }
        Ok(out)
    }

    fn order_item(&mut self) -> R<OrderItem> {
        let expr = self.expr()?;
        let desc = if self.eat_kw("DESC") {
            true
        } else {
            self.eat_kw("ASC");
            false
        };
        let nulls = if self.eat_kw("NULLS") {
            if self.eat_kw("FIRST") {
                Some(true)
            } else {
                self.expect_kw("LAST")?;
                Some(false)
            }
        } else {
            None
        };
        Ok(OrderItem { expr, desc, nulls })
    }

    fn select(&mut self) -> R<Select> {
        if self.eat_sym("(") {
            return err("parenthesised set operands are not supported");
        }
        self.expect_kw("SELECT")?;
        let distinct = if self.eat_kw("DISTINCT") {
            true
        } else {
            self.eat_kw("ALL");
            false
        };
        let top = if self.eat_kw("TOP") {
            match self.peek().cloned() {
                Some(Tok::Number(n)) => {
                    self.pos += 1;
                    Some(Expr::Number(n))
                }
                _ => return err("TOP needs a number"),
            }
        } else {
            None
        };
        let items = self.comma_list(Self::select_item)?;
        self.expect_kw("FROM")?;
        let from = self.comma_list(Self::table_source)?;
        let where_ = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        let group_by = if self.eat_kw("GROUP") {
            self.expect_kw("BY")?;
            self.comma_list(Self::expr)?
        } else {
            Vec::new()
        };
        let having = if self.eat_kw("HAVING") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Select {
            distinct,
            top,
            items,
            from,
            where_,
            group_by,
            having,
        })
    }

    fn select_item(&mut self) -> R<SelectItem> {
        if self.eat_sym("*") {
            return Ok(SelectItem::Wildcard);
        }
        if self.is_ident_next()
            && matches!(self.toks.get(self.pos + 1), Some(Tok::Sym(".")))
            && matches!(self.toks.get(self.pos + 2), Some(Tok::Sym("*")))
        {
            let q = self.ident()?;
            self.pos += 2;
            return Ok(SelectItem::QualifiedWildcard(q));
        }
        let expr = self.expr()?;
        let alias = if self.eat_kw("AS") || self.is_ident_next() {
            Some(self.ident()?)
        } else {
            None
        };
        Ok(SelectItem::Expr { expr, alias })
    }

    fn table_ref(&mut self) -> R<TableRef> {
        if self.eat_sym("(") {
            let query = Box::new(self.query()?);
            self.expect_sym(")")?;
            let alias = self.table_alias()?;
            return Ok(TableRef::Derived { query, alias });
        }
        let name = self.ident()?;
        if self.eat_sym(".") {
            return err("schema-qualified tables are not supported");
        }
        let alias = self.table_alias()?;
        Ok(TableRef::Table { name, alias })
    }

    /// Oracle refuses `AS` before a table alias; SQL-92 allows it, and SuiteQL takes both.
    fn table_alias(&mut self) -> R<Option<String>> {
        if self.eat_kw("AS") {
            return self.ident().map(Some);
        }
        Ok(if self.is_ident_next() {
            Some(self.ident()?)
        } else {
            None
        })
    }

    fn table_source(&mut self) -> R<FromItem> {
        let base = self.table_ref()?;
        let mut joins = Vec::new();
        loop {
            let kind = if self.eat_kw("JOIN") {
                JoinKind::Inner
            } else if self.eat_kw("INNER") {
                self.expect_kw("JOIN")?;
                JoinKind::Inner
            } else if self.eat_kw("CROSS") {
                self.expect_kw("JOIN")?;
                JoinKind::Cross
            } else if let Some(kind) = self.outer_join_kind()? {
                kind
            } else {
                break;
            };
            let table = self.table_ref()?;
            let on = if kind == JoinKind::Cross {
                None
            } else {
                self.expect_kw("ON")?;
                Some(self.expr()?)
            };
            joins.push(Join { kind, table, on });
        }
        Ok(FromItem { base, joins })
    }

    fn outer_join_kind(&mut self) -> R<Option<JoinKind>> {
        let kind = if self.eat_kw("LEFT") {
            JoinKind::Left
        } else if self.eat_kw("RIGHT") {
            JoinKind::Right
        } else if self.eat_kw("FULL") {
            JoinKind::Full
        } else {
            return Ok(None);
        };
        self.eat_kw("OUTER");
        self.expect_kw("JOIN")?;
        Ok(Some(kind))
    }
}
