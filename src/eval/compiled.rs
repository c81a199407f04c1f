//! The compiled evaluator: the same decisions as the reference interpreter
//! ([`super::evaluate`]), for evaluating one policy over many providers.
//!
//! [`Program::compile`] resolves every name once: inputs and the series years
//! the policy reads become numbered slots of a [`Record`], constants are
//! folded into the expressions, enum values and outcomes become indices into
//! one sorted table (so comparing indices is comparing the names), and a
//! comparison of a number with a constant becomes a comparison of integers
//! (see [`ConstCompare`]). Each rule condition becomes a small tree of
//! [`Node`]s over `Copy` values: evaluating a record allocates nothing, hashes
//! nothing and looks up no names.
//!
//! A decision whose rules are `and` / `or` / `not` of at most eight distinct
//! tests of single inputs (`fraud_registered`, `known bi`, `bi < 150`,
//! `kind in { a, b }`: the usual shape) becomes a [`DecisionTable`]: its outcome, winner and status
//! are worked out at compile time for every combination of the tests'
//! three truth values, so deciding a record is testing each input once and
//! one look-up, with no branching on the rules.
//!
//! Other decisions are evaluated lazily where the reference is eager, with
//! the same results: expressions have no side effects, so what is not
//! needed is not computed.
//! `and` / `or` stop at the first operand that settles them (after a `false`
//! / `true`, no other operand can change the three-valued result), and each
//! decision tries its rules strongest outcome first (ties in declaration
//! order): the first rule that holds wins, and the rules after it cannot
//! change the outcome, the winner or whether the decision is determined. A
//! definition is computed at most once per record.
//!
//! Why a value is unknown is not computed while evaluating: values are
//! enough to decide. Only for an undetermined decision are the reasons of its
//! blocking rules collected, by walking those rules' trees down through the
//! unknown operands to their leaves (a missing input, a `tbd` constant, an
//! undefined computation) into a bit set over the policy's possible reasons,
//! numbered in the order the reference interpreter sorts them.
//!
//! Policies that read lists, records or text (aggregates, `in list`, fields,
//! text comparisons), or index a series with a year that depends on the data,
//! are not compiled: [`Program::compile`] says why and callers fall back to the
//! reference interpreter.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::{Facts, Reason, Status, Truth, Value};
use crate::ir::{self, ArithOp, CmpOp, DurationUnit, ExprKind, LogicOp, Type};

/// A value of the compiled evaluator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    Unknown,
    Bool(bool),
    Decimal(Decimal),
    Date(jiff::civil::Date),
    Month(ir::YearMonth),
    Time(jiff::civil::Time),
    /// Durations come only from the policy's literals; [`Program::compile`]
    /// makes sure every sum of them fits (a smaller value makes every slot
    /// of a record smaller).
    Duration {
        amount: i32,
        unit: DurationUnit,
    },
    /// An index into the program's sorted table of enum values and outcomes.
    Enum(u32),
}

impl Scalar {
    fn is_unknown(self) -> bool {
        matches!(self, Scalar::Unknown)
    }

    fn truth(self) -> Truth {
        match self {
            Scalar::Bool(true) => Truth::True,
            Scalar::Bool(false) => Truth::False,
            _ => Truth::Unknown,
        }
    }
}

fn truth_scalar(truth: Truth) -> Scalar {
    match truth {
        Truth::True => Scalar::Bool(true),
        Truth::False => Scalar::Bool(false),
        Truth::Unknown => Scalar::Unknown,
    }
}

/// Why a computation has no value (the reference interpreter's texts).
#[derive(Debug, Clone, Copy)]
enum Undefined {
    DivisionByZero,
    TooLarge,
    DateOutOfRange,
    NoResult(ArithOp),
    NotComparable,
}

/// Every reason a computation can have no value; the compiler registers
/// them as reasons `0..UNDEFINED.len()`.
const UNDEFINED: [Undefined; 8] = [
    Undefined::DivisionByZero,
    Undefined::TooLarge,
    Undefined::DateOutOfRange,
    Undefined::NoResult(ArithOp::Add),
    Undefined::NoResult(ArithOp::Sub),
    Undefined::NoResult(ArithOp::Mul),
    Undefined::NoResult(ArithOp::Div),
    Undefined::NotComparable,
];

impl Undefined {
    fn same(self, other: Undefined) -> bool {
        match (self, other) {
            (Undefined::NoResult(a), Undefined::NoResult(b)) => a == b,
            _ => std::mem::discriminant(&self) == std::mem::discriminant(&other),
        }
    }

    fn text(self) -> String {
        match self {
            Undefined::DivisionByZero => "division by zero".into(),
            Undefined::TooLarge => "a number is too large".into(),
            Undefined::DateOutOfRange => "a date is out of range".into(),
            Undefined::NoResult(op) => format!("`{}` on these values has no result", op.symbol()),
            Undefined::NotComparable => "these values cannot be compared".into(),
        }
    }
}

/// The scales a `Decimal` can have.
const SCALES: usize = 29;

/// A number compared with a constant, as a comparison of integers.
///
/// A decimal `d` is `m / 10^s` (its mantissa and scale), so `d < c` is
/// `m < c * 10^s`. For every scale `s` a threshold `T` is precomputed so
/// that the comparison is one integer test of `m`: with `F` the floor of
/// `c * 10^s`, `m < c*10^s` is `m < F` when `c * 10^s` is whole and `m < F + 1`
/// otherwise; `>=` is the negation of `<`, `<=` of `>`, which is `<` with
/// `F + 1`; and `m == c*10^s` is `m == F` when whole and never otherwise.
/// Exact, and a few integer instructions where `Decimal`'s own comparison
/// rescales both operands.
#[derive(Debug, Clone, PartialEq)]
struct ConstCompare {
    /// `m == T` instead of `m < T`.
    equal: bool,
    /// The result is the test's negation.
    negate: bool,
    threshold: [i128; SCALES],
}

impl ConstCompare {
    /// `value op constant`.
    fn new(op: CmpOp, constant: Decimal) -> ConstCompare {
        let mantissa = constant.mantissa();
        let scale = constant.scale();
        let (equal, negate) = match op {
            CmpOp::Lt | CmpOp::Le => (false, false),
            CmpOp::Gt | CmpOp::Ge => (false, true),
            CmpOp::Eq => (true, false),
            CmpOp::Ne => (true, true),
        };
        let mut threshold = [0i128; SCALES];
        for (s, t) in threshold.iter_mut().enumerate() {
            let s = u32::try_from(s).unwrap_or(0);
            // `c * 10^s` as its floor and whether that is all of it.
            let (floor, whole) = if s >= scale {
                // Beyond i128 is beyond every mantissa (at most 96 bits), so
                // saturating keeps every comparison.
                let scaled = 10i128
                    .checked_pow(s - scale)
                    .and_then(|p| mantissa.checked_mul(p))
                    .unwrap_or(if mantissa > 0 { i128::MAX } else { i128::MIN });
                (scaled, true)
            } else {
                let p = 10i128.pow(scale - s);
                (mantissa.div_euclid(p), mantissa.rem_euclid(p) == 0)
            };
            *t = match op {
                // `m < c*10^s` and its negation `>=`.
                CmpOp::Lt | CmpOp::Ge if whole => floor,
                // `m <= c*10^s`, `m < F + 1`, and its negation `>`.
                CmpOp::Lt | CmpOp::Ge | CmpOp::Le | CmpOp::Gt => floor.saturating_add(1),
                // No mantissa is i128::MAX, so `m == T` never holds.
                CmpOp::Eq | CmpOp::Ne if !whole => i128::MAX,
                CmpOp::Eq | CmpOp::Ne => floor,
            };
        }
        ConstCompare {
            equal,
            negate,
            threshold,
        }
    }

    #[inline(always)]
    fn holds(&self, value: Decimal) -> bool {
        let m = value.mantissa();
        let Some(&t) = self.threshold.get(value.scale() as usize) else {
            return false;
        };
        let test = if self.equal { m == t } else { m < t };
        test != self.negate
    }
}

/// `a op b` as `b op' a`.
fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        CmpOp::Eq => CmpOp::Eq,
        CmpOp::Ne => CmpOp::Ne,
    }
}

