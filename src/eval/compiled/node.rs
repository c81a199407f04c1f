//! The expression tree of a compiled rule condition or definition, and its
//! evaluation over one record: three-valued, lazy, without reasons.

use rust_decimal::Decimal;

use super::compare::{ConstCompare, compare};
use super::table::Leaf;
use super::{Program, Row, Scalar, Scratch, Slots, Undefined, at, truth_scalar};
use crate::eval::Truth;
use crate::ir::{AggregateKind, ArithOp, CmpOp, LogicOp};

/// The path of a fact an expression reads (`therapists[1].big_registered`),
/// as the reference interpreter names a missing fact; rendered only when
/// reasons are collected.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Path {
    Input(Box<str>),
    /// The element bound to variable slot `n`: its list's path and its
    /// index, `list[i]`.
    Element(u32),
    Field(Box<Path>, Box<str>),
}

impl Path {
    /// Whether the path names the same fact for every record (no element).
    pub(super) fn is_static(&self) -> bool {
        match self {
            Path::Input(_) => true,
            Path::Element(_) => false,
            Path::Field(record, _) => record.is_static(),
        }
    }
}

/// The reason of an unknown fact: one of the policy's reasons, or a path
/// with list indices, rendered when collected.
#[derive(Debug, Clone)]
pub(super) enum Fact {
    Static(u32),
    Path(Path),
}

/// `record.field`: the field's position in the record's layout.
#[derive(Debug, Clone)]
pub(super) struct FieldNode {
    pub(super) record: Node,
    pub(super) position: u32,
    /// Why the field is unknown when the record is known.
    pub(super) fact: Fact,
}

/// `series over year` for a year from the data or a series that is not an
/// input.
#[derive(Debug, Clone)]
pub(super) struct SeriesNode {
    pub(super) series: Node,
    pub(super) year: Node,
    /// The series' fact path: a missing year is `path over year`.
    pub(super) path: Option<Path>,
}

/// `value in list` (`negated`: `not in`).
#[derive(Debug, Clone)]
pub(super) struct InListNode {
    pub(super) value: Node,
    pub(super) list: Node,
    pub(super) negated: bool,
    /// The list's fact path: a missing element is `path[i]`.
    pub(super) path: Option<Path>,
}

/// `any` / `all` / `count` / `sum` over a list.
#[derive(Debug, Clone)]
pub(super) struct AggregateNode {
    pub(super) kind: AggregateKind,
    /// The variable slot the element is bound to, if the body names it.
    pub(super) var: Option<u32>,
    pub(super) list: Node,
    pub(super) body: Option<Node>,
    /// The list's fact path: a missing element is `path[i]`.
    pub(super) path: Option<Path>,
}

/// An expression of the compiled program.
#[derive(Debug, Clone)]
pub(super) enum Node {
    Const(Scalar),
    /// Always unknown, for this reason (a `tbd` constant, an unknown name).
    Unknown(u32),
    /// A record slot; the reason names the input. A series' own slot holds
    /// `true` when the series is present at all (for `known bi`).
    Input {
        slot: u32,
        reason: u32,
    },
    /// Definition number `n`, computed once per record.
    Def(u32),
    /// The outcome of a decision made earlier (its position in decision order).
    Outcome(u32),
    Not(Box<Node>),
    Neg(Box<Node>),
    Arith(ArithOp, Box<[Node; 2]>),
    Compare(CmpOp, Box<[Node; 2]>),
    /// A number compared with a constant.
    CompareConst(Box<Node>, Box<ConstCompare>),
    Logic(LogicOp, Box<[Node]>),
    /// `and` / `or` of tests of single inputs, the usual shape of a rule:
    /// evaluated in one loop, without a call per operand.
    Leaves(LogicOp, Box<[Leaf]>),
    InSet {
        value: Box<Node>,
        set: Box<[Node]>,
        negated: bool,
    },
    Presence {
        known: bool,
        operand: Box<Node>,
    },
    /// The element bound to variable slot `n` by its aggregate.
    Var(u32),
    Field(Box<FieldNode>),
    SeriesAt(Box<SeriesNode>),
    InList(Box<InListNode>),
    Aggregate(Box<AggregateNode>),
}

