//! The parsed form of a SuiteQL query. Chains of `AND`, `OR` and arithmetic are flat vectors,
//! so a long chain never makes a deep tree (no recursion depth to blow when walking it).

#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub body: Body,
    pub order_by: Vec<OrderItem>,
    pub offset: Option<Expr>,
    pub fetch: Option<Expr>,
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    Select(Box<Select>),
    /// `first op q op q ...` (UNION, UNION ALL, INTERSECT, MINUS).
    SetOps(Box<Select>, Vec<(SetOp, Select)>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SetOp {
    Union,
    UnionAll,
    Intersect,
    Minus,
}

#[derive(Debug, Clone)]
pub(crate) struct Select {
    pub distinct: bool,
    pub top: Option<Expr>,
    pub items: Vec<SelectItem>,
    pub from: Vec<FromItem>,
    pub where_: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
}

#[derive(Debug, Clone)]
pub(crate) enum SelectItem {
    Wildcard,
    QualifiedWildcard(String),
    Expr { expr: Expr, alias: Option<String> },
}

#[derive(Debug, Clone)]
pub(crate) struct FromItem {
    pub base: TableRef,
    pub joins: Vec<Join>,
}

#[derive(Debug, Clone)]
pub(crate) enum TableRef {
    Table {
        name: String,
        alias: Option<String>,
    },
    Derived {
        query: Box<Query>,
        alias: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    Cross,
}

#[derive(Debug, Clone)]
pub(crate) struct Join {
    pub kind: JoinKind,
    pub table: TableRef,
    pub on: Option<Expr>,
}

#[derive(Debug, Clone)]
pub(crate) struct OrderItem {
    pub expr: Expr,
    pub desc: bool,
    pub nulls: Option<bool>, // Some(true) = NULLS FIRST
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Concat,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    /// `col` or `alias.col`, as written.
    Column(Vec<String>),
    Number(String),
    Str(String),
    Null,
    /// The n-th `?` (0-based).
    Param(usize),
    /// `SYSDATE`, `CURRENT_DATE`, `CURRENT_TIMESTAMP`.
    Now,
    Rownum,
    Neg(Box<Expr>),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Arith(Box<Expr>, Vec<(ArithOp, Expr)>),
    Cmp(Box<Expr>, CmpOp, Box<Expr>),
    IsNull(Box<Expr>, bool),
    InList(Box<Expr>, Vec<Expr>, bool),
    InQuery(Box<Expr>, Box<Query>, bool),
    Exists(Box<Query>, bool),
    Subquery(Box<Query>),
    Between(Box<Expr>, Box<Expr>, Box<Expr>, bool),
    Like(Box<Expr>, Box<Expr>, Option<Box<Expr>>, bool),
    /// Function call: name parts as written (`BUILTIN.DF`), arguments, DISTINCT, `(*)`.
    Func {
        name: Vec<String>,
        args: Vec<Expr>,
        distinct: bool,
        star: bool,
    },
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        else_: Option<Box<Expr>>,
    },
    Cast(Box<Expr>, String),
}