/// An expression of the compiled program.
#[derive(Debug, Clone)]
enum Node {
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

/// A test of one input slot.
#[derive(Debug, Clone, PartialEq)]
struct Leaf {
    slot: u32,
    /// The input's reason: why the test is unknown when it is.
    reason: u32,
    test: Test,
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    /// The boolean input itself.
    IsTrue,
    /// `not` the boolean input.
    IsFalse,
    Known,
    Missing,
    Compare(Box<ConstCompare>),
    /// The enum input is one of these values (`k == red`, `k in { a, b }`),
    /// or with `negated`, none of them.
    OneOf {
        values: Box<[u32]>,
        negated: bool,
    },
}

/// The enum values of an `==`, `!=`, `in` or `not in` between an input and
/// constants: the input, the values, whether negated.
fn enum_test(node: &Node) -> Option<(&Node, Vec<u32>, bool)> {
    let constant = |node: &Node| match node {
        Node::Const(Scalar::Enum(value)) => Some(*value),
        _ => None,
    };
    match node {
        Node::Compare(op @ (CmpOp::Eq | CmpOp::Ne), operands) => {
            let [a, b] = operands.as_ref();
            let (input, value) = match (constant(a), constant(b)) {
                (None, Some(value)) => (a, value),
                (Some(value), None) => (b, value),
                _ => return None,
            };
            Some((input, vec![value], *op == CmpOp::Ne))
        }
        Node::InSet {
            value,
            set,
            negated,
        } => {
            let values = set.iter().map(constant).collect::<Option<Vec<u32>>>()?;
            Some((value.as_ref(), values, *negated))
        }
        _ => None,
    }
}

impl Leaf {
    /// The node as a leaf, when it is a test of one input.
    fn of(node: &Node) -> Option<Leaf> {
        let (input, test) = match node {
            Node::Input { .. } => (node, Test::IsTrue),
            Node::Not(operand) => (operand.as_ref(), Test::IsFalse),
            Node::Presence { known, operand } => (
                operand.as_ref(),
                if *known { Test::Known } else { Test::Missing },
            ),
            Node::CompareConst(operand, compare) => {
                (operand.as_ref(), Test::Compare(compare.clone()))
            }
            _ => {
                let (input, mut values, negated) = enum_test(node)?;
                values.sort_unstable();
                values.dedup();
                (
                    input,
                    Test::OneOf {
                        values: values.into_boxed_slice(),
                        negated,
                    },
                )
            }
        };
        match input {
            Node::Input { slot, reason } => Some(Leaf {
                slot: *slot,
                reason: *reason,
                test,
            }),
            _ => None,
        }
    }

    #[inline(always)]
    fn truth(&self, row: Row<'_>) -> Truth {
        let value = row.get(self.slot);
        match &self.test {
            Test::IsTrue => value.truth(),
            Test::IsFalse => value.truth().negate(),
            Test::Known => bool_truth(!value.is_unknown()),
            Test::Missing => bool_truth(value.is_unknown()),
            Test::Compare(compare) => match value {
                Scalar::Decimal(d) => bool_truth(compare.holds(d)),
                _ => Truth::Unknown,
            },
            Test::OneOf { values, negated } => match value {
                Scalar::Enum(v) => bool_truth(values.contains(&v) != *negated),
                _ => Truth::Unknown,
            },
        }
    }
}

/// How one declared input is stored.
#[derive(Debug, Clone)]
enum InputSlot {
    /// Not read by the compiled program: read by no rule or definition, or
    /// text, lists, records, durations.
    Unused,
    Scalar(u32),
    /// A yearly series: the slot of its presence and of every year the
    /// policy reads.
    Series {
        present: u32,
        years: Vec<(i32, u32)>,
    },
}

#[derive(Debug, Clone)]
struct RulePlan {
    id: String,
    condition: Node,
    /// The outcome's position in the decision's order (0 is strongest).
    rank: usize,
    /// The outcome, as an index into the enum table.
    outcome: u32,
}

#[derive(Debug, Clone)]
struct DecisionPlan {
    /// Position in declaration order.
    declared: usize,
    default: u32,
    /// Strongest outcome first, ties in declaration order: the order in
    /// which the first rule that holds is the reference's winner.
    rules: Vec<RulePlan>,
    /// The whole decision as a table, when its rules allow one.
    table: Option<DecisionTable>,
}

/// How a decision came out: the winning rule (its position in
/// [`DecisionPlan::rules`]) and whether the decision is undetermined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Settled {
    winner: Option<usize>,
    undetermined: bool,
}

/// Settles a decision from its rules' truths, asked strongest rule first
/// and no further than the first rule that holds: after it, no rule can
/// change the outcome, the winner or whether the decision is determined.
fn settle(decision: &DecisionPlan, mut truth_of: impl FnMut(&RulePlan) -> Truth) -> Settled {
    let mut winner = None;
    let mut first_unknown_rank = None;
    let mut unknown_beats_default = false;
    for (i, rule) in decision.rules.iter().enumerate() {
        match truth_of(rule) {
            Truth::True => {
                winner = Some((i, rule.rank));
                break;
            }
            Truth::Unknown => {
                first_unknown_rank.get_or_insert(rule.rank);
                unknown_beats_default |= rule.outcome != decision.default;
            }
            Truth::False => {}
        }
    }
    // Undetermined when a rule that is unknown could, if it held, give
    // another outcome: a stronger outcome than the winner's, or any
    // outcome other than the default when no rule holds.
    let undetermined = match winner {
        Some((_, rank)) => first_unknown_rank.is_some_and(|r| r < rank),
        None => unknown_beats_default,
    };
    Settled {
        winner: winner.map(|(i, _)| i),
        undetermined,
    }
}

/// The most distinct leaf tests a decision table is built over: `3^8`
/// entries of 16 bytes.
const TABLE_LEAVES: usize = 8;

/// A decision whose rules are `and` / `or` / `not` of a few tests of single
/// inputs (the usual shape), settled in advance for every combination of
/// the tests' truths. Deciding a record is then testing each leaf once,
/// with no branching on the rules, and one look-up.
#[derive(Debug, Clone)]
struct DecisionTable {
    /// The tests by kind, each with its weight in the index (`3^i` for the
    /// `i`-th digit): boolean inputs, whether inputs are known, numbers
    /// compared with constants.
    bools: Vec<(u32, usize)>,
    knowns: Vec<(u32, usize)>,
    /// Comparisons as `m < T` (`<`, `<=`, `>`, `>=`) and `m == T` (`==`,
    /// `!=`), each with what it adds to the index.
    below: Vec<TableCompare>,
    equal: Vec<TableCompare>,
    /// Enum inputs tested against a set of values.
    one_ofs: Vec<(u32, Box<[u32]>, usize)>,
    /// Indexed by the tests' truths as base-3 digits (false 0, unknown 1,
    /// true 2): the decision's result, ready to be copied, so that deciding
    /// a record does not branch on how it came out.
    entries: Vec<DecisionState>,
}

/// A rule condition over the leaves of a [`DecisionTable`].
enum Formula {
    Const(Truth),
    Leaf(usize),
    /// Whether leaf `n` is known: a test of a boolean or of a number
    /// against a constant is unknown exactly when its input is, so it also
    /// answers `known` for that input.
    KnownOf(usize),
    Not(Box<Formula>),
    Logic(LogicOp, Vec<Formula>),
}

impl Formula {
    /// `node` as a formula over `leaves` (added to as new tests appear);
    /// `None` when it is not built from leaf tests.
    fn of(node: &Node, leaves: &mut Vec<Leaf>) -> Option<Formula> {
        fn intern(leaves: &mut Vec<Leaf>, leaf: Leaf) -> usize {
            match leaves.iter().position(|l| *l == leaf) {
                Some(i) => i,
                None => {
                    leaves.push(leaf);
                    leaves.len() - 1
                }
            }
        }
        // `missing x` is `not known x`, `not b` is `not b`: one leaf each.
        fn leaf(leaves: &mut Vec<Leaf>, mut leaf: Leaf) -> Formula {
            let negated = match &leaf.test {
                Test::Missing => Some(Test::Known),
                Test::IsFalse => Some(Test::IsTrue),
                Test::OneOf {
                    values,
                    negated: true,
                } => Some(Test::OneOf {
                    values: values.clone(),
                    negated: false,
                }),
                _ => None,
            };
            match negated {
                Some(test) => {
                    leaf.test = test;
                    Formula::Not(Box::new(Formula::Leaf(intern(leaves, leaf))))
                }
                None => Formula::Leaf(intern(leaves, leaf)),
            }
        }
        if let Some(l) = Leaf::of(node) {
            return Some(leaf(leaves, l));
        }
        Some(match node {
            Node::Const(value) => Formula::Const(value.truth()),
            Node::Not(operand) => Formula::Not(Box::new(Formula::of(operand, leaves)?)),
            Node::Logic(op, operands) => Formula::Logic(
                *op,
                operands
                    .iter()
                    .map(|o| Formula::of(o, leaves))
                    .collect::<Option<_>>()?,
            ),
            Node::Leaves(op, operands) => Formula::Logic(
                *op,
                operands.iter().map(|l| leaf(leaves, l.clone())).collect(),
            ),
            _ => return None,
        })
    }