impl Program {
    /// The three-valued truth of a condition.
    pub(super) fn truth(&self, node: &Node, row: Row<'_>, scratch: &mut Scratch) -> Truth {
        match node {
            Node::Input { slot, .. } => row.get(*slot).truth(),
            Node::Const(value) => value.truth(),
            Node::Logic(op, operands) => {
                kleene(*op, operands.iter().map(|o| self.truth(o, row, scratch)))
            }
            Node::Leaves(op, leaves) => leaves_truth(*op, leaves, row.slots()),
            Node::Not(operand) => self.truth(operand, row, scratch).negate(),
            Node::CompareConst(value, compare) => match self.operand(value, row, scratch) {
                Scalar::Decimal(d) => bool_truth(compare.holds(d)),
                _ => Truth::Unknown,
            },
            Node::Presence { known, operand } => {
                bool_truth(self.operand(operand, row, scratch).is_unknown() != *known)
            }
            _ => self.value(node, row, scratch).truth(),
        }
    }

    /// [`Program::value`] with an input read in place: most operands are.
    #[inline]
    pub(super) fn operand(&self, node: &Node, row: Row<'_>, scratch: &mut Scratch) -> Scalar {
        match node {
            Node::Input { slot, .. } => row.get(*slot),
            _ => self.value(node, row, scratch),
        }
    }

    /// The value of an expression; `Unknown` when it has none.
    pub(super) fn value(&self, node: &Node, row: Row<'_>, scratch: &mut Scratch) -> Scalar {
        match node {
            Node::Const(value) => *value,
            Node::Unknown(_) => Scalar::Unknown,
            Node::Input { slot, .. } => row.get(*slot),
            Node::Def(n) => self.definition(*n, row, scratch),
            Node::Outcome(position) => match scratch.results.get(at(*position)) {
                Some(state) if !state.undetermined => Scalar::Enum(state.outcome),
                _ => Scalar::Unknown,
            },
            Node::Neg(operand) => match self.value(operand, row, scratch) {
                Scalar::Decimal(d) => Scalar::Decimal(-d),
                _ => Scalar::Unknown,
            },
            Node::Arith(op, operands) => {
                let [a, b] = operands.as_ref();
                let (a, b) = (self.value(a, row, scratch), self.value(b, row, scratch));
                arith(*op, a, b).unwrap_or(Scalar::Unknown)
            }
            Node::Compare(op, operands) => {
                let [a, b] = operands.as_ref();
                let (a, b) = (self.value(a, row, scratch), self.value(b, row, scratch));
                self.compare(*op, a, b, row).unwrap_or(Scalar::Unknown)
            }
            Node::InSet {
                value,
                set,
                negated,
            } => {
                let v = self.value(value, row, scratch);
                if v.is_unknown() {
                    return Scalar::Unknown;
                }
                let mut truth = Truth::False;
                for member in set.iter() {
                    let m = self.value(member, row, scratch);
                    let equal = self.compare(CmpOp::Eq, v, m, row);
                    truth = truth.or(equal.unwrap_or(Scalar::Unknown).truth());
                }
                truth_scalar(if *negated { truth.negate() } else { truth })
            }
            Node::Var(slot) => scratch.vars.get(at(*slot)).map_or(Scalar::Unknown, |b| b.0),
            Node::Field(field) => match self.value(&field.record, row, scratch) {
                Scalar::Record(start) => row.element(start.saturating_add(field.position)),
                _ => Scalar::Unknown,
            },
            Node::SeriesAt(at) => {
                let Scalar::Decimal(year) = self.value(&at.year, row, scratch) else {
                    return Scalar::Unknown;
                };
                match (self.value(&at.series, row, scratch), whole_year(year)) {
                    (Scalar::Series(id), Some(year)) => row.series_year(id, year),
                    _ => Scalar::Unknown,
                }
            }
            Node::InList(in_list) => truth_scalar(self.in_list(in_list, row, scratch)),
            Node::Aggregate(aggregate) => self.aggregate(aggregate, row, scratch),
            Node::Logic(..)
            | Node::Leaves(..)
            | Node::Not(_)
            | Node::CompareConst(..)
            | Node::Presence { .. } => truth_scalar(self.truth(node, row, scratch)),
        }
    }

