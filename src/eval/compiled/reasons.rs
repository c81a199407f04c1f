//! Why an undetermined decision is undetermined: the reasons of its blocking
//! rules, collected on the cold path by walking their trees down through the
//! unknown operands, as the reference interpreter would report them.
//!
//! Reasons the policy names statically (an input, a `tbd` constant, an
//! undefined computation) are bits numbered in the reference's sort order;
//! reasons that name a list element or a year from the data
//! (`therapists[1].big_registered`, `bi over 2023` for `bi over start_year`)
//! are rendered while collecting into a per-decision list, and
//! [`Program::reasons`] merges both in the reference's order.

use std::cmp::Ordering;
use std::iter::Peekable;

use super::node::{AggregateNode, Fact, Node, Path, arith};
use super::{DecisionPlan, Program, Row, Scalar, Scratch, UNDEFINED, Undefined, at, index};
use crate::eval::{Reason, Truth};
use crate::ir::{AggregateKind, CmpOp};

/// Where collected reasons go. A probe only asks whether there is any
/// reason, stops at the first and renders nothing.
pub(super) struct Collector {
    bits: Vec<u64>,
    extra: Vec<Reason>,
    probe: bool,
    /// Reasons added so far (counting repeats).
    added: usize,
    /// The walk's number, to visit each definition once per walk.
    walk: u32,
}

impl Collector {
    fn bit(&mut self, program: &Program, reason: u32) {
        self.added += 1;
        if !self.probe {
            let bit = program.bit_of.get(at(reason)).copied().unwrap_or(0);
            if let Some(word) = self.bits.get_mut(at(bit / 64)) {
                *word |= 1 << (bit % 64);
            }
        }
    }

    fn undefined(&mut self, program: &Program, undefined: Undefined) {
        // The compiler registers these reasons first, in `UNDEFINED` order.
        if let Some(i) = UNDEFINED.iter().position(|u| u.same(undefined)) {
            self.bit(program, index(i));
        }
    }

