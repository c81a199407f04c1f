//! The reference interpreter: a checked policy + one provider's facts ->
//! a decision per declared decision.
//!
//! Evaluation is total: no recursion through definitions (they are evaluated
//! once, in dependency order), no loops beyond the finite lists in the data, no
//! errors at run time. What cannot be computed (a missing fact, a `tbd`
//! constant, a division by zero) is `Unknown`, and the reasons travel with the
//! value so an undetermined decision can say which facts would settle it.
//!
//! How a decision is made: every rule of the decision is evaluated. Of the
//! rules that fire (condition true), the one whose outcome comes first in the
//! decision's precedence order wins (ties: the rule written first); with none,
//! the default holds. The decision is *undetermined* when a rule whose
//! condition is unknown could still change that: its outcome differs from the
//! result and would beat it.

pub mod compiled;
pub mod facts;
pub mod json;
pub mod value;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rust_decimal::Decimal;
use serde::Serialize;

use crate::ir::{self, AggregateKind, ArithOp, CmpOp, DurationUnit, ExprKind, LogicOp};
pub use facts::Facts;
pub use value::{Truth, Value};

/// Why a value is unknown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Reason {
    /// A fact absent from the data: `bi over 2023`, `therapists[1].big_registered`.
    Fact(String),
    /// A constant the source leaves to be determined.
    Tbd(String),
    /// A computation without a value, such as a division by zero.
    Undefined(String),
}

/// A value with, when it is unknown, the reasons why.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    pub value: Value,
    pub why: BTreeSet<Reason>,
}

impl Evaluated {
    fn known(value: Value) -> Self {
        Evaluated {
            value,
            why: BTreeSet::new(),
        }
    }

    fn unknown(reason: Reason) -> Self {
        Evaluated {
            value: Value::Unknown,
            why: BTreeSet::from([reason]),
        }
    }

