//! Test coverage of a policy: what its tests exercise.
//!
//! Per rule: whether some test made it fire, and for every part of its
//! condition (each `and` / `or` operand and `not`, recursively) whether some
//! test made that part true, false and unknown. Per comparison with a fixed
//! value (`bi over 2023 < 150`, `applied_on < 2024-10-01`): whether some test
//! sat just below, exactly at and just above that value — where encodings of
//! thresholds go wrong. "Just" means within one step: 1 for whole numbers,
//! the last decimal place otherwise (0.1 for 149.5), one day for dates. Below
//! a threshold of zero counts and money have nothing to test.
//!
//! A rule that reads a `tbd` constant cannot fire until the value is set; it
//! is listed but not counted against the percentage.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::eval::{self, Trace, TruthSet, Value};
use crate::explain::show;
use crate::ir::{self, CmpOp, ExprKind, Type};
use crate::source::{SourceMap, Span};

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub policy: String,
    /// Rules that fired in some test, of those that can fire.
    pub rules_fired: usize,
    pub rules_countable: usize,
    pub rules: Vec<RuleCoverage>,
}

impl Coverage {
    /// The share of countable rules that fired, in percent (100 when there
    /// are none).
    pub fn percent_fired(&self) -> Decimal {
        if self.rules_countable == 0 {
            return Decimal::ONE_HUNDRED;
        }
        Decimal::from(self.rules_fired) * Decimal::ONE_HUNDRED / Decimal::from(self.rules_countable)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleCoverage {
    pub rule: String,
    pub decision: String,
    pub outcome: String,
    pub fired: bool,
    /// The rule reads a `tbd` constant, so it cannot fire yet.
    pub waits_for_tbd: bool,
    pub conditions: Vec<ConditionCoverage>,
    pub boundaries: Vec<BoundaryCoverage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConditionCoverage {
    pub text: String,
    pub seen: TruthSet,
}

impl ConditionCoverage {
    /// True and false both seen (unknown is reported but not required: many
    /// facts are never missing in practice).
    pub fn complete(&self) -> bool {
        self.seen.is_true && self.seen.is_false
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BoundaryCoverage {
    pub text: String,
    /// The fixed value compared with, as written.
    pub threshold: String,
    pub just_below: bool,
    pub at: bool,
    pub just_above: bool,
}

impl BoundaryCoverage {
    pub fn complete(&self) -> bool {
        self.just_below && self.at && self.just_above
    }
}

/// Runs every test of `policy` and measures what they exercised.
pub fn measure(policy: &ir::Policy, sources: &SourceMap) -> Coverage {
    let mut trace = Trace::default();
    let mut fired = std::collections::BTreeSet::new();
    for test in &policy.tests {
        let (facts, _) = eval::facts::load(&policy.inputs, &test.facts, false);
        let (evaluation, test_trace) = eval::evaluate_traced(policy, &facts);
        for decision in evaluation.decisions {
            fired.extend(decision.fired.into_iter().map(|f| f.rule));
        }
        trace.merge(test_trace);
    }
    let rules: Vec<RuleCoverage> = policy
        .rules
        .iter()
        .map(|rule| RuleCoverage {
            rule: rule.id.clone(),
            decision: rule.decision.clone(),
            outcome: rule.outcome.clone(),
            fired: fired.contains(&rule.id),
            waits_for_tbd: reads_tbd(policy, &rule.condition),
            conditions: conditions(&rule.condition, &trace, sources),
            boundaries: boundaries(policy, &rule.condition, &trace, sources),
        })
        .collect();
    let countable: Vec<&RuleCoverage> = rules.iter().filter(|r| !r.waits_for_tbd).collect();
    Coverage {
        policy: policy.id.clone(),
        rules_fired: countable.iter().filter(|r| r.fired).count(),
        rules_countable: countable.len(),
        rules,
    }
}

fn reads_tbd(policy: &ir::Policy, expr: &ir::Expr) -> bool {
    let mut found = false;
    expr.walk(&mut |e| {
        if let ExprKind::Const { name } = &e.kind {
            found |= policy
                .constants
                .iter()
                .any(|c| &c.name == name && c.value.is_none());
        }
    });
    found
}

/// The condition and every `and` / `or` / `not` operand inside it.
fn conditions(expr: &ir::Expr, trace: &Trace, sources: &SourceMap) -> Vec<ConditionCoverage> {
    let mut out = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        out.push(ConditionCoverage {
            text: snippet(sources, e.span),
            seen: trace.truths(e),
        });
        match &e.kind {
            ExprKind::Logic { operands, .. } => stack.extend(operands.iter().rev()),
            ExprKind::Not { operand } => stack.push(operand),
            _ => {}
        }
    }
    out
}

fn boundaries(
    policy: &ir::Policy,
    expr: &ir::Expr,
    trace: &Trace,
    sources: &SourceMap,
) -> Vec<BoundaryCoverage> {
    let mut out = Vec::new();
    expr.walk(&mut |e| {
        let ExprKind::Compare { op, lhs, rhs } = &e.kind else {
            return;
        };
        if !op.is_ordering() && *op != CmpOp::Eq {
            return;
        }
        // Which side is the fixed value?
        let (threshold, fact_on_left) = match (fixed_value(policy, lhs), fixed_value(policy, rhs)) {
            (None, Some(t)) => (t, true),
            (Some(t), None) => (t, false),
            _ => return,
        };
        let step_ty = if fact_on_left { &lhs.ty } else { &rhs.ty };
        let Some(step) = step_of(&threshold, step_ty) else {
            return;
        };
        // Nothing sits below zero when counting or in amounts of money
        // (revenues, ceilings): a test there would be meaningless.
        let nothing_below = matches!(step_ty, Type::Count | Type::Money)
            && threshold == Value::Decimal(Decimal::ZERO);
        let mut coverage = BoundaryCoverage {
            text: snippet(sources, e.span),
            threshold: show(&threshold, step_ty),
            just_below: nothing_below,
            at: false,
            just_above: false,
        };
        for (l, r) in trace.comparisons(e) {
            let value = if fact_on_left { l } else { r };
            match position(value, &threshold, &step) {
                Some(Position::JustBelow) => coverage.just_below = true,
                Some(Position::At) => coverage.at = true,
                Some(Position::JustAbove) => coverage.just_above = true,
                None => {}
            }
        }
        out.push(coverage);
    });
    out
}

/// The value of a literal or a constant with a value.
fn fixed_value(policy: &ir::Policy, expr: &ir::Expr) -> Option<Value> {
    let literal = match &expr.kind {
        ExprKind::Literal { value } => value,
        ExprKind::Const { name } => policy
            .constants
            .iter()
            .find(|c| &c.name == name)?
            .value
            .as_ref()?,
        _ => return None,
    };
    Some(match literal {
        ir::Literal::Decimal(d) => Value::Decimal(*d),
        ir::Literal::Date(d) => Value::Date(*d),
        _ => return None,
    })
}

enum Step {
    Decimal(Decimal),
    Day,
}

fn step_of(threshold: &Value, ty: &Type) -> Option<Step> {
    match threshold {
        Value::Decimal(t) if t.scale() == 0 || matches!(ty, Type::Count | Type::Year) => {
            Some(Step::Decimal(Decimal::ONE))
        }
        Value::Decimal(t) => Some(Step::Decimal(Decimal::new(1, t.normalize().scale().max(1)))),
        Value::Date(_) => Some(Step::Day),
        _ => None,
    }
}

enum Position {
    JustBelow,
    At,
    JustAbove,
}

fn position(value: &Value, threshold: &Value, step: &Step) -> Option<Position> {
    match (value, threshold, step) {
        (Value::Decimal(v), Value::Decimal(t), Step::Decimal(s)) => {
            if v == t {
                Some(Position::At)
            } else if v < t && *t - *v <= *s {
                Some(Position::JustBelow)
            } else if v > t && *v - *t <= *s {
                Some(Position::JustAbove)
            } else {
                None
            }
        }
        (Value::Date(v), Value::Date(t), Step::Day) => {
            if v == t {
                Some(Position::At)
            } else if t.yesterday().ok().as_ref() == Some(v) {
                Some(Position::JustBelow)
            } else if t.tomorrow().ok().as_ref() == Some(v) {
                Some(Position::JustAbove)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn snippet(sources: &SourceMap, span: Span) -> String {
    let text = sources.get(span.file).map_or("", |f| f.slice(span));
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A readable report: the summary line, the rules never fired, and per rule
/// the conditions and boundaries not fully exercised.
pub fn render(coverage: &Coverage, file: &str) -> String {
    let mut out = format!(
        "coverage {file}: {}/{} rules fired ({}%)\n",
        coverage.rules_fired,
        coverage.rules_countable,
        coverage.percent_fired().round_dp(1).normalize()
    );
    let never: Vec<&str> = coverage
        .rules
        .iter()
        .filter(|r| !r.fired && !r.waits_for_tbd)
        .map(|r| r.rule.as_str())
        .collect();
    if !never.is_empty() {
        out.push_str(&format!("  never fired: {}\n", never.join(", ")));
    }
    let waiting: Vec<&str> = coverage
        .rules
        .iter()
        .filter(|r| r.waits_for_tbd)
        .map(|r| r.rule.as_str())
        .collect();
    if !waiting.is_empty() {
        out.push_str(&format!(
            "  waiting for tbd values (not counted): {}\n",
            waiting.join(", ")
        ));
    }
    for rule in coverage.rules.iter().filter(|r| !r.waits_for_tbd) {
        let open_conditions: Vec<String> = rule
            .conditions
            .iter()
            .filter(|c| !c.complete())
            .map(|c| {
                let mut missing = Vec::new();
                if !c.seen.is_true {
                    missing.push("true");
                }
                if !c.seen.is_false {
                    missing.push("false");
                }
                format!("never {}: {}", missing.join(" or "), c.text)
            })
            .collect();
        let open_boundaries: Vec<String> = rule
            .boundaries
            .iter()
            .filter(|b| !b.complete())
            .map(|b| {
                let mut missing = Vec::new();
                if !b.just_below {
                    missing.push("just below");
                }
                if !b.at {
                    missing.push("at");
                }
                if !b.just_above {
                    missing.push("just above");
                }
                format!("no test {} {}: {}", missing.join(", "), b.threshold, b.text)
            })
            .collect();
        if open_conditions.is_empty() && open_boundaries.is_empty() {
            continue;
        }
        out.push_str(&format!("  rule {}:\n", rule.rule));
        for line in open_conditions.iter().chain(&open_boundaries) {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}
