//! Expressions: OR/AND chains, predicates, arithmetic, literals, names and calls.

use super::{err, Parser, MAX_IN_LIST, R, RESERVED};
use crate::suiteql::ast::*;
use crate::suiteql::lexer::Tok;

impl Parser {
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
