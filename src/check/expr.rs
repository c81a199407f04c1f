//! Typing expressions: names, units, enums, series, records and aggregates.

use rust_decimal::Decimal;

use super::types::{self, phrase};
use super::{Checker, Symbol};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{self, Type};
use crate::source::Span;
use crate::suggest::did_you_mean;
use crate::syntax::ast;

/// Variables bound by enclosing aggregates, innermost last.
pub(super) type Scope = Vec<(String, Type)>;

/// The IR literal and type of a constant's value, if it is a plain literal.
pub(super) fn constant_literal(expr: &ast::Expr) -> Option<(ir::Literal, Type)> {
    match &expr.kind {
        ast::ExprKind::Literal(literal) => Some(literal_of(literal)),
        ast::ExprKind::Error => Some((ir::Literal::Bool(false), Type::Invalid)),
        _ => None,
    }
}

/// The IR literal and the type of an AST literal.
pub(super) fn literal_type(literal: &ast::Literal) -> (ir::Literal, Type) {
    literal_of(literal)
}

fn literal_of(literal: &ast::Literal) -> (ir::Literal, Type) {
    match literal {
        ast::Literal::Bool(b) => (ir::Literal::Bool(*b), Type::Bool),
        ast::Literal::Number { value, integer } => {
            let ty = if *integer && *value >= Decimal::ZERO {
                Type::Count
            } else {
                Type::Number
            };
            (ir::Literal::Decimal(*value), ty)
        }
        ast::Literal::Money(value) => (ir::Literal::Decimal(*value), Type::Money),
        ast::Literal::Percent(value) => (ir::Literal::Decimal(*value), Type::Percent),
        ast::Literal::Date(date) => (ir::Literal::Date(*date), Type::Date),
        ast::Literal::Month(month) => (ir::Literal::Month(*month), Type::Month),
        ast::Literal::Time(time) => (ir::Literal::Time(*time), Type::Time),
        ast::Literal::Duration { amount, unit } => (
            ir::Literal::Duration {
                amount: *amount,
                unit: match unit {
                    ast::DurationUnit::Years => ir::DurationUnit::Years,
                    ast::DurationUnit::Months => ir::DurationUnit::Months,
                    ast::DurationUnit::Days => ir::DurationUnit::Days,
                },
            },
            Type::Duration,
        ),
        ast::Literal::Text(text) => (ir::Literal::Text(text.clone()), Type::Text),
    }
}

fn node(kind: ir::ExprKind, ty: Type, span: Span) -> ir::Expr {
    ir::Expr { kind, ty, span }
}

fn invalid(span: Span) -> ir::Expr {
    node(
        ir::ExprKind::Literal {
            value: ir::Literal::Bool(false),
        },
        Type::Invalid,
        span,
    )
}

