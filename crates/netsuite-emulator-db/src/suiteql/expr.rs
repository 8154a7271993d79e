//! Expressions and functions: Oracle's names and semantics mapped onto SQLite's.

use super::ast::*;
use super::emit::Emitter;
use super::scope::quote;
use crate::schema::Kind;
use crate::SuiteQlError;

type R<T> = Result<T, SuiteQlError>;

fn unsupported<T>(what: &str) -> R<T> {
    Err(SuiteQlError::invalid(format!("unsupported: {what}")))
}

impl Emitter<'_> {
    pub fn expr(&mut self, e: &Expr) -> R<(String, Kind)> {
        Ok(match e {
            Expr::Column(parts) => self.scopes.column(parts)?,
            Expr::Number(n) => (
                n.clone(),
                if n.contains(['.', 'e', 'E']) {
                    Kind::Unknown
                } else {
                    Kind::Int
                },
            ),
            Expr::Str(s) => (format!("'{}'", s.replace('\'', "''")), Kind::Text),
            Expr::Null => ("NULL".into(), Kind::Unknown),
            Expr::Param(i) => (format!("?{}", i + 1), Kind::Unknown),
            Expr::Now => ("ns_now()".into(), Kind::DateTime),
            Expr::Rownum => return unsupported("ROWNUM outside WHERE ROWNUM <= n"),
            Expr::Neg(x) => {
                let (s, k) = self.expr(x)?;
                (format!("(-{s})"), k)
            }
            Expr::Not(x) => (format!("(NOT {})", self.expr(x)?.0), Kind::Bool),
            Expr::And(terms) => (self.joined(terms, " AND ")?, Kind::Bool),
            Expr::Or(terms) => (self.joined(terms, " OR ")?, Kind::Bool),
            Expr::Arith(first, rest) => self.arith(first, rest)?,
            Expr::Cmp(l, op, r) => {
                let op = match op {
                    CmpOp::Eq => "=",
                    CmpOp::Ne => "<>",
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                };
                (
                    format!("({} {op} {})", self.expr(l)?.0, self.expr(r)?.0),
                    Kind::Bool,
                )
            }
            Expr::IsNull(x, neg) => (
                format!("({} IS {}NULL)", self.expr(x)?.0, not(*neg)),
                Kind::Bool,
            ),
            Expr::InList(x, list, neg) => {
                let (x, _) = self.expr(x)?;
                (
                    format!("({x} {}IN ({}))", not(*neg), self.joined_plain(list)?),
                    Kind::Bool,
                )
            }
            Expr::InQuery(x, q, neg) => {
                let (x, _) = self.expr(x)?;
                let sub = self.query(q)?;
                (format!("({x} {}IN ({}))", not(*neg), sub.sql), Kind::Bool)
            }
            Expr::Exists(q, neg) => (
                format!("({}EXISTS ({}))", not(*neg), self.query(q)?.sql),
                Kind::Bool,
            ),
            Expr::Subquery(q) => {
                let sub = self.query(q)?;
                let kind = sub.columns.first().map_or(Kind::Unknown, |c| c.kind);
                (format!("({})", sub.sql), kind)
            }
            Expr::Between(x, lo, hi, neg) => {
                let (x, lo, hi) = (self.expr(x)?.0, self.expr(lo)?.0, self.expr(hi)?.0);
                (
                    format!("({x} {}BETWEEN {lo} AND {hi})", not(*neg)),
                    Kind::Bool,
                )
            }
            Expr::Like(x, p, esc, neg) => {
                let mut s = format!("({} {}LIKE {}", self.expr(x)?.0, not(*neg), self.expr(p)?.0);
                if let Some(esc) = esc {
                    s.push_str(&format!(" ESCAPE {}", self.expr(esc)?.0));
                }
                (s + ")", Kind::Bool)
            }
            Expr::Case {
                operand,
                whens,
                else_,
            } => self.case(operand.as_deref(), whens, else_.as_deref())?,
            Expr::Cast(x, ty) => self.cast(x, ty)?,
            Expr::Func {
                name,
                args,
                distinct,
                star,
            } => self.func(name, args, *distinct, *star)?,
        })
    }

    fn joined(&mut self, terms: &[Expr], sep: &str) -> R<String> {
        let parts = terms
            .iter()
            .map(|t| self.expr(t).map(|(s, _)| s))
            .collect::<R<Vec<_>>>()?;
        Ok(format!("({})", parts.join(sep)))
    }

    fn joined_plain(&mut self, terms: &[Expr]) -> R<String> {
        let parts = terms
            .iter()
            .map(|t| self.expr(t).map(|(s, _)| s))
            .collect::<R<Vec<_>>>()?;
        Ok(parts.join(", "))
    }

    /// `+ - * / ||`. A datetime plus or minus a number shifts by days, as in Oracle;
    /// division is never integer division.
    fn arith(&mut self, first: &Expr, rest: &[(ArithOp, Expr)]) -> R<(String, Kind)> {
        let (mut sql, mut kind) = self.expr(first)?;
        for (op, operand) in rest {
            let (rhs, rkind) = self.expr(operand)?;
            (sql, kind) = match op {
                ArithOp::Add | ArithOp::Sub
                    if kind == Kind::DateTime && rkind != Kind::DateTime =>
                {
                    let sign = if *op == ArithOp::Sub { "-" } else { "" };
                    (format!("ns_add_days({sql}, {sign}({rhs}))"), Kind::DateTime)
                }
                ArithOp::Add => (format!("({sql} + {rhs})"), Kind::Unknown),
                ArithOp::Sub => (format!("({sql} - {rhs})"), Kind::Unknown),
                ArithOp::Mul => (format!("({sql} * {rhs})"), Kind::Unknown),
                ArithOp::Div => (format!("(CAST({sql} AS REAL) / {rhs})"), Kind::Unknown),
                ArithOp::Concat => (
                    format!("(COALESCE({sql}, '') || COALESCE({rhs}, ''))"),
                    Kind::Text,
                ),
            };
        }
        Ok((sql, kind))
    }

    fn case(
        &mut self,
        operand: Option<&Expr>,
        whens: &[(Expr, Expr)],
        else_: Option<&Expr>,
    ) -> R<(String, Kind)> {
        let mut sql = String::from("CASE");
        if let Some(op) = operand {
            sql.push_str(&format!(" {}", self.expr(op)?.0));
        }
        let mut kind = Kind::Unknown;
        for (i, (w, t)) in whens.iter().enumerate() {
            let (w, (t, k)) = (self.expr(w)?.0, self.expr(t)?);
            if i == 0 {
                kind = k;
            }
            sql.push_str(&format!(" WHEN {w} THEN {t}"));
        }
        if let Some(e) = else_ {
            sql.push_str(&format!(" ELSE {}", self.expr(e)?.0));
        }
        Ok((sql + " END", kind))
    }

    fn cast(&mut self, x: &Expr, ty: &str) -> R<(String, Kind)> {
        let (x, kind) = self.expr(x)?;
        Ok(match ty.to_ascii_uppercase().as_str() {
            "NUMBER" | "NUMERIC" | "DECIMAL" | "FLOAT" => {
                (format!("CAST({x} AS NUMERIC)"), Kind::Unknown)
            }
            "INTEGER" | "INT" => (format!("CAST({x} AS INTEGER)"), Kind::Int),
            "VARCHAR" | "VARCHAR2" | "CHAR" | "NVARCHAR2" | "CLOB" => {
                (format!("CAST({x} AS TEXT)"), Kind::Text)
            }
            "DATE" | "TIMESTAMP" if kind == Kind::DateTime => (x, kind),
            _ => return unsupported("CAST to this type"),
        })
    }

    fn args(&mut self, args: &[Expr]) -> R<Vec<(String, Kind)>> {
        args.iter().map(|a| self.expr(a)).collect()
    }

    fn func(
        &mut self,
        name: &[String],
        args: &[Expr],
        distinct: bool,
        star: bool,
    ) -> R<(String, Kind)> {
        let upper = name
            .iter()
            .map(|p| p.to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join(".");
        let a = self.args(args)?;
        let n = a.len();
        let arity = |ok: bool| {
            if ok {
                Ok(())
            } else {
                unsupported(&format!("{upper} with {n} arguments"))
            }
        };
        let list = || {
            a.iter()
                .map(|(s, _)| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let dist = if distinct { "DISTINCT " } else { "" };
        Ok(match upper.as_str() {
            "COUNT" if star => ("COUNT(*)".into(), Kind::Int),
            "COUNT" => {
                arity(n == 1)?;
                (format!("COUNT({dist}{})", list()), Kind::Int)
            }
            "MIN" | "MAX" => {
                arity(n == 1)?;
                (format!("{upper}({dist}{})", list()), a[0].1)
            }
            "SUM" | "AVG" => {
                arity(n == 1)?;
                (format!("{upper}({dist}{})", list()), Kind::Unknown)
            }
            _ if star || distinct => return unsupported("* or DISTINCT in this function"),
            "UPPER" | "LOWER" | "TRIM" | "LTRIM" | "RTRIM" | "REPLACE" | "SUBSTR" | "INSTR" => {
                arity((1..=3).contains(&n))?;
                (format!("{upper}({})", list()), Kind::Text)
            }
            "LENGTH" | "ABS" | "ROUND" => {
                arity((1..=2).contains(&n))?;
                (format!("{upper}({})", list()), Kind::Unknown)
            }
            "COALESCE" | "NVL" => {
                arity(n >= 2)?;
                (format!("COALESCE({})", list()), a[0].1)
            }
            "NVL2" => {
                arity(n == 3)?;
                (
                    format!(
                        "CASE WHEN {} IS NOT NULL THEN {} ELSE {} END",
                        a[0].0, a[1].0, a[2].0
                    ),
                    a[1].1,
                )
            }
            "CONCAT" => {
                arity(n == 2)?;
                (
                    format!("(COALESCE({}, '') || COALESCE({}, ''))", a[0].0, a[1].0),
                    Kind::Text,
                )
            }
            "TO_CHAR" => {
                arity((1..=2).contains(&n))?;
                let flag = match a[0].1 {
                    Kind::DateTime => 1,
                    Kind::Unknown => 2,
                    _ => 0,
                };
                let model = a.get(1).map_or("NULL", |m| m.0.as_str());
                (
                    format!("ns_to_char({}, {model}, {flag})", a[0].0),
                    Kind::Text,
                )
            }
            "TO_DATE" | "TO_TIMESTAMP" => {
                arity((1..=2).contains(&n))?;
                let model = a.get(1).map_or("NULL", |m| m.0.as_str());
                (format!("ns_to_date({}, {model})", a[0].0), Kind::DateTime)
            }
            "TO_NUMBER" => {
                arity(n == 1)?;
                (format!("CAST({} AS NUMERIC)", a[0].0), Kind::Unknown)
            }
            "TRUNC" if n == 1 && a[0].1 == Kind::DateTime => {
                (format!("ns_trunc({})", a[0].0), Kind::DateTime)
            }
            "TRUNC" => {
                arity(n == 1)?;
                (format!("CAST({} AS INTEGER)", a[0].0), Kind::Int)
            }
            "BUILTIN.DF" => {
                arity(n == 1)?;
                (display_of(&a[0]), Kind::Text)
            }
            _ => return unsupported(&format!("function {upper}")),
        })
    }
}

fn not(negated: bool) -> &'static str {
    if negated {
        "NOT "
    } else {
        ""
    }
}

/// `BUILTIN.DF`: a reference shows its target's display name; other values show themselves.
fn display_of((sql, kind): &(String, Kind)) -> String {
    match kind {
        Kind::Ref("subsidiary") => {
            format!("(SELECT \"name\" FROM \"subsidiary\" WHERE \"id\" = {sql})")
        }
        Kind::Ref("entitystatus") => {
            format!("(SELECT \"name\" FROM \"entitystatus\" WHERE \"key\" = {sql})")
        }
        Kind::Ref(table) => format!(
            "(SELECT \"entitytitle\" FROM {} WHERE \"id\" = {sql})",
            quote(table)
        ),
        _ => sql.clone(),
    }
}
