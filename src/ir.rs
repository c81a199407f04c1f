//! The checked policy: a plain, typed expression tree over inputs and constants.
//!
//! The checker builds this from the AST; the interpreter, the JSON export and
//! every later analysis (coverage, diff, SQL) walk it. Names are resolved
//! (an [`ExprKind::Input`] names a declared input, a [`ExprKind::Def`] a
//! definition that comes earlier in [`Policy::definitions`]), every expression
//! carries its [`Type`], and every node keeps the span it came from. Spans take
//! no part in equality, so two policies that differ only in layout are equal.
//!
//! The serde form of these types is the `regel-ir/1` JSON format
//! (docs/ir.md).

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;

use crate::source::Span;

/// The version tag of the JSON form of this IR.
pub const FORMAT: &str = "regel-ir/1";

/// The outcome vocabulary every policy's `contract` decision draws from, so that
/// tools can compare decisions across policies.
pub const CONTRACT_OUTCOMES: &[&str] = &[
    "excluded",
    "not_eligible",
    "manual_review",
    "eligible",
    "out_of_scope",
];

/// The name of the main decision of every policy.
pub const MAIN_DECISION: &str = "contract";

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Policy {
    /// True for a shared module checked on its own (`module name { ... }`).
    pub is_module: bool,
    pub id: String,
    pub title: String,
    pub insurer: Option<String>,
    /// The policy year; `year` in expressions evaluates to it.
    pub year: i32,
    /// Shared modules used, in load order.
    pub modules: Vec<String>,
    pub inputs: Vec<Input>,
    pub constants: Vec<Constant>,
    /// In dependency order: a definition only refers to earlier ones.
    pub definitions: Vec<Definition>,
    pub decisions: Vec<Decision>,
    pub rules: Vec<Rule>,
    pub examples: Vec<Example>,
    pub tests: Vec<Test>,
    pub span: Span,
}

impl Policy {
    pub fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.name == name)
    }

    pub fn decision(&self, name: &str) -> Option<&Decision> {
        self.decisions.iter().find(|d| d.name == name)
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Every expression that is evaluated: the definitions' (in dependency
    /// order), then the rules' conditions.
    pub fn expressions(&self) -> impl Iterator<Item = &Expr> + '_ {
        self.definitions
            .iter()
            .map(|d| &d.expr)
            .chain(self.rules.iter().map(|r| &r.condition))
    }
}