    fn unknown_because(why: BTreeSet<Reason>) -> Self {
        Evaluated {
            value: Value::Unknown,
            why,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Decided,
    Undetermined,
}

/// The result of evaluating one policy for one provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub policy: String,
    pub decisions: Vec<DecisionResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionResult {
    pub decision: String,
    pub status: Status,
    /// The outcome; `None` when undetermined.
    pub outcome: Option<String>,
    /// The winning rule; `None` when the default holds or undetermined.
    pub winner: Option<String>,
    /// The rules that fired, strongest first (the winner, then those it overrode).
    pub fired: Vec<FiredRule>,
    /// When undetermined: the outcomes still possible, strongest first.
    pub possible: Vec<String>,
    /// When undetermined: the facts whose values would settle the decision.
    pub missing: Vec<String>,
    /// When undetermined: the `tbd` constants it waits for.
    pub tbd: Vec<String>,
    /// When undetermined: computations without a value (a division by zero).
    pub undefined: Vec<String>,
    /// Every rule of the decision with the truth of its condition.
    pub rules: Vec<RuleResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FiredRule {
    pub rule: String,
    pub label: String,
    pub cites: String,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleResult {
    pub rule: String,
    pub outcome: String,
    pub truth: Truth,
    /// Why the condition is unknown (empty otherwise).
    pub why: Vec<Reason>,
}

/// Evaluates every decision of `policy` for one provider.
pub fn evaluate(policy: &ir::Policy, facts: &Facts) -> Evaluation {
    run(policy, facts, None)
}

/// Evaluates like [`evaluate`] and also records the value of every
/// expression, for explanations and coverage.
pub fn evaluate_traced(policy: &ir::Policy, facts: &Facts) -> (Evaluation, Trace) {
    let mut trace = Trace::default();
    let evaluation = run(policy, facts, Some(&mut trace));
    (evaluation, trace)
}

/// The values expressions took during one evaluation. Nodes are identified by
/// their address in the policy, so a trace belongs to the policy it was made
/// with. A node inside an aggregate is evaluated once per element: the trace
/// keeps the first value and every truth value seen.
#[derive(Debug, Default, Clone)]
pub struct Trace {
    first: HashMap<usize, Evaluated>,
    truths: HashMap<usize, TruthSet>,
    /// For comparisons: every pair of known operand values compared.
    comparisons: HashMap<usize, Vec<(Value, Value)>>,
}

/// Which truth values a condition took.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TruthSet {
    #[serde(rename = "true")]
    pub is_true: bool,
    #[serde(rename = "false")]
    pub is_false: bool,
    pub unknown: bool,
}

impl TruthSet {
    pub fn add(&mut self, truth: Truth) {
        match truth {
            Truth::True => self.is_true = true,
            Truth::False => self.is_false = true,
            Truth::Unknown => self.unknown = true,
        }
    }

    pub fn union(&mut self, other: TruthSet) {
        self.is_true |= other.is_true;
        self.is_false |= other.is_false;
        self.unknown |= other.unknown;
    }
}

fn node_key(expr: &ir::Expr) -> usize {
    std::ptr::from_ref(expr) as usize
}

impl Trace {
    /// The (first) value `expr` took, if it was evaluated.
    pub fn value(&self, expr: &ir::Expr) -> Option<&Evaluated> {
        self.first.get(&node_key(expr))
    }

    /// The truth values a boolean `expr` took.
    pub fn truths(&self, expr: &ir::Expr) -> TruthSet {
        self.truths
            .get(&node_key(expr))
            .copied()
            .unwrap_or_default()
    }

    /// The known operand values a comparison was evaluated with.
    pub fn comparisons(&self, expr: &ir::Expr) -> &[(Value, Value)] {
        self.comparisons
            .get(&node_key(expr))
            .map_or(&[], Vec::as_slice)
    }

    /// Adds what `other` saw to this trace (for coverage over many tests of
    /// the same policy).
    pub fn merge(&mut self, other: Trace) {
        for (key, value) in other.first {
            self.first.entry(key).or_insert(value);
        }
        for (key, truths) in other.truths {
            self.truths.entry(key).or_default().union(truths);
        }
        for (key, pairs) in other.comparisons {
            let mine = self.comparisons.entry(key).or_default();
            for pair in pairs {
                if !mine.contains(&pair) {
                    mine.push(pair);
                }
            }
        }
    }

    fn record_comparison(&mut self, expr: &ir::Expr, lhs: &Value, rhs: &Value) {
        if lhs.is_unknown() || rhs.is_unknown() {
            return;
        }
        let pairs = self.comparisons.entry(node_key(expr)).or_default();
        let pair = (lhs.clone(), rhs.clone());
        if !pairs.contains(&pair) {
            pairs.push(pair);
        }
    }

    fn record(&mut self, expr: &ir::Expr, value: &Evaluated) {
        let key = node_key(expr);
        self.first.entry(key).or_insert_with(|| value.clone());
        if expr.ty == ir::Type::Bool {
            self.truths.entry(key).or_default().add(value.value.truth());
        }
    }
}

fn run(policy: &ir::Policy, facts: &Facts, trace: Option<&mut Trace>) -> Evaluation {
    let mut evaluator = Evaluator {
        policy,
        facts,
        defs: BTreeMap::new(),
        outcomes: BTreeMap::new(),
        vars: Vec::new(),
        trace,
    };
    for definition in &policy.definitions {
        let value = evaluator.eval(&definition.expr);
        evaluator.defs.insert(definition.name.as_str(), value);
    }
    let mut results: BTreeMap<&str, DecisionResult> = BTreeMap::new();
    for decision in decision_order(policy) {
        let result = evaluator.decide(decision);
        let outcome = match &result.outcome {
            Some(o) => Evaluated::known(Value::Enum(o.clone())),
            None => Evaluated::unknown_because(
                result
                    .missing
                    .iter()
                    .map(|m| Reason::Fact(m.clone()))
                    .chain(result.tbd.iter().map(|t| Reason::Tbd(t.clone())))
                    .collect(),
            ),
        };
        evaluator.outcomes.insert(decision.name.as_str(), outcome);
        results.insert(decision.name.as_str(), result);
    }
    // Report in declaration order, whatever order they were decided in.
    let decisions = policy
        .decisions
        .iter()
        .filter_map(|d| results.remove(d.name.as_str()))
        .collect();
    Evaluation {
        policy: policy.id.clone(),
        decisions,
    }
}

/// Decisions ordered so each comes after the decisions it reads. The checker
/// rejects cycles; should one slip through, the rest keep declaration order.
fn decision_order(policy: &ir::Policy) -> Vec<&ir::Decision> {
    let mut ordered: Vec<&ir::Decision> = Vec::with_capacity(policy.decisions.len());
    let mut pending: Vec<&ir::Decision> = policy.decisions.iter().collect();
    while !pending.is_empty() {
        let ready = pending.iter().position(|d| {
            d.depends_on
                .iter()
                .all(|dep| ordered.iter().any(|o| &o.name == dep) || policy.decision(dep).is_none())
        });
        let next = pending.remove(ready.unwrap_or(0));
        ordered.push(next);
    }
    ordered
}

/// An element bound by an aggregate, with its path for naming missing facts.
struct Binding {
    name: String,
    value: Value,
    path: Option<String>,
}

struct Evaluator<'p> {
    policy: &'p ir::Policy,
    facts: &'p Facts,
    defs: BTreeMap<&'p str, Evaluated>,
    /// Outcomes of the decisions made so far.
    outcomes: BTreeMap<&'p str, Evaluated>,
    vars: Vec<Binding>,
    trace: Option<&'p mut Trace>,
}

impl Evaluator<'_> {
    fn decide(&mut self, decision: &ir::Decision) -> DecisionResult {
        let mut rules = Vec::new();
        for rule in self
            .policy
            .rules
            .iter()
            .filter(|r| r.decision == decision.name)
        {
            let result = self.eval(&rule.condition);
            let truth = result.value.truth();
            rules.push((rule, truth, result.why));
        }
        // Strongest outcome first; among equals, the rule written first.
        let mut fired: Vec<&ir::Rule> = rules
            .iter()
            .filter(|(_, truth, _)| *truth == Truth::True)
            .map(|(rule, _, _)| *rule)
            .collect();
        fired.sort_by_key(|rule| decision.rank(&rule.outcome));
        let winner = fired.first().copied();
        let result_outcome = winner.map_or(decision.default.as_str(), |w| w.outcome.as_str());
        let blocking: Vec<&(&ir::Rule, Truth, BTreeSet<Reason>)> = rules
            .iter()
            .filter(|(rule, truth, _)| {
                *truth == Truth::Unknown
                    && rule.outcome != result_outcome
                    && winner
                        .is_none_or(|w| decision.rank(&rule.outcome) < decision.rank(&w.outcome))
            })
            .collect();
        let undetermined = !blocking.is_empty();
        let mut missing = BTreeSet::new();
        let mut tbd = BTreeSet::new();
        let mut undefined = BTreeSet::new();
        let mut possible = Vec::new();
        if undetermined {
            let mut outcomes: Vec<&str> = blocking
                .iter()
                .map(|(r, _, _)| r.outcome.as_str())
                .collect();
            outcomes.push(result_outcome);
            outcomes.sort_by_key(|o| decision.rank(o));
            outcomes.dedup();
            possible = outcomes.into_iter().map(str::to_string).collect();
            for (_, _, why) in &blocking {
                for reason in why {
                    match reason {
                        Reason::Fact(f) => {
                            missing.insert(f.clone());
                        }
                        Reason::Tbd(t) => {
                            tbd.insert(t.clone());
                        }
                        Reason::Undefined(u) => {
                            undefined.insert(u.clone());
                        }
                    }
                }
            }
        }
        DecisionResult {
            decision: decision.name.clone(),
            status: if undetermined {
                Status::Undetermined
            } else {
                Status::Decided
            },
            outcome: (!undetermined).then(|| result_outcome.to_string()),
            winner: if undetermined {
                None
            } else {
                winner.map(|w| w.id.clone())
            },
            fired: fired
                .iter()
                .map(|rule| FiredRule {
                    rule: rule.id.clone(),
                    label: rule.label.clone(),
                    cites: rule.cites.clone(),
                    outcome: rule.outcome.clone(),
                })
                .collect(),
            possible,
            missing: missing.into_iter().collect(),
            tbd: tbd.into_iter().collect(),
            undefined: undefined.into_iter().collect(),
            rules: rules
                .into_iter()
                .map(|(rule, truth, why)| RuleResult {
                    rule: rule.id.clone(),
                    outcome: rule.outcome.clone(),
                    truth,
                    why: why.into_iter().collect(),
                })
                .collect(),
        }
    }

    fn eval(&mut self, expr: &ir::Expr) -> Evaluated {
        let result = self.eval_node(expr);
        if let Some(trace) = self.trace.as_deref_mut() {
            trace.record(expr, &result);
        }
        result
    }

    fn eval_node(&mut self, expr: &ir::Expr) -> Evaluated {
        match &expr.kind {
            ExprKind::Literal { value } => Evaluated::known(literal(value)),
            ExprKind::Input { name } => match self.facts.get(name) {
                Some(v) if !v.is_unknown() => Evaluated::known(v.clone()),
                _ => Evaluated::unknown(Reason::Fact(name.clone())),
            },
            ExprKind::Const { name } => {
                match self
                    .policy
                    .constants
                    .iter()
                    .find(|c| &c.name == name)
                    .and_then(|c| c.value.as_ref())
                {
                    Some(value) => Evaluated::known(literal(value)),
                    None => Evaluated::unknown(Reason::Tbd(name.clone())),
                }
            }
            ExprKind::Def { name } => self.defs.get(name.as_str()).cloned().unwrap_or_else(|| {
                Evaluated::unknown(Reason::Undefined(format!("definition `{name}`")))
            }),
            ExprKind::Outcome { decision } => self
                .outcomes
                .get(decision.as_str())
                .cloned()
                .unwrap_or_else(|| {
                    Evaluated::unknown(Reason::Undefined(format!("decision `{decision}`")))
                }),
            ExprKind::PolicyYear => {
                Evaluated::known(Value::Decimal(Decimal::from(self.policy.year)))
            }
            ExprKind::Var { name } => {
                let bound = self.vars.iter().rev().find(|b| &b.name == name);
                match bound {
                    Some(b) if !b.value.is_unknown() => Evaluated::known(b.value.clone()),
                    Some(b) => Evaluated::unknown(Reason::Fact(
                        b.path.clone().unwrap_or_else(|| name.clone()),
                    )),
                    None => Evaluated::unknown(Reason::Undefined(format!("variable `{name}`"))),
                }
            }
            ExprKind::Field { record, field } => self.field(record, field),
            ExprKind::SeriesAt { series, year } => self.series_at(series, year),
            ExprKind::Not { operand } => {
                let operand = self.eval(operand);
                let truth = operand.value.truth().negate();
                with_truth(truth, operand.why)
            }
            ExprKind::Neg { operand } => {
                let operand = self.eval(operand);
                match operand.value {
                    Value::Decimal(d) => Evaluated::known(Value::Decimal(-d)),
                    _ => Evaluated::unknown_because(operand.why),
                }
            }
            ExprKind::Arith { op, lhs, rhs } => {
                let l = self.eval(lhs);
                let r = self.eval(rhs);
                arith(*op, l, r)
            }
            ExprKind::Logic { op, operands } => {
                let mut truth = match op {
                    LogicOp::And => Truth::True,
                    LogicOp::Or => Truth::False,
                };
                let mut why = BTreeSet::new();
                for operand in operands {
                    let e = self.eval(operand);
                    let t = e.value.truth();
                    if t == Truth::Unknown {
                        why.extend(e.why);
                    }
                    truth = match op {
                        LogicOp::And => truth.and(t),
                        LogicOp::Or => truth.or(t),
                    };
                }
                with_truth(truth, why)
            }
            ExprKind::Compare { op, lhs, rhs } => {
                let l = self.eval(lhs);
                let r = self.eval(rhs);
                if let Some(trace) = self.trace.as_deref_mut() {
                    trace.record_comparison(expr, &l.value, &r.value);
                }
                compare(*op, l, r)
            }
            ExprKind::InSet {
                value,
                set,
                negated,
            } => {
                let v = self.eval(value);
                let members: Vec<Evaluated> = set.iter().map(|m| self.eval(m)).collect();
                let found = membership(v, members);
                negate_if(found, *negated)
            }
            ExprKind::InList {
                value,
                list,
                negated,
            } => {
                let v = self.eval(value);
                let l = self.eval(list);
                let list_path = self.fact_path(list);
                let found = match l.value {
                    Value::List(items) => {
                        // A missing element is named by its place in the list.
                        let members = items
                            .into_iter()
                            .enumerate()
                            .map(|(index, item)| match (&item, &list_path) {
                                (Value::Unknown, Some(path)) => {
                                    Evaluated::unknown(Reason::Fact(format!("{path}[{index}]")))
                                }
                                _ => Evaluated::known(item),
                            })
                            .collect();
                        membership(v, members)
                    }
                    _ => Evaluated::unknown_because(l.why),
                };
                negate_if(found, *negated)
            }
            ExprKind::Presence { known, operand } => {
                let present = !self.eval(operand).value.is_unknown();
                Evaluated::known(Value::Bool(present == *known))
            }
            ExprKind::Aggregate {
                aggregate,
                var,
                list,
                body,
            } => self.aggregate(*aggregate, var.as_deref(), list, body.as_deref()),
        }
    }

    /// The path of a fact an expression reads, to name it when it is missing.
    fn fact_path(&self, expr: &ir::Expr) -> Option<String> {
        match &expr.kind {
            ExprKind::Input { name } => Some(name.clone()),
            ExprKind::Var { name } => self
                .vars
                .iter()
                .rev()
                .find(|b| &b.name == name)
                .and_then(|b| b.path.clone()),
            ExprKind::Field { record, field } => {
                self.fact_path(record).map(|p| format!("{p}.{field}"))
            }
            _ => None,
        }
    }

    fn field(&mut self, record: &ir::Expr, field: &str) -> Evaluated {
        let r = self.eval(record);
        let value = match &r.value {
            Value::Record(fields) => fields.get(field).cloned().unwrap_or(Value::Unknown),
            _ => return Evaluated::unknown_because(r.why),
        };
        if value.is_unknown() {
            let path = self
                .fact_path(record)
                .map_or_else(|| field.to_string(), |p| format!("{p}.{field}"));
            return Evaluated::unknown(Reason::Fact(path));
        }
        Evaluated::known(value)
    }

    fn series_at(&mut self, series: &ir::Expr, year: &ir::Expr) -> Evaluated {
        let y = self.eval(year);
        let Value::Decimal(year_number) = y.value else {
            return Evaluated::unknown_because(y.why);
        };
        let year_text = year_number.normalize().to_string();
        let s = self.eval(series);
        let found = match (&s.value, i32::try_from(year_number.trunc().mantissa())) {
            (Value::Series(values), Ok(y)) if year_number.fract().is_zero() => {
                values.get(&y).cloned().unwrap_or(Value::Unknown)
            }
            _ => Value::Unknown,
        };
        if found.is_unknown() {
            return match self.fact_path(series) {
                Some(path) => Evaluated::unknown(Reason::Fact(format!("{path} over {year_text}"))),
                None => Evaluated::unknown_because(s.why),
            };
        }
        Evaluated::known(found)
    }

    fn aggregate(
        &mut self,
        aggregate: AggregateKind,
        var: Option<&str>,
        list: &ir::Expr,
        body: Option<&ir::Expr>,
    ) -> Evaluated {
        let l = self.eval(list);
        let Value::List(items) = l.value else {
            return Evaluated::unknown_because(l.why);
        };
        let list_path = self.fact_path(list);
        let mut results = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            let path = list_path.as_ref().map(|p| format!("{p}[{index}]"));
            match (body, var) {
                (Some(body), Some(name)) => {
                    self.vars.push(Binding {
                        name: name.to_string(),
                        value: item,
                        path,
                    });
                    let r = self.eval(body);
                    self.vars.pop();
                    results.push(r);
                }
                (Some(body), None) => results.push(self.eval(body)),
                (None, _) if item.is_unknown() => {
                    results.push(Evaluated::unknown(Reason::Fact(path.unwrap_or_default())));
                }
                (None, _) => results.push(Evaluated::known(item)),
            }
        }
        match aggregate {
            AggregateKind::Count if body.is_none() => {
                Evaluated::known(Value::Decimal(Decimal::from(results.len())))
            }
            AggregateKind::Count => {
                let mut why = BTreeSet::new();
                let mut count = 0usize;
                for r in results {
                    match r.value.truth() {
                        Truth::True => count += 1,
                        Truth::False => {}
                        Truth::Unknown => why.extend(r.why),
                    }
                }
                if why.is_empty() {
                    Evaluated::known(Value::Decimal(Decimal::from(count)))
                } else {
                    Evaluated::unknown_because(why)
                }
            }
            AggregateKind::Any | AggregateKind::All => {
                let mut truth = if aggregate == AggregateKind::Any {
                    Truth::False
                } else {
                    Truth::True
                };
                let mut why = BTreeSet::new();
                for r in results {
                    let t = r.value.truth();
                    if t == Truth::Unknown {
                        why.extend(r.why);
                    }
                    truth = if aggregate == AggregateKind::Any {
                        truth.or(t)
                    } else {
                        truth.and(t)
                    };
                }
                with_truth(truth, why)
            }
            AggregateKind::Sum => {
                let mut why = BTreeSet::new();
                let mut total = Some(Decimal::ZERO);
                for r in results {
                    match r.value {
                        Value::Decimal(d) => total = total.and_then(|t| t.checked_add(d)),
                        _ => why.extend(r.why),
                    }
                }
                match total {
                    _ if !why.is_empty() => Evaluated::unknown_because(why),
                    Some(t) => Evaluated::known(Value::Decimal(t)),
                    None => Evaluated::unknown(Reason::Undefined("the sum is too large".into())),
                }
            }
        }
    }
}