    fn fact(&mut self, name: impl FnOnce() -> String) {
        self.added += 1;
        if !self.probe {
            self.extra.push(Reason::Fact(name()));
        }
    }
}

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
        scratch.walk = scratch.walk.wrapping_add(1);
        if scratch.walk == 0 {
            scratch.walked.fill(0);
            scratch.walk = 1;
        }
        let mut extra = scratch
            .extra
            .get_mut(position)
            .map(std::mem::take)
            .unwrap_or_default();
        extra.clear();
        let mut collector = Collector {
            bits: vec![0u64; self.words],
            extra,
            probe: false,
            added: 0,
            walk: scratch.walk,
        };
        for rule in &decision.rules {
            let blocking = match winner_rank {
                Some(rank) => rule.rank < rank,
                None => rule.outcome != decision.default,
            };
            if blocking && self.truth(&rule.condition, row, scratch) == Truth::Unknown {
                self.collect(&rule.condition, row, scratch, &mut collector);
            }
        }
        if let Some(why) = scratch
            .why
            .get_mut(position * self.words..(position + 1) * self.words)
        {
            why.copy_from_slice(&collector.bits);
        }
        let mut extra = collector.extra;
        extra.sort();
        extra.dedup();
        if let Some(slot) = scratch.extra.get_mut(position) {
            *slot = extra;
        }
    }

    /// Whether the reference interpreter would give `node`'s value a reason
    /// when it is unknown (it gives none to, say, the outcome of a decision
    /// left open only by a division by zero). `count` and `sum` depend on
    /// it: they pass over an unknown element that has no reason.
    pub(super) fn has_reasons(&self, node: &Node, row: Row<'_>, scratch: &mut Scratch) -> bool {
        scratch.probe = scratch.probe.wrapping_add(1);
        if scratch.probe == 0 {
            scratch.probed.fill(0);
            scratch.probe = 1;
        }
        let mut probe = Collector {
            bits: Vec::new(),
            extra: Vec::new(),
            probe: true,
            added: 0,
            walk: scratch.probe,
        };
        self.collect(node, row, scratch, &mut probe);
        probe.added > 0
    }

    /// Adds the reasons why `node` has no value, if it has none.
    pub(super) fn collect(
        &self,
        node: &Node,
        row: Row<'_>,
        scratch: &mut Scratch,
        to: &mut Collector,
    ) {
        if to.probe && to.added > 0 {
            return;
        }
        if !self.value(node, row, scratch).is_unknown() {
            return;
        }
        match node {
            Node::Const(_) | Node::Presence { .. } => {}
            Node::Unknown(reason) | Node::Input { reason, .. } => to.bit(self, *reason),
            Node::Def(n) => {
                let stamps = if to.probe {
                    &mut scratch.probed
                } else {
                    &mut scratch.walked
                };
                match stamps.get_mut(at(*n)) {
                    Some(seen) if *seen != to.walk => *seen = to.walk,
                    _ => return,
                }
                if let Some(definition) = self.definitions.get(at(*n)) {
                    self.collect(definition, row, scratch, to);
                }
            }
            Node::Outcome(position) => self.collect_outcome(at(*position), scratch, to),
            Node::Not(operand) | Node::Neg(operand) | Node::CompareConst(operand, _) => {
                self.collect(operand, row, scratch, to);
            }
            Node::Arith(op, operands) => {
                self.collect_pair(operands, row, scratch, to, |a, b| arith(*op, a, b));
            }
            Node::Compare(op, operands) => {
                self.collect_pair(operands, row, scratch, to, |a, b| {
                    self.compare(*op, a, b, row)
                });
            }
            Node::Logic(_, operands) => {
                for operand in operands.iter() {
                    self.collect(operand, row, scratch, to);
                }
            }
            Node::Leaves(_, leaves) => {
                for leaf in leaves.iter() {
                    if leaf.truth(row.slots()) == Truth::Unknown {
                        to.bit(self, leaf.reason);
                    }
                }
            }
            Node::InSet { value, set, .. } => {
                let v = self.value(value, row, scratch);
                if v.is_unknown() {
                    self.collect(value, row, scratch, to);
                    return;
                }
                for member in set.iter() {
                    let m = self.value(member, row, scratch);
                    if m.is_unknown() {
                        self.collect(member, row, scratch, to);
                    } else if let Err(u) = self.compare(CmpOp::Eq, v, m, row) {
                        to.undefined(self, u);
                    }
                }
            }
            Node::Var(slot) => {
                if let Some(fact) = self.var_facts.get(at(*slot)) {
                    self.collect_fact(fact, scratch, to);
                }
            }
            Node::Field(field) => {
                if self.value(&field.record, row, scratch).is_unknown() {
                    self.collect(&field.record, row, scratch, to);
                } else {
                    self.collect_fact(&field.fact, scratch, to);
                }
            }
            Node::SeriesAt(at) => match self.value(&at.year, row, scratch) {
                Scalar::Decimal(year) => match &at.path {
                    Some(path) => {
                        to.fact(|| {
                            format!("{} over {}", self.render(path, scratch), year.normalize())
                        });
                    }
                    None => self.collect(&at.series, row, scratch, to),
                },
                _ => self.collect(&at.year, row, scratch, to),
            },
            Node::InList(in_list) => {
                let Scalar::List { start, len } = self.value(&in_list.list, row, scratch) else {
                    self.collect(&in_list.list, row, scratch, to);
                    return;
                };
                let v = self.value(&in_list.value, row, scratch);
                if v.is_unknown() {
                    self.collect(&in_list.value, row, scratch, to);
                    return;
                }
                for i in 0..len {
                    let element = row.element(start.saturating_add(i));
                    if element.is_unknown() {
                        // Without a path, the reference gives a missing
                        // element no reason.
                        if let Some(path) = &in_list.path {
                            to.fact(|| format!("{}[{i}]", self.render(path, scratch)));
                        }
                    } else if let Err(u) = self.compare(CmpOp::Eq, v, element, row) {
                        to.undefined(self, u);
                    }
                }
            }
            Node::Aggregate(aggregate) => self.collect_aggregate(aggregate, row, scratch, to),
        }
    }

    /// The reasons another decision's unknown outcome carries: its missing
    /// facts and `tbd` constants.
    fn collect_outcome(&self, position: usize, scratch: &Scratch, to: &mut Collector) {
        let start = position * self.words;
        if let Some(from) = scratch.why.get(start..start + self.words) {
            if to.probe {
                let any = from.iter().zip(&self.outcome_mask).any(|(f, m)| f & m != 0);
                to.added += usize::from(any);
            } else {
                for ((to, from), mask) in to.bits.iter_mut().zip(from).zip(&self.outcome_mask) {
                    *to |= from & mask;
                }
            }
        }
        if let Some(extra) = scratch.extra.get(position) {
            for reason in extra {
                if matches!(reason, Reason::Fact(_) | Reason::Tbd(_)) {
                    to.added += 1;
                    if !to.probe {
                        to.extra.push(reason.clone());
                    }
                }
            }
        }
    }

    fn collect_aggregate(
        &self,
        node: &AggregateNode,
        row: Row<'_>,
        scratch: &mut Scratch,
        to: &mut Collector,
    ) {
        let Some((start, len)) = self.list_of(node, row, scratch) else {
            self.collect(&node.list, row, scratch, to);
            return;
        };
        // An element result the aggregate cannot use: not a number for
        // `sum`, not a truth for the others.
        let unknown = |value: Scalar| match node.kind {
            AggregateKind::Sum => !matches!(value, Scalar::Decimal(_)),
            _ => value.truth() == Truth::Unknown,
        };
        if node.kind == AggregateKind::Sum {
            // Unknown with every element known (or unknown without a
            // reason): the sum overflowed.
            let mut reasoned = false;
            for i in 0..len {
                let value = self.element(node, start, i, row, scratch);
                if unknown(value) && self.element_has_reasons(node, row, scratch) {
                    reasoned = true;
                    break;
                }
            }
            if !reasoned {
                to.undefined(self, Undefined::SumTooLarge);
                return;
            }
        }
        for i in 0..len {
            let value = self.element(node, start, i, row, scratch);
            if !unknown(value) {
                continue;
            }
            match &node.body {
                Some(body) => self.collect(body, row, scratch, to),
                None => to.fact(|| match &node.path {
                    Some(path) => format!("{}[{i}]", self.render(path, scratch)),
                    None => String::new(),
                }),
            }
        }
    }

    fn collect_fact(&self, fact: &Fact, scratch: &Scratch, to: &mut Collector) {
        match fact {
            Fact::Static(reason) => to.bit(self, *reason),
            Fact::Path(path) => to.fact(|| self.render(path, scratch)),
        }
    }

    /// A fact's path as the reference names it, with the indices of the
    /// elements bound now.
    pub(super) fn render(&self, path: &Path, scratch: &Scratch) -> String {
        match path {
            Path::Input(name) => name.to_string(),
            Path::Element(slot) => {
                let list = self
                    .var_paths
                    .get(at(*slot))
                    .and_then(Option::as_ref)
                    .map(|p| self.render(p, scratch))
                    .unwrap_or_default();
                let i = scratch.vars.get(at(*slot)).map_or(0, |b| b.1);
                format!("{list}[{i}]")
            }
            Path::Field(record, field) => format!("{}.{field}", self.render(record, scratch)),
        }
    }

    /// Reasons of an unknown binary operation: its unknown operands', or,
    /// with both known, why the operation itself has no result.
    fn collect_pair(
        &self,
        operands: &[Node; 2],
        row: Row<'_>,
        scratch: &mut Scratch,
        to: &mut Collector,
        operation: impl Fn(Scalar, Scalar) -> Result<Scalar, Undefined>,
    ) {
        let [a, b] = operands;
        let (va, vb) = (self.value(a, row, scratch), self.value(b, row, scratch));
        if va.is_unknown() || vb.is_unknown() {
            self.collect(a, row, scratch, to);
            self.collect(b, row, scratch, to);
        } else if let Err(u) = operation(va, vb) {
            to.undefined(self, u);
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
        let (bits, extra): (&[u64], &[Reason]) = if undetermined {
            (
                scratch.why.get(start..start + self.words).unwrap_or(&[]),
                scratch.extra.get(position).map_or(&[], Vec::as_slice),
            )
        } else {
            (&[], &[])
        };
        let named = bits.iter().enumerate().flat_map(move |(w, word)| {
            (0..64u32).filter_map(move |b| {
                if word & (1u64 << b) == 0 {
                    return None;
                }
                let bit = w * 64 + at(b);
                self.by_bit.get(bit).and_then(|r| self.reasons.get(at(*r)))
            })
        });
        Merged {
            a: named.peekable(),
            b: extra.iter().peekable(),
        }
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

/// Two sorted runs of reasons as one, a reason in both once.
struct Merged<'a, A: Iterator<Item = &'a Reason>, B: Iterator<Item = &'a Reason>> {
    a: Peekable<A>,
    b: Peekable<B>,
}

impl<'a, A: Iterator<Item = &'a Reason>, B: Iterator<Item = &'a Reason>> Iterator
    for Merged<'a, A, B>
{
    type Item = &'a Reason;

    fn next(&mut self) -> Option<&'a Reason> {
        match (self.a.peek(), self.b.peek()) {
            (Some(a), Some(b)) => match a.cmp(b) {
                Ordering::Less => self.a.next(),
                Ordering::Greater => self.b.next(),
                Ordering::Equal => {
                    self.b.next();
                    self.a.next()
                }
            },
            (Some(_), None) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}
