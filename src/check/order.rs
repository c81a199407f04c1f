//! Ordering definitions so each is checked (and later evaluated) after the
//! definitions it uses, and reporting cycles.

use std::collections::BTreeSet;

use super::{Checker, Symbol};
use crate::diagnostics::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast;

/// Definition indices in dependency order. Definitions on a cycle are left out
/// (and reported), so the rest of the policy can still be checked.
pub(super) fn definition_order(checker: &mut Checker) -> Vec<usize> {
    let deps: Vec<Vec<(usize, Span)>> = checker
        .defs
        .iter()
        .map(|d| {
            let mut found = Vec::new();
            references(&d.decl.expr, &mut Vec::new(), &mut |name, span| {
                if let Some((Symbol::Def(index), _)) = checker.symbols.get(name) {
                    found.push((*index, span));
                }
            });
            found
        })
        .collect();

    // Kahn's algorithm, always taking the lowest ready index: deterministic.
    let count = deps.len();
    let mut remaining: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (user, list) in deps.iter().enumerate() {
        for (dep, _) in list {
            if let Some(u) = users.get_mut(*dep) {
                u.push(user);
            }
        }
    }
    let mut ready: BTreeSet<usize> = (0..count)
        .filter(|i| remaining.get(*i) == Some(&0))
        .collect();
    let mut order = Vec::with_capacity(count);
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for user in users.get(next).cloned().unwrap_or_default() {
            if let Some(r) = remaining.get_mut(user) {
                *r = r.saturating_sub(1);
                if *r == 0 {
                    ready.insert(user);
                }
            }
        }
    }
    if order.len() < count {
        report_cycles(checker, &deps, &order);
    }
    order
}

fn report_cycles(checker: &mut Checker, deps: &[Vec<(usize, Span)>], done: &[usize]) {
    let mut reported: BTreeSet<usize> = done.iter().copied().collect();
    for start in 0..deps.len() {
        if reported.contains(&start) {
            continue;
        }
        // Follow unresolved dependencies until a definition repeats.
        let mut path: Vec<(usize, Span)> = Vec::new();
        let mut current = start;
        let cycle_start = loop {
            if let Some(pos) = path.iter().position(|(i, _)| *i == current) {
                break pos;
            }
            let Some(next) = deps
                .get(current)
                .and_then(|list| list.iter().find(|(d, _)| !done.contains(d)))
            else {
                break path.len();
            };
            path.push((current, next.1));
            current = next.0;
        };
        let cycle: Vec<(usize, Span)> = path.get(cycle_start..).unwrap_or(&[]).to_vec();
        let names: Vec<String> = cycle
            .iter()
            .filter_map(|(i, _)| checker.defs.get(*i).map(|d| d.decl.name.name.clone()))
            .collect();
        for (i, _) in &path {
            reported.insert(*i);
        }
        let Some(((first, _), first_name)) = cycle.first().zip(names.first()) else {
            continue;
        };
        let Some(first_def) = checker.defs.get(*first) else {
            continue;
        };
        let mut chain = names.clone();
        chain.push(first_name.clone());
        let mut diagnostic = Diagnostic::new(
            Code::E0203,
            format!("definitions depend on each other in a cycle: {}", chain.join(" -> ")),
        )
        .at(first_def.decl.name.span, format!("`{first_name}` is defined in terms of itself"))
        .with_help("a definition cannot use itself, directly or through other definitions; write one of them without the other");
        for ((_, use_span), (next_index, _)) in cycle.iter().zip(cycle.iter().cycle().skip(1)) {
            if let Some(next) = checker.defs.get(*next_index) {
                diagnostic =
                    diagnostic.with_secondary(*use_span, format!("uses `{}`", next.decl.name.name));
            }
        }
        checker.error(diagnostic);
    }
}

/// Calls `found` for every free name in an expression (names bound by an
/// aggregate inside it are skipped).
pub(super) fn references(
    expr: &ast::Expr,
    bound: &mut Vec<String>,
    found: &mut dyn FnMut(&str, Span),
) {
    use ast::ExprKind::*;
    match &expr.kind {
        Literal(_) | Error => {}
        Name(ident) => {
            if !bound.contains(&ident.name) {
                found(&ident.name, ident.span);
            }
        }
        Field { record, .. } => references(record, bound, found),
        Over { series, year } => {
            references(series, bound, found);
            references(year, bound, found);
        }
        Unary { operand, .. } | Presence { operand, .. } => references(operand, bound, found),
        Arith { lhs, rhs, .. } | Compare { lhs, rhs, .. } => {
            references(lhs, bound, found);
            references(rhs, bound, found);
        }
        Logic { operands, .. } => {
            for operand in operands {
                references(operand, bound, found);
            }
        }
        In { value, set, .. } => {
            references(value, bound, found);
            match set {
                ast::InSet::Set(members) => {
                    for member in members {
                        references(member, bound, found);
                    }
                }
                ast::InSet::List(list) => references(list, bound, found),
            }
        }
        Aggregate {
            binder, list, body, ..
        } => {
            references(list, bound, found);
            if let Some(body) = body {
                if let Some(b) = binder {
                    bound.push(b.name.clone());
                }
                references(body, bound, found);
                if binder.is_some() {
                    bound.pop();
                }
            }
        }
    }
}

/// A cycle among decisions that read each other's outcomes, as names with the
/// first repeated at the end; `None` when there is none.
pub(crate) fn decision_cycle(decisions: &[crate::ir::Decision]) -> Option<Vec<String>> {
    let index = |name: &str| decisions.iter().position(|d| d.name == name);
    for start in 0..decisions.len() {
        // Depth-first search with an explicit stack: (decision, next dependency).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        let mut visited = vec![false; decisions.len()];
        while let Some((current, next)) = stack.last().copied() {
            let deps = decisions
                .get(current)
                .map_or(&[][..], |d| &d.depends_on[..]);
            let Some(dep) = deps.get(next) else {
                stack.pop();
                continue;
            };
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            let Some(dep_index) = index(dep) else {
                continue;
            };
            if dep_index == start {
                let mut names: Vec<String> = stack
                    .iter()
                    .filter_map(|(i, _)| decisions.get(*i).map(|d| d.name.clone()))
                    .collect();
                names.push(dep.clone());
                return Some(names);
            }
            if visited.get(dep_index) == Some(&false) {
                if let Some(v) = visited.get_mut(dep_index) {
                    *v = true;
                }
                stack.push((dep_index, 0));
            }
        }
    }
    None
}
