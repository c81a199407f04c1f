//! The compiler: a checked [`ir::Policy`] in, a [`Program`] out (or why the
//! policy is left to the reference interpreter).

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use super::compare::{ConstCompare, compare, flip};
use super::node::{Node, arith};
use super::table::{DecisionTable, Leaf};
use super::{
    DecisionPlan, InputSlot, Program, RulePlan, Scalar, UNDEFINED, at, index, truth_scalar,
};
use crate::eval::Reason;
use crate::ir::{self, ArithOp, CmpOp, ExprKind, Type};

pub(super) struct Compiler<'p> {
    policy: &'p ir::Policy,
    program: Program,
    decided: Vec<&'p str>,
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
                definitions: Vec::new(),
                inputs: Vec::new(),
                input_names: policy.inputs.iter().map(|i| i.name.clone()).collect(),
                slot_count: 0,
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
            decided: Vec::new(),
        };
        for undefined in UNDEFINED {
            compiler.reason(Reason::Undefined(undefined.text()));
        }
        check_durations(policy)?;
        compiler.layout_inputs()?;
        // Definitions come in dependency order: each reads only earlier ones.
        for definition in &policy.definitions {
            let node = compiler.expr(&definition.expr)?;
            compiler.program.definitions.push(node);
        }
        for decision in crate::eval::decision_order(policy) {
            compiler.decision(decision)?;
        }
        let mut program = compiler.program;
        program.declared = (0..policy.decisions.len())
            .map(|i| {
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

    pub(super) fn number_reasons(&mut self) {
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
}

pub(super) fn collect_enum_type(ty: &Type, enums: &mut BTreeSet<String>) {
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

/// The value of a year expression that depends on nothing but the policy.
pub(super) fn fold_year(policy: &ir::Policy, expr: &ir::Expr) -> Option<Decimal> {
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
    pub(super) fn reason(&mut self, reason: Reason) -> u32 {
        match self.program.reasons.iter().position(|r| *r == reason) {
            Some(i) => index(i),
            None => {
                self.program.reasons.push(reason);
                index(self.program.reasons.len() - 1)
            }
        }
    }

    pub(super) fn layout_inputs(&mut self) -> Result<(), String> {
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
        // An input no rule or definition reads needs no slot.
        let mut read: BTreeSet<String> = BTreeSet::new();
        let exprs = self
            .policy
            .definitions
            .iter()
            .map(|d| &d.expr)
            .chain(self.policy.rules.iter().map(|r| &r.condition));
        for expr in exprs {
            expr.walk(&mut |e| {
                if let ExprKind::Input { name } = &e.kind {
                    read.insert(name.clone());
                }
            });
        }
        for input in &self.policy.inputs {
            if !read.contains(&input.name) {
                self.program.inputs.push(InputSlot::Unused);
                continue;
            }
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
                    let present = index(self.program.slot_count);
                    self.program.slot_count += 1;
                    let mut slots = Vec::new();
                    for (name, year) in &years {
                        if *name == input.name {
                            slots.push((*year, index(self.program.slot_count)));
                            self.program.slot_count += 1;
                        }
                    }
                    InputSlot::Series {
                        present,
                        years: slots,
                    }
                }
                _ => InputSlot::Unused,
            };
            self.program.inputs.push(slot);
        }
        Ok(())
    }

    pub(super) fn literal(&self, literal: &ir::Literal) -> Result<Scalar, String> {
        Ok(match literal {
            ir::Literal::Bool(b) => Scalar::Bool(*b),
            ir::Literal::Decimal(d) => Scalar::Decimal(*d),
            ir::Literal::Date(d) => Scalar::Date(*d),
            ir::Literal::Month(m) => Scalar::Month(*m),
            ir::Literal::Time(t) => Scalar::Time(*t),
            ir::Literal::Duration { amount, unit } => Scalar::Duration {
                amount: i32::try_from(*amount)
                    .map_err(|_| "a duration is too long to compile".to_string())?,
                unit: *unit,
            },
            ir::Literal::Enum(name) => self
                .program
                .enum_index(name)
                .map_or(Scalar::Unknown, Scalar::Enum),
            ir::Literal::Text(_) => return Err("the policy compares text".into()),
        })
    }

    pub(super) fn decision(&mut self, decision: &'p ir::Decision) -> Result<(), String> {
        let mut rules = Vec::new();
        for rule in self
            .policy
            .rules
            .iter()
            .filter(|r| r.decision == decision.name)
        {
            rules.push(RulePlan {
                id: rule.id.clone(),
                condition: self.expr(&rule.condition)?,
                rank: decision.rank(&rule.outcome),
                outcome: self.outcome_index(&rule.outcome)?,
            });
        }
        // A stable sort: equal ranks keep declaration order.
        rules.sort_by_key(|r| r.rank);
        let declared = self
            .policy
            .decisions
            .iter()
            .position(|d| std::ptr::eq(d, decision))
            .unwrap_or(0);
        let default = self.outcome_index(&decision.default)?;
        let mut plan = DecisionPlan {
            declared,
            default,
            rules,
            table: None,
        };
        plan.table = DecisionTable::build(&plan);
        self.program.decisions.push(plan);
        self.decided.push(decision.name.as_str());
        Ok(())
    }

    pub(super) fn outcome_index(&self, name: &str) -> Result<u32, String> {
        self.program
            .enum_index(name)
            .ok_or_else(|| format!("outcome `{name}` is not in the table"))
    }

    pub(super) fn input(&mut self, name: &str) -> Result<Node, String> {
        let position = self
            .policy
            .inputs
            .iter()
            .position(|i| i.name == name)
            .ok_or_else(|| format!("unknown input `{name}`"))?;
        let reason = self.reason(Reason::Fact(name.to_string()));
        match self.program.inputs.get(position) {
            Some(InputSlot::Scalar(slot)) => Ok(Node::Input {
                slot: *slot,
                reason,
            }),
            Some(InputSlot::Series { present, .. }) => Ok(Node::Input {
                slot: *present,
                reason,
            }),
            _ => Err(format!(
                "the policy reads `{name}` (a list, record or text)"
            )),
        }
    }

    pub(super) fn series_at(&mut self, series: &ir::Expr, year: &ir::Expr) -> Result<Node, String> {
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
        Ok(match slot {
            Some(slot) => Node::Input { slot, reason },
            None => Node::Unknown(reason),
        })
    }

    pub(super) fn expr(&mut self, expr: &ir::Expr) -> Result<Node, String> {
        Ok(match &expr.kind {
            ExprKind::Literal { value } => Node::Const(self.literal(value)?),
            ExprKind::Input { name } => self.input(name)?,
            ExprKind::Const { name } => match self
                .policy
                .constants
                .iter()
                .find(|c| &c.name == name)
                .and_then(|c| c.value.as_ref())
            {
                Some(value) => Node::Const(self.literal(value)?),
                None => Node::Unknown(self.reason(Reason::Tbd(name.clone()))),
            },
            ExprKind::Def { name } => {
                match self.policy.definitions.iter().position(|d| &d.name == name) {
                    Some(n) if n < self.program.definitions.len() => Node::Def(index(n)),
                    _ => Node::Unknown(
                        self.reason(Reason::Undefined(format!("definition `{name}`"))),
                    ),
                }
            }
            ExprKind::PolicyYear => Node::Const(Scalar::Decimal(Decimal::from(self.policy.year))),
            ExprKind::Outcome { decision } => {
                match self.decided.iter().position(|d| *d == decision.as_str()) {
                    Some(position) => Node::Outcome(index(position)),
                    None => Node::Unknown(
                        self.reason(Reason::Undefined(format!("decision `{decision}`"))),
                    ),
                }
            }
            ExprKind::SeriesAt { series, year } => self.series_at(series, year)?,
            ExprKind::Not { operand } => match self.expr(operand)? {
                Node::Const(value) => Node::Const(truth_scalar(value.truth().negate())),
                operand => Node::Not(Box::new(operand)),
            },
            ExprKind::Neg { operand } => match self.expr(operand)? {
                Node::Const(Scalar::Decimal(d)) => Node::Const(Scalar::Decimal(-d)),
                operand => Node::Neg(Box::new(operand)),
            },
            ExprKind::Arith { op, lhs, rhs } => match (self.expr(lhs)?, self.expr(rhs)?) {
                // Folded when it has a value; an undefined one keeps its node
                // so that its reason is found.
                (Node::Const(a), Node::Const(b)) if arith(*op, a, b).is_ok() => {
                    Node::Const(arith(*op, a, b).unwrap_or(Scalar::Unknown))
                }
                (a, b) => Node::Arith(*op, Box::new([a, b])),
            },
            ExprKind::Compare { op, lhs, rhs } => {
                let (a, b) = (self.expr(lhs)?, self.expr(rhs)?);
                comparison(*op, (lhs, a), (rhs, b))
            }
            ExprKind::Logic { op, operands } => {
                let mut nodes = Vec::with_capacity(operands.len());
                for operand in operands {
                    nodes.push(self.expr(operand)?);
                }
                match nodes.iter().map(Leaf::of).collect::<Option<Vec<Leaf>>>() {
                    Some(leaves) => Node::Leaves(*op, leaves.into_boxed_slice()),
                    None => Node::Logic(*op, nodes.into_boxed_slice()),
                }
            }
            ExprKind::InSet {
                value,
                set,
                negated,
            } => {
                let value = self.expr(value)?;
                let mut nodes = Vec::with_capacity(set.len());
                for member in set {
                    nodes.push(self.expr(member)?);
                }
                Node::InSet {
                    value: Box::new(value),
                    set: nodes.into_boxed_slice(),
                    negated: *negated,
                }
            }
            ExprKind::Presence { known, operand } => Node::Presence {
                known: *known,
                operand: Box::new(self.expr(operand)?),
            },
            ExprKind::Var { .. }
            | ExprKind::Field { .. }
            | ExprKind::InList { .. }
            | ExprKind::Aggregate { .. } => {
                return Err("the policy reads lists or records".into());
            }
        })
    }
}

/// A comparison: folded when both sides are constant, a [`ConstCompare`]
/// when a number is compared with a constant number.
pub(super) fn comparison(op: CmpOp, lhs: (&ir::Expr, Node), rhs: (&ir::Expr, Node)) -> Node {
    match (lhs, rhs) {
        ((_, Node::Const(a)), (_, Node::Const(b))) if compare(op, a, b).is_ok() => {
            Node::Const(compare(op, a, b).unwrap_or(Scalar::Unknown))
        }
        ((value_expr, value), (_, Node::Const(Scalar::Decimal(c))))
            if is_number(&value_expr.ty) =>
        {
            Node::CompareConst(Box::new(value), Box::new(ConstCompare::new(op, c)))
        }
        ((_, Node::Const(Scalar::Decimal(c))), (value_expr, value))
            if is_number(&value_expr.ty) =>
        {
            Node::CompareConst(Box::new(value), Box::new(ConstCompare::new(flip(op), c)))
        }
        ((_, a), (_, b)) => Node::Compare(op, Box::new([a, b])),
    }
}

/// Durations are stored in 32 bits. They come only from literals and
/// constants and are only ever added to each other, directly or through
/// definitions (`def b = a + a` doubles `a`). When the largest duration any
/// expression can compute fits, no sum saturates before the reference's
/// 64-bit one would; otherwise the policy is left to the reference.
pub(super) fn check_durations(policy: &ir::Policy) -> Result<(), String> {
    // Definitions come in dependency order: each bound uses earlier ones.
    let mut definitions: Vec<i64> = Vec::with_capacity(policy.definitions.len());
    for definition in &policy.definitions {
        let bound = duration_bound(policy, &definition.expr, &definitions);
        definitions.push(bound);
    }
    let largest = definitions
        .iter()
        .copied()
        .chain(
            policy
                .rules
                .iter()
                .map(|r| duration_bound(policy, &r.condition, &definitions)),
        )
        .max()
        .unwrap_or(0);
    if largest > i64::from(i32::MAX) {
        return Err("the policy's durations are too long to compile".into());
    }
    Ok(())
}

/// An upper bound of every duration `expr` or any part of it can compute.
pub(super) fn duration_bound(policy: &ir::Policy, expr: &ir::Expr, definitions: &[i64]) -> i64 {
    let literal = |value: Option<&ir::Literal>| match value {
        Some(ir::Literal::Duration { amount, .. }) => amount.saturating_abs(),
        _ => 0,
    };
    let parts = || {
        expr.children()
            .into_iter()
            .map(|e| duration_bound(policy, e, definitions))
    };
    match &expr.kind {
        ExprKind::Literal { value } => literal(Some(value)),
        ExprKind::Const { name } => literal(
            policy
                .constants
                .iter()
                .find(|c| &c.name == name)
                .and_then(|c| c.value.as_ref()),
        ),
        ExprKind::Def { name } => policy
            .definitions
            .iter()
            .position(|d| &d.name == name)
            .and_then(|i| definitions.get(i))
            .copied()
            .unwrap_or(0),
        // A sum can be as long as its parts together.
        ExprKind::Arith { .. } => parts().fold(0, i64::saturating_add),
        _ => parts().max().unwrap_or(0),
    }
}

/// Types whose values are always `Decimal`s (or unknown).
pub(super) fn is_number(ty: &Type) -> bool {
    matches!(
        ty,
        Type::Count | Type::Number | Type::Money | Type::Percent | Type::Year
    )
}
