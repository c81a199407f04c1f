//! The compiled evaluator: the same decisions as the reference interpreter
//! ([`super::evaluate`]), for evaluating one policy over many providers.
//!
//! [`Program::compile`] resolves every name once: inputs and the series years
//! the policy reads become numbered slots of a [`Record`], constants are
//! folded into the expressions, enum values and outcomes become indices into
//! one sorted table (so comparing indices is comparing the names), and a
//! comparison of a number with a constant becomes a comparison of integers
//! (see `ConstCompare`). Each rule condition becomes a small tree of
//! `Node`s over `Copy` values: evaluating a record allocates nothing, hashes
//! nothing and looks up no names.
//!
//! A decision whose rules are `and` / `or` / `not` of at most eight distinct
//! tests of single inputs (`fraud_registered`, `known bi`, `bi < 150`,
//! `kind in { a, b }`: the usual shape) becomes a `DecisionTable`: its outcome, winner and status
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
//! Lists, records, texts and whole series live in side arenas of the
//! [`Record`] (see `layout`): a slot holds a `Copy` scalar pointing into
//! them, so aggregates (`any`, `all`, `count`, `sum`), `in list`, fields of
//! records and list elements, text comparisons and `series over <year from
//! the data>` evaluate without allocating. Reasons that name an element or
//! a year from the data (`therapists[1].big_registered`) are rendered on the
//! cold path only. Every construct of the IR is compiled; [`Program::compile`]
//! still refuses a policy whose durations do not fit 32 bits, which callers
//! then leave to the reference interpreter.

mod compare;
mod compile;
mod layout;
mod node;
mod reasons;
mod table;

use rust_decimal::Decimal;

use super::{Reason, Status, Truth};
use crate::ir::{self, ArithOp, DurationUnit};
use layout::{EMPTY_SIDE, Layout, Side};
use node::{Node, Path, leaves_truth};
use table::DecisionTable;

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
    /// A text of the record: bytes `start..start + len` of its text buffer.
    Text {
        start: u32,
        len: u32,
    },
    /// A text of the policy: an index into the program's text constants.
    ConstText(u32),
    /// A list of the record: elements `start..start + len` of its element
    /// arena.
    List {
        start: u32,
        len: u32,
    },
    /// A record value: its fields (those the policy reads, in the order of
    /// its `Layout`) are the record's elements from `start` on.
    Record(u32),
    /// A yearly series: its years are the record's series entries with this
    /// id (a series input's id is its input number).
    Series(u32),
}

impl Scalar {
    #[inline]
    fn is_unknown(self) -> bool {
        matches!(self, Scalar::Unknown)
    }

    #[inline]
    fn truth(self) -> Truth {
        match self {
            Scalar::Bool(true) => Truth::True,
            Scalar::Bool(false) => Truth::False,
            _ => Truth::Unknown,
        }
    }
}

#[inline]
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
    SumTooLarge,
}

/// Every reason a computation can have no value; the compiler registers
/// them as reasons `0..UNDEFINED.len()`.
const UNDEFINED: [Undefined; 9] = [
    Undefined::DivisionByZero,
    Undefined::TooLarge,
    Undefined::DateOutOfRange,
    Undefined::NoResult(ArithOp::Add),
    Undefined::NoResult(ArithOp::Sub),
    Undefined::NoResult(ArithOp::Mul),
    Undefined::NoResult(ArithOp::Div),
    Undefined::NotComparable,
    Undefined::SumTooLarge,
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
            Undefined::SumTooLarge => "the sum is too large".into(),
        }
    }
}

/// How one declared input is stored.
#[derive(Debug, Clone)]
enum InputSlot {
    /// Not read by the compiled program: read by no rule or definition, or
    /// a duration (which cannot be a fact).
    Unused,
    /// A boolean, number, date, month, time or enum, in its slot.
    Scalar(u32),
    /// A text, list or record: its slot holds the scalar that points into
    /// the record's side data, laid out as `layout` says.
    Stored { slot: u32, layout: Layout },
    /// A yearly series: the slot of its presence (holding `Series(input)`)
    /// and of every year the policy reads with a constant year, each laid
    /// out as `of`. With `full`, every year is also kept in the record's
    /// series entries, for years that depend on the data and for the series
    /// read as a value (through a definition).
    Series {
        present: u32,
        years: Vec<(i32, u32)>,
        of: Layout,
        full: bool,
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
    /// The policy's text literals, by [`Scalar::ConstText`] index.
    texts: Vec<String>,
    /// Per aggregate that binds an element, by its variable slot: the
    /// list's fact path, to name the bound element (`therapists[1]`).
    var_paths: Vec<Option<Path>>,
    /// Per variable slot: the reason of an unknown element.
    var_facts: Vec<node::Fact>,
    /// Whether records carry side data (texts, lists, records, series
    /// entries): tables then keep it per record.
    has_side: bool,
}

/// One provider's inputs, laid out for one program: get an empty one from
/// [`Program::record`] and fill it with [`Program::set_input`]. Only the
/// inputs the policy reads have a slot.
///
/// Texts, lists, records and series entries live in side arenas of the
/// record that the slots point into; [`Program::clear`] empties them and
/// keeps their memory, so refilling a record allocates nothing once it has
/// held a provider as large.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    slots: Vec<Scalar>,
    side: Side,
}

