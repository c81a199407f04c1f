//! Lints over the checked rules: patterns that check but very likely do not
//! mean what the author wants.
//!
//! W0003, the missing-fact trap: rule B handles a fact being absent
//! (`missing bi over 2023`), but a rule A with a stronger outcome reads the
//! same fact without a `known` guard. When the fact is absent, A's condition
//! is unknown, and since A's outcome would beat B's, the decision comes out
//! undetermined instead of B's outcome: B can never decide the case it was
//! written for.

use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{self, ArithOp, ExprKind, Literal};
use crate::source::Span;

/// Reports W0003 for every rule that blocks a weaker rule's missing-fact case.
pub(super) fn missing_fact_trap(
    rules: &[ir::Rule],
    decisions: &[ir::Decision],
    year: i32,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for decision in decisions {
        let of_decision: Vec<&ir::Rule> = rules
            .iter()
            .filter(|r| r.decision == decision.name)
            .collect();
        for handler in &of_decision {
            let handled = presence_tested(&handler.condition, year, false);
            if handled.is_empty() {
                continue;
            }
            for blocker in &of_decision {
                let stronger = decision.rank(&blocker.outcome) < decision.rank(&handler.outcome);
                if !stronger || blocker.outcome == handler.outcome {
                    continue;
                }
                let guarded = presence_tested(&blocker.condition, year, true);
                for (fact, span) in unguarded_reads(&blocker.condition, year) {
                    let Some(handled_at) = handled.get(&fact).copied() else {
                        continue;
                    };
                    if guarded.contains_key(&fact) {
                        continue;
                    }
                    found.push(
                        Diagnostic::new(
                            Code::W0003,
                            format!(
                                "when `{fact}` is missing, rule `{}` is unknown and keeps rule `{}` from deciding",
                                blocker.id, handler.id
                            ),
                        )
                        .at(span, format!("unknown when `{fact}` is missing"))
                        .with_secondary(handled_at, format!("rule `{}` is meant for this case", handler.id))
                        .with_note(format!(
                            "`{}` ({}) comes before `{}` ({}) in the precedence order, so an unknown `{}` leaves `{}` undetermined",
                            blocker.outcome, blocker.id, handler.outcome, handler.id, blocker.id, decision.name
                        ))
                        .with_help(format!("guard the read: `known {fact} and ...`")),
                    );
                    break;
                }
            }
        }
    }
    found
}

/// The fact an expression reads directly: `name`, or `name over YEAR` when
/// the year is a constant (a literal, or `year` plus or minus a number).
fn fact_of(expr: &ir::Expr, year: i32) -> Option<String> {
    match &expr.kind {
        ExprKind::Input { name } => Some(name.clone()),
        ExprKind::SeriesAt { series, year: at } => {
            let ExprKind::Input { name } = &series.kind else {
                return None;
            };
            Some(format!("{name} over {}", constant_year(at, year)?))
        }
        _ => None,
    }
}

fn constant_year(expr: &ir::Expr, year: i32) -> Option<i64> {
    match &expr.kind {
        ExprKind::Literal {
            value: Literal::Decimal(d),
        } => i64::try_from(d.trunc().mantissa())
            .ok()
            .filter(|_| d.fract().is_zero()),
        ExprKind::PolicyYear => Some(i64::from(year)),
        ExprKind::Arith { op, lhs, rhs } => {
            let l = constant_year(lhs, year)?;
            let r = constant_year(rhs, year)?;
            match op {
                ArithOp::Add => l.checked_add(r),
                ArithOp::Sub => l.checked_sub(r),
                ArithOp::Mul | ArithOp::Div => None,
            }
        }
        _ => None,
    }
}

/// The facts a condition tests with `known` or `missing`, with where. With
/// `any_polarity` false, only `missing x` counts (a rule written for the
/// absent case).
fn presence_tested(expr: &ir::Expr, year: i32, any_polarity: bool) -> BTreeMap<String, Span> {
    let mut facts = BTreeMap::new();
    expr.walk(&mut |e| {
        if let ExprKind::Presence { known, operand } = &e.kind {
            if any_polarity || !*known {
                if let Some(fact) = fact_of(operand, year) {
                    facts.entry(fact).or_insert(e.span);
                }
            }
        }
    });
    facts
}

/// The facts a condition reads outside `known` / `missing`, with where.
fn unguarded_reads(expr: &ir::Expr, year: i32) -> Vec<(String, Span)> {
    let mut reads = Vec::new();
    collect(expr, year, &mut reads);
    reads
}

fn collect(expr: &ir::Expr, year: i32, reads: &mut Vec<(String, Span)>) {
    if let ExprKind::Presence { .. } = &expr.kind {
        return;
    }
    if let Some(fact) = fact_of(expr, year) {
        reads.push((fact, expr.span));
        return;
    }
    for child in expr.children() {
        collect(child, year, reads);
    }
}