    /// A comparison as the reference makes it, texts (the record's and the
    /// policy's) compared by their bytes.
    pub(super) fn compare(
        &self,
        op: CmpOp,
        a: Scalar,
        b: Scalar,
        row: Row<'_>,
    ) -> Result<Scalar, Undefined> {
        match (self.text(a, row), self.text(b, row)) {
            (Some(a), Some(b)) => Ok(Scalar::Bool(op.holds(a.cmp(b)))),
            _ => compare(op, a, b),
        }
    }

    fn text<'a>(&'a self, value: Scalar, row: Row<'a>) -> Option<&'a str> {
        match value {
            Scalar::Text { start, len } => row.record_text(start, len),
            Scalar::ConstText(i) => self.texts.get(at(i)).map(String::as_str),
            _ => None,
        }
    }

    /// `value in list`: a Kleene `or` of equalities with its elements.
    fn in_list(&self, node: &InListNode, row: Row<'_>, scratch: &mut Scratch) -> Truth {
        let Scalar::List { start, len } = self.value(&node.list, row, scratch) else {
            return Truth::Unknown;
        };
        let value = self.value(&node.value, row, scratch);
        if value.is_unknown() {
            return Truth::Unknown;
        }
        let mut truth = Truth::False;
        for i in 0..len {
            let element = row.element(start.saturating_add(i));
            let equal = self.compare(CmpOp::Eq, value, element, row);
            truth = truth.or(equal.unwrap_or(Scalar::Unknown).truth());
            if truth == Truth::True {
                break;
            }
        }
        if node.negated { truth.negate() } else { truth }
    }

    /// The list an aggregate ranges over: its first element and length.
    pub(super) fn list_of(
        &self,
        node: &AggregateNode,
        row: Row<'_>,
        scratch: &mut Scratch,
    ) -> Option<(u32, u32)> {
        match self.value(&node.list, row, scratch) {
            Scalar::List { start, len } => Some((start, len)),
            _ => None,
        }
    }

    /// The aggregate's result for element `i` of the list at `start`: the
    /// body with the element bound, or the element itself.
    pub(super) fn element(
        &self,
        node: &AggregateNode,
        start: u32,
        i: u32,
        row: Row<'_>,
        scratch: &mut Scratch,
    ) -> Scalar {
        let item = row.element(start.saturating_add(i));
        let Some(body) = &node.body else {
            return item;
        };
        if let Some(binding) = node.var.and_then(|slot| scratch.vars.get_mut(at(slot))) {
            *binding = (item, i);
        }
        self.value(body, row, scratch)
    }

    /// Whether the reference would give an unknown element result of this
    /// aggregate a reason: an element without a body always has one (it
    /// names the element); a body, when some part of it does.
    pub(super) fn element_has_reasons(
        &self,
        node: &AggregateNode,
        row: Row<'_>,
        scratch: &mut Scratch,
    ) -> bool {
        match &node.body {
            Some(body) => self.has_reasons(body, row, scratch),
            None => true,
        }
    }

    fn aggregate(&self, node: &AggregateNode, row: Row<'_>, scratch: &mut Scratch) -> Scalar {
        let Some((start, len)) = self.list_of(node, row, scratch) else {
            return Scalar::Unknown;
        };
        match node.kind {
            AggregateKind::Count if node.body.is_none() => Scalar::Decimal(Decimal::from(len)),
            AggregateKind::Count => {
                let mut count = 0u32;
                for i in 0..len {
                    match self.element(node, start, i, row, scratch).truth() {
                        Truth::True => count += 1,
                        Truth::False => {}
                        // The reference counts on past an unknown element
                        // without a reason: it only looks at the reasons.
                        Truth::Unknown => {
                            if self.element_has_reasons(node, row, scratch) {
                                return Scalar::Unknown;
                            }
                        }
                    }
                }
                Scalar::Decimal(Decimal::from(count))
            }
            AggregateKind::Any | AggregateKind::All => {
                let op = if node.kind == AggregateKind::Any {
                    LogicOp::Or
                } else {
                    LogicOp::And
                };
                truth_scalar(kleene(
                    op,
                    (0..len).map(|i| self.element(node, start, i, row, scratch).truth()),
                ))
            }
            AggregateKind::Sum => {
                let mut total = Some(Decimal::ZERO);
                for i in 0..len {
                    match self.element(node, start, i, row, scratch) {
                        Scalar::Decimal(d) => total = total.and_then(|t| t.checked_add(d)),
                        // As for `count`: only an element with a reason
                        // makes the sum unknown.
                        _ => {
                            if self.element_has_reasons(node, row, scratch) {
                                return Scalar::Unknown;
                            }
                        }
                    }
                }
                total.map_or(Scalar::Unknown, Scalar::Decimal)
            }
        }
    }