    /// Renumbers the leaves: `to[i]` is what leaf `i` becomes.
    fn renumber(&mut self, to: &[Formula]) {
        match self {
            Formula::Const(_) | Formula::KnownOf(_) => {}
            Formula::Leaf(i) => {
                if let Some(f) = to.get(*i) {
                    *self = match f {
                        Formula::Leaf(j) => Formula::Leaf(*j),
                        Formula::KnownOf(j) => Formula::KnownOf(*j),
                        _ => Formula::Const(Truth::Unknown),
                    };
                }
            }
            Formula::Not(operand) => operand.renumber(to),
            Formula::Logic(_, operands) => {
                for operand in operands {
                    operand.renumber(to);
                }
            }
        }
    }

    fn truth(&self, leaves: &[Truth]) -> Truth {
        match self {
            Formula::Const(truth) => *truth,
            Formula::Leaf(i) => leaves.get(*i).copied().unwrap_or(Truth::Unknown),
            Formula::KnownOf(i) => bool_truth(leaves.get(*i).is_some_and(|t| *t != Truth::Unknown)),
            Formula::Not(operand) => operand.truth(leaves).negate(),
            Formula::Logic(LogicOp::And, operands) => operands
                .iter()
                .fold(Truth::True, |t, o| t.and(o.truth(leaves))),
            Formula::Logic(LogicOp::Or, operands) => operands
                .iter()
                .fold(Truth::False, |t, o| t.or(o.truth(leaves))),
        }
    }
}

/// Leaves with `known x` answered by another test of `x` where there is one
/// (see [`Formula::KnownOf`]), the formulas renumbered to match.
fn merge_known(leaves: Vec<Leaf>, formulas: &mut [Formula]) -> Vec<Leaf> {
    let answers_known = |leaf: &Leaf| {
        matches!(
            leaf.test,
            Test::IsTrue | Test::Compare(_) | Test::OneOf { .. }
        )
    };
    let mut kept: Vec<Leaf> = Vec::new();
    let mut to: Vec<Formula> = Vec::with_capacity(leaves.len());
    // First the leaves that stay, so that a `known` can point at them.
    let mut position = vec![None; leaves.len()];
    for (i, leaf) in leaves.iter().enumerate() {
        let merged = leaf.test == Test::Known
            && leaves
                .iter()
                .any(|other| other.slot == leaf.slot && answers_known(other));
        if !merged {
            if let Some(p) = position.get_mut(i) {
                *p = Some(kept.len());
            }
            kept.push(leaf.clone());
        }
    }
    for (i, leaf) in leaves.iter().enumerate() {
        to.push(match position.get(i).copied().flatten() {
            Some(j) => Formula::Leaf(j),
            None => kept
                .iter()
                .position(|other| other.slot == leaf.slot && answers_known(other))
                .map_or(Formula::Const(Truth::Unknown), Formula::KnownOf),
        });
    }
    for formula in formulas {
        formula.renumber(&to);
    }
    kept
}

fn digit(truth: Truth) -> usize {
    match truth {
        Truth::False => 0,
        Truth::Unknown => 1,
        Truth::True => 2,
    }
}

impl DecisionTable {
    /// The table of `decision`, when all its rules are formulas over at
    /// most [`TABLE_LEAVES`] distinct leaf tests.
    fn build(decision: &DecisionPlan) -> Option<DecisionTable> {
        let mut leaves = Vec::new();
        let mut formulas: Vec<Formula> = decision
            .rules
            .iter()
            .map(|rule| Formula::of(&rule.condition, &mut leaves))
            .collect::<Option<_>>()?;
        let leaves = merge_known(leaves, &mut formulas);
        if leaves.len() > TABLE_LEAVES {
            return None;
        }
        let size = 3usize.pow(u32::try_from(leaves.len()).ok()?);
        let mut truths = vec![Truth::False; leaves.len()];
        let mut entries = Vec::with_capacity(size);
        for entry in 0..size {
            // The first leaf is the most significant digit.
            let mut rest = entry;
            for truth in truths.iter_mut().rev() {
                *truth = match rest % 3 {
                    0 => Truth::False,
                    1 => Truth::Unknown,
                    _ => Truth::True,
                };
                rest /= 3;
            }
            let mut formulas = formulas.iter();
            let settled = settle(decision, |_| {
                formulas.next().map_or(Truth::Unknown, |f| f.truth(&truths))
            });
            entries.push(DecisionState {
                undetermined: settled.undetermined,
                outcome: settled
                    .winner
                    .and_then(|w| decision.rules.get(w))
                    .map_or(decision.default, |rule| rule.outcome),
                winner: match (settled.undetermined, settled.winner) {
                    (false, Some(w)) => Some(index(w)),
                    _ => None,
                },
            });
        }
        let mut table = DecisionTable {
            bools: Vec::new(),
            knowns: Vec::new(),
            below: Vec::new(),
            equal: Vec::new(),
            one_ofs: Vec::new(),
            entries,
        };
        let count = leaves.len();
        for (i, leaf) in leaves.into_iter().enumerate() {
            // The first leaf is the most significant digit.
            let weight = 3usize.pow(index(count - 1 - i));
            match leaf.test {
                Test::IsTrue => table.bools.push((leaf.slot, weight)),
                Test::Known => table.knowns.push((leaf.slot, weight)),
                Test::Compare(compare) => {
                    let kind = if compare.equal {
                        &mut table.equal
                    } else {
                        &mut table.below
                    };
                    kind.push(TableCompare::new(leaf.slot, &compare, weight));
                }
                Test::OneOf {
                    values,
                    negated: false,
                } => table.one_ofs.push((leaf.slot, values, weight)),
                // `Formula::of` turns these into `not` of the tests above.
                Test::IsFalse | Test::Missing | Test::OneOf { negated: true, .. } => return None,
            }
        }
        Some(table)
    }

    /// Tests each input once, by kind, without a `match` on the kind of
    /// test per leaf; then one look-up.
    #[inline(always)]
    fn decide(&self, row: Row<'_>) -> DecisionState {
        let mut index = 0usize;
        for (slot, weight) in &self.bools {
            index += weight * digit(row.get(*slot).truth());
        }
        for (slot, weight) in &self.knowns {
            index += if row.get(*slot).is_unknown() {
                0
            } else {
                2 * weight
            };
        }
        for compare in &self.below {
            index += compare.add(row, |m, t| m < t);
        }
        for compare in &self.equal {
            index += compare.add(row, |m, t| m == t);
        }
        for (slot, values, weight) in &self.one_ofs {
            index += match row.get(*slot) {
                Scalar::Enum(v) if values.contains(&v) => 2 * weight,
                Scalar::Enum(_) => 0,
                _ => *weight,
            };
        }
        self.entries.get(index).copied().unwrap_or(DecisionState {
            undetermined: true,
            outcome: 0,
            winner: None,
        })
    }
}

/// A comparison in a [`DecisionTable`], with what it adds to the index
/// when its integer test holds, when it does not, and when the number is
/// unknown (a negated comparison swaps the first two).
#[derive(Debug, Clone)]
struct TableCompare {
    slot: u32,
    threshold: [i128; SCALES],
    if_test: usize,
    if_not: usize,
    if_unknown: usize,
}

impl TableCompare {
    fn new(slot: u32, compare: &ConstCompare, weight: usize) -> TableCompare {
        let (if_test, if_not) = if compare.negate {
            (0, 2 * weight)
        } else {
            (2 * weight, 0)
        };
        TableCompare {
            slot,
            threshold: compare.threshold,
            if_test,
            if_not,
            if_unknown: weight,
        }
    }

    /// What the record's number adds to the index under `test`.
    #[inline(always)]
    fn add(&self, row: Row<'_>, test: impl Fn(i128, i128) -> bool) -> usize {
        match row.get(self.slot) {
            Scalar::Decimal(d) => match self.threshold.get(d.scale() as usize) {
                Some(&t) if test(d.mantissa(), t) => self.if_test,
                Some(_) => self.if_not,
                None => self.if_unknown,
            },
            _ => self.if_unknown,
        }
    }
}