/// A year as data writes it in a key (`"2023"` in a yearly series, `bi@2023`
/// in a CSV header): four digits, 0001 to 9999.
pub fn year_key(text: &str) -> Option<i32> {
    match text.parse::<i32>() {
        Ok(year) if text.len() == 4 && (1..=9999).contains(&year) => Some(year),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Input {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    pub description: Option<String>,
    /// The module that declared it, if not the policy itself.
    pub module: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Constant {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    /// `None` for a `tbd` constant: the value is unknown when evaluating.
    pub value: Option<Literal>,
    /// Why the value is still to be determined (for `tbd` constants).
    pub tbd: Option<String>,
    pub module: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Definition {
    pub name: String,
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub ty: Type,
    pub expr: Expr,
    pub module: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Decision {
    pub name: String,
    pub label: Option<String>,
    /// Precedence order: when rules for several outcomes fire, the earliest wins.
    pub outcomes: Vec<String>,
    /// The outcome when no rule fires.
    pub default: String,
    /// The decisions whose outcomes this decision's rules read, so they are
    /// decided first (no cycles: the checker rejects them).
    pub depends_on: Vec<String>,
    pub span: Span,
}

impl Decision {
    /// Position of an outcome in the precedence order (0 = strongest).
    pub fn rank(&self, outcome: &str) -> usize {
        self.outcomes
            .iter()
            .position(|o| o == outcome)
            .unwrap_or(self.outcomes.len())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Rule {
    pub id: String,
    pub label: String,
    /// The section of the source document the rule encodes.
    pub cites: String,
    pub decision: String,
    pub outcome: String,
    pub condition: Expr,
    pub module: Option<String>,
    pub span: Span,
}

/// A named set of facts that tests build on.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Example {
    pub name: String,
    /// The facts, in the same JSON form `regel eval --facts` reads.
    pub facts: serde_json::Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Test {
    pub name: String,
    /// The complete facts of the test (its example merged with its own facts).
    pub facts: serde_json::Value,
    pub expectations: Vec<Expectation>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Expectation {
    pub decision: String,
    /// `None` when the test expects the decision to be undetermined.
    pub outcome: Option<String>,
    /// The rule expected to win, if the test names one.
    pub by: Option<String>,
    pub span: Span,
}

/// A type, with its unit for numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Type {
    Bool,
    /// A non-negative whole number (patients, therapists).
    Count,
    /// An exact decimal without unit (an index, hours).
    Number,
    /// Euros, exact.
    Money,
    /// A fraction, written and shown as a percentage.
    Percent,
    Date,
    /// A calendar month (`2024-06`).
    Month,
    /// A time of day (`23:00`).
    Time,
    Year,
    /// A span of years, months or days (`5 years`), for date arithmetic.
    Duration,
    Text,
    Enum {
        values: Vec<String>,
    },
    /// One value per calendar year (`bi by year`).
    Series {
        of: Box<Type>,
    },
    List {
        of: Box<Type>,
    },
    Record {
        fields: Vec<Field>,
    },
    /// Stands in for the type of an expression that has an error, so one
    /// mistake is reported once. Never part of a policy the checker returns.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    pub description: Option<String>,
}

impl Type {
    pub fn is_numeric(&self) -> bool {
        matches!(
            self,
            Type::Count | Type::Number | Type::Money | Type::Percent
        )
    }

    /// The type as authors write it: `money`, `number by year`, `list of {...}`.
    pub fn describe(&self) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Count => "count".into(),
            Type::Number => "number".into(),
            Type::Money => "money".into(),
            Type::Percent => "percent".into(),
            Type::Date => "date".into(),
            Type::Month => "month".into(),
            Type::Time => "time".into(),
            Type::Year => "year".into(),
            Type::Duration => "duration".into(),
            Type::Text => "text".into(),
            Type::Enum { values } => format!("enum {{ {} }}", values.join(", ")),
            Type::Series { of } => format!("{} by year", of.describe()),
            Type::List { of } => format!("list of {}", of.describe()),
            Type::Record { fields } => {
                let names: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name, f.ty.describe()))
                    .collect();
                format!("{{ {} }}", names.join(", "))
            }
            Type::Invalid => "an invalid type".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Expr {
    #[serde(flatten)]
    pub kind: ExprKind,
    #[serde(rename = "type")]
    pub ty: Type,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "node", rename_all = "snake_case")]
pub enum ExprKind {
    Literal {
        value: Literal,
    },
    /// A declared input, read from the provider's facts.
    Input {
        name: String,
    },
    Const {
        name: String,
    },
    Def {
        name: String,
    },
    /// `year`: the policy year.
    PolicyYear,
    /// The outcome of another decision (`contract == eligible` in an addendum
    /// rule); unknown while that decision is undetermined.
    Outcome {
        decision: String,
    },
    /// The element bound by an aggregate (`t` in `any(t in therapists: ...)`).
    Var {
        name: String,
    },
    Field {
        record: Box<Expr>,
        field: String,
    },
    /// `bi over 2023`
    SeriesAt {
        series: Box<Expr>,
        year: Box<Expr>,
    },
    Not {
        operand: Box<Expr>,
    },
    Neg {
        operand: Box<Expr>,
    },
    Arith {
        op: ArithOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Logic {
        op: LogicOp,
        operands: Vec<Expr>,
    },
    Compare {
        op: CmpOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `value in { a, b }`; `negated` for `not in`.
    InSet {
        value: Box<Expr>,
        set: Vec<Expr>,
        negated: bool,
    },
    /// `value in list`
    InList {
        value: Box<Expr>,
        list: Box<Expr>,
        negated: bool,
    },
    /// `known x` (`known: true`) or `missing x`: never unknown itself.
    Presence {
        known: bool,
        operand: Box<Expr>,
    },
    Aggregate {
        aggregate: AggregateKind,
        var: Option<String>,
        list: Box<Expr>,
        body: Option<Box<Expr>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogicOp {
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    pub fn is_ordering(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }

    /// Whether `a op b` holds when `a` compares to `b` as `ordering`.
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering;
        match self {
            CmpOp::Eq => ordering == Ordering::Equal,
            CmpOp::Ne => ordering != Ordering::Equal,
            CmpOp::Lt => ordering == Ordering::Less,
            CmpOp::Le => ordering != Ordering::Greater,
            CmpOp::Gt => ordering == Ordering::Greater,
            CmpOp::Ge => ordering != Ordering::Less,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AggregateKind {
    Count,
    Any,
    All,
    Sum,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    Years,
    Months,
    Days,
}

/// A constant value. Its unit is in the enclosing expression's type: a
/// `Decimal` is a count, number, money amount, percentage (as a fraction) or
/// year depending on that type. Decimals serialize as strings to stay exact.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Literal {
    Bool(bool),
    Decimal(
        #[serde(with = "rust_decimal::serde::str")]
        #[schemars(with = "String")]
        Decimal,
    ),
    Date(
        #[serde(serialize_with = "serialize_date")]
        #[schemars(with = "String")]
        jiff::civil::Date,
    ),
    Month(#[schemars(with = "String")] YearMonth),
    Time(
        #[serde(serialize_with = "serialize_time")]
        #[schemars(with = "String")]
        jiff::civil::Time,
    ),
    Duration {
        amount: i64,
        unit: DurationUnit,
    },
    Text(String),
    Enum(String),
}

fn serialize_time<S: serde::Serializer>(
    time: &jiff::civil::Time,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&time.strftime("%H:%M"))
}

/// A calendar month. Serialized as `"2024-06"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i16,
    /// 1 to 12.
    pub month: i8,
}

impl YearMonth {
    /// Reads `YYYY-MM`; `None` when it is not a month in the calendar.
    pub fn parse(text: &str) -> Option<YearMonth> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let year: i16 = year.parse().ok()?;
        let month: i8 = month.parse().ok()?;
        ((1..=9999).contains(&year) && (1..=12).contains(&month))
            .then_some(YearMonth { year, month })
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn serialize_date<S: serde::Serializer>(
    date: &jiff::civil::Date,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(date)
}

impl Expr {
    /// The expressions directly inside this one, in source order.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Literal { .. }
            | ExprKind::Input { .. }
            | ExprKind::Const { .. }
            | ExprKind::Def { .. }
            | ExprKind::PolicyYear
            | ExprKind::Outcome { .. }
            | ExprKind::Var { .. } => Vec::new(),
            ExprKind::Field { record: inner, .. }
            | ExprKind::Not { operand: inner }
            | ExprKind::Neg { operand: inner }
            | ExprKind::Presence { operand: inner, .. } => vec![inner],
            ExprKind::SeriesAt { series: a, year: b }
            | ExprKind::Arith { lhs: a, rhs: b, .. }
            | ExprKind::Compare { lhs: a, rhs: b, .. }
            | ExprKind::InList {
                value: a, list: b, ..
            } => vec![a, b],
            ExprKind::Logic { operands, .. } => operands.iter().collect(),
            ExprKind::InSet { value, set, .. } => {
                std::iter::once(value.as_ref()).chain(set).collect()
            }
            ExprKind::Aggregate { list, body, .. } => std::iter::once(list.as_ref())
                .chain(body.as_deref())
                .collect(),
        }
    }

    /// Calls `visit` on this expression and every expression inside it.
    pub fn walk(&self, visit: &mut dyn FnMut(&Expr)) {
        visit(self);
        for child in self.children() {
            child.walk(visit);
        }
    }
}