    /// Definition number `n`, computed at most once per record.
    pub(super) fn definition(&self, n: u32, row: Row<'_>, scratch: &mut Scratch) -> Scalar {
        if let Some((epoch, value)) = scratch.definitions.get(at(n)) {
            if *epoch == scratch.epoch {
                return *value;
            }
        }
        let Some(node) = self.definitions.get(at(n)) else {
            return Scalar::Unknown;
        };
        let value = self.value(node, row, scratch);
        let epoch = scratch.epoch;
        if let Some(memo) = scratch.definitions.get_mut(at(n)) {
            *memo = (epoch, value);
        }
        value
    }
}

/// `and` / `or` of leaves, stopping at the first operand that settles it.
#[inline(always)]
pub(super) fn leaves_truth(op: LogicOp, leaves: &[Leaf], row: Slots<'_>) -> Truth {
    kleene(op, leaves.iter().map(|leaf| leaf.truth(row)))
}

/// Kleene's `and` / `or` of `truths`, taken no further than the first that
/// settles it (`false` for `and`, `true` for `or`): after it no operand can
/// change the result.
#[inline(always)]
pub(super) fn kleene(op: LogicOp, truths: impl Iterator<Item = Truth>) -> Truth {
    let (settles, otherwise) = match op {
        LogicOp::And => (Truth::False, Truth::True),
        LogicOp::Or => (Truth::True, Truth::False),
    };
    let mut truth = otherwise;
    for t in truths {
        if t == settles {
            return t;
        }
        if t == Truth::Unknown {
            truth = Truth::Unknown;
        }
    }
    truth
}

#[inline]
pub(super) fn bool_truth(b: bool) -> Truth {
    if b { Truth::True } else { Truth::False }
}

/// Arithmetic as the reference does it; `Err` says why there is no value.
/// Unknown operands give `Ok(Unknown)`.
pub(super) fn arith(op: ArithOp, l: Scalar, r: Scalar) -> Result<Scalar, Undefined> {
    match (l, r) {
        (Scalar::Decimal(a), Scalar::Decimal(b)) => {
            let result = match op {
                ArithOp::Add => a.checked_add(b),
                ArithOp::Sub => a.checked_sub(b),
                ArithOp::Mul => a.checked_mul(b),
                ArithOp::Div if b.is_zero() => return Err(Undefined::DivisionByZero),
                ArithOp::Div => a.checked_div(b),
            };
            result.map(Scalar::Decimal).ok_or(Undefined::TooLarge)
        }
        (Scalar::Date(date), Scalar::Duration { amount, unit }) => {
            let amount = i64::from(amount);
            let signed = if op == ArithOp::Sub { -amount } else { amount };
            crate::eval::shift_date(date, signed, unit)
                .map(Scalar::Date)
                .ok_or(Undefined::DateOutOfRange)
        }
        (
            Scalar::Duration {
                amount: a,
                unit: ua,
            },
            Scalar::Duration {
                amount: b,
                unit: ub,
            },
        ) if ua == ub && op == ArithOp::Add => Ok(Scalar::Duration {
            amount: a.saturating_add(b),
            unit: ua,
        }),
        (Scalar::Unknown, _) | (_, Scalar::Unknown) => Ok(Scalar::Unknown),
        _ => Err(Undefined::NoResult(op)),
    }
}

/// A year as the reference reads a series with it: a whole number in `i32`.
pub(super) fn whole_year(year: Decimal) -> Option<i32> {
    if !year.fract().is_zero() {
        return None;
    }
    i32::try_from(year.trunc().mantissa()).ok()
}
