//! The expression tree of a compiled rule condition or definition, and its
//! evaluation over one record: three-valued, lazy, without reasons.

use super::compare::{ConstCompare, compare};
use super::table::Leaf;
use super::{Program, Row, Scalar, Scratch, Undefined, at, truth_scalar};
use crate::eval::Truth;
use crate::ir::{ArithOp, CmpOp, LogicOp};

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
            Node::Leaves(op, leaves) => leaves_truth(*op, leaves, row),
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
                compare(*op, a, b).unwrap_or(Scalar::Unknown)
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
                    truth = truth.or(compare(CmpOp::Eq, v, m).unwrap_or(Scalar::Unknown).truth());
                }
                truth_scalar(if *negated { truth.negate() } else { truth })
            }
            Node::Logic(..)
            | Node::Leaves(..)
            | Node::Not(_)
            | Node::CompareConst(..)
            | Node::Presence { .. } => truth_scalar(self.truth(node, row, scratch)),
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
pub(super) fn leaves_truth(op: LogicOp, leaves: &[Leaf], row: Row<'_>) -> Truth {
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