impl Record {
    pub fn row(&self) -> Row<'_> {
        Row {
            slots: &self.slots,
            side: &self.side,
        }
    }
}

/// The inputs of one provider, borrowed from a [`Record`] or a [`Table`]:
/// its slots and its side data.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    slots: &'a [Scalar],
    side: &'a Side,
}

impl<'a> Row<'a> {
    #[inline]
    fn get(self, slot: u32) -> Scalar {
        self.slots.get(at(slot)).copied().unwrap_or(Scalar::Unknown)
    }

    /// The slots alone: what tests of single inputs read, small enough to
    /// be passed in registers on the hot path of decision tables.
    #[inline]
    fn slots(self) -> Slots<'a> {
        Slots(self.slots)
    }
}

/// A record's slots, without its side data.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slots<'a>(&'a [Scalar]);

impl Slots<'_> {
    #[inline]
    fn get(self, slot: u32) -> Scalar {
        self.0.get(at(slot)).copied().unwrap_or(Scalar::Unknown)
    }
}

/// Many providers' records in one block of memory, for deciding a
/// population held in memory (again and again, or under two policies'
/// versions) without a pointer per provider. For a program that reads
/// texts, lists, records or whole series, each record's side data is kept
/// next to the block, one `Side` per record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    slots: Vec<Scalar>,
    /// One per record when the program's records have side data, else none.
    sides: Vec<Side>,
    has_side: bool,
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
        if self.has_side {
            self.sides.push(record.side.clone());
        }
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
            side: self.sides.get(i).unwrap_or(&EMPTY_SIDE),
        })
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> + '_ {
        self.slots
            .chunks_exact(self.stride.max(1))
            .enumerate()
            .map(|(i, slots)| Row {
                slots,
                side: self.sides.get(i).unwrap_or(&EMPTY_SIDE),
            })
    }
}

/// Per-record working memory, sized for one program and reused.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    /// Computed definitions: `(epoch, value)`, valid for the current epoch.
    definitions: Vec<(u32, Scalar)>,
    /// Definitions already walked while collecting reasons, stamped with
    /// the walk's number; `probed` likewise for [`Program::has_reasons`].
    walked: Vec<u32>,
    probed: Vec<u32>,
    epoch: u32,
    walk: u32,
    probe: u32,
    results: Vec<DecisionState>,
    /// `decisions * words` bits: the reasons of each undetermined decision.
    why: Vec<u64>,
    /// Per decision: the reasons that name a list element or a year from
    /// the data (`therapists[1].big_registered`), which have no bit; sorted.
    extra: Vec<Vec<Reason>>,
    /// Per variable slot: the element bound and its index in the list.
    vars: Vec<(Scalar, u32)>,
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

fn index(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn at(n: u32) -> usize {
    n as usize
}

impl Program {
    /// An empty record for this program: every input unknown.
    pub fn record(&self) -> Record {
        Record {
            slots: vec![Scalar::Unknown; self.slot_count],
            side: Side::default(),
        }
    }

    /// An empty table of records for this program.
    pub fn table(&self) -> Table {
        Table {
            slots: Vec::new(),
            sides: Vec::new(),
            has_side: self.has_side,
            stride: self.slot_count.max(1),
            len: 0,
        }
    }

    /// Working memory for this program.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            definitions: vec![(0, Scalar::Unknown); self.definitions.len()],
            walked: vec![0; self.definitions.len()],
            probed: vec![0; self.definitions.len()],
            epoch: 0,
            walk: 0,
            probe: 0,
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
            extra: vec![Vec::new(); self.decisions.len()],
            vars: vec![(Scalar::Unknown, 0); self.var_paths.len()],
        }
    }

    /// Forgets the inputs of the previous provider: every input unknown.
    pub fn clear(&self, record: &mut Record) {
        record.slots.fill(Scalar::Unknown);
        record.side.clear();
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
    #[inline(always)]
    pub fn run(&self, row: Row<'_>, scratch: &mut Scratch) {
        // A row is three words: passed whole it goes through memory, and
        // reading it back as the caller wrote it stalls; its parts go in
        // registers.
        self.run_parts(row.slots, row.side, scratch);
    }

    fn run_parts(&self, slots: &[Scalar], side: &Side, scratch: &mut Scratch) {
        let row = Row { slots, side };
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
                let state = table.decide(row.slots());
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
            Node::Leaves(op, leaves) => leaves_truth(*op, leaves, row.slots()),
            condition => self.truth(condition, row, scratch),
        })
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
}

#[cfg(test)]
mod tests {
    use super::Scalar;

    #[test]
    fn scalars_stay_small() {
        // Every record slot is one scalar: a bigger one makes every record,
        // and every pass over a table of them, bigger.
        assert!(std::mem::size_of::<Scalar>() <= 20);
    }
}