fn literal(literal: &ir::Literal) -> Value {
    match literal {
        ir::Literal::Bool(b) => Value::Bool(*b),
        ir::Literal::Decimal(d) => Value::Decimal(*d),
        ir::Literal::Date(d) => Value::Date(*d),
        ir::Literal::Month(m) => Value::Month(*m),
        ir::Literal::Time(t) => Value::Time(*t),
        ir::Literal::Duration { amount, unit } => Value::Duration {
            amount: *amount,
            unit: *unit,
        },
        ir::Literal::Text(t) => Value::Text(t.clone()),
        ir::Literal::Enum(e) => Value::Enum(e.clone()),
    }
}

/// A truth value; the reasons are kept only when it is unknown.
fn with_truth(truth: Truth, why: BTreeSet<Reason>) -> Evaluated {
    if truth == Truth::Unknown {
        Evaluated::unknown_because(why)
    } else {
        Evaluated::known(truth.value())
    }
}

fn negate_if(e: Evaluated, negated: bool) -> Evaluated {
    if !negated {
        return e;
    }
    let truth = e.value.truth().negate();
    with_truth(truth, e.why)
}

fn both_unknown(l: Evaluated, r: Evaluated) -> Evaluated {
    let mut why = l.why;
    why.extend(r.why);
    Evaluated::unknown_because(why)
}