/// A policy compiled for evaluating many records.
#[derive(Debug, Clone)]
pub struct Program {
    definitions: Vec<Node>,
    inputs: Vec<InputSlot>,
    input_names: Vec<String>,
    slot_count: usize,
    /// Sorted: an enum index compares like its name.
    enums: Vec<String>,
    /// Reasons in insertion order; `bit_of` gives each one's bit, numbered in
    /// the reference's sort order, and `by_bit` the reverse.
    reasons: Vec<Reason>,
    bit_of: Vec<u32>,
    by_bit: Vec<u32>,
    words: usize,
    /// Bits of the fact and `tbd` reasons: what another decision's unknown
    /// outcome carries.
    outcome_mask: Vec<u64>,
    /// In the order decisions are made.
    decisions: Vec<DecisionPlan>,
    /// Declaration position -> position in `decisions`.
    declared: Vec<usize>,
    decision_names: Vec<String>,
}

/// One provider's inputs, laid out for one program: get an empty one from
/// [`Program::record`] and fill it with [`Program::set_input`]. Only the
/// inputs the policy reads have a slot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    slots: Vec<Scalar>,
}

impl Record {
    pub fn row(&self) -> Row<'_> {
        Row { slots: &self.slots }
    }
}

/// The inputs of one provider, borrowed from a [`Record`] or a [`Table`].
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    slots: &'a [Scalar],
}

impl Row<'_> {
    #[inline]
    fn get(self, slot: u32) -> Scalar {
        self.slots.get(at(slot)).copied().unwrap_or(Scalar::Unknown)
    }
}

/// Many providers' records in one block of memory, for deciding a
/// population held in memory (again and again, or under two policies'
/// versions) without a pointer per provider.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    slots: Vec<Scalar>,
    /// Slots a record takes in `slots`: the program's record width, and at
    /// least one, so that records are whole chunks of `slots` even for a
    /// program that reads no input.
    stride: usize,
    len: usize,
}

impl Table {
    /// Appends a record made by the same program.
    pub fn push(&mut self, record: &Record) {
        let end = (self.len + 1) * self.stride;
        self.slots.extend_from_slice(&record.slots);
        self.slots.resize(end, Scalar::Unknown);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Record number `i`, from 0.
    pub fn row(&self, i: usize) -> Option<Row<'_>> {
        let start = i.checked_mul(self.stride)?;
        (i < self.len).then(|| Row {
            slots: self.slots.get(start..start + self.stride).unwrap_or(&[]),
        })
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> + '_ {
        self.slots
            .chunks_exact(self.stride.max(1))
            .map(|slots| Row { slots })
    }
}

/// Per-record working memory, sized for one program and reused.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    /// Computed definitions: `(epoch, value)`, valid for the current epoch.
    definitions: Vec<(u32, Scalar)>,
    /// Definitions already walked while collecting reasons.
    walked: Vec<u32>,
    epoch: u32,
    walk: u32,
    results: Vec<DecisionState>,
    /// `decisions * words` bits: the reasons of each undetermined decision.
    why: Vec<u64>,
}

#[derive(Debug, Clone, Copy, Default)]
struct DecisionState {
    undetermined: bool,
    outcome: u32,
    /// The winning rule's position in [`DecisionPlan::rules`].
    winner: Option<u32>,
}

/// One decision's result, borrowed from the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decided<'a> {
    pub status: Status,
    /// `None` when undetermined.
    pub outcome: Option<&'a str>,
    /// The winning rule; `None` when the default holds or undetermined.
    pub rule: Option<&'a str>,
}

struct Compiler<'p> {
    policy: &'p ir::Policy,
    program: Program,
    decided: Vec<&'p str>,
}