impl Checker<'_> {
    /// Types one expression. `expected` is the type the context wants, used to
    /// read a bare name as an enum value (`kind == fysiotherapie`).
    pub(super) fn expr(
        &mut self,
        expr: &ast::Expr,
        scope: &mut Scope,
        expected: Option<&Type>,
    ) -> ir::Expr {
        use ast::ExprKind as E;
        let span = expr.span;
        match &expr.kind {
            E::Literal(literal) => {
                let (value, ty) = literal_of(literal);
                node(ir::ExprKind::Literal { value }, ty, span)
            }
            E::Error => invalid(span),
            E::Name(ident) => self.name(ident, scope, expected),
            E::Field { record, field } => self.field(record, field, scope, span),
            E::Over { series, year } => self.over(series, year, scope, span),
            E::Unary { op, operand } => self.unary(*op, operand, scope, span),
            E::Arith {
                op,
                op_span,
                lhs,
                rhs,
            } => self.arith(*op, *op_span, lhs, rhs, scope, span),
            E::Logic { op, operands } => {
                let mut checked = Vec::with_capacity(operands.len());
                for operand in operands {
                    let e = self.expr(operand, scope, None);
                    let word = if *op == ast::LogicOp::And {
                        "and"
                    } else {
                        "or"
                    };
                    self.expect_bool(&e, &format!("each side of `{word}`"));
                    checked.push(e);
                }
                let op = match op {
                    ast::LogicOp::And => ir::LogicOp::And,
                    ast::LogicOp::Or => ir::LogicOp::Or,
                };
                node(
                    ir::ExprKind::Logic {
                        op,
                        operands: checked,
                    },
                    Type::Bool,
                    span,
                )
            }
            E::Compare {
                op,
                op_span,
                lhs,
                rhs,
            } => self.compare(*op, *op_span, lhs, rhs, scope, span),
            E::In {
                value,
                set,
                negated,
            } => self.membership(value, set, *negated, scope, span),
            E::Presence { known, operand } => {
                let operand = self.expr(operand, scope, None);
                node(
                    ir::ExprKind::Presence {
                        known: *known,
                        operand: Box::new(operand),
                    },
                    Type::Bool,
                    span,
                )
            }
            E::Aggregate {
                kind,
                binder,
                list,
                body,
            } => self.aggregate(*kind, binder.as_ref(), list, body.as_deref(), scope, span),
        }
    }

    fn name(&mut self, ident: &ast::Ident, scope: &Scope, expected: Option<&Type>) -> ir::Expr {
        let span = ident.span;
        let name = ident.name.as_str();
        if let Some((_, ty)) = scope.iter().rev().find(|(n, _)| n == name) {
            return node(
                ir::ExprKind::Var {
                    name: name.to_string(),
                },
                ty.clone(),
                span,
            );
        }
        if let Some(Type::Enum { values }) = expected {
            if values.iter().any(|v| v == name) {
                return node(
                    ir::ExprKind::Literal {
                        value: ir::Literal::Enum(name.to_string()),
                    },
                    Type::Enum {
                        values: values.clone(),
                    },
                    span,
                );
            }
        }
        if let Some((symbol, _)) = self.symbols.get(name).copied() {
            return self.symbol(symbol, name, span);
        }
        if let Some(decision) = self.decisions.iter().find(|d| d.name == name) {
            let values = decision.outcomes.clone();
            if !self.in_rule {
                self.error(
                    Diagnostic::new(
                        Code::E0213,
                        format!("the outcome of decision `{name}` can only be read in a rule's condition"),
                    )
                    .at(span, "a decision, read outside a rule")
                    .with_help("move this condition into the `when` of a rule"),
                );
                return invalid(span);
            }
            return node(
                ir::ExprKind::Outcome {
                    decision: name.to_string(),
                },
                Type::Enum { values },
                span,
            );
        }
        if name == "year" {
            return node(ir::ExprKind::PolicyYear, Type::Year, span);
        }
        if expected == Some(&Type::Invalid) {
            // The other side of the comparison already has an error; this
            // name is most likely an enum value meant for it.
            return invalid(span);
        }
        if let Some(Type::Enum { values }) = expected {
            let mut d = Diagnostic::new(
                Code::E0207,
                format!(
                    "`{name}` is not one of the values {{ {} }}",
                    values.join(", ")
                ),
            )
            .at(span, "unknown value");
            if let Some(s) = did_you_mean(name, values.iter().map(String::as_str)) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.error(d);
            return invalid(span);
        }
        self.unknown_name(ident, scope);
        invalid(span)
    }

    fn symbol(&mut self, symbol: Symbol, name: &str, span: Span) -> ir::Expr {
        let name = name.to_string();
        match symbol {
            Symbol::Input(i) => {
                let ty = self.inputs.get(i).map_or(Type::Invalid, |x| x.ty.clone());
                node(ir::ExprKind::Input { name }, ty, span)
            }
            Symbol::Const(i) => {
                let (ty, tbd) = self
                    .constants
                    .get(i)
                    .map_or((Type::Invalid, None), |c| (c.ty.clone(), c.tbd.clone()));
                if let Some(note) = tbd {
                    self.error(
                        Diagnostic::new(
                            Code::W0001,
                            format!("`{name}` is still to be determined (`tbd`)"),
                        )
                        .at(span, "this value is not known yet")
                        .with_note(format!("left open: {note}"))
                        .with_note("decisions that depend on it come out undetermined until it is filled in"),
                    );
                }
                node(ir::ExprKind::Const { name }, ty, span)
            }
            Symbol::Def(i) => {
                // A definition on a cycle has no type; the cycle is reported once.
                let ty = self
                    .def_types
                    .get(i)
                    .cloned()
                    .flatten()
                    .unwrap_or(Type::Invalid);
                node(ir::ExprKind::Def { name }, ty, span)
            }
        }
    }

    fn unknown_name(&mut self, ident: &ast::Ident, scope: &Scope) {
        let name = ident.name.as_str();
        let mut candidates: Vec<&str> = self.symbols.keys().map(String::as_str).collect();
        candidates.extend(scope.iter().map(|(n, _)| n.as_str()));
        candidates.push("year");
        let mut d = Diagnostic::new(Code::E0201, format!("unknown name `{name}`"))
            .at(ident.span, "not declared");
        if let Some(s) = did_you_mean(name, candidates) {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else if let Some(owner) = self.enum_owner(name) {
            d = d.with_help(format!(
                "`{name}` is a value of `{owner}`; compare with it: `{owner} == {name}`"
            ));
        } else {
            d = d.with_help("declare it as an input, a constant (`const`) or a definition (`def`)");
        }
        self.error(d);
    }

    /// The input whose enum type has `value` among its values.
    fn enum_owner(&self, value: &str) -> Option<String> {
        self.inputs.iter().find_map(|input| match &input.ty {
            Type::Enum { values } if values.iter().any(|v| v == value) => Some(input.name.clone()),
            _ => None,
        })
    }

    fn field(
        &mut self,
        record: &ast::Expr,
        field: &ast::Ident,
        scope: &mut Scope,
        span: Span,
    ) -> ir::Expr {
        let record = self.expr(record, scope, None);
        let ty = match &record.ty {
            Type::Record { fields } => match fields.iter().find(|f| f.name == field.name) {
                Some(f) => f.ty.clone(),
                None => {
                    let mut d = Diagnostic::new(
                        Code::E0209,
                        format!("the record has no field `{}`", field.name),
                    )
                    .at(field.span, "unknown field")
                    .with_note(format!(
                        "its fields are: {}",
                        fields
                            .iter()
                            .map(|f| f.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    if let Some(s) =
                        did_you_mean(&field.name, fields.iter().map(|f| f.name.as_str()))
                    {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    self.error(d);
                    Type::Invalid
                }
            },
            Type::Invalid => Type::Invalid,
            Type::List { .. } => {
                self.error(
                    Diagnostic::new(
                        Code::E0209,
                        format!(
                            "`.{}` is read from one record, but this is a list",
                            field.name
                        ),
                    )
                    .at(record.span, "a list of records")
                    .with_help(format!(
                        "go over the list: `any(t in ...: t.{})` or `count(t in ...: t.{})`",
                        field.name, field.name
                    )),
                );
                Type::Invalid
            }
            other => {
                self.error(
                    Diagnostic::new(
                        Code::E0209,
                        format!(
                            "`.{}` needs a record, but this is {}",
                            field.name,
                            phrase(other)
                        ),
                    )
                    .at(record.span, format!("this is {}", phrase(other))),
                );
                Type::Invalid
            }
        };
        node(
            ir::ExprKind::Field {
                record: Box::new(record),
                field: field.name.clone(),
            },
            ty,
            span,
        )
    }

    fn over(
        &mut self,
        series: &ast::Expr,
        year: &ast::Expr,
        scope: &mut Scope,
        span: Span,
    ) -> ir::Expr {
        let series = self.expr(series, scope, None);
        let year = self.expr(year, scope, None);
        if !matches!(year.ty, Type::Year | Type::Count | Type::Invalid) {
            self.error(
                Diagnostic::new(
                    Code::E0301,
                    format!("`over` needs a year, but this is {}", phrase(&year.ty)),
                )
                .at(year.span, "not a year")
                .with_help("write a year like `over 2023` or `over year - 2`"),
            );
        }
        let ty = match &series.ty {
            Type::Series { of } => (**of).clone(),
            Type::Invalid => Type::Invalid,
            other => {
                self.error(
                    Diagnostic::new(
                        Code::E0304,
                        format!("`over` reads one year of a yearly series, but this is {}", phrase(other)),
                    )
                    .at(series.span, format!("this is {}", phrase(other)))
                    .with_help("declare the input with `by year` (e.g. `bi: number by year`), or drop `over`"),
                );
                Type::Invalid
            }
        };
        node(
            ir::ExprKind::SeriesAt {
                series: Box::new(series),
                year: Box::new(year),
            },
            ty,
            span,
        )
    }

    fn unary(
        &mut self,
        op: ast::UnaryOp,
        operand: &ast::Expr,
        scope: &mut Scope,
        span: Span,
    ) -> ir::Expr {
        let operand = self.expr(operand, scope, None);
        match op {
            ast::UnaryOp::Not => {
                self.expect_bool(&operand, "the operand of `not`");
                node(
                    ir::ExprKind::Not {
                        operand: Box::new(operand),
                    },
                    Type::Bool,
                    span,
                )
            }
            ast::UnaryOp::Neg => {
                let ty = types::negate(&operand.ty).unwrap_or_else(|| {
                    self.error(
                        Diagnostic::new(
                            Code::E0303,
                            format!("cannot negate {}", phrase(&operand.ty)),
                        )
                        .at(operand.span, format!("this is {}", phrase(&operand.ty))),
                    );
                    Type::Invalid
                });
                node(
                    ir::ExprKind::Neg {
                        operand: Box::new(operand),
                    },
                    ty,
                    span,
                )
            }
        }
    }

    fn arith(
        &mut self,
        op: ast::ArithOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        scope: &mut Scope,
        span: Span,
    ) -> ir::Expr {
        let op = match op {
            ast::ArithOp::Add => ir::ArithOp::Add,
            ast::ArithOp::Sub => ir::ArithOp::Sub,
            ast::ArithOp::Mul => ir::ArithOp::Mul,
            ast::ArithOp::Div => ir::ArithOp::Div,
        };
        let lhs = self.expr(lhs, scope, None);
        let rhs = self.expr(rhs, scope, None);
        let ty = match types::arith(op, &lhs.ty, &rhs.ty) {
            Some(ty) => ty,
            None => {
                let verb = match op {
                    ir::ArithOp::Add => "add",
                    ir::ArithOp::Sub => "subtract",
                    ir::ArithOp::Mul => "multiply",
                    ir::ArithOp::Div => "divide",
                };
                let mut d = Diagnostic::new(
                    Code::E0303,
                    format!("cannot {verb} {} and {}", phrase(&lhs.ty), phrase(&rhs.ty)),
                )
                .at(op_span, format!("`{}` does not combine these", op.symbol()))
                .with_secondary(lhs.span, format!("this is {}", phrase(&lhs.ty)))
                .with_secondary(rhs.span, format!("this is {}", phrase(&rhs.ty)));
                if let Some(help) = unit_help(self, &lhs, &rhs, false) {
                    d = d.with_help(help);
                }
                self.error(d);
                Type::Invalid
            }
        };
        node(
            ir::ExprKind::Arith {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            ty,
            span,
        )
    }

    /// Types both sides of a comparison. A side that is a bare enum value
    /// (`fysiotherapie`) is read against the type of the other side.
    fn sides(
        &mut self,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        scope: &mut Scope,
    ) -> (ir::Expr, ir::Expr) {
        if self.is_unresolved_name(lhs, scope) && !self.is_unresolved_name(rhs, scope) {
            let r = self.expr(rhs, scope, None);
            let l = self.expr(lhs, scope, Some(&r.ty));
            (l, r)
        } else {
            let l = self.expr(lhs, scope, None);
            let r = self.expr(rhs, scope, Some(&l.ty));
            (l, r)
        }
    }

    fn is_unresolved_name(&self, expr: &ast::Expr, scope: &Scope) -> bool {
        match &expr.kind {
            ast::ExprKind::Name(ident) => {
                !scope.iter().any(|(n, _)| *n == ident.name)
                    && !self.symbols.contains_key(&ident.name)
                    && !self.decisions.iter().any(|d| d.name == ident.name)
                    && ident.name != "year"
            }
            _ => false,
        }
    }

    fn compare(
        &mut self,
        op: ast::CmpOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        scope: &mut Scope,
        span: Span,
    ) -> ir::Expr {
        let op = match op {
            ast::CmpOp::Eq => ir::CmpOp::Eq,
            ast::CmpOp::Ne => ir::CmpOp::Ne,
            ast::CmpOp::Lt => ir::CmpOp::Lt,
            ast::CmpOp::Le => ir::CmpOp::Le,
            ast::CmpOp::Gt => ir::CmpOp::Gt,
            ast::CmpOp::Ge => ir::CmpOp::Ge,
        };
        let (lhs, rhs) = self.sides(lhs, rhs, scope);
        if !types::comparable(&lhs.ty, &rhs.ty, op.is_ordering()) {
            let same_kind = types::comparable(&lhs.ty, &rhs.ty, false);
            if op.is_ordering() && (same_kind || !types::orderable(&lhs.ty)) {
                let bad = if types::orderable(&lhs.ty) {
                    &rhs
                } else {
                    &lhs
                };
                self.error(
                    Diagnostic::new(
                        Code::E0301,
                        format!(
                            "`{}` orders numbers, money, percentages, dates, months, times and years, not {}",
                            op.symbol(),
                            phrase(&bad.ty)
                        ),
                    )
                    .at(bad.span, format!("this is {}", phrase(&bad.ty)))
                    .with_help("use `==` or `!=` to compare these"),
                );
            } else {
                let mut d = Diagnostic::new(
                    Code::E0302,
                    format!(
                        "cannot compare {} with {}",
                        phrase(&lhs.ty),
                        phrase(&rhs.ty)
                    ),
                )
                .at(op_span, "these are different kinds of value")
                .with_secondary(lhs.span, format!("this is {}", phrase(&lhs.ty)))
                .with_secondary(rhs.span, format!("this is {}", phrase(&rhs.ty)));
                if let Some(help) = unit_help(self, &lhs, &rhs, true) {
                    d = d.with_help(help);
                }
                self.error(d);
            }
        }
        node(
            ir::ExprKind::Compare {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            Type::Bool,
            span,
        )
    }

    fn membership(
        &mut self,
        value: &ast::Expr,
        set: &ast::InSet,
        negated: bool,
        scope: &mut Scope,
        span: Span,
    ) -> ir::Expr {
        let value = self.expr(value, scope, None);
        match set {
            ast::InSet::Set(members) => {
                let mut checked = Vec::with_capacity(members.len());
                for member in members {
                    let m = self.expr(member, scope, Some(&value.ty));
                    if !types::comparable(&value.ty, &m.ty, false) {
                        self.error(
                            Diagnostic::new(
                                Code::E0302,
                                format!(
                                    "this set member is {}, but the value tested is {}",
                                    phrase(&m.ty),
                                    phrase(&value.ty)
                                ),
                            )
                            .at(m.span, format!("this is {}", phrase(&m.ty)))
                            .with_secondary(value.span, format!("this is {}", phrase(&value.ty))),
                        );
                    }
                    checked.push(m);
                }
                node(
                    ir::ExprKind::InSet {
                        value: Box::new(value),
                        set: checked,
                        negated,
                    },
                    Type::Bool,
                    span,
                )
            }
            ast::InSet::List(list) => {
                let list = self.expr(list, scope, None);
                match &list.ty {
                    Type::List { of } => {
                        if !types::comparable(&value.ty, of, false) {
                            self.error(
                                Diagnostic::new(
                                    Code::E0302,
                                    format!(
                                        "the list holds {}, but the value tested is {}",
                                        phrase(of),
                                        phrase(&value.ty)
                                    ),
                                )
                                .at(value.span, format!("this is {}", phrase(&value.ty)))
                                .with_secondary(list.span, format!("a list of {}", of.describe())),
                            );
                        }
                    }
                    Type::Invalid => {}
                    other => self.error(
                        Diagnostic::new(
                            Code::E0305,
                            format!(
                                "`in` needs a list or a set `{{ a, b }}`, but this is {}",
                                phrase(other)
                            ),
                        )
                        .at(list.span, format!("this is {}", phrase(other))),
                    ),
                }
                node(
                    ir::ExprKind::InList {
                        value: Box::new(value),
                        list: Box::new(list),
                        negated,
                    },
                    Type::Bool,
                    span,
                )
            }
        }
    }

    fn aggregate(
        &mut self,
        kind: ast::AggregateKind,
        binder: Option<&ast::Ident>,
        list: &ast::Expr,
        body: Option<&ast::Expr>,
        scope: &mut Scope,
        span: Span,
    ) -> ir::Expr {
        let aggregate = match kind {
            ast::AggregateKind::Count => ir::AggregateKind::Count,
            ast::AggregateKind::Any => ir::AggregateKind::Any,
            ast::AggregateKind::All => ir::AggregateKind::All,
            ast::AggregateKind::Sum => ir::AggregateKind::Sum,
        };
        let word = match aggregate {
            ir::AggregateKind::Count => "count",
            ir::AggregateKind::Any => "any",
            ir::AggregateKind::All => "all",
            ir::AggregateKind::Sum => "sum",
        };
        let list = self.expr(list, scope, None);
        let element = match &list.ty {
            Type::List { of } => (**of).clone(),
            Type::Invalid => Type::Invalid,
            other => {
                self.error(
                    Diagnostic::new(
                        Code::E0305,
                        format!("`{word}` goes over a list, but this is {}", phrase(other)),
                    )
                    .at(list.span, format!("this is {}", phrase(other)))
                    .with_help("declare the input as `list of ...`"),
                );
                Type::Invalid
            }
        };
        let checked_body = body.map(|b| {
            if let Some(binder) = binder {
                scope.push((binder.name.clone(), element.clone()));
            }
            let e = self.expr(b, scope, None);
            if binder.is_some() {
                scope.pop();
            }
            e
        });
        // What each element contributes: the body, or the element itself.
        let item_ty = checked_body.as_ref().map_or(&element, |b| &b.ty).clone();
        let item_span = checked_body.as_ref().map_or(list.span, |b| b.span);
        let ty = match aggregate {
            ir::AggregateKind::Count => {
                if checked_body.is_some() {
                    self.expect_item(&item_ty, item_span, word, Type::Bool);
                }
                Type::Count
            }
            ir::AggregateKind::Any | ir::AggregateKind::All => {
                self.expect_item(&item_ty, item_span, word, Type::Bool);
                Type::Bool
            }
            ir::AggregateKind::Sum => {
                if item_ty.is_numeric() || item_ty == Type::Invalid {
                    item_ty.clone()
                } else {
                    self.error(
                        Diagnostic::new(
                            Code::E0301,
                            format!(
                                "`sum` adds numbers, money or percentages, not {}",
                                phrase(&item_ty)
                            ),
                        )
                        .at(item_span, format!("this is {}", phrase(&item_ty))),
                    );
                    Type::Invalid
                }
            }
        };
        node(
            ir::ExprKind::Aggregate {
                aggregate,
                var: binder.map(|b| b.name.clone()),
                list: Box::new(list),
                body: checked_body.map(Box::new),
            },
            ty,
            span,
        )
    }

    fn expect_item(&mut self, found: &Type, span: Span, word: &str, wanted: Type) {
        if *found != wanted && *found != Type::Invalid {
            self.error(
                Diagnostic::new(
                    Code::E0301,
                    format!(
                        "`{word}` needs a condition per element, but this is {}",
                        phrase(found)
                    ),
                )
                .at(span, format!("this is {}", phrase(found)))
                .with_help(format!("write `{word}(t in list: condition on t)`")),
            );
        }
    }
}

/// A fix for the common unit slips: a bare number where money or a
/// percentage was meant (written as a literal or as a constant).
fn unit_help(checker: &Checker, lhs: &ir::Expr, rhs: &ir::Expr, comparing: bool) -> Option<String> {
    let plain_number = |e: &ir::Expr| -> Option<Decimal> {
        if !matches!(e.ty, Type::Count | Type::Number) {
            return None;
        }
        match &e.kind {
            ir::ExprKind::Literal {
                value: ir::Literal::Decimal(d),
            } => Some(*d),
            ir::ExprKind::Const { name } => checker
                .constants
                .iter()
                .find(|c| &c.name == name)
                .and_then(|c| match &c.value {
                    Some(ir::Literal::Decimal(d)) => Some(*d),
                    _ => None,
                }),
            _ => None,
        }
    };
    for (typed, other) in [(lhs, rhs), (rhs, lhs)] {
        if let Some(n) = plain_number(other) {
            match typed.ty {
                Type::Money => {
                    return Some(format!("write the amount as money: `€{}`", grouped(n)));
                }
                Type::Percent if n <= Decimal::ONE && !n.is_zero() => {
                    let points = (n * Decimal::ONE_HUNDRED).normalize();
                    return Some(format!("write it as a percentage: `{points}%`"));
                }
                Type::Percent => {
                    return Some(format!("write it as a percentage: `{}%`", n.normalize()));
                }
                _ => {}
            }
        }
    }
    match (&lhs.ty, &rhs.ty) {
        (Type::Money, Type::Count | Type::Number) | (Type::Count | Type::Number, Type::Money) => {
            Some(if comparing {
                "money only compares with money: write amounts with `€`, like `€150_000`".into()
            } else {
                "money combines with money (`+`, `-`) or scales by a number or percentage (`*`, `/`); a count is not an amount".into()
            })
        }
        (Type::Date, Type::Count | Type::Number) => {
            Some("dates shift by a duration: write `5 years`, `6 months` or `30 days`".into())
        }
        (Type::Percent, Type::Count | Type::Number)
        | (Type::Count | Type::Number, Type::Percent) => Some(
            "write percentages with `%` (`35%`); dividing two counts gives a percentage".into(),
        ),
        _ => None,
    }
}

/// `150000` -> `150_000`, keeping any decimals.
fn grouped(n: Decimal) -> String {
    let text = n.normalize().to_string();
    let (whole, fraction) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let digits: Vec<char> = whole.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 && c.is_ascii_digit() {
            out.push('_');
        }
        out.push(*c);
    }
    match fraction {
        Some(f) => format!("{out}.{f}"),
        None => out,
    }
}