fn arith(op: ArithOp, l: Evaluated, r: Evaluated) -> Evaluated {
    match (&l.value, &r.value) {
        (Value::Decimal(a), Value::Decimal(b)) => {
            let result = match op {
                ArithOp::Add => a.checked_add(*b),
                ArithOp::Sub => a.checked_sub(*b),
                ArithOp::Mul => a.checked_mul(*b),
                ArithOp::Div if b.is_zero() => {
                    return Evaluated::unknown(Reason::Undefined("division by zero".into()));
                }
                ArithOp::Div => a.checked_div(*b),
            };
            match result {
                Some(d) => Evaluated::known(Value::Decimal(d)),
                None => Evaluated::unknown(Reason::Undefined("a number is too large".into())),
            }
        }
        (Value::Date(date), Value::Duration { amount, unit }) => {
            let signed = if op == ArithOp::Sub {
                -*amount
            } else {
                *amount
            };
            match shift_date(*date, signed, *unit) {
                Some(d) => Evaluated::known(Value::Date(d)),
                None => Evaluated::unknown(Reason::Undefined("a date is out of range".into())),
            }
        }
        (
            Value::Duration {
                amount: a,
                unit: ua,
            },
            Value::Duration {
                amount: b,
                unit: ub,
            },
        ) if ua == ub && op == ArithOp::Add => Evaluated::known(Value::Duration {
            amount: a.saturating_add(*b),
            unit: *ua,
        }),
        (Value::Unknown, _) | (_, Value::Unknown) => both_unknown(l, r),
        _ => Evaluated::unknown(Reason::Undefined(format!(
            "`{}` on these values has no result",
            op.symbol()
        ))),
    }
}

