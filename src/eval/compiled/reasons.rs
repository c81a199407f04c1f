//! Why an undetermined decision is undetermined: the reasons of its blocking
//! rules, collected on the cold path by walking their trees down through the
//! unknown operands, as the reference interpreter would report them.

use super::compare::compare;
use super::node::{Node, arith};
use super::{DecisionPlan, Program, Row, Scalar, Scratch, UNDEFINED, Undefined, at, index};
use crate::eval::{Reason, Truth};
use crate::ir::CmpOp;

impl Program {
    /// Records why decision `position` is undetermined: the reasons of its
    /// blocking rules, the unknown ones stronger than the winner (or, with no
    /// winner, with an outcome other than the default).
    #[cold]
    #[inline(never)]
    pub(super) fn collect_why(
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

    pub(super) fn set_bit(&self, bits: &mut [u64], reason: u32) {
        let bit = self.bit_of.get(at(reason)).copied().unwrap_or(0);
        if let Some(word) = bits.get_mut(at(bit / 64)) {
            *word |= 1 << (bit % 64);
        }
    }

    pub(super) fn undefined_bit(&self, bits: &mut [u64], undefined: Undefined) {
        // The compiler registers these reasons first, in `UNDEFINED` order.
        if let Some(i) = UNDEFINED.iter().position(|u| u.same(undefined)) {
            self.set_bit(bits, index(i));
        }
    }

    /// Adds to `bits` the reasons why `node` has no value, if it has none.
    pub(super) fn collect(
        &self,
        node: &Node,
        row: Row<'_>,
        scratch: &mut Scratch,
        bits: &mut [u64],
    ) {
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
    pub(super) fn collect_pair(
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
