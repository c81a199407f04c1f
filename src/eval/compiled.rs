//! The compiled evaluator: the same decisions as the reference interpreter
//! ([`super::evaluate`]), for evaluating one policy over many providers.
//!
//! [`Program::compile`] resolves every name once: inputs and the series years
//! the policy reads become numbered slots, constants are folded into the
//! expression tape, definitions and rule conditions become a flat tape of
//! operations (definitions first, then the rules of each decision in the
//! order decisions are made), enum values and outcomes become indices into one
//! sorted table (so comparing indices is comparing the names). Evaluating a
//! record fills the input slots of a reused [`Scratch`] and runs the tape over
//! small `Copy` values: no allocation, no hashing, no names.
//!
//! Why a value is unknown is not computed while evaluating: values are
//! enough to decide. Only for an undetermined decision are the reasons of its
//! blocking rules collected, by walking back from those rules through the
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

use super::{Facts, Reason, Status, Value};
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
    Duration {
        amount: i64,
        unit: DurationUnit,
    },
    /// An index into the program's sorted table of enum values and outcomes.
    Enum(u32),
}

impl Scalar {
    fn is_unknown(self) -> bool {
        matches!(self, Scalar::Unknown)
    }

    fn truth(self) -> super::Truth {
        match self {
            Scalar::Bool(true) => super::Truth::True,
            Scalar::Bool(false) => super::Truth::False,
            _ => super::Truth::Unknown,
        }
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

/// One operation of the tape. Operands are positions of earlier operations.
#[derive(Debug, Clone)]
enum Op {
    Const(Scalar),
    /// Always unknown, for this reason (a `tbd` constant, an unknown name).
    Unknown(u32),
    /// A scalar input slot; the reason names the input.
    Input {
        slot: u32,
        reason: u32,
    },
    /// Whether a series input is present at all (for `known bi`).
    SeriesPresent {
        series: u32,
        reason: u32,
    },
    /// The outcome of a decision made earlier (its position in decision order).
    Outcome(u32),
    Not(u32),
    Neg(u32),
    Arith(ArithOp, u32, u32),
    Compare(CmpOp, u32, u32),
    /// Operands at `args[start..start + len]`.
    Logic(LogicOp, u32, u32),
    InSet {
        value: u32,
        start: u32,
        len: u32,
        negated: bool,
    },
    Presence {
        known: bool,
        operand: u32,
    },
}

/// How one declared input is stored.
#[derive(Debug, Clone)]
enum InputSlot {
    /// Not read by the compiled program (text, lists, records, durations).
    Unused,
    Scalar(u32),
    /// A yearly series: its presence flag and the slot of every year the
    /// policy reads.
    Series {
        series: u32,
        years: Vec<(i32, u32)>,
    },
}

#[derive(Debug, Clone)]
struct RulePlan {
    id: String,
    node: u32,
    rank: usize,
    /// The outcome, as an index into the enum table.
    outcome: u32,
}

#[derive(Debug, Clone)]
struct DecisionPlan {
    /// Position in declaration order.
    declared: usize,
    default: u32,
    rules: Vec<RulePlan>,
    /// The tape is evaluated up to here before the decision is made.
    tape_end: usize,
}

/// A policy compiled for evaluating many records.
#[derive(Debug, Clone)]
pub struct Program {
    tape: Vec<Op>,
    args: Vec<u32>,
    inputs: Vec<InputSlot>,
    input_names: Vec<String>,
    slot_count: usize,
    series_count: usize,
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

/// Per-record working memory, sized for one program and reused.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    slots: Vec<Scalar>,
    present: Vec<bool>,
    values: Vec<Scalar>,
    results: Vec<DecisionState>,
    /// `decisions * words` bits: the reasons of each undetermined decision.
    why: Vec<u64>,
    acc: Vec<u64>,
    stack: Vec<u32>,
    seen: Vec<u32>,
    epoch: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct DecisionState {
    undetermined: bool,
    outcome: u32,
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
    def_nodes: Vec<(&'p str, u32)>,
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
                tape: Vec::new(),
                args: Vec::new(),
                inputs: Vec::new(),
                input_names: policy.inputs.iter().map(|i| i.name.clone()).collect(),
                slot_count: 0,
                series_count: 0,
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
            def_nodes: Vec::new(),
            decided: Vec::new(),
        };
        for undefined in UNDEFINED {
            compiler.reason(Reason::Undefined(undefined.text()));
        }
        compiler.layout_inputs()?;
        for definition in &policy.definitions {
            let node = compiler.expr(&definition.expr)?;
            compiler.def_nodes.push((definition.name.as_str(), node));
        }
        for decision in super::decision_order(policy) {
            compiler.decision(decision)?;
        }
        let mut program = compiler.program;
        program.declared = policy
            .decisions
            .iter()
            .enumerate()
            .map(|(i, _)| {
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

    /// Working memory for this program.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            slots: vec![Scalar::Unknown; self.slot_count],
            present: vec![false; self.series_count],
            values: Vec::with_capacity(self.tape.len()),
            results: vec![DecisionState::default(); self.decisions.len()],
            why: vec![0; self.decisions.len() * self.words],
            acc: vec![0; self.words],
            stack: Vec::with_capacity(self.tape.len()),
            seen: vec![0; self.tape.len()],
            epoch: 0,
        }
    }

    /// Forgets the inputs of the previous record: every input unknown.
    pub fn clear(&self, scratch: &mut Scratch) {
        scratch.slots.fill(Scalar::Unknown);
        scratch.present.fill(false);
    }

    /// Converts a value of the reference interpreter.
    fn scalar(&self, value: &Value) -> Scalar {
        match value {
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Decimal(d) => Scalar::Decimal(*d),
            Value::Date(d) => Scalar::Date(*d),
            Value::Month(m) => Scalar::Month(*m),
            Value::Time(t) => Scalar::Time(*t),
            Value::Duration { amount, unit } => Scalar::Duration {
                amount: *amount,
                unit: *unit,
            },
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
    pub fn set_input(&self, scratch: &mut Scratch, input: usize, value: &Value) {
        match (self.inputs.get(input), value) {
            (Some(InputSlot::Scalar(slot)), _) => {
                let scalar = self.scalar(value);
                if let Some(s) = scratch.slots.get_mut(at(*slot)) {
                    *s = scalar;
                }
            }
            (Some(InputSlot::Series { series, years }), Value::Series(values)) => {
                if let Some(p) = scratch.present.get_mut(at(*series)) {
                    *p = true;
                }
                for (year, slot) in years {
                    let scalar = values.get(year).map_or(Scalar::Unknown, |v| self.scalar(v));
                    if let Some(s) = scratch.slots.get_mut(at(*slot)) {
                        *s = scalar;
                    }
                }
            }
            _ => {}
        }
    }

    /// Sets one year of series input number `input`; the series is then
    /// present.
    pub fn set_series_year(&self, scratch: &mut Scratch, input: usize, year: i32, value: &Value) {
        if let Some(InputSlot::Series { series, years }) = self.inputs.get(input) {
            if let Some(p) = scratch.present.get_mut(at(*series)) {
                *p = true;
            }
            if let Some((_, slot)) = years.iter().find(|(y, _)| *y == year) {
                let scalar = self.scalar(value);
                if let Some(s) = scratch.slots.get_mut(at(*slot)) {
                    *s = scalar;
                }
            }
        }
    }

    /// Clears the scratch and loads one provider's facts.
    pub fn load_facts(&self, scratch: &mut Scratch, facts: &Facts) {
        self.clear(scratch);
        for (i, name) in self.input_names.iter().enumerate() {
            if let Some(value) = facts.get(name) {
                self.set_input(scratch, i, value);
            }
        }
    }

    /// The decisions, in declaration order.
    pub fn decision_names(&self) -> &[String] {
        &self.decision_names
    }

    /// Evaluates every decision for the inputs in `scratch`.
    pub fn run(&self, scratch: &mut Scratch) {
        scratch.values.clear();
        let mut done = 0usize;
        for (position, decision) in self.decisions.iter().enumerate() {
            for op in self.tape.get(done..decision.tape_end).unwrap_or(&[]) {
                let value = self.op(op, scratch);
                scratch.values.push(value);
            }
            done = decision.tape_end;
            self.decide(position, decision, scratch);
        }
    }

    fn op(&self, op: &Op, scratch: &Scratch) -> Scalar {
        let values = &scratch.values;
        let get = |n: u32| values.get(at(n)).copied().unwrap_or(Scalar::Unknown);
        match op {
            Op::Const(value) => *value,
            Op::Unknown(_) => Scalar::Unknown,
            Op::Input { slot, .. } => scratch
                .slots
                .get(at(*slot))
                .copied()
                .unwrap_or(Scalar::Unknown),
            Op::SeriesPresent { series, .. } => {
                if scratch.present.get(at(*series)).copied().unwrap_or(false) {
                    Scalar::Bool(true)
                } else {
                    Scalar::Unknown
                }
            }
            Op::Outcome(position) => match scratch.results.get(at(*position)) {
                Some(state) if !state.undetermined => Scalar::Enum(state.outcome),
                _ => Scalar::Unknown,
            },
            Op::Not(a) => match get(*a) {
                Scalar::Bool(b) => Scalar::Bool(!b),
                _ => Scalar::Unknown,
            },
            Op::Neg(a) => match get(*a) {
                Scalar::Decimal(d) => Scalar::Decimal(-d),
                _ => Scalar::Unknown,
            },
            Op::Arith(op, a, b) => arith(*op, get(*a), get(*b)).unwrap_or(Scalar::Unknown),
            Op::Compare(op, a, b) => compare(*op, get(*a), get(*b)).unwrap_or(Scalar::Unknown),
            Op::Logic(op, start, len) => {
                let mut truth = match op {
                    LogicOp::And => super::Truth::True,
                    LogicOp::Or => super::Truth::False,
                };
                for arg in self.args(*start, *len) {
                    let t = get(*arg).truth();
                    truth = match op {
                        LogicOp::And => truth.and(t),
                        LogicOp::Or => truth.or(t),
                    };
                }
                truth_scalar(truth)
            }
            Op::InSet {
                value,
                start,
                len,
                negated,
            } => {
                let v = get(*value);
                if v.is_unknown() {
                    return Scalar::Unknown;
                }
                let mut truth = super::Truth::False;
                for member in self.args(*start, *len) {
                    let t = compare(CmpOp::Eq, v, get(*member))
                        .unwrap_or(Scalar::Unknown)
                        .truth();
                    truth = truth.or(t);
                }
                if *negated {
                    truth = truth.negate();
                }
                truth_scalar(truth)
            }
            Op::Presence { known, operand } => Scalar::Bool(get(*operand).is_unknown() != *known),
        }
    }

    fn args(&self, start: u32, len: u32) -> &[u32] {
        self.args.get(at(start)..at(start) + at(len)).unwrap_or(&[])
    }

    fn decide(&self, position: usize, decision: &DecisionPlan, scratch: &mut Scratch) {
        fn truth_of(values: &[Scalar], rule: &RulePlan) -> super::Truth {
            values
                .get(at(rule.node))
                .copied()
                .unwrap_or(Scalar::Unknown)
                .truth()
        }
        let mut winner: Option<(u32, &RulePlan)> = None;
        for (i, rule) in decision.rules.iter().enumerate() {
            if truth_of(&scratch.values, rule) == super::Truth::True
                && winner.is_none_or(|(_, w)| rule.rank < w.rank)
            {
                winner = Some((index(i), rule));
            }
        }
        let result = winner.map_or(decision.default, |(_, w)| w.outcome);
        let winner_rank = winner.map(|(_, w)| w.rank);
        let blocking = |values: &[Scalar], rule: &RulePlan| {
            truth_of(values, rule) == super::Truth::Unknown
                && rule.outcome != result
                && winner_rank.is_none_or(|w| rule.rank < w)
        };
        let undetermined = decision.rules.iter().any(|r| blocking(&scratch.values, r));
        let words = self.words;
        let mut acc = std::mem::take(&mut scratch.acc);
        acc.clear();
        acc.resize(words, 0);
        if undetermined {
            self.begin_walk(scratch);
            for rule in &decision.rules {
                if blocking(&scratch.values, rule) {
                    self.collect(rule.node, scratch, &mut acc);
                }
            }
        }
        if let Some(bits) = scratch
            .why
            .get_mut(position * words..(position + 1) * words)
        {
            bits.copy_from_slice(&acc);
        }
        scratch.acc = acc;
        if let Some(state) = scratch.results.get_mut(position) {
            *state = DecisionState {
                undetermined,
                outcome: result,
                winner: if undetermined {
                    None
                } else {
                    winner.map(|(i, _)| i)
                },
            };
        }
    }

    fn begin_walk(&self, scratch: &mut Scratch) {
        scratch.epoch = scratch.epoch.wrapping_add(1);
        if scratch.epoch == 0 {
            scratch.seen.fill(0);
            scratch.epoch = 1;
        }
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

    /// Adds to `bits` the reasons why the (unknown) value at `node` is unknown.
    fn collect(&self, node: u32, scratch: &mut Scratch, bits: &mut [u64]) {
        scratch.stack.clear();
        scratch.stack.push(node);
        while let Some(n) = scratch.stack.pop() {
            let Some(seen) = scratch.seen.get_mut(at(n)) else {
                continue;
            };
            if *seen == scratch.epoch {
                continue;
            }
            *seen = scratch.epoch;
            let value = |m: u32| {
                scratch
                    .values
                    .get(at(m))
                    .copied()
                    .unwrap_or(Scalar::Unknown)
            };
            if !value(n).is_unknown() {
                continue;
            }
            let mut push: [Option<u32>; 2] = [None, None];
            match self.tape.get(at(n)) {
                None | Some(Op::Const(_) | Op::Presence { .. }) => {}
                Some(
                    Op::Unknown(reason)
                    | Op::Input { reason, .. }
                    | Op::SeriesPresent { reason, .. },
                ) => self.set_bit(bits, *reason),
                Some(Op::Outcome(position)) => {
                    let start = at(*position) * self.words;
                    if let Some(from) = scratch.why.get(start..start + self.words) {
                        for ((to, from), mask) in bits.iter_mut().zip(from).zip(&self.outcome_mask)
                        {
                            *to |= from & mask;
                        }
                    }
                }
                Some(Op::Not(a) | Op::Neg(a)) => push[0] = Some(*a),
                Some(Op::Arith(op, a, b)) => {
                    if value(*a).is_unknown() || value(*b).is_unknown() {
                        push = [Some(*a), Some(*b)];
                    } else if let Err(u) = arith(*op, value(*a), value(*b)) {
                        self.undefined_bit(bits, u);
                    }
                }
                Some(Op::Compare(op, a, b)) => {
                    if value(*a).is_unknown() || value(*b).is_unknown() {
                        push = [Some(*a), Some(*b)];
                    } else if let Err(u) = compare(*op, value(*a), value(*b)) {
                        self.undefined_bit(bits, u);
                    }
                }
                Some(Op::Logic(_, start, len)) => {
                    scratch.stack.extend_from_slice(self.args(*start, *len));
                }
                Some(Op::InSet {
                    value: v,
                    start,
                    len,
                    ..
                }) => {
                    let v = *v;
                    if value(v).is_unknown() {
                        push[0] = Some(v);
                    } else {
                        for member in self.args(*start, *len) {
                            let m = value(*member);
                            if m.is_unknown() {
                                scratch.stack.push(*member);
                            } else if let Err(u) = compare(CmpOp::Eq, value(v), m) {
                                self.undefined_bit(bits, u);
                            }
                        }
                    }
                }
            }
            scratch.stack.extend(push.into_iter().flatten());
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
        let start = position * self.words;
        let bits = scratch.why.get(start..start + self.words).unwrap_or(&[]);
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

fn truth_scalar(truth: super::Truth) -> Scalar {
    match truth {
        super::Truth::True => Scalar::Bool(true),
        super::Truth::False => Scalar::Bool(false),
        super::Truth::Unknown => Scalar::Unknown,
    }
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
    Ok(Scalar::Bool(match op {
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::Ne => ordering != Ordering::Equal,
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::Le => ordering != Ordering::Greater,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::Ge => ordering != Ordering::Less,
    }))
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
    fn push(&mut self, op: Op) -> u32 {
        self.program.tape.push(op);
        index(self.program.tape.len() - 1)
    }

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
        for input in &self.policy.inputs {
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
                    let series = index(self.program.series_count);
                    self.program.series_count += 1;
                    let mut slots = Vec::new();
                    for (name, year) in &years {
                        if *name == input.name {
                            slots.push((*year, index(self.program.slot_count)));
                            self.program.slot_count += 1;
                        }
                    }
                    InputSlot::Series {
                        series,
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
                amount: *amount,
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
            let node = self.expr(&rule.condition)?;
            rules.push(RulePlan {
                id: rule.id.clone(),
                node,
                rank: decision.rank(&rule.outcome),
                outcome: self.outcome_index(&rule.outcome)?,
            });
        }
        let declared = self
            .policy
            .decisions
            .iter()
            .position(|d| std::ptr::eq(d, decision))
            .unwrap_or(0);
        let default = self.outcome_index(&decision.default)?;
        self.program.decisions.push(DecisionPlan {
            declared,
            default,
            rules,
            tape_end: self.program.tape.len(),
        });
        self.decided.push(decision.name.as_str());
        Ok(())
    }

    fn outcome_index(&self, name: &str) -> Result<u32, String> {
        self.program
            .enum_index(name)
            .ok_or_else(|| format!("outcome `{name}` is not in the table"))
    }

    fn expr(&mut self, expr: &ir::Expr) -> Result<u32, String> {
        let op = match &expr.kind {
            ExprKind::Literal { value } => Op::Const(self.literal(value)?),
            ExprKind::Input { name } => {
                let position = self
                    .policy
                    .inputs
                    .iter()
                    .position(|i| &i.name == name)
                    .ok_or_else(|| format!("unknown input `{name}`"))?;
                let reason = self.reason(Reason::Fact(name.clone()));
                match self.program.inputs.get(position) {
                    Some(InputSlot::Scalar(slot)) => Op::Input {
                        slot: *slot,
                        reason,
                    },
                    Some(InputSlot::Series { series, .. }) => Op::SeriesPresent {
                        series: *series,
                        reason,
                    },
                    _ => {
                        return Err(format!(
                            "the policy reads `{name}` (a list, record or text)"
                        ));
                    }
                }
            }
            ExprKind::Const { name } => match self
                .policy
                .constants
                .iter()
                .find(|c| &c.name == name)
                .and_then(|c| c.value.as_ref())
            {
                Some(value) => Op::Const(self.literal(value)?),
                None => Op::Unknown(self.reason(Reason::Tbd(name.clone()))),
            },
            ExprKind::Def { name } => {
                match self.def_nodes.iter().find(|(n, _)| *n == name.as_str()) {
                    Some((_, node)) => return Ok(*node),
                    None => {
                        Op::Unknown(self.reason(Reason::Undefined(format!("definition `{name}`"))))
                    }
                }
            }
            ExprKind::PolicyYear => Op::Const(Scalar::Decimal(Decimal::from(self.policy.year))),
            ExprKind::Outcome { decision } => {
                match self.decided.iter().position(|d| *d == decision.as_str()) {
                    Some(position) => Op::Outcome(index(position)),
                    None => Op::Unknown(
                        self.reason(Reason::Undefined(format!("decision `{decision}`"))),
                    ),
                }
            }
            ExprKind::SeriesAt { series, year } => {
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
                match slot {
                    Some(slot) => Op::Input { slot, reason },
                    None => Op::Unknown(reason),
                }
            }
            ExprKind::Not { operand } => Op::Not(self.expr(operand)?),
            ExprKind::Neg { operand } => Op::Neg(self.expr(operand)?),
            ExprKind::Arith { op, lhs, rhs } => {
                let (a, b) = (self.expr(lhs)?, self.expr(rhs)?);
                Op::Arith(*op, a, b)
            }
            ExprKind::Compare { op, lhs, rhs } => {
                let (a, b) = (self.expr(lhs)?, self.expr(rhs)?);
                Op::Compare(*op, a, b)
            }
            ExprKind::Logic { op, operands } => {
                let mut nodes = Vec::with_capacity(operands.len());
                for operand in operands {
                    nodes.push(self.expr(operand)?);
                }
                let start = index(self.program.args.len());
                self.program.args.extend_from_slice(&nodes);
                Op::Logic(*op, start, index(nodes.len()))
            }
            ExprKind::InSet {
                value,
                set,
                negated,
            } => {
                let v = self.expr(value)?;
                let mut nodes = Vec::with_capacity(set.len());
                for member in set {
                    nodes.push(self.expr(member)?);
                }
                let start = index(self.program.args.len());
                self.program.args.extend_from_slice(&nodes);
                Op::InSet {
                    value: v,
                    start,
                    len: index(nodes.len()),
                    negated: *negated,
                }
            }
            ExprKind::Presence { known, operand } => Op::Presence {
                known: *known,
                operand: self.expr(operand)?,
            },
            ExprKind::Var { .. }
            | ExprKind::Field { .. }
            | ExprKind::InList { .. }
            | ExprKind::Aggregate { .. } => {
                return Err("the policy reads lists or records".into());
            }
        };
        Ok(self.push(op))
    }
}