fn shift_date(
    date: jiff::civil::Date,
    amount: i64,
    unit: DurationUnit,
) -> Option<jiff::civil::Date> {
    let span = match unit {
        DurationUnit::Years => jiff::Span::new().try_years(amount).ok()?,
        DurationUnit::Months => jiff::Span::new().try_months(amount).ok()?,
        DurationUnit::Days => jiff::Span::new().try_days(amount).ok()?,
    };
    date.checked_add(span).ok()
}

fn compare(op: CmpOp, l: Evaluated, r: Evaluated) -> Evaluated {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (&l.value, &r.value) {
        (Value::Unknown, _) | (_, Value::Unknown) => return both_unknown(l, r),
        (Value::Decimal(a), Value::Decimal(b)) => Some(a.cmp(b)),
        (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
        (Value::Month(a), Value::Month(b)) => Some(a.cmp(b)),
        (Value::Time(a), Value::Time(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Text(a), Value::Text(b)) | (Value::Enum(a), Value::Enum(b)) => Some(a.cmp(b)),
        (
            Value::Duration {
                amount: a,
                unit: ua,
            },
            Value::Duration {
                amount: b,
                unit: ub,
            },
        ) if ua == ub => Some(a.cmp(b)),
        _ => None,
    };
    let Some(ordering) = ordering else {
        return Evaluated::unknown(Reason::Undefined("these values cannot be compared".into()));
    };
    Evaluated::known(Value::Bool(op.holds(ordering)))
}

/// `value in members`, as a Kleene `or` of equalities.
fn membership(value: Evaluated, members: Vec<Evaluated>) -> Evaluated {
    if value.value.is_unknown() {
        return value;
    }
    let mut truth = Truth::False;
    let mut why = BTreeSet::new();
    for member in members {
        let equal = compare(CmpOp::Eq, value.clone(), member);
        let t = equal.value.truth();
        if t == Truth::Unknown {
            why.extend(equal.why);
        }
        truth = truth.or(t);
    }
    with_truth(truth, why)
}
