//! Explanations: why each decision came out as it did.
//!
//! For every decision: each rule considered, its condition broken down into
//! its `and`/`or`/`not` parts with the value of each part and the facts it
//! read, which rule won and why the others lost (precedence). For an
//! undetermined decision, each missing fact is tried with the values that
//! matter (both sides of every threshold it is compared with, each enum value,
//! true and false) to show which answer leads to which outcome.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::eval::{
    self, DecisionResult, Evaluated, Evaluation, Facts, Reason, Status, Trace, Truth, Value,
};
use crate::ir::{self, CmpOp, ExprKind, Type};
use crate::source::{SourceMap, Span};

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub policy: String,
    pub decisions: Vec<DecisionExplanation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionExplanation {
    pub decision: String,
    pub status: Status,
    pub outcome: Option<String>,
    pub default: String,
    /// The precedence order of the outcomes.
    pub precedence: Vec<String>,
    pub winner: Option<String>,
    pub rules: Vec<RuleExplanation>,
    /// For an undetermined decision: per missing fact, which answer leads where.
    pub what_if: Vec<WhatIf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleExplanation {
    pub rule: String,
    pub label: String,
    pub cites: String,
    pub outcome: String,
    pub truth: Truth,
    /// What the rule's truth meant for the decision, in words.
    pub verdict: String,
    pub condition: Node,
}

/// One part of a condition with its value.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// The source text of this part.
    pub text: String,
    /// Its value: `true`, `false`, `unknown`, or a value for non-conditions.
    pub value: String,
    /// The facts, constants and definitions this part read, with their values.
    pub reads: Vec<Read>,
    /// The operands of `and` / `or` / `not`.
    pub parts: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Read {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WhatIf {
    /// The missing fact, as in `missing`: `bi over 2023`.
    pub fact: String,
    pub cases: Vec<WhatIfCase>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WhatIfCase {
    /// The answer, as a condition on the fact: `bi over 2023 < 150`, `= true`.
    pub when: String,
    /// The outcome it leads to, or `undetermined` when other facts are still missing.
    pub outcome: String,
}

/// Explains every decision of `policy` for one provider.
pub fn explain(policy: &ir::Policy, facts: &Facts, sources: &SourceMap) -> Explanation {
    let (evaluation, trace) = eval::evaluate_traced(policy, facts);
    let decisions = evaluation
        .decisions
        .iter()
        .filter_map(|result| {
            let decision = policy.decision(&result.decision)?;
            Some(explain_decision(
                policy, decision, result, &trace, facts, sources,
            ))
        })
        .collect();
    Explanation {
        policy: evaluation.policy,
        decisions,
    }
}

fn explain_decision(
    policy: &ir::Policy,
    decision: &ir::Decision,
    result: &DecisionResult,
    trace: &Trace,
    facts: &Facts,
    sources: &SourceMap,
) -> DecisionExplanation {
    let fired_first = result.fired.first();
    let provisional = fired_first.map_or(decision.default.as_str(), |f| f.outcome.as_str());
    let rules = result
        .rules
        .iter()
        .filter_map(|r| {
            let rule = policy.rule(&r.rule)?;
            let verdict = verdict(decision, result, rule, r.truth, provisional);
            Some(RuleExplanation {
                rule: rule.id.clone(),
                label: rule.label.clone(),
                cites: rule.cites.clone(),
                outcome: rule.outcome.clone(),
                truth: r.truth,
                verdict,
                condition: node(&rule.condition, trace, sources),
            })
        })
        .collect();
    let what_if = if result.status == Status::Undetermined {
        result
            .missing
            .iter()
            .filter_map(|fact| what_if(policy, decision, facts, trace, fact))
            .collect()
    } else {
        Vec::new()
    };
    DecisionExplanation {
        decision: decision.name.clone(),
        status: result.status,
        outcome: result.outcome.clone(),
        default: decision.default.clone(),
        precedence: decision.outcomes.clone(),
        winner: result.winner.clone(),
        rules,
        what_if,
    }
}

fn verdict(
    decision: &ir::Decision,
    result: &DecisionResult,
    rule: &ir::Rule,
    truth: Truth,
    provisional: &str,
) -> String {
    let winner = result.fired.first();
    match truth {
        Truth::True if result.winner.as_deref() == Some(rule.id.as_str()) => {
            "fired and wins".to_string()
        }
        Truth::True => match winner {
            Some(w) if w.rule != rule.id && w.outcome == rule.outcome => format!(
                "fired; same outcome as `{}`, which is written first",
                w.rule
            ),
            Some(w) if w.rule != rule.id => format!(
                "fired but overridden: `{}` ({}) comes before {} in the precedence order",
                w.rule, w.outcome, rule.outcome
            ),
            _ => "fired; the decision is undetermined".to_string(),
        },
        Truth::False => "does not apply".to_string(),
        Truth::Unknown => {
            let could_change = rule.outcome != provisional
                && winner.is_none_or(|w| decision.rank(&rule.outcome) < decision.rank(&w.outcome));
            if could_change {
                format!(
                    "unknown, and would change the outcome to {} if true",
                    rule.outcome
                )
            } else {
                "unknown, but cannot change the outcome".to_string()
            }
        }
    }
}

// ---------------------------------------------------------------- condition trees

fn node(expr: &ir::Expr, trace: &Trace, sources: &SourceMap) -> Node {
    let value = trace
        .value(expr)
        .map_or_else(|| "not evaluated".to_string(), |v| show(&v.value, &expr.ty));
    let parts: Vec<Node> = match &expr.kind {
        ExprKind::Logic { operands, .. } => {
            operands.iter().map(|o| node(o, trace, sources)).collect()
        }
        ExprKind::Not { operand } => vec![node(operand, trace, sources)],
        _ => Vec::new(),
    };
    let mut reads = BTreeSet::new();
    if parts.is_empty() {
        collect_reads(expr, trace, sources, &mut reads);
    }
    Node {
        text: snippet(sources, expr.span),
        value,
        reads: reads.into_iter().collect(),
        parts,
    }
}

/// The facts, constants, definitions and outcomes an expression reads.
fn collect_reads(expr: &ir::Expr, trace: &Trace, sources: &SourceMap, out: &mut BTreeSet<Read>) {
    let shown = |e: &ir::Expr| {
        trace
            .value(e)
            .map_or_else(|| "not evaluated".to_string(), |v| shown_value(v, &e.ty))
    };
    match &expr.kind {
        ExprKind::Input { name } => {
            out.insert(Read {
                name: name.clone(),
                value: shown(expr),
            });
        }
        ExprKind::SeriesAt { .. } | ExprKind::Field { .. } => {
            out.insert(Read {
                name: snippet(sources, expr.span),
                value: shown(expr),
            });
        }
        ExprKind::Const { name } | ExprKind::Def { name } => {
            out.insert(Read {
                name: name.clone(),
                value: shown(expr),
            });
        }
        ExprKind::Outcome { decision } => {
            out.insert(Read {
                name: decision.clone(),
                value: shown(expr),
            });
        }
        ExprKind::Aggregate { list, .. } => {
            out.insert(Read {
                name: snippet(sources, expr.span),
                value: shown(expr),
            });
            collect_reads(list, trace, sources, out);
        }
        ExprKind::Literal { .. } | ExprKind::PolicyYear | ExprKind::Var { .. } => {}
        _ => {
            for child in expr.children() {
                collect_reads(child, trace, sources, out);
            }
        }
    }
}

fn shown_value(value: &Evaluated, ty: &Type) -> String {
    if value.value.is_unknown() {
        let why: Vec<String> = value
            .why
            .iter()
            .map(|r| match r {
                Reason::Fact(f) => format!("{f} missing"),
                Reason::Tbd(t) => format!("{t} to be determined"),
                Reason::Undefined(u) => u.clone(),
            })
            .collect();
        if why.is_empty() {
            return "unknown".to_string();
        }
        return format!("unknown ({})", why.join(", "));
    }
    show(&value.value, ty)
}

/// The source text of a span, on one line.
fn snippet(sources: &SourceMap, span: Span) -> String {
    let text = sources.get(span.file).map_or("", |f| f.slice(span));
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A value as an author writes it.
pub fn show(value: &Value, ty: &Type) -> String {
    match value {
        Value::Unknown => "unknown".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Decimal(d) => show_decimal(*d, ty),
        Value::Date(d) => d.to_string(),
        Value::Month(m) => m.to_string(),
        Value::Time(t) => t.strftime("%H:%M").to_string(),
        Value::Duration { amount, unit } => {
            let unit = match unit {
                ir::DurationUnit::Years => "years",
                ir::DurationUnit::Months => "months",
                ir::DurationUnit::Days => "days",
            };
            format!("{amount} {unit}")
        }
        Value::Text(t) => format!("{t:?}"),
        Value::Enum(e) => e.clone(),
        Value::Series(years) => {
            let of = match ty {
                Type::Series { of } => of.as_ref(),
                _ => &Type::Number,
            };
            let parts: Vec<String> = years
                .iter()
                .map(|(y, v)| format!("{y}: {}", show(v, of)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::List(items) => match items.len() {
            1 => "[1 item]".to_string(),
            n => format!("[{n} items]"),
        },
        Value::Record(_) => "{…}".to_string(),
    }
}

fn show_decimal(d: Decimal, ty: &Type) -> String {
    match ty {
        Type::Money => format!("€{}", d.normalize()),
        Type::Percent => format!("{}%", (d * Decimal::ONE_HUNDRED).normalize()),
        _ => d.normalize().to_string(),
    }
}

// ---------------------------------------------------------------- what-if

/// Where a missing fact lives in the facts.
enum FactPath {
    Input(String),
    SeriesYear(String, i32),
}

fn parse_path(fact: &str) -> Option<FactPath> {
    if let Some((name, year)) = fact.split_once(" over ") {
        return Some(FactPath::SeriesYear(name.to_string(), year.parse().ok()?));
    }
    if fact.contains(['[', '.']) {
        return None;
    }
    Some(FactPath::Input(fact.to_string()))
}

fn what_if(
    policy: &ir::Policy,
    decision: &ir::Decision,
    facts: &Facts,
    trace: &Trace,
    fact: &str,
) -> Option<WhatIf> {
    let path = parse_path(fact)?;
    let ty = match &path {
        FactPath::Input(name) => policy.input(name)?.ty.clone(),
        FactPath::SeriesYear(name, _) => match &policy.input(name)?.ty {
            Type::Series { of } => (**of).clone(),
            _ => return None,
        },
    };
    let candidates = candidates(policy, trace, fact, &ty);
    if candidates.is_empty() {
        return None;
    }
    let outcomes: Vec<String> = candidates
        .iter()
        .map(|c| outcome_with(policy, decision, facts, &path, c.value.clone()))
        .collect();
    Some(WhatIf {
        fact: fact.to_string(),
        cases: describe_cases(fact, &ty, &candidates, &outcomes),
    })
}

/// A value to try, and whether it is one of the thresholds the policy uses.
struct Candidate {
    value: Value,
    threshold: bool,
}

fn candidates(policy: &ir::Policy, trace: &Trace, fact: &str, ty: &Type) -> Vec<Candidate> {
    match ty {
        Type::Bool => [true, false]
            .into_iter()
            .map(|b| Candidate {
                value: Value::Bool(b),
                threshold: false,
            })
            .collect(),
        Type::Enum { values } => values
            .iter()
            .map(|v| Candidate {
                value: Value::Enum(v.clone()),
                threshold: false,
            })
            .collect(),
        _ => {
            let thresholds = thresholds(policy, trace, fact);
            let mut values: Vec<(Value, bool)> = Vec::new();
            for t in thresholds {
                for (v, is_t) in around(&t, ty) {
                    if !values.iter().any(|(existing, _)| *existing == v) {
                        values.push((v, is_t));
                    } else if is_t {
                        if let Some(slot) = values.iter_mut().find(|(existing, _)| *existing == v) {
                            slot.1 = true;
                        }
                    }
                }
            }
            values.sort_by(|a, b| order(&a.0, &b.0));
            values
                .into_iter()
                .map(|(value, threshold)| Candidate { value, threshold })
                .collect()
        }
    }
}

fn order(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Decimal(x), Value::Decimal(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::Month(x), Value::Month(y)) => x.cmp(y),
        (Value::Time(x), Value::Time(y)) => x.cmp(y),
        _ => std::cmp::Ordering::Equal,
    }
}

/// The values compared with `fact` anywhere in the policy's rules and
/// definitions (the other side's value as evaluated).
fn thresholds(policy: &ir::Policy, trace: &Trace, fact: &str) -> Vec<Value> {
    let mut found: Vec<Value> = Vec::new();
    let mut visit = |e: &ir::Expr| {
        let ExprKind::Compare { lhs, rhs, .. } = &e.kind else {
            return;
        };
        for (side, other) in [(lhs, rhs), (rhs, lhs)] {
            if static_path(side, trace).as_deref() == Some(fact) {
                if let Some(v) = trace.value(other).filter(|v| !v.value.is_unknown()) {
                    if !found.contains(&v.value) {
                        found.push(v.value.clone());
                    }
                }
            }
        }
    };
    for rule in &policy.rules {
        rule.condition.walk(&mut visit);
    }
    for def in &policy.definitions {
        def.expr.walk(&mut visit);
    }
    found
}

/// The fact path an expression reads directly (`bi over 2023`), if any.
fn static_path(expr: &ir::Expr, trace: &Trace) -> Option<String> {
    match &expr.kind {
        ExprKind::Input { name } => Some(name.clone()),
        ExprKind::SeriesAt { series, year } => {
            let ExprKind::Input { name } = &series.kind else {
                return None;
            };
            match trace.value(year).map(|v| &v.value) {
                Some(Value::Decimal(y)) => Some(format!("{name} over {}", y.normalize())),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A threshold and its neighbours: just below, itself, just above.
fn around(threshold: &Value, ty: &Type) -> Vec<(Value, bool)> {
    match threshold {
        Value::Decimal(t) => {
            let step = if t.scale() == 0 || matches!(ty, Type::Count | Type::Year) {
                Decimal::ONE
            } else {
                Decimal::new(1, t.scale())
            };
            let mut out = Vec::new();
            if let Some(below) = t.checked_sub(step) {
                if !(matches!(ty, Type::Count) && below < Decimal::ZERO) {
                    out.push((Value::Decimal(below), false));
                }
            }
            out.push((Value::Decimal(*t), true));
            if let Some(above) = t.checked_add(step) {
                out.push((Value::Decimal(above), false));
            }
            out
        }
        Value::Date(d) => {
            let mut out = Vec::new();
            if let Ok(before) = d.yesterday() {
                out.push((Value::Date(before), false));
            }
            out.push((Value::Date(*d), true));
            if let Ok(after) = d.tomorrow() {
                out.push((Value::Date(after), false));
            }
            out
        }
        other => vec![(other.clone(), true)],
    }
}

fn outcome_with(
    policy: &ir::Policy,
    decision: &ir::Decision,
    facts: &Facts,
    path: &FactPath,
    value: Value,
) -> String {
    let mut changed = facts.clone();
    match path {
        FactPath::Input(name) => {
            changed.insert(name.clone(), value);
        }
        FactPath::SeriesYear(name, year) => {
            let mut years = match changed.get(name) {
                Some(Value::Series(years)) => years.clone(),
                _ => Default::default(),
            };
            years.insert(*year, value);
            changed.insert(name.clone(), Value::Series(years));
        }
    }
    let evaluation: Evaluation = eval::evaluate(policy, &changed);
    evaluation
        .decisions
        .into_iter()
        .find(|d| d.decision == decision.name)
        .and_then(|d| d.outcome)
        .unwrap_or_else(|| "undetermined".to_string())
}

/// Turns per-candidate outcomes into ranges: `bi over 2023 < 150 -> eligible`.
fn describe_cases(
    fact: &str,
    ty: &Type,
    candidates: &[Candidate],
    outcomes: &[String],
) -> Vec<WhatIfCase> {
    if matches!(ty, Type::Bool | Type::Enum { .. }) {
        return candidates
            .iter()
            .zip(outcomes)
            .map(|(c, o)| WhatIfCase {
                when: format!("{fact} = {}", show(&c.value, ty)),
                outcome: o.clone(),
            })
            .collect();
    }
    // Group runs of equal outcomes; each run's bounds come from its neighbours.
    let mut cases = Vec::new();
    let mut start = 0;
    while start < candidates.len() {
        let outcome = outcomes.get(start).cloned().unwrap_or_default();
        let mut end = start;
        while end + 1 < candidates.len() && outcomes.get(end + 1) == Some(&outcome) {
            end += 1;
        }
        let lower = (start > 0).then(|| boundary(candidates, start, ty));
        let upper = (end + 1 < candidates.len()).then(|| boundary(candidates, end + 1, ty));
        let when = match (lower, upper) {
            (None, None) => format!("{fact} has any value"),
            (Some((op, v)), None) => format!("{fact} {} {v}", op.symbol()),
            (None, Some((op, v))) => format!("{fact} {} {v}", flip(op).symbol()),
            (Some((lo, lv)), Some((hi, hv))) => {
                let lo_symbol = if lo == CmpOp::Ge { "<=" } else { "<" };
                format!("{lv} {lo_symbol} {fact} {} {hv}", flip(hi).symbol())
            }
        };
        cases.push(WhatIfCase { when, outcome });
        start = end + 1;
    }
    cases
}

/// The condition that holds from candidate `index` upwards: `>= t` when it is
/// a threshold, otherwise `> previous threshold`.
fn boundary(candidates: &[Candidate], index: usize, ty: &Type) -> (CmpOp, String) {
    let here = candidates.get(index);
    let before = index.checked_sub(1).and_then(|i| candidates.get(i));
    match (here, before) {
        (Some(h), _) if h.threshold => (CmpOp::Ge, show(&h.value, ty)),
        (_, Some(b)) => (CmpOp::Gt, show(&b.value, ty)),
        (Some(h), None) => (CmpOp::Ge, show(&h.value, ty)),
        (None, None) => (CmpOp::Ge, String::new()),
    }
}

/// `>=` becomes `<` and `>` becomes `<=`: the condition below a boundary.
fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Ge => CmpOp::Lt,
        CmpOp::Gt => CmpOp::Le,
        other => other,
    }
}

// ---------------------------------------------------------------- text

/// The explanation as readable text: per decision the result, the rules that
/// fired or are unknown with their conditions in full, what would settle an
/// undetermined decision, and one line for each rule that does not apply.
pub fn render(explanation: &Explanation) -> String {
    let mut out = format!("policy {}\n", explanation.policy);
    for d in &explanation.decisions {
        out.push('\n');
        render_decision(d, &mut out);
    }
    out
}

fn render_decision(d: &DecisionExplanation, out: &mut String) {
    match (&d.status, &d.outcome) {
        (Status::Decided, Some(outcome)) => match &d.winner {
            Some(rule) => out.push_str(&format!("{} = {outcome}, by rule {rule}\n", d.decision)),
            None => out.push_str(&format!(
                "{} = {outcome}, the default: no rule fired\n",
                d.decision
            )),
        },
        _ => out.push_str(&format!("{} is undetermined\n", d.decision)),
    }
    out.push_str(&format!(
        "  precedence: {}; default {}\n",
        d.precedence.join(" > "),
        d.default
    ));
    for rule in d.rules.iter().filter(|r| r.truth != Truth::False) {
        out.push_str(&format!(
            "\n  rule {} -> {}: {}\n    \"{}\" ({})\n",
            rule.rule, rule.outcome, rule.verdict, rule.label, rule.cites
        ));
        render_node(&rule.condition, 2, out);
    }
    if !d.what_if.is_empty() {
        out.push_str("\n  what would settle it:\n");
        for w in &d.what_if {
            for case in &w.cases {
                out.push_str(&format!("    {} -> {}\n", case.when, case.outcome));
            }
        }
    }
    let idle: Vec<&RuleExplanation> = d.rules.iter().filter(|r| r.truth == Truth::False).collect();
    if !idle.is_empty() {
        out.push_str(&format!("\n  rules that do not apply ({}):\n", idle.len()));
        for rule in idle {
            out.push_str(&format!(
                "    {} -> {}: {}\n",
                rule.rule, rule.outcome, rule.condition.text
            ));
        }
    }
}

fn render_node(node: &Node, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    out.push_str(&format!("{indent}[{}] {}\n", node.value, node.text));
    for read in &node.reads {
        if read.name != node.text {
            out.push_str(&format!("{indent}      {} = {}\n", read.name, read.value));
        }
    }
    for part in &node.parts {
        render_node(part, depth + 1, out);
    }
}
