//! The compiler: a checked [`ir::Policy`] in, a [`Program`] out (or why the
//! policy is left to the reference interpreter).

use std::collections::{BTreeSet, HashMap};

use rust_decimal::Decimal;

use super::compare::{ConstCompare, compare, flip};
use super::layout::Layout;
use super::node::{
    AggregateNode, Fact, FieldNode, InListNode, Node, Path, SeriesNode, arith, whole_year,
};
use super::table::{DecisionTable, Leaf};
use super::{
    DecisionPlan, InputSlot, Program, RulePlan, Scalar, UNDEFINED, at, index, truth_scalar,
};
use crate::eval::Reason;
use crate::ir::{self, AggregateKind, ArithOp, CmpOp, ExprKind, Type};

pub(super) struct Compiler<'p> {
    policy: &'p ir::Policy,
    program: Program,
    decided: Vec<&'p str>,
    /// Look-ups by name and value, so that compiling stays linear in the
    /// policy's size.
    reason_index: HashMap<Reason, u32>,
    input_index: HashMap<&'p str, usize>,
    definition_index: HashMap<&'p str, usize>,
    constants: HashMap<&'p str, &'p ir::Constant>,
    text_index: HashMap<String, u32>,
    /// The variables bound around the expression being compiled, innermost
    /// last, with their slots.
    scopes: Vec<(String, u32)>,
    /// Per record type: the fields the policy reads, in declaration order.
    record_fields: Vec<(Type, Vec<String>)>,
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
        let exprs = policy.expressions();
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
                texts: Vec::new(),
                var_paths: Vec::new(),
                var_facts: Vec::new(),
                has_side: false,
            },
            decided: Vec::new(),
            reason_index: HashMap::new(),
            input_index: policy
                .inputs
                .iter()
                .enumerate()
                // The first of a name wins, as in the reference's look-ups.
                .rev()
                .map(|(i, input)| (input.name.as_str(), i))
                .collect(),
            definition_index: policy
                .definitions
                .iter()
                .enumerate()
                // The first of a name wins, as in the reference's look-ups.
                .rev()
                .map(|(i, d)| (d.name.as_str(), i))
                .collect(),
            constants: policy
                .constants
                .iter()
                // The first of a name wins, as in the reference's look-ups.
                .rev()
                .map(|c| (c.name.as_str(), c))
                .collect(),
            text_index: HashMap::new(),
            scopes: Vec::new(),
            record_fields: Vec::new(),
        };
        for undefined in UNDEFINED {
            compiler.reason(Reason::Undefined(undefined.text()));
        }
        check_durations(policy)?;
        compiler.layout_inputs();
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
        if let Some(i) = self.reason_index.get(&reason) {
            return *i;
        }
        let i = index(self.program.reasons.len());
        self.program.reasons.push(reason.clone());
        self.reason_index.insert(reason, i);
        i
    }

    /// Gives every input the policy reads its storage: a slot for a
    /// scalar, a slot and a layout for texts, lists and records, and for a
    /// series, a presence slot and a slot per constant year read.
    /// Gives every input the policy reads its storage: a slot for a
    /// scalar, a slot and a layout for texts, lists and records, and for a
    /// series, a presence slot followed by a slot per constant year read.
    pub(super) fn layout_inputs(&mut self) {
        let usage = super::layout::Usage::of(self.policy);
        self.record_fields = usage.record_fields;
        for input in &self.policy.inputs {
            if !usage.read.contains(input.name.as_str()) {
                self.program.inputs.push(InputSlot::Unused);
                continue;
            }
            let slot = index(self.program.slot_count);
            let input_slot = match self.layout(&input.ty) {
                Layout::Unused => InputSlot::Unused,
                Layout::Scalar => InputSlot::Scalar(slot),
                Layout::Series(of) => {
                    let mut years = Vec::new();
                    for (name, year) in &usage.years {
                        if *name == input.name {
                            let year_slot = self.program.slot_count + 1 + years.len();
                            years.push((*year, index(year_slot)));
                        }
                    }
                    self.program.slot_count += years.len();
                    let full = usage.full.contains(input.name.as_str());
                    self.program.has_side |= full || *of != Layout::Scalar;
                    InputSlot::Series {
                        present: slot,
                        years,
                        of: *of,
                        full,
                    }
                }
                layout => {
                    self.program.has_side = true;
                    InputSlot::Stored { slot, layout }
                }
            };
            if !matches!(input_slot, InputSlot::Unused) {
                self.program.slot_count += 1;
            }
            self.program.inputs.push(input_slot);
        }
    }

    /// How a value of type `ty` is stored: records keep the fields the
    /// policy reads.
    fn layout(&self, ty: &Type) -> Layout {
        match ty {
            Type::Bool
            | Type::Count
            | Type::Number
            | Type::Money
            | Type::Percent
            | Type::Date
            | Type::Month
            | Type::Time
            | Type::Year
            | Type::Enum { .. } => Layout::Scalar,
            Type::Text => Layout::Text,
            Type::Duration | Type::Invalid => Layout::Unused,
            Type::List { of } => Layout::List(Box::new(self.layout(of))),
            Type::Series { of } => Layout::Series(Box::new(self.layout(of))),
            Type::Record { fields } => {
                let read = self.read_fields(ty);
                Layout::Record(
                    fields
                        .iter()
                        .filter(|f| read.contains(&f.name))
                        .map(|f| (f.name.clone(), self.layout(&f.ty)))
                        .collect(),
                )
            }
        }
    }

    /// The fields read of records of type `ty`, in declaration order.
    fn read_fields(&self, ty: &Type) -> &[String] {
        self.record_fields
            .iter()
            .find(|(t, _)| t == ty)
            .map_or(&[], |(_, fields)| fields.as_slice())
    }

    fn text_constant(&mut self, text: &str) -> u32 {
        if let Some(i) = self.text_index.get(text) {
            return *i;
        }
        let i = index(self.program.texts.len());
        self.program.texts.push(text.to_string());
        self.text_index.insert(text.to_string(), i);
        i
    }

    pub(super) fn literal(&mut self, literal: &ir::Literal) -> Result<Scalar, String> {
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
            ir::Literal::Text(text) => Scalar::ConstText(self.text_constant(text)),
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
        let position = *self
            .input_index
            .get(name)
            .ok_or_else(|| format!("unknown input `{name}`"))?;
        let reason = self.reason(Reason::Fact(name.to_string()));
        match self.program.inputs.get(position) {
            Some(
                InputSlot::Scalar(slot)
                | InputSlot::Stored { slot, .. }
                | InputSlot::Series { present: slot, .. },
            ) => Ok(Node::Input {
                slot: *slot,
                reason,
            }),
            // A duration input can never be known.
            _ => Ok(Node::Unknown(reason)),
        }
    }

    fn series_at(&mut self, series: &ir::Expr, year: &ir::Expr) -> Result<Node, String> {
        // An input read with a year from the policy has a slot per year.
        if let (ExprKind::Input { name }, Some(year)) = (&series.kind, fold_year(self.policy, year))
        {
            let reason = self.reason(Reason::Fact(format!("{name} over {}", year.normalize())));
            let position = self.input_index.get(name.as_str()).copied();
            let slot = match (
                position.and_then(|p| self.program.inputs.get(p)),
                whole_year(year),
            ) {
                (Some(InputSlot::Series { years, .. }), Some(y)) => {
                    years.iter().find(|(yy, _)| *yy == y).map(|(_, s)| *s)
                }
                _ => None,
            };
            return Ok(match slot {
                Some(slot) => Node::Input { slot, reason },
                None => Node::Unknown(reason),
            });
        }
        let path = self.fact_path(series);
        Ok(Node::SeriesAt(Box::new(SeriesNode {
            series: self.expr(series)?,
            year: self.expr(year)?,
            path,
        })))
    }

    /// The path of the fact `expr` reads, as the reference names it
    /// (`fact_path`): inputs, bound elements and their fields.
    fn fact_path(&self, expr: &ir::Expr) -> Option<Path> {
        match &expr.kind {
            ExprKind::Input { name } => Some(Path::Input(name.as_str().into())),
            ExprKind::Var { name } => {
                let slot = self.var_slot(name)?;
                self.program
                    .var_paths
                    .get(at(slot))?
                    .as_ref()
                    .map(|_| Path::Element(slot))
            }
            ExprKind::Field { record, field } => self
                .fact_path(record)
                .map(|p| Path::Field(Box::new(p), field.as_str().into())),
            _ => None,
        }
    }

    /// The innermost binding of `name`, as the reference looks it up.
    fn var_slot(&self, name: &str) -> Option<u32> {
        self.scopes
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, slot)| *slot)
    }

    /// A missing fact at `path` as a reason: one of the policy's when the
    /// path names the same fact for every record.
    fn fact(&mut self, path: Path) -> Fact {
        if path.is_static() {
            let name = render_static(&path);
            Fact::Static(self.reason(Reason::Fact(name)))
        } else {
            Fact::Path(path)
        }
    }

    fn field(&mut self, record: &ir::Expr, field: &str) -> Result<Node, String> {
        let position = self
            .read_fields(&record.ty)
            .iter()
            .position(|f| f == field)
            .ok_or_else(|| format!("the field `{field}` has no place in the record"))?;
        let fact = match self.fact_path(record) {
            Some(path) => self.fact(Path::Field(Box::new(path), field.into())),
            None => Fact::Static(self.reason(Reason::Fact(field.to_string()))),
        };
        Ok(Node::Field(Box::new(FieldNode {
            record: self.expr(record)?,
            position: index(position),
            fact,
        })))
    }

    fn aggregate(
        &mut self,
        kind: AggregateKind,
        var: Option<&str>,
        list: &ir::Expr,
        body: Option<&ir::Expr>,
    ) -> Result<Node, String> {
        let path = self.fact_path(list);
        let list = self.expr(list)?;
        let (var, body) = match (body, var) {
            (Some(body), Some(name)) => {
                let slot = index(self.program.var_paths.len());
                self.program.var_paths.push(path.clone());
                let fact = match &path {
                    Some(_) => Fact::Path(Path::Element(slot)),
                    None => Fact::Static(self.reason(Reason::Fact(name.to_string()))),
                };
                self.program.var_facts.push(fact);
                self.scopes.push((name.to_string(), slot));
                let body = self.expr(body);
                self.scopes.pop();
                (Some(slot), Some(body?))
            }
            (Some(body), None) => (None, Some(self.expr(body)?)),
            (None, _) => (None, None),
        };
        Ok(Node::Aggregate(Box::new(AggregateNode {
            kind,
            var,
            list,
            body,
            path,
        })))
    }

    pub(super) fn expr(&mut self, expr: &ir::Expr) -> Result<Node, String> {
        Ok(match &expr.kind {
            ExprKind::Literal { value } => Node::Const(self.literal(value)?),
            ExprKind::Input { name } => self.input(name)?,
            ExprKind::Const { name } => match self
                .constants
                .get(name.as_str())
                .and_then(|c| c.value.as_ref())
            {
                Some(value) => Node::Const(self.literal(value)?),
                None => Node::Unknown(self.reason(Reason::Tbd(name.clone()))),
            },
            ExprKind::Def { name } => match self.definition_index.get(name.as_str()).copied() {
                Some(n) if n < self.program.definitions.len() => Node::Def(index(n)),
                _ => Node::Unknown(self.reason(Reason::Undefined(format!("definition `{name}`")))),
            },
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
            ExprKind::Var { name } => match self.var_slot(name) {
                Some(slot) => Node::Var(slot),
                None => Node::Unknown(self.reason(Reason::Undefined(format!("variable `{name}`")))),
            },
            ExprKind::Field { record, field } => self.field(record, field)?,
            ExprKind::InList {
                value,
                list,
                negated,
            } => {
                let path = self.fact_path(list);
                Node::InList(Box::new(InListNode {
                    value: self.expr(value)?,
                    list: self.expr(list)?,
                    negated: *negated,
                    path,
                }))
            }
            ExprKind::Aggregate {
                aggregate,
                var,
                list,
                body,
            } => self.aggregate(*aggregate, var.as_deref(), list, body.as_deref())?,
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

/// A path without elements, as the reference renders it.
fn render_static(path: &Path) -> String {
    match path {
        Path::Input(name) => name.to_string(),
        Path::Element(_) => String::new(),
        Path::Field(record, field) => format!("{}.{field}", render_static(record)),
    }
}