fn index(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn at(n: u32) -> usize {
    n as usize
}

impl Program {
    /// Compiles `policy`, or says why it cannot be compiled (the reference
    /// interpreter then evaluates it).
    pub fn compile(policy: &ir::Policy) -> Result<Program, String> {
        let mut enums = BTreeSet::new();
        for input in &policy.inputs {
            collect_enum_type(&input.ty, &mut enums);
        }
        for decision in &policy.decisions {
            enums.extend(decision.outcomes.iter().cloned());
            enums.insert(decision.default.clone());
        }
        for rule in &policy.rules {
            enums.insert(rule.outcome.clone());
        }
        let exprs = policy
            .definitions
            .iter()
            .map(|d| &d.expr)
            .chain(policy.rules.iter().map(|r| &r.condition));
        for expr in exprs {
            expr.walk(&mut |e| {
                if let ExprKind::Literal {
                    value: ir::Literal::Enum(name),
                } = &e.kind
                {
                    enums.insert(name.clone());
                }
            });
        }
        let mut compiler = Compiler {
            policy,
            program: Program {
                definitions: Vec::new(),
                inputs: Vec::new(),
                input_names: policy.inputs.iter().map(|i| i.name.clone()).collect(),
                slot_count: 0,
                enums: enums.into_iter().collect(),
                reasons: Vec::new(),
                bit_of: Vec::new(),
                by_bit: Vec::new(),
                words: 0,
                outcome_mask: Vec::new(),
                decisions: Vec::new(),
                declared: Vec::new(),
                decision_names: policy.decisions.iter().map(|d| d.name.clone()).collect(),
            },
            decided: Vec::new(),
        };
        for undefined in UNDEFINED {
            compiler.reason(Reason::Undefined(undefined.text()));
        }
        check_durations(policy)?;
        compiler.layout_inputs()?;
        // Definitions come in dependency order: each reads only earlier ones.
        for definition in &policy.definitions {
            let node = compiler.expr(&definition.expr)?;
            compiler.program.definitions.push(node);
        }
        for decision in super::decision_order(policy) {
            compiler.decision(decision)?;
        }
        let mut program = compiler.program;
        program.declared = (0..policy.decisions.len())
            .map(|i| {
                program
                    .decisions
                    .iter()
                    .position(|d| d.declared == i)
                    .unwrap_or(0)
            })
            .collect();
        program.number_reasons();
        Ok(program)
    }

    fn number_reasons(&mut self) {
        let mut order: Vec<u32> = (0..index(self.reasons.len())).collect();
        order.sort_by(|a, b| self.reasons.get(at(*a)).cmp(&self.reasons.get(at(*b))));
        self.bit_of = vec![0; self.reasons.len()];
        for (bit, reason) in order.iter().enumerate() {
            if let Some(slot) = self.bit_of.get_mut(at(*reason)) {
                *slot = index(bit);
            }
        }
        self.by_bit = order;
        self.words = self.reasons.len().div_ceil(64).max(1);
        self.outcome_mask = vec![0; self.words];
        for (i, reason) in self.reasons.iter().enumerate() {
            if matches!(reason, Reason::Fact(_) | Reason::Tbd(_)) {
                let bit = self.bit_of.get(i).copied().unwrap_or(0);
                if let Some(word) = self.outcome_mask.get_mut(at(bit / 64)) {
                    *word |= 1 << (bit % 64);
                }
            }
        }
    }

    /// An empty record for this program: every input unknown.
    pub fn record(&self) -> Record {
        Record {
            slots: vec![Scalar::Unknown; self.slot_count],
        }
    }

    /// An empty table of records for this program.
    pub fn table(&self) -> Table {
        Table {
            slots: Vec::new(),
            stride: self.slot_count.max(1),
            len: 0,
        }
    }

    /// Working memory for this program.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            definitions: vec![(0, Scalar::Unknown); self.definitions.len()],
            walked: vec![0; self.definitions.len()],
            epoch: 0,
            walk: 0,
            // A decision without rules always takes its default: decided
            // here once, skipped by `run`.
            results: self
                .decisions
                .iter()
                .map(|d| DecisionState {
                    undetermined: false,
                    outcome: d.default,
                    winner: None,
                })
                .collect(),
            why: vec![0; self.decisions.len() * self.words],
        }
    }

    /// Forgets the inputs of the previous provider: every input unknown.
    pub fn clear(&self, record: &mut Record) {
        record.slots.fill(Scalar::Unknown);
    }

    /// Converts a value of the reference interpreter.
    fn scalar(&self, value: &Value) -> Scalar {
        match value {
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Decimal(d) => Scalar::Decimal(*d),
            Value::Date(d) => Scalar::Date(*d),
            Value::Month(m) => Scalar::Month(*m),
            Value::Time(t) => Scalar::Time(*t),
            Value::Duration { amount, unit } => {
                i32::try_from(*amount).map_or(Scalar::Unknown, |amount| Scalar::Duration {
                    amount,
                    unit: *unit,
                })
            }
            Value::Enum(name) => self.enum_index(name).map_or(Scalar::Unknown, Scalar::Enum),
            Value::Unknown
            | Value::Text(_)
            | Value::Series(_)
            | Value::List(_)
            | Value::Record(_) => Scalar::Unknown,
        }
    }

    fn enum_index(&self, name: &str) -> Option<u32> {
        self.enums
            .binary_search_by(|e| e.as_str().cmp(name))
            .ok()
            .map(index)
    }

    /// Sets input number `input` (its position in the policy's inputs).
    #[inline]
    pub fn set_input(&self, record: &mut Record, input: usize, value: &Value) {
        match (self.inputs.get(input), value) {
            (Some(InputSlot::Scalar(slot)), _) => {
                let scalar = self.scalar(value);
                if let Some(s) = record.slots.get_mut(at(*slot)) {
                    *s = scalar;
                }
            }
            (Some(InputSlot::Series { present, years }), Value::Series(values)) => {
                if let Some(p) = record.slots.get_mut(at(*present)) {
                    *p = Scalar::Bool(true);
                }
                for (year, slot) in years {
                    let scalar = values.get(year).map_or(Scalar::Unknown, |v| self.scalar(v));
                    if let Some(s) = record.slots.get_mut(at(*slot)) {
                        *s = scalar;
                    }
                }
            }
            _ => {}
        }
    }

    /// Sets one year of series input number `input`; the series is then
    /// present.
    pub fn set_series_year(&self, record: &mut Record, input: usize, year: i32, value: &Value) {
        if let Some(InputSlot::Series { present, years }) = self.inputs.get(input) {
            if let Some(p) = record.slots.get_mut(at(*present)) {
                *p = Scalar::Bool(true);
            }
            if let Some((_, slot)) = years.iter().find(|(y, _)| *y == year) {
                let scalar = self.scalar(value);
                if let Some(s) = record.slots.get_mut(at(*slot)) {
                    *s = scalar;
                }
            }
        }
    }

    /// Sets enum input number `input` (of series input `input`, year
    /// `year`) to the value named `name`, as [`Program::set_input`] with a
    /// `Value::Enum` but without one.
    pub fn set_enum(&self, record: &mut Record, input: usize, year: Option<i32>, name: &str) {
        let scalar = self.enum_index(name).map_or(Scalar::Unknown, Scalar::Enum);
        let slot = match (self.inputs.get(input), year) {
            (Some(InputSlot::Scalar(slot)), None) => Some(*slot),
            (Some(InputSlot::Series { present, years }), Some(year)) => {
                if let Some(p) = record.slots.get_mut(at(*present)) {
                    *p = Scalar::Bool(true);
                }
                years.iter().find(|(y, _)| *y == year).map(|(_, s)| *s)
            }
            _ => None,
        };
        if let Some(s) = slot.and_then(|slot| record.slots.get_mut(at(slot))) {
            *s = scalar;
        }
    }

    /// Clears `record` and loads one provider's facts into it.
    pub fn load_facts(&self, record: &mut Record, facts: &Facts) {
        self.clear(record);
        for (i, name) in self.input_names.iter().enumerate() {
            if let Some(value) = facts.get(name) {
                self.set_input(record, i, value);
            }
        }
    }

    /// The decisions, in declaration order.
    pub fn decision_names(&self) -> &[String] {
        &self.decision_names
    }

    /// Whether decision number `decision` (declaration order) is settled
    /// by a table rather than rule by rule.
    pub fn tabulated(&self, decision: usize) -> bool {
        self.declared
            .get(decision)
            .and_then(|position| self.decisions.get(*position))
            .is_some_and(|plan| plan.table.is_some())
    }

    /// Makes every decision for `record`; read them with
    /// [`Program::decided`] and [`Program::reasons`].
    #[inline]
    pub fn run(&self, row: Row<'_>, scratch: &mut Scratch) {
        if !self.definitions.is_empty() {
            scratch.epoch = scratch.epoch.wrapping_add(1);
            if scratch.epoch == 0 {
                // After 2^32 records: forget every stamp rather than trust one.
                scratch.definitions.fill((0, Scalar::Unknown));
                scratch.epoch = 1;
            }
        }
        for (position, decision) in self.decisions.iter().enumerate() {
            if !decision.rules.is_empty() {
                self.decide(position, decision, row, scratch);
            }
        }
    }

    #[inline]
    fn decide(
        &self,
        position: usize,
        decision: &DecisionPlan,
        row: Row<'_>,
        scratch: &mut Scratch,
    ) {
        let state = match &decision.table {
            Some(table) => {
                let state = table.decide(row);
                if state.undetermined {
                    // Rare: the reasons, and the winner they depend on,
                    // come from the rules themselves.
                    let settled = self.settle_rules(decision, row, scratch);
                    self.record_why(position, decision, settled, row, scratch);
                }
                state
            }
            None => {
                let settled = self.settle_rules(decision, row, scratch);
                if settled.undetermined {
                    self.record_why(position, decision, settled, row, scratch);
                }
                let winner = settled
                    .winner
                    .and_then(|i| decision.rules.get(i).map(|r| (i, r)));
                DecisionState {
                    undetermined: settled.undetermined,
                    outcome: winner.map_or(decision.default, |(_, w)| w.outcome),
                    winner: match (settled.undetermined, winner) {
                        (false, Some((i, _))) => Some(index(i)),
                        _ => None,
                    },
                }
            }
        };
        if let Some(slot) = scratch.results.get_mut(position) {
            *slot = state;
        }
    }

    /// Records the reasons of an undetermined decision.
    #[cold]
    fn record_why(
        &self,
        position: usize,
        decision: &DecisionPlan,
        settled: Settled,
        row: Row<'_>,
        scratch: &mut Scratch,
    ) {
        let rank = settled
            .winner
            .and_then(|i| decision.rules.get(i))
            .map(|w| w.rank);
        self.collect_why(position, decision, rank, row, scratch);
    }

    /// Settles a decision without a table, rule by rule.
    #[inline(never)]
    fn settle_rules(
        &self,
        decision: &DecisionPlan,
        row: Row<'_>,
        scratch: &mut Scratch,
    ) -> Settled {
        settle(decision, |rule| match &rule.condition {
            Node::Leaves(op, leaves) => leaves_truth(*op, leaves, row),
            condition => self.truth(condition, row, scratch),
        })
    }

    /// Records why decision `position` is undetermined: the reasons of its
    /// blocking rules, the unknown ones stronger than the winner (or, with no
    /// winner, with an outcome other than the default).
    #[cold]
    #[inline(never)]
    fn collect_why(
        &self,
        position: usize,
        decision: &DecisionPlan,
        winner_rank: Option<usize>,
        row: Row<'_>,
        scratch: &mut Scratch,
    ) {
        let mut bits = vec![0u64; self.words];
        scratch.walk = scratch.walk.wrapping_add(1);
        if scratch.walk == 0 {
            scratch.walked.fill(0);
            scratch.walk = 1;
        }
        for rule in &decision.rules {
            let blocking = match winner_rank {
                Some(rank) => rule.rank < rank,
                None => rule.outcome != decision.default,
            };
            if blocking && self.truth(&rule.condition, row, scratch) == Truth::Unknown {
                self.collect(&rule.condition, row, scratch, &mut bits);
            }
        }
        if let Some(why) = scratch
            .why
            .get_mut(position * self.words..(position + 1) * self.words)
        {
            why.copy_from_slice(&bits);
        }
    }

    /// The three-valued truth of a condition.
    fn truth(&self, node: &Node, row: Row<'_>, scratch: &mut Scratch) -> Truth {
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
    fn operand(&self, node: &Node, row: Row<'_>, scratch: &mut Scratch) -> Scalar {
        match node {
            Node::Input { slot, .. } => row.get(*slot),
            _ => self.value(node, row, scratch),
        }
    }

    /// The value of an expression; `Unknown` when it has none.
    fn value(&self, node: &Node, row: Row<'_>, scratch: &mut Scratch) -> Scalar {
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
    fn definition(&self, n: u32, row: Row<'_>, scratch: &mut Scratch) -> Scalar {
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

    fn set_bit(&self, bits: &mut [u64], reason: u32) {
        let bit = self.bit_of.get(at(reason)).copied().unwrap_or(0);
        if let Some(word) = bits.get_mut(at(bit / 64)) {
            *word |= 1 << (bit % 64);
        }
    }

    fn undefined_bit(&self, bits: &mut [u64], undefined: Undefined) {
        // The compiler registers these reasons first, in `UNDEFINED` order.
        if let Some(i) = UNDEFINED.iter().position(|u| u.same(undefined)) {
            self.set_bit(bits, index(i));
        }
    }

    /// Adds to `bits` the reasons why `node` has no value, if it has none.
    fn collect(&self, node: &Node, row: Row<'_>, scratch: &mut Scratch, bits: &mut [u64]) {
        if !self.value(node, row, scratch).is_unknown() {
            return;
        }
        match node {
            Node::Const(_) | Node::Presence { .. } => {}
            Node::Unknown(reason) | Node::Input { reason, .. } => self.set_bit(bits, *reason),
            Node::Def(n) => {
                let walk = scratch.walk;
                match scratch.walked.get_mut(at(*n)) {
                    Some(seen) if *seen != walk => *seen = walk,
                    _ => return,
                }
                if let Some(definition) = self.definitions.get(at(*n)) {
                    self.collect(definition, row, scratch, bits);
                }
            }
            Node::Outcome(position) => {
                let start = at(*position) * self.words;
                if let Some(from) = scratch.why.get(start..start + self.words) {
                    for ((to, from), mask) in bits.iter_mut().zip(from).zip(&self.outcome_mask) {
                        *to |= from & mask;
                    }
                }
            }
            Node::Not(operand) | Node::Neg(operand) | Node::CompareConst(operand, _) => {
                self.collect(operand, row, scratch, bits);
            }
            Node::Arith(op, operands) => {
                self.collect_pair(operands, row, scratch, bits, |a, b| arith(*op, a, b));
            }
            Node::Compare(op, operands) => {
                self.collect_pair(operands, row, scratch, bits, |a, b| compare(*op, a, b));
            }
            Node::Logic(_, operands) => {
                for operand in operands.iter() {
                    self.collect(operand, row, scratch, bits);
                }
            }
            Node::Leaves(_, leaves) => {
                for leaf in leaves.iter() {
                    if leaf.truth(row) == Truth::Unknown {
                        self.set_bit(bits, leaf.reason);
                    }
                }
            }
            Node::InSet { value, set, .. } => {
                let v = self.value(value, row, scratch);
                if v.is_unknown() {
                    self.collect(value, row, scratch, bits);
                    return;
                }
                for member in set.iter() {
                    let m = self.value(member, row, scratch);
                    if m.is_unknown() {
                        self.collect(member, row, scratch, bits);
                    } else if let Err(u) = compare(CmpOp::Eq, v, m) {
                        self.undefined_bit(bits, u);
                    }
                }
            }
        }
    }

    /// Reasons of an unknown binary operation: its unknown operands', or,
    /// with both known, why the operation itself has no result.
    fn collect_pair(
        &self,
        operands: &[Node; 2],
        row: Row<'_>,
        scratch: &mut Scratch,
        bits: &mut [u64],
        operation: impl Fn(Scalar, Scalar) -> Result<Scalar, Undefined>,
    ) {
        let [a, b] = operands;
        let (va, vb) = (self.value(a, row, scratch), self.value(b, row, scratch));
        if va.is_unknown() || vb.is_unknown() {
            self.collect(a, row, scratch, bits);
            self.collect(b, row, scratch, bits);
        } else if let Err(u) = operation(va, vb) {
            self.undefined_bit(bits, u);
        }
    }

    /// The outcome of decision number `decision` (declaration order) after
    /// [`Program::run`]; `None` when undetermined. [`Program::decided`]
    /// without the status and the rule.
    #[inline]
    pub fn outcome(&self, scratch: &Scratch, decision: usize) -> Option<&str> {
        let position = self.declared.get(decision).copied().unwrap_or(0);
        match scratch.results.get(position) {
            Some(state) if !state.undetermined => {
                self.enums.get(at(state.outcome)).map(String::as_str)
            }
            _ => None,
        }
    }

    /// The result of decision number `decision` (declaration order) after
    /// [`Program::run`].
    pub fn decided<'a>(&'a self, scratch: &Scratch, decision: usize) -> Decided<'a> {
        let position = self.declared.get(decision).copied().unwrap_or(0);
        let plan = self.decisions.get(position);
        let state = scratch.results.get(position).copied().unwrap_or_default();
        if state.undetermined {
            return Decided {
                status: Status::Undetermined,
                outcome: None,
                rule: None,
            };
        }
        Decided {
            status: Status::Decided,
            outcome: self.enums.get(at(state.outcome)).map(String::as_str),
            rule: state
                .winner
                .and_then(|w| plan.and_then(|p| p.rules.get(at(w))))
                .map(|r| r.id.as_str()),
        }
    }

    /// Why decision number `decision` (declaration order) is undetermined,
    /// sorted as the reference interpreter sorts them; empty when decided.
    pub fn reasons<'a>(
        &'a self,
        scratch: &'a Scratch,
        decision: usize,
    ) -> impl Iterator<Item = &'a Reason> + 'a {
        let position = self.declared.get(decision).copied().unwrap_or(0);
        let undetermined = scratch
            .results
            .get(position)
            .is_some_and(|s| s.undetermined);
        let start = position * self.words;
        let bits = if undetermined {
            scratch.why.get(start..start + self.words).unwrap_or(&[])
        } else {
            &[]
        };
        bits.iter().enumerate().flat_map(move |(w, word)| {
            (0..64u32).filter_map(move |b| {
                if word & (1u64 << b) == 0 {
                    return None;
                }
                let bit = w * 64 + at(b);
                self.by_bit.get(bit).and_then(|r| self.reasons.get(at(*r)))
            })
        })
    }

    /// The missing facts of decision number `decision` (declaration order).
    pub fn missing<'a>(
        &'a self,
        scratch: &'a Scratch,
        decision: usize,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.reasons(scratch, decision).filter_map(|r| match r {
            Reason::Fact(name) => Some(name.as_str()),
            _ => None,
        })
    }
}

