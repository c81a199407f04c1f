//! Decision tables: a decision whose rules are `and` / `or` / `not` of a few
//! tests of single inputs ([`Leaf`]s), settled at compile time for every
//! combination of the tests' truths.

use super::compare::{ConstCompare, SCALES};
use super::node::{Node, bool_truth};
use super::{DecisionPlan, DecisionState, Scalar, Slots, index, settle};
use crate::eval::Truth;
use crate::ir::{CmpOp, LogicOp};

/// A test of one input slot.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Leaf {
    pub(super) slot: u32,
    /// The input's reason: why the test is unknown when it is.
    pub(super) reason: u32,
    pub(super) test: Test,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Test {
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
pub(super) fn enum_test(node: &Node) -> Option<(&Node, Vec<u32>, bool)> {
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
    pub(super) fn of(node: &Node) -> Option<Leaf> {
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
    pub(super) fn truth(&self, row: Slots<'_>) -> Truth {
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

/// The most distinct leaf tests a decision table is built over: `3^8`
/// entries of 16 bytes.
pub(super) const TABLE_LEAVES: usize = 8;

/// A decision whose rules are `and` / `or` / `not` of a few tests of single
/// inputs (the usual shape), settled in advance for every combination of
/// the tests' truths. Deciding a record is then testing each leaf once,
/// with no branching on the rules, and one look-up.
#[derive(Debug, Clone)]
pub(super) struct DecisionTable {
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
pub(super) enum Formula {
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
    ///
    /// Gives up as soon as there are more leaves than a table can keep
    /// after [`merge_known`] (which at most halves them), so interning,
    /// linear in the leaves so far, stays cheap however large the decision.
    pub(super) fn of(node: &Node, leaves: &mut Vec<Leaf>) -> Option<Formula> {
        const MOST_LEAVES: usize = 2 * TABLE_LEAVES;
        if leaves.len() > MOST_LEAVES {
            return None;
        }
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
                operands
                    .iter()
                    .map(|l| {
                        let formula = leaf(leaves, l.clone());
                        (leaves.len() <= MOST_LEAVES).then_some(formula)
                    })
                    .collect::<Option<_>>()?,
            ),
            _ => return None,
        })
    }

    /// Renumbers the leaves: `to[i]` is what leaf `i` becomes.
    pub(super) fn renumber(&mut self, to: &[Formula]) {
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

    pub(super) fn truth(&self, leaves: &[Truth]) -> Truth {
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
pub(super) fn merge_known(leaves: Vec<Leaf>, formulas: &mut [Formula]) -> Vec<Leaf> {
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

#[inline]
pub(super) fn digit(truth: Truth) -> usize {
    match truth {
        Truth::False => 0,
        Truth::Unknown => 1,
        Truth::True => 2,
    }
}

impl DecisionTable {
    /// The table of `decision`, when all its rules are formulas over at
    /// most [`TABLE_LEAVES`] distinct leaf tests.
    pub(super) fn build(decision: &DecisionPlan) -> Option<DecisionTable> {
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
    pub(super) fn decide(&self, row: Slots<'_>) -> DecisionState {
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
pub(super) struct TableCompare {
    slot: u32,
    threshold: [i128; SCALES],
    if_test: usize,
    if_not: usize,
    if_unknown: usize,
}

impl TableCompare {
    pub(super) fn new(slot: u32, compare: &ConstCompare, weight: usize) -> TableCompare {
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
    pub(super) fn add(&self, row: Slots<'_>, test: impl Fn(i128, i128) -> bool) -> usize {
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
