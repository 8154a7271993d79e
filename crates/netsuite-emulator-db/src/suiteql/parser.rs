//! A recursive-descent parser for the SuiteQL that clients send: Oracle-style SELECT with joins,
//! sub-queries, set operations, `TOP n`, `OFFSET n ROWS`, `FETCH FIRST n ROWS ONLY`.
//! Nesting is capped so that no input can exhaust the stack.

use super::ast::*;
use super::lexer::Tok;
use crate::SuiteQlError;

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
        let from = self.comma_list(Self::from_item)?;
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

    fn from_item(&mut self) -> R<FromItem> {
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

    pub fn expr(&mut self) -> R<Expr> {
        self.enter()?;
        let mut terms = vec![self.and()?];
        while self.eat_kw("OR") {
            terms.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if terms.len() == 1 {
            terms.pop().unwrap_or(Expr::Null)
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self) -> R<Expr> {
        let mut terms = vec![self.not()?];
        while self.eat_kw("AND") {
            terms.push(self.not()?);
        }
        Ok(if terms.len() == 1 {
            terms.pop().unwrap_or(Expr::Null)
        } else {
            Expr::And(terms)
        })
    }

    fn not(&mut self) -> R<Expr> {
        if self.eat_kw("NOT") {
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> R<Expr> {
        let left = self.arith()?;
        let cmp = match self.peek() {
            Some(Tok::Sym("=")) => Some(CmpOp::Eq),
            Some(Tok::Sym("<>" | "!=" | "^=")) => Some(CmpOp::Ne),
            Some(Tok::Sym("<")) => Some(CmpOp::Lt),
            Some(Tok::Sym("<=")) => Some(CmpOp::Le),
            Some(Tok::Sym(">")) => Some(CmpOp::Gt),
            Some(Tok::Sym(">=")) => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = cmp {
            self.pos += 1;
            let right = self.arith()?;
            return Ok(Expr::Cmp(Box::new(left), op, Box::new(right)));
        }
        if self.eat_kw("IS") {
            let negated = self.eat_kw("NOT");
            self.expect_kw("NULL")?;
            return Ok(Expr::IsNull(Box::new(left), negated));
        }
        let negated = self.eat_kw("NOT");
        if self.eat_kw("IN") {
            return self.in_rest(left, negated);
        }
        if self.eat_kw("LIKE") {
            let pattern = self.arith()?;
            let escape = if self.eat_kw("ESCAPE") {
                Some(Box::new(self.arith()?))
            } else {
                None
            };
            return Ok(Expr::Like(
                Box::new(left),
                Box::new(pattern),
                escape,
                negated,
            ));
        }
        if self.eat_kw("BETWEEN") {
            let low = self.arith()?;
            self.expect_kw("AND")?;
            let high = self.arith()?;
            return Ok(Expr::Between(
                Box::new(left),
                Box::new(low),
                Box::new(high),
                negated,
            ));
        }
        if negated {
            return err("expected IN, LIKE or BETWEEN after NOT");
        }
        Ok(left)
    }

    fn in_rest(&mut self, left: Expr, negated: bool) -> R<Expr> {
        self.expect_sym("(")?;
        if self.peek_kw("SELECT") {
            let q = self.query()?;
            self.expect_sym(")")?;
            return Ok(Expr::InQuery(Box::new(left), Box::new(q), negated));
        }
        let list = self.comma_list(Self::expr)?;
        self.expect_sym(")")?;
        if list.len() > MAX_IN_LIST {
            return err("more than 1000 items in an IN list");
        }
        Ok(Expr::InList(Box::new(left), list, negated))
    }

    fn arith(&mut self) -> R<Expr> {
        let first = self.term()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Some(Tok::Sym("+")) => ArithOp::Add,
                Some(Tok::Sym("-")) => ArithOp::Sub,
                Some(Tok::Sym("||")) => ArithOp::Concat,
                _ => break,
            };
            self.pos += 1;
            rest.push((op, self.term()?));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Expr::Arith(Box::new(first), rest)
        })
    }

    fn term(&mut self) -> R<Expr> {
        let first = self.unary()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.peek() {
                Some(Tok::Sym("*")) => ArithOp::Mul,
                Some(Tok::Sym("/")) => ArithOp::Div,
                _ => break,
            };
            self.pos += 1;
            rest.push((op, self.unary()?));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Expr::Arith(Box::new(first), rest)
        })
    }

    fn unary(&mut self) -> R<Expr> {
        if self.eat_sym("-") {
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(inner)));
        }
        if self.eat_sym("+") {
            self.enter()?;
            let inner = self.unary();
            self.depth -= 1;
            return inner;
        }
        self.primary()
    }

    fn primary(&mut self) -> R<Expr> {
        let Some(tok) = self.peek().cloned() else {
            return err("unexpected end of query");
        };
        self.pos += 1;
        match tok {
            Tok::Number(n) => Ok(Expr::Number(n)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Param => {
                self.params += 1;
                Ok(Expr::Param(self.params - 1))
            }
            Tok::Sym("(") => self.parenthesised(),
            Tok::Quoted(q) => self.name_rest(q),
            Tok::Word(w) => self.word(w),
            other => err(format!("unexpected {other:?}")),
        }
    }

    fn parenthesised(&mut self) -> R<Expr> {
        if self.peek_kw("SELECT") {
            let q = self.query()?;
            self.expect_sym(")")?;
            return Ok(Expr::Subquery(Box::new(q)));
        }
        let e = self.expr()?;
        self.expect_sym(")")?;
        Ok(e)
    }

    fn word(&mut self, w: String) -> R<Expr> {
        let upper = w.to_ascii_uppercase();
        match upper.as_str() {
            "NULL" => Ok(Expr::Null),
            "SYSDATE" | "CURRENT_DATE" | "CURRENT_TIMESTAMP" | "SYSTIMESTAMP" => Ok(Expr::Now),
            "ROWNUM" => Ok(Expr::Rownum),
            "EXISTS" => {
                self.expect_sym("(")?;
                let q = self.query()?;
                self.expect_sym(")")?;
                Ok(Expr::Exists(Box::new(q), false))
            }
            "CASE" => self.case(),
            "CAST" => {
                self.expect_sym("(")?;
                let e = self.expr()?;
                self.expect_kw("AS")?;
                let ty = self.ident()?;
                if self.eat_sym("(") {
                    while !self.eat_sym(")") {
                        if self.peek().is_none() {
                            return err("unterminated type");
                        }
                        self.pos += 1;
                    }
                }
                self.expect_sym(")")?;
                Ok(Expr::Cast(Box::new(e), ty))
            }
            _ if RESERVED.contains(&upper.as_str()) => err(format!("unexpected keyword {w}")),
            _ => self.name_rest(w),
        }
    }

    /// After a name: `.name`, then maybe `(args)`.
    fn name_rest(&mut self, first: String) -> R<Expr> {
        let mut name = vec![first];
        while self.eat_sym(".") {
            if name.len() >= 2 {
                return err("too many name parts");
            }
            name.push(self.ident()?);
        }
        if !self.eat_sym("(") {
            return Ok(Expr::Column(name));
        }
        self.enter()?;
        let (mut distinct, mut star, mut args) = (false, false, Vec::new());
        if self.eat_sym("*") {
            star = true;
        } else if !matches!(self.peek(), Some(Tok::Sym(")"))) {
            distinct = self.eat_kw("DISTINCT");
            if !distinct {
                self.eat_kw("ALL");
            }
            args = self.comma_list(Self::expr)?;
        }
        self.expect_sym(")")?;
        self.depth -= 1;
        Ok(Expr::Func {
            name,
            args,
            distinct,
            star,
        })
    }

    fn case(&mut self) -> R<Expr> {
        self.enter()?;
        let operand = if self.peek_kw("WHEN") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let mut whens = Vec::new();
        while self.eat_kw("WHEN") {
            let w = self.expr()?;
            self.expect_kw("THEN")?;
            whens.push((w, self.expr()?));
        }
        if whens.is_empty() {
            return err("CASE without WHEN");
        }
        let else_ = if self.eat_kw("ELSE") {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        self.expect_kw("END")?;
        self.depth -= 1;
        Ok(Expr::Case {
            operand,
            whens,
            else_,
        })
    }
}