/// `and` / `or` of leaves, stopping at the first operand that settles it.
#[inline(always)]
fn leaves_truth(op: LogicOp, leaves: &[Leaf], row: Row<'_>) -> Truth {
    kleene(op, leaves.iter().map(|leaf| leaf.truth(row)))
}

/// Kleene's `and` / `or` of `truths`, taken no further than the first that
/// settles it (`false` for `and`, `true` for `or`): after it no operand can
/// change the result.
#[inline(always)]
fn kleene(op: LogicOp, truths: impl Iterator<Item = Truth>) -> Truth {
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

fn bool_truth(b: bool) -> Truth {
    if b { Truth::True } else { Truth::False }
}

fn collect_enum_type(ty: &Type, enums: &mut BTreeSet<String>) {
    match ty {
        Type::Enum { values } => enums.extend(values.iter().cloned()),
        Type::Series { of } | Type::List { of } => collect_enum_type(of, enums),
        Type::Record { fields } => {
            for field in fields {
                collect_enum_type(&field.ty, enums);
            }
        }
        _ => {}
    }
}

/// Arithmetic as the reference does it; `Err` says why there is no value.
/// Unknown operands give `Ok(Unknown)`.
fn arith(op: ArithOp, l: Scalar, r: Scalar) -> Result<Scalar, Undefined> {
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
            super::shift_date(date, signed, unit)
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

fn compare(op: CmpOp, l: Scalar, r: Scalar) -> Result<Scalar, Undefined> {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (l, r) {
        (Scalar::Unknown, _) | (_, Scalar::Unknown) => return Ok(Scalar::Unknown),
        (Scalar::Decimal(a), Scalar::Decimal(b)) => Some(a.cmp(&b)),
        (Scalar::Date(a), Scalar::Date(b)) => Some(a.cmp(&b)),
        (Scalar::Month(a), Scalar::Month(b)) => Some(a.cmp(&b)),
        (Scalar::Time(a), Scalar::Time(b)) => Some(a.cmp(&b)),
        (Scalar::Bool(a), Scalar::Bool(b)) => Some(a.cmp(&b)),
        (Scalar::Enum(a), Scalar::Enum(b)) => Some(a.cmp(&b)),
        (
            Scalar::Duration {
                amount: a,
                unit: ua,
            },
            Scalar::Duration {
                amount: b,
                unit: ub,
            },
        ) if ua == ub => Some(a.cmp(&b)),
        _ => None,
    };
    let ordering = ordering.ok_or(Undefined::NotComparable)?;
    Ok(Scalar::Bool(op.holds(ordering)))
}

/// The value of a year expression that depends on nothing but the policy.
fn fold_year(policy: &ir::Policy, expr: &ir::Expr) -> Option<Decimal> {
    match &expr.kind {
        ExprKind::Literal {
            value: ir::Literal::Decimal(d),
        } => Some(*d),
        ExprKind::PolicyYear => Some(Decimal::from(policy.year)),
        ExprKind::Const { name } => match policy
            .constants
            .iter()
            .find(|c| &c.name == name)
            .and_then(|c| c.value.as_ref())
        {
            Some(ir::Literal::Decimal(d)) => Some(*d),
            _ => None,
        },
        ExprKind::Neg { operand } => fold_year(policy, operand).map(|d| -d),
        ExprKind::Arith { op, lhs, rhs } => {
            let (a, b) = (fold_year(policy, lhs)?, fold_year(policy, rhs)?);
            match op {
                ArithOp::Add => a.checked_add(b),
                ArithOp::Sub => a.checked_sub(b),
                ArithOp::Mul => a.checked_mul(b),
                ArithOp::Div if b.is_zero() => None,
                ArithOp::Div => a.checked_div(b),
            }
        }
        _ => None,
    }
}

impl<'p> Compiler<'p> {
    fn reason(&mut self, reason: Reason) -> u32 {
        match self.program.reasons.iter().position(|r| *r == reason) {
            Some(i) => index(i),
            None => {
                self.program.reasons.push(reason);
                index(self.program.reasons.len() - 1)
            }
        }
    }

    fn layout_inputs(&mut self) -> Result<(), String> {
        // The series years read: every `input over <constant year>`.
        let mut years: Vec<(String, i32)> = Vec::new();
        let exprs = self
            .policy
            .definitions
            .iter()
            .map(|d| &d.expr)
            .chain(self.policy.rules.iter().map(|r| &r.condition));
        let mut problem = None;
        for expr in exprs {
            expr.walk(&mut |e| {
                if let ExprKind::SeriesAt { series, year } = &e.kind {
                    let ExprKind::Input { name } = &series.kind else {
                        problem = Some("a series that is not an input is indexed".to_string());
                        return;
                    };
                    match fold_year(self.policy, year) {
                        Some(y) => {
                            if let (true, Ok(y)) =
                                (y.fract().is_zero(), i32::try_from(y.trunc().mantissa()))
                            {
                                if !years.contains(&(name.clone(), y)) {
                                    years.push((name.clone(), y));
                                }
                            }
                        }
                        None => {
                            problem = Some(format!("`{name} over ...` reads a year from the data"));
                        }
                    }
                }
            });
        }
        if let Some(problem) = problem {
            return Err(problem);
        }
        // An input no rule or definition reads needs no slot.
        let mut read: BTreeSet<String> = BTreeSet::new();
        let exprs = self
            .policy
            .definitions
            .iter()
            .map(|d| &d.expr)
            .chain(self.policy.rules.iter().map(|r| &r.condition));
        for expr in exprs {
            expr.walk(&mut |e| {
                if let ExprKind::Input { name } = &e.kind {
                    read.insert(name.clone());
                }
            });
        }
        for input in &self.policy.inputs {
            if !read.contains(&input.name) {
                self.program.inputs.push(InputSlot::Unused);
                continue;
            }
            let slot = match &input.ty {
                Type::Bool
                | Type::Count
                | Type::Number
                | Type::Money
                | Type::Percent
                | Type::Date
                | Type::Month
                | Type::Time
                | Type::Year
                | Type::Enum { .. } => {
                    self.program.slot_count += 1;
                    InputSlot::Scalar(index(self.program.slot_count - 1))
                }
                Type::Series { of }
                    if !matches!(
                        **of,
                        Type::Text | Type::List { .. } | Type::Record { .. } | Type::Series { .. }
                    ) =>
                {
                    let present = index(self.program.slot_count);
                    self.program.slot_count += 1;
                    let mut slots = Vec::new();
                    for (name, year) in &years {
                        if *name == input.name {
                            slots.push((*year, index(self.program.slot_count)));
                            self.program.slot_count += 1;
                        }
                    }
                    InputSlot::Series {
                        present,
                        years: slots,
                    }
                }
                _ => InputSlot::Unused,
            };
            self.program.inputs.push(slot);
        }
        Ok(())
    }

    fn literal(&self, literal: &ir::Literal) -> Result<Scalar, String> {
        Ok(match literal {
            ir::Literal::Bool(b) => Scalar::Bool(*b),
            ir::Literal::Decimal(d) => Scalar::Decimal(*d),
            ir::Literal::Date(d) => Scalar::Date(*d),
            ir::Literal::Month(m) => Scalar::Month(*m),
            ir::Literal::Time(t) => Scalar::Time(*t),
            ir::Literal::Duration { amount, unit } => Scalar::Duration {
                amount: i32::try_from(*amount)
                    .map_err(|_| "a duration is too long to compile".to_string())?,
                unit: *unit,
            },
            ir::Literal::Enum(name) => self
                .program
                .enum_index(name)
                .map_or(Scalar::Unknown, Scalar::Enum),
            ir::Literal::Text(_) => return Err("the policy compares text".into()),
        })
    }

    fn decision(&mut self, decision: &'p ir::Decision) -> Result<(), String> {
        let mut rules = Vec::new();
        for rule in self
            .policy
            .rules
            .iter()
            .filter(|r| r.decision == decision.name)
        {
            rules.push(RulePlan {
                id: rule.id.clone(),
                condition: self.expr(&rule.condition)?,
                rank: decision.rank(&rule.outcome),
                outcome: self.outcome_index(&rule.outcome)?,
            });
        }
        // A stable sort: equal ranks keep declaration order.
        rules.sort_by_key(|r| r.rank);
        let declared = self
            .policy
            .decisions
            .iter()
            .position(|d| std::ptr::eq(d, decision))
            .unwrap_or(0);
        let default = self.outcome_index(&decision.default)?;
        let mut plan = DecisionPlan {
            declared,
            default,
            rules,
            table: None,
        };
        plan.table = DecisionTable::build(&plan);
        self.program.decisions.push(plan);
        self.decided.push(decision.name.as_str());
        Ok(())
    }

    fn outcome_index(&self, name: &str) -> Result<u32, String> {
        self.program
            .enum_index(name)
            .ok_or_else(|| format!("outcome `{name}` is not in the table"))
    }

    fn input(&mut self, name: &str) -> Result<Node, String> {
        let position = self
            .policy
            .inputs
            .iter()
            .position(|i| i.name == name)
            .ok_or_else(|| format!("unknown input `{name}`"))?;
        let reason = self.reason(Reason::Fact(name.to_string()));
        match self.program.inputs.get(position) {
            Some(InputSlot::Scalar(slot)) => Ok(Node::Input {
                slot: *slot,
                reason,
            }),
            Some(InputSlot::Series { present, .. }) => Ok(Node::Input {
                slot: *present,
                reason,
            }),
            _ => Err(format!(
                "the policy reads `{name}` (a list, record or text)"
            )),
        }
    }

    fn series_at(&mut self, series: &ir::Expr, year: &ir::Expr) -> Result<Node, String> {
        let ExprKind::Input { name } = &series.kind else {
            return Err("a series that is not an input is indexed".into());
        };
        let year = fold_year(self.policy, year)
            .ok_or_else(|| format!("`{name} over ...` reads a year from the data"))?;
        let reason = self.reason(Reason::Fact(format!("{name} over {}", year.normalize())));
        let position = self.policy.inputs.iter().position(|i| &i.name == name);
        let slot = match (
            position.and_then(|p| self.program.inputs.get(p)),
            year.fract().is_zero(),
            i32::try_from(year.trunc().mantissa()),
        ) {
            (Some(InputSlot::Series { years, .. }), true, Ok(y)) => {
                years.iter().find(|(yy, _)| *yy == y).map(|(_, s)| *s)
            }
            (Some(InputSlot::Series { .. }), _, _) => None,
            _ => return Err(format!("`{name}` is not a series of scalars")),
        };
        Ok(match slot {
            Some(slot) => Node::Input { slot, reason },
            None => Node::Unknown(reason),
        })
    }

    fn expr(&mut self, expr: &ir::Expr) -> Result<Node, String> {
        Ok(match &expr.kind {
            ExprKind::Literal { value } => Node::Const(self.literal(value)?),
            ExprKind::Input { name } => self.input(name)?,
            ExprKind::Const { name } => match self
                .policy
                .constants
                .iter()
                .find(|c| &c.name == name)
                .and_then(|c| c.value.as_ref())
            {
                Some(value) => Node::Const(self.literal(value)?),
                None => Node::Unknown(self.reason(Reason::Tbd(name.clone()))),
            },
            ExprKind::Def { name } => {
                match self.policy.definitions.iter().position(|d| &d.name == name) {
                    Some(n) if n < self.program.definitions.len() => Node::Def(index(n)),
                    _ => Node::Unknown(
                        self.reason(Reason::Undefined(format!("definition `{name}`"))),
                    ),
                }
            }
            ExprKind::PolicyYear => Node::Const(Scalar::Decimal(Decimal::from(self.policy.year))),
            ExprKind::Outcome { decision } => {
                match self.decided.iter().position(|d| *d == decision.as_str()) {
                    Some(position) => Node::Outcome(index(position)),
                    None => Node::Unknown(
                        self.reason(Reason::Undefined(format!("decision `{decision}`"))),
                    ),
                }
            }
            ExprKind::SeriesAt { series, year } => self.series_at(series, year)?,
            ExprKind::Not { operand } => match self.expr(operand)? {
                Node::Const(value) => Node::Const(truth_scalar(value.truth().negate())),
                operand => Node::Not(Box::new(operand)),
            },
            ExprKind::Neg { operand } => match self.expr(operand)? {
                Node::Const(Scalar::Decimal(d)) => Node::Const(Scalar::Decimal(-d)),
                operand => Node::Neg(Box::new(operand)),
            },
            ExprKind::Arith { op, lhs, rhs } => match (self.expr(lhs)?, self.expr(rhs)?) {
                // Folded when it has a value; an undefined one keeps its node
                // so that its reason is found.
                (Node::Const(a), Node::Const(b)) if arith(*op, a, b).is_ok() => {
                    Node::Const(arith(*op, a, b).unwrap_or(Scalar::Unknown))
                }
                (a, b) => Node::Arith(*op, Box::new([a, b])),
            },
            ExprKind::Compare { op, lhs, rhs } => {
                let (a, b) = (self.expr(lhs)?, self.expr(rhs)?);
                comparison(*op, (lhs, a), (rhs, b))
            }
            ExprKind::Logic { op, operands } => {
                let mut nodes = Vec::with_capacity(operands.len());
                for operand in operands {
                    nodes.push(self.expr(operand)?);
                }
                match nodes.iter().map(Leaf::of).collect::<Option<Vec<Leaf>>>() {
                    Some(leaves) => Node::Leaves(*op, leaves.into_boxed_slice()),
                    None => Node::Logic(*op, nodes.into_boxed_slice()),
                }
            }
            ExprKind::InSet {
                value,
                set,
                negated,
            } => {
                let value = self.expr(value)?;
                let mut nodes = Vec::with_capacity(set.len());
                for member in set {
                    nodes.push(self.expr(member)?);
                }
                Node::InSet {
                    value: Box::new(value),
                    set: nodes.into_boxed_slice(),
                    negated: *negated,
                }
            }
            ExprKind::Presence { known, operand } => Node::Presence {
                known: *known,
                operand: Box::new(self.expr(operand)?),
            },
            ExprKind::Var { .. }
            | ExprKind::Field { .. }
            | ExprKind::InList { .. }
            | ExprKind::Aggregate { .. } => {
                return Err("the policy reads lists or records".into());
            }
        })
    }
}

/// A comparison: folded when both sides are constant, a [`ConstCompare`]
/// when a number is compared with a constant number.
fn comparison(op: CmpOp, lhs: (&ir::Expr, Node), rhs: (&ir::Expr, Node)) -> Node {
    match (lhs, rhs) {
        ((_, Node::Const(a)), (_, Node::Const(b))) if compare(op, a, b).is_ok() => {
            Node::Const(compare(op, a, b).unwrap_or(Scalar::Unknown))
        }
        ((value_expr, value), (_, Node::Const(Scalar::Decimal(c))))
            if is_number(&value_expr.ty) =>
        {
            Node::CompareConst(Box::new(value), Box::new(ConstCompare::new(op, c)))
        }
        ((_, Node::Const(Scalar::Decimal(c))), (value_expr, value))
            if is_number(&value_expr.ty) =>
        {
            Node::CompareConst(Box::new(value), Box::new(ConstCompare::new(flip(op), c)))
        }
        ((_, a), (_, b)) => Node::Compare(op, Box::new([a, b])),
    }
}

/// Durations are stored in 32 bits. They come only from literals and
/// constants and are only ever added to each other, directly or through
/// definitions (`def b = a + a` doubles `a`). When the largest duration any
/// expression can compute fits, no sum saturates before the reference's
/// 64-bit one would; otherwise the policy is left to the reference.
fn check_durations(policy: &ir::Policy) -> Result<(), String> {
    // Definitions come in dependency order: each bound uses earlier ones.
    let mut definitions: Vec<i64> = Vec::with_capacity(policy.definitions.len());
    for definition in &policy.definitions {
        let bound = duration_bound(policy, &definition.expr, &definitions);
        definitions.push(bound);
    }
    let largest = definitions
        .iter()
        .copied()
        .chain(
            policy
                .rules
                .iter()
                .map(|r| duration_bound(policy, &r.condition, &definitions)),
        )
        .max()
        .unwrap_or(0);
    if largest > i64::from(i32::MAX) {
        return Err("the policy's durations are too long to compile".into());
    }
    Ok(())
}

/// An upper bound of every duration `expr` or any part of it can compute.
fn duration_bound(policy: &ir::Policy, expr: &ir::Expr, definitions: &[i64]) -> i64 {
    let literal = |value: Option<&ir::Literal>| match value {
        Some(ir::Literal::Duration { amount, .. }) => amount.saturating_abs(),
        _ => 0,
    };
    let parts = || {
        expr.children()
            .into_iter()
            .map(|e| duration_bound(policy, e, definitions))
    };
    match &expr.kind {
        ExprKind::Literal { value } => literal(Some(value)),
        ExprKind::Const { name } => literal(
            policy
                .constants
                .iter()
                .find(|c| &c.name == name)
                .and_then(|c| c.value.as_ref()),
        ),
        ExprKind::Def { name } => policy
            .definitions
            .iter()
            .position(|d| &d.name == name)
            .and_then(|i| definitions.get(i))
            .copied()
            .unwrap_or(0),
        // A sum can be as long as its parts together.
        ExprKind::Arith { .. } => parts().fold(0, i64::saturating_add),
        _ => parts().max().unwrap_or(0),
    }
}

/// Types whose values are always `Decimal`s (or unknown).
fn is_number(ty: &Type) -> bool {
    matches!(
        ty,
        Type::Count | Type::Number | Type::Money | Type::Percent | Type::Year
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn decimal() -> impl Strategy<Value = Decimal> {
        // Mantissas around the interesting edges, at every scale.
        let mantissa = prop_oneof![
            -2000i64..2000,
            any::<i64>(),
            Just(i64::MAX),
            Just(i64::MIN + 1),
        ];
        (mantissa, 0u32..=28, any::<bool>()).prop_map(|(m, scale, wide)| {
            let m = if wide {
                i128::from(m) * 1_000_000_000_000
            } else {
                i128::from(m)
            };
            Decimal::try_from_i128_with_scale(m, scale).unwrap_or(Decimal::ZERO)
        })
    }

    fn op() -> impl Strategy<Value = CmpOp> {
        prop_oneof![
            Just(CmpOp::Lt),
            Just(CmpOp::Le),
            Just(CmpOp::Gt),
            Just(CmpOp::Ge),
            Just(CmpOp::Eq),
            Just(CmpOp::Ne),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn constant_comparisons_agree_with_decimal_order(op in op(), value in decimal(), constant in decimal()) {
            let expected = compare(op, Scalar::Decimal(value), Scalar::Decimal(constant)).unwrap();
            let compiled = ConstCompare::new(op, constant).holds(value);
            prop_assert_eq!(Scalar::Bool(compiled), expected, "{} {:?} {}", value, op, constant);
            // The same constant written with trailing zeros compares the same.
            if constant.scale() < 28 {
                let mut padded = constant;
                padded.rescale(constant.scale() + 1);
                prop_assert_eq!(ConstCompare::new(op, padded).holds(value), compiled);
            }
        }
    }

    #[test]
    fn scalars_stay_small() {
        // Every record slot is one scalar: a bigger one makes every record,
        // and every pass over a table of them, bigger.
        assert!(std::mem::size_of::<Scalar>() <= 20);
    }

    #[test]
    fn constant_comparisons_at_the_edges() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let below = ConstCompare::new(CmpOp::Lt, d("150"));
        assert!(below.holds(d("149.9")));
        assert!(below.holds(d("149.9999999999999999999999999")));
        assert!(!below.holds(d("150.0")));
        assert!(!below.holds(d("150.0000000000000000000000001")));
        let at_least = ConstCompare::new(CmpOp::Ge, d("0.35"));
        assert!(at_least.holds(d("0.350")));
        assert!(!at_least.holds(d("0.3")));
        assert!(at_least.holds(d("1")));
        let equal = ConstCompare::new(CmpOp::Eq, d("-2.50"));
        assert!(equal.holds(d("-2.5")));
        assert!(!equal.holds(d("-2")));
        assert!(!equal.holds(d("-3")));
        let huge = ConstCompare::new(CmpOp::Gt, Decimal::MAX);
        assert!(!huge.holds(Decimal::MAX));
        assert!(!huge.holds(d("0.0000000000000000000000000001")));
        let tiny = ConstCompare::new(CmpOp::Lt, Decimal::MIN);
        assert!(!tiny.holds(Decimal::MIN));
        assert!(!tiny.holds(d("-7.5")));
    }
}
