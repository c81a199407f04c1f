//! The untyped syntax tree, as written by the author.
//!
//! Every node has a `span`. Names and strings keep their own spans so that
//! diagnostics can point at exactly the word that is wrong. The checker turns
//! this tree into the typed [`crate::ir`]; it never mutates it.

use rust_decimal::Decimal;

use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub header: Header,
    pub items: Vec<Item>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Policy,
    Module,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub kind: FileKind,
    pub name: Ident,
    pub fields: Vec<HeaderField>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeaderField {
    pub name: Ident,
    pub value: HeaderValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HeaderValue {
    Text(String),
    Integer(i64),
}

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal as written, unescaped, with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Use(Use),
    Input(InputDecl),
    Const(ConstDecl),
    Def(DefDecl),
    Decision(DecisionDecl),
    Rule(RuleDecl),
    Example(ExampleDecl),
    Test(TestDecl),
    Table(TableDecl),
}

/// `use common/general cites "..."`
#[derive(Debug, Clone, PartialEq)]
pub struct Use {
    pub path: Str,
    /// Rules of the module this policy leaves out.
    pub except: Vec<Ident>,
    /// When given, the only rules of the module this policy takes.
    pub only: Option<Vec<Ident>>,
    pub cites: Option<Str>,
    pub span: Span,
}

/// One entry of an `input { ... }` block.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub description: Option<Str>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    /// `... by year`: one value per calendar year.
    pub by_year: bool,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    Bool,
    Count,
    Number,
    Money,
    Percent,
    Date,
    Month,
    Time,
    Year,
    Text,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExprKind {
    Scalar(ScalarType),
    Enum(Vec<Ident>),
    List(Box<TypeExpr>),
    Record(Vec<FieldDecl>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub description: Option<Str>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConstDecl {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: ConstValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConstValue {
    /// `tbd "what is still to be decided"`: the source leaves the value open.
    Tbd {
        note: Option<Str>,
        span: Span,
    },
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DefDecl {
    pub name: Ident,
    pub label: Option<Str>,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecisionDecl {
    pub name: Ident,
    pub label: Option<Str>,
    /// In precedence order: the first outcome beats all later ones.
    pub outcomes: Vec<Ident>,
    pub default: Ident,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleDecl {
    pub id: Ident,
    pub label: Str,
    pub cites: Str,
    pub condition: Expr,
    pub decision: Ident,
    pub outcome: Ident,
    pub span: Span,
}

/// `example name { facts }`: a named set of facts tests can start from.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleDecl {
    pub name: Ident,
    pub data: DataObject,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    pub name: Str,
    /// `given base with { ... }`: start from an example.
    pub base: Option<Ident>,
    /// The facts written in the test (on top of `base`).
    pub data: Option<DataObject>,
    pub expectations: Vec<Expectation>,
    pub span: Span,
}

/// A table of tests: each row is one test, its facts in the fact columns and
/// its expected outcomes in the decision columns.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDecl {
    pub name: Str,
    /// `given base`: every row starts from this example.
    pub base: Option<Ident>,
    pub columns: Vec<TableColumn>,
    pub rows: Vec<TableRow>,
    pub span: Span,
}

/// A column header: an input or decision name, or `name over 2023`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    pub name: Ident,
    pub year: Option<i64>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    pub cells: Vec<TableCell>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableCell {
    Value(DataValue),
    /// `undetermined` in a decision column.
    Undetermined(Span),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub decision: Ident,
    pub expected: Expected,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    Undetermined,
    Outcome { outcome: Ident, by: Option<Ident> },
}

/// Facts written in Regel syntax (examples and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct DataObject {
    pub entries: Vec<DataEntry>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataEntry {
    pub key: Str,
    pub value: DataValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DataValue {
    Object(DataObject),
    List(Vec<DataValue>, Span),
    Literal(Literal, Span),
    /// An enum value, written bare.
    Name(Ident),
    /// `missing`: the fact is explicitly absent.
    Missing(Span),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicOp {
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateKind {
    Count,
    Any,
    All,
    Sum,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    Name(Ident),
    /// `t.hours_per_week`
    Field {
        record: Box<Expr>,
        field: Ident,
    },
    /// `bi over 2023`
    Over {
        series: Box<Expr>,
        year: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Arith {
        op: ArithOp,
        /// Where the operator is written.
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `a and b and c`: kept n-ary so each operand can be explained on its own.
    Logic {
        op: LogicOp,
        operands: Vec<Expr>,
    },
    Compare {
        op: CmpOp,
        /// Where the operator is written.
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `kind in { fysiotherapie, oefentherapie }` or `x in some_list`
    In {
        value: Box<Expr>,
        set: InSet,
        negated: bool,
    },
    /// `known x` (`known: true`) or `missing x`
    Presence {
        known: bool,
        operand: Box<Expr>,
    },
    /// `count(t in therapists: t.specialised)`
    Aggregate {
        kind: AggregateKind,
        binder: Option<Ident>,
        list: Box<Expr>,
        body: Option<Box<Expr>>,
    },
    /// Stands in for an expression whose literal was malformed (and
    /// reported), so the rest of the file can still be checked.
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InSet {
    Set(Vec<Expr>),
    List(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Years,
    Months,
    Days,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Bool(bool),
    /// A plain number; `integer` when written without a decimal point.
    Number {
        value: Decimal,
        integer: bool,
    },
    /// Euros.
    Money(Decimal),
    /// Stored as a fraction: `35%` is 0.35.
    Percent(Decimal),
    Date(jiff::civil::Date),
    Month(crate::ir::YearMonth),
    Time(jiff::civil::Time),
    Duration {
        amount: i64,
        unit: DurationUnit,
    },
    Text(String),
}
