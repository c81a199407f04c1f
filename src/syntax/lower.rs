//! pest pairs -> AST, one function per grammar rule.
//!
//! The grammar guarantees the shape of each pair, but library code must not
//! panic, so every "the grammar promised a child here" goes through
//! [`Lowering::child`], which reports an internal E0101 instead of unwrapping.
//! Literal validation (money, dates, number ranges) happens here, where the
//! exact span of the literal is known.

use std::str::FromStr;

use pest::iterators::{Pair, Pairs};
use rust_decimal::Decimal;

use super::Rule;
use super::ast::*;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};

pub(super) struct Lowering {
    file: FileId,
    diagnostics: Vec<Diagnostic>,
}

type P<'a> = Pair<'a, Rule>;

impl Lowering {
    pub(super) fn new(file: FileId) -> Self {
        Lowering {
            file,
            diagnostics: Vec::new(),
        }
    }

    pub(super) fn finish(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    /// The span of a pair without trailing whitespace and comments: pest
    /// includes them when a rule ends in an optional part that is absent.
    fn span(&self, pair: &P) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.start() + content_len(s.as_str()))
    }

    /// The next child of a pair; reports a malformed tree instead of panicking.
    fn child<'a>(&mut self, pairs: &mut Pairs<'a, Rule>, parent: Span) -> Option<P<'a>> {
        let next = pairs.next();
        if next.is_none() {
            self.diagnostics.push(
                Diagnostic::new(Code::E0101, "the parser produced an unexpected tree")
                    .at(parent, "here")
                    .with_note("this is a bug in regel; please report it with this file"),
            );
        }
        next
    }

    fn unexpected(&mut self, pair: &P) {
        let span = self.span(pair);
        self.diagnostics.push(
            Diagnostic::new(
                Code::E0101,
                format!("the parser produced an unexpected `{:?}`", pair.as_rule()),
            )
            .at(span, "here")
            .with_note("this is a bug in regel; please report it with this file"),
        );
    }

    // ------------------------------------------------------------ file

    pub(super) fn file(&mut self, pair: P) -> Option<File> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let header = self.child(&mut inner, span)?;
        let header = self.header(header)?;
        let mut items = Vec::new();
        for item in inner {
            match item.as_rule() {
                Rule::EOI => {}
                Rule::input_block => {
                    for decl in item.into_inner() {
                        if decl.as_rule() == Rule::input_decl {
                            if let Some(input) = self.input_decl(decl) {
                                items.push(Item::Input(input));
                            }
                        }
                    }
                }
                _ => {
                    if let Some(lowered) = self.item(item) {
                        items.push(lowered);
                    }
                }
            }
        }
        Some(File {
            header,
            items,
            span,
        })
    }

    fn header(&mut self, pair: P) -> Option<Header> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let kind_pair = self.child(&mut inner, span)?;
        let kind = if kind_pair.as_str() == "module" {
            FileKind::Module
        } else {
            FileKind::Policy
        };
        let name = {
            let c = self.child(&mut inner, span)?;
            self.ident(c)
        };
        let mut fields = Vec::new();
        for field in inner {
            let field_span = self.span(&field);
            let mut parts = field.into_inner();
            let field_name = {
                let c = self.child(&mut parts, field_span)?;
                self.ident(c)
            };
            let value_pair = self.child(&mut parts, field_span)?;
            let value = match value_pair.as_rule() {
                Rule::string => HeaderValue::Text(self.string(value_pair).value),
                _ => {
                    let value_span = self.span(&value_pair);
                    match value_pair.as_str().replace('_', "").parse::<i64>() {
                        Ok(n) => HeaderValue::Integer(n),
                        Err(_) => {
                            self.diagnostics.push(
                                Diagnostic::new(Code::E0105, "this number is too large")
                                    .at(value_span, "out of range"),
                            );
                            continue;
                        }
                    }
                }
            };
            fields.push(HeaderField {
                name: field_name,
                value,
                span: field_span,
            });
        }
        Some(Header {
            kind,
            name,
            fields,
            span,
        })
    }

    fn item(&mut self, pair: P) -> Option<Item> {
        Some(match pair.as_rule() {
            Rule::use_decl => Item::Use(self.use_decl(pair)?),
            Rule::const_decl => Item::Const(self.const_decl(pair)?),
            Rule::def_decl => Item::Def(self.def_decl(pair)?),
            Rule::decision_decl => Item::Decision(self.decision_decl(pair)?),
            Rule::rule_decl => Item::Rule(self.rule_decl(pair)?),
            Rule::example_decl => Item::Example(self.example_decl(pair)?),
            Rule::test_decl => Item::Test(self.test_decl(pair)?),
            Rule::table_decl => Item::Table(self.table_decl(pair)?),
            _ => {
                self.unexpected(&pair);
                return None;
            }
        })
    }

    fn ident(&self, pair: P) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    fn string(&self, pair: P) -> Str {
        let span = self.span(&pair);
        let raw = pair.into_inner().next().map_or("", |inner| inner.as_str());
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => {}
                }
            } else {
                value.push(c);
            }
        }
        Str { value, span }
    }

    /// Skips keyword pairs (`kw_*`), which carry no information of their own.
    fn meaningful<'a>(pairs: Pairs<'a, Rule>) -> impl Iterator<Item = P<'a>> {
        pairs.filter(|p| !is_keyword(p.as_rule()))
    }

    // ------------------------------------------------------------ declarations

    fn use_decl(&mut self, pair: P) -> Option<Use> {
        let span = self.span(&pair);
        let mut inner = Self::meaningful(pair.into_inner());
        let path_pair = inner.next()?;
        let path = Str {
            value: path_pair.as_str().to_string(),
            span: self.span(&path_pair),
        };
        let mut except = Vec::new();
        let mut only = None;
        let mut cites = None;
        for part in inner {
            match part.as_rule() {
                Rule::except_list => {
                    except = Self::meaningful(part.into_inner())
                        .map(|i| self.ident(i))
                        .collect();
                }
                Rule::only_list => {
                    only = Some(
                        Self::meaningful(part.into_inner())
                            .map(|i| self.ident(i))
                            .collect(),
                    );
                }
                _ => cites = self.cites(part),
            }
        }
        Some(Use {
            path,
            except,
            only,
            cites,
            span,
        })
    }

    fn cites(&mut self, pair: P) -> Option<Str> {
        let span = self.span(&pair);
        let mut inner = Self::meaningful(pair.into_inner());
        let Some(s) = inner.next() else {
            self.diagnostics.push(
                Diagnostic::new(Code::E0101, "the parser produced an unexpected tree")
                    .at(span, "here"),
            );
            return None;
        };
        Some(self.string(s))
    }

    fn input_decl(&mut self, pair: P) -> Option<InputDecl> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = {
            let c = self.child(&mut inner, span)?;
            self.ident(c)
        };
        let ty = {
            let c = self.child(&mut inner, span)?;
            self.type_expr(c)
        }?;
        let description = inner.next().map(|s| self.string(s));
        Some(InputDecl {
            name,
            ty,
            description,
            span,
        })
    }

    fn type_expr(&mut self, pair: P) -> Option<TypeExpr> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let base = self.child(&mut inner, span)?;
        let by_year = inner.next().is_some();
        let kind = match base.as_rule() {
            Rule::scalar_type => TypeExprKind::Scalar(match base.as_str() {
                "bool" => ScalarType::Bool,
                "count" => ScalarType::Count,
                "number" => ScalarType::Number,
                "money" => ScalarType::Money,
                "percent" => ScalarType::Percent,
                "date" => ScalarType::Date,
                "month" => ScalarType::Month,
                "time" => ScalarType::Time,
                "year" => ScalarType::Year,
                _ => ScalarType::Text,
            }),
            Rule::enum_type => {
                TypeExprKind::Enum(base.into_inner().map(|v| self.ident(v)).collect())
            }
            Rule::list_type => {
                let list_span = self.span(&base);
                let mut parts = base.into_inner();
                let element = self.child(&mut parts, list_span)?;
                TypeExprKind::List(Box::new(self.type_expr(element)?))
            }
            Rule::record_type => {
                let mut fields = Vec::new();
                for field in base.into_inner() {
                    let field_span = self.span(&field);
                    let mut parts = field.into_inner();
                    let name = {
                        let c = self.child(&mut parts, field_span)?;
                        self.ident(c)
                    };
                    let ty = {
                        let c = self.child(&mut parts, field_span)?;
                        self.type_expr(c)
                    }?;
                    let description = parts.next().map(|s| self.string(s));
                    fields.push(FieldDecl {
                        name,
                        ty,
                        description,
                        span: field_span,
                    });
                }
                TypeExprKind::Record(fields)
            }
            _ => {
                self.unexpected(&base);
                return None;
            }
        };
        Some(TypeExpr {
            kind,
            by_year,
            span,
        })
    }

    fn const_decl(&mut self, pair: P) -> Option<ConstDecl> {
        let span = self.span(&pair);
        let mut inner = Self::meaningful(pair.into_inner());
        let name = self.ident(inner.next()?);
        let mut ty = None;
        let mut value = None;
        for part in inner {
            match part.as_rule() {
                Rule::type_expr => ty = self.type_expr(part),
                Rule::tbd => {
                    let tbd_span = self.span(&part);
                    let note = Self::meaningful(part.into_inner())
                        .next()
                        .map(|s| self.string(s));
                    value = Some(ConstValue::Tbd {
                        note,
                        span: tbd_span,
                    });
                }
                Rule::expr => value = Some(ConstValue::Expr(self.expr(part)?)),
                _ => self.unexpected(&part),
            }
        }
        Some(ConstDecl {
            name,
            ty,
            value: value?,
            span,
        })
    }

    /// Reports an operator chain that would nest deeper than
    /// [`super::MAX_EXPR_DEPTH`], so no over-deep tree is ever built (even
    /// dropping one would recurse too deep).
    fn too_deep(&mut self, depth: usize, span: Span) -> bool {
        if depth <= super::MAX_EXPR_DEPTH {
            return false;
        }
        self.diagnostics.push(
            Diagnostic::new(
                Code::E0104,
                format!(
                    "this expression is more than {} levels deep",
                    super::MAX_EXPR_DEPTH
                ),
            )
            .at(span, "too deep")
            .with_help("split it into named definitions with `def`"),
        );
        true
    }

    /// Reports an expression deeper than [`super::MAX_EXPR_DEPTH`]. Measured
    /// with an explicit stack, so the measuring itself cannot overflow.
    fn check_depth(&mut self, expr: &Expr) -> bool {
        let mut stack: Vec<(&Expr, usize)> = vec![(expr, 1)];
        while let Some((e, depth)) = stack.pop() {
            if depth > super::MAX_EXPR_DEPTH {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::E0104,
                        format!(
                            "this expression nests deeper than {} operators",
                            super::MAX_EXPR_DEPTH
                        ),
                    )
                    .at(expr.span, "too deep")
                    .with_help("split it into named definitions with `def`"),
                );
                return false;
            }
            for child in children(e) {
                stack.push((child, depth + 1));
            }
        }
        true
    }

    fn def_decl(&mut self, pair: P) -> Option<DefDecl> {
        let span = self.span(&pair);
        let mut inner = Self::meaningful(pair.into_inner());
        let name = self.ident(inner.next()?);
        let mut label = None;
        let mut expr = None;
        for part in inner {
            match part.as_rule() {
                Rule::string => label = Some(self.string(part)),
                _ => expr = self.expr(part),
            }
        }
        let expr = expr?;
        if !self.check_depth(&expr) {
            return None;
        }
        Some(DefDecl {
            name,
            label,
            expr,
            span,
        })
    }

    fn decision_decl(&mut self, pair: P) -> Option<DecisionDecl> {
        let span = self.span(&pair);
        let mut inner = Self::meaningful(pair.into_inner());
        let name = self.ident(inner.next()?);
        let mut label = None;
        let mut outcomes = Vec::new();
        let mut default = None;
        for part in inner {
            match part.as_rule() {
                Rule::string => label = Some(self.string(part)),
                Rule::outcomes => {
                    outcomes = Self::meaningful(part.into_inner())
                        .map(|o| self.ident(o))
                        .collect();
                }
                Rule::default_outcome => {
                    default = Self::meaningful(part.into_inner())
                        .next()
                        .map(|d| self.ident(d));
                }
                _ => self.unexpected(&part),
            }
        }
        Some(DecisionDecl {
            name,
            label,
            outcomes,
            default: default?,
            span,
        })
    }

    fn rule_decl(&mut self, pair: P) -> Option<RuleDecl> {
        let span = self.span(&pair);
        let mut inner = Self::meaningful(pair.into_inner());
        let id = self.ident(inner.next()?);
        let label = self.string(inner.next()?);
        let cites = self.cites(inner.next()?)?;
        let condition = self.expr(inner.next()?)?;
        if !self.check_depth(&condition) {
            return None;
        }
        let decision = self.ident(inner.next()?);
        let outcome = self.ident(inner.next()?);
        Some(RuleDecl {
            id,
            label,
            cites,
            condition,
            decision,
            outcome,
            span,
        })
    }

    fn example_decl(&mut self, pair: P) -> Option<ExampleDecl> {
        let span = self.span(&pair);
        let mut inner = Self::meaningful(pair.into_inner());
        let name = self.ident(inner.next()?);
        let data = self.data_object(inner.next()?)?;
        Some(ExampleDecl { name, data, span })
    }

    fn test_decl(&mut self, pair: P) -> Option<TestDecl> {
        let span = self.span(&pair);
        let mut inner = Self::meaningful(pair.into_inner());
        let name = self.string(inner.next()?);
        let given = inner.next()?;
        let mut base = None;
        let mut data = None;
        for part in Self::meaningful(given.into_inner()) {
            match part.as_rule() {
                Rule::ident => base = Some(self.ident(part)),
                Rule::data_object => data = self.data_object(part),
                _ => self.unexpected(&part),
            }
        }
        let mut expectations = Vec::new();
        for part in inner {
            if let Some(expectation) = self.expectation(part) {
                expectations.push(expectation);
            }
        }
        Some(TestDecl {
            name,
            base,
            data,
            expectations,
            span,
        })
    }

    fn table_decl(&mut self, pair: P) -> Option<TableDecl> {
        let span = self.span(&pair);
        let mut inner = Self::meaningful(pair.into_inner());
        let name = self.string(inner.next()?);
        let mut base = None;
        let mut columns = Vec::new();
        let mut rows = Vec::new();
        for part in inner {
            match part.as_rule() {
                Rule::ident => base = Some(self.ident(part)),
                Rule::table_header => {
                    for column in part.into_inner() {
                        let column_span = self.span(&column);
                        let mut parts = Self::meaningful(column.into_inner());
                        let column_name = self.ident(parts.next()?);
                        let year = parts
                            .next()
                            .and_then(|y| y.as_str().replace('_', "").parse::<i64>().ok());
                        columns.push(TableColumn {
                            name: column_name,
                            year,
                            span: column_span,
                        });
                    }
                }
                Rule::table_row => {
                    let row_span = self.span(&part);
                    let mut cells = Vec::new();
                    for cell in part.into_inner() {
                        let cell_span = self.span(&cell);
                        let Some(value) = cell.into_inner().next() else {
                            continue;
                        };
                        if value.as_rule() == Rule::kw_undetermined {
                            cells.push(TableCell::Undetermined(cell_span));
                        } else {
                            cells.push(TableCell::Value(self.data_value(value)?));
                        }
                    }
                    rows.push(TableRow {
                        cells,
                        span: row_span,
                    });
                }
                _ => self.unexpected(&part),
            }
        }
        Some(TableDecl {
            name,
            base,
            columns,
            rows,
            span,
        })
    }

    fn expectation(&mut self, pair: P) -> Option<Expectation> {
        let span = self.span(&pair);
        let mut inner = Self::meaningful(pair.into_inner());
        let decision = self.ident(inner.next()?);
        let kind = inner.next()?;
        let expected = match kind.as_rule() {
            Rule::expect_undetermined => Expected::Undetermined,
            _ => {
                let mut parts = Self::meaningful(kind.into_inner());
                let outcome = self.ident(parts.next()?);
                let by = parts.next().map(|b| self.ident(b));
                Expected::Outcome { outcome, by }
            }
        };
        Some(Expectation {
            decision,
            expected,
            span,
        })
    }

    // ------------------------------------------------------------ data literals

    fn data_object(&mut self, pair: P) -> Option<DataObject> {
        let span = self.span(&pair);
        let mut entries = Vec::new();
        for entry in pair.into_inner() {
            let entry_span = self.span(&entry);
            let mut parts = entry.into_inner();
            let key_pair = self.child(&mut parts, entry_span)?;
            let key_span = self.span(&key_pair);
            let Some(key_inner) = key_pair.into_inner().next() else {
                continue;
            };
            let key = match key_inner.as_rule() {
                Rule::string => self.string(key_inner),
                // Series years may be written `2_023`; names keep their underscores.
                Rule::integer => Str {
                    value: key_inner.as_str().replace('_', ""),
                    span: key_span,
                },
                _ => Str {
                    value: key_inner.as_str().to_string(),
                    span: key_span,
                },
            };
            let value = {
                let c = self.child(&mut parts, entry_span)?;
                self.data_value(c)
            }?;
            entries.push(DataEntry {
                key,
                value,
                span: entry_span,
            });
        }
        Some(DataObject { entries, span })
    }

    fn data_value(&mut self, pair: P) -> Option<DataValue> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let value = self.child(&mut inner, span)?;
        let value_span = self.span(&value);
        Some(match value.as_rule() {
            Rule::data_object => DataValue::Object(self.data_object(value)?),
            Rule::data_list => {
                let mut items = Vec::new();
                for item in value.into_inner() {
                    items.push(self.data_value(item)?);
                }
                DataValue::List(items, value_span)
            }
            Rule::data_missing => DataValue::Missing(value_span),
            Rule::ident => DataValue::Name(self.ident(value)),
            Rule::neg_number => {
                let number = value.into_inner().next()?;
                match self.literal(number)? {
                    Literal::Number { value, integer } => DataValue::Literal(
                        Literal::Number {
                            value: -value,
                            integer,
                        },
                        value_span,
                    ),
                    other => DataValue::Literal(other, value_span),
                }
            }
            // A malformed literal is reported; the entry stays (as missing)
            // so the example or test it is in still exists.
            _ => match self.literal(value) {
                Some(literal) => DataValue::Literal(literal, value_span),
                None => DataValue::Missing(value_span),
            },
        })
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, pair: P) -> Option<Expr> {
        match pair.as_rule() {
            Rule::expr => {
                let span = self.span(&pair);
                let mut inner = pair.into_inner();
                let child = self.child(&mut inner, span)?;
                self.expr(child)
            }
            Rule::paren => {
                // The parentheses belong to the expression's span, so that
                // `not (a and b)` covers its closing parenthesis.
                let span = self.span(&pair);
                let mut inner = pair.into_inner();
                let child = self.child(&mut inner, span)?;
                let mut expr = self.expr(child)?;
                expr.span = span;
                Some(expr)
            }
            Rule::or_expr => self.logic(pair, LogicOp::Or),
            Rule::and_expr => self.logic(pair, LogicOp::And),
            Rule::not_expr => self.not_expr(pair),
            Rule::presence => self.presence(pair),
            Rule::comparison => self.comparison(pair),
            Rule::sum | Rule::product => self.arith(pair),
            Rule::unary => self.unary(pair),
            Rule::postfix => self.postfix(pair),
            Rule::aggregate => self.aggregate(pair),
            Rule::ident => {
                let span = self.span(&pair);
                Some(Expr {
                    kind: ExprKind::Name(self.ident(pair)),
                    span,
                })
            }
            _ => {
                let span = self.span(&pair);
                // A malformed literal is reported by `literal`; keep a
                // placeholder so names declared with it still exist.
                let kind = match self.literal(pair) {
                    Some(literal) => ExprKind::Literal(literal),
                    None => ExprKind::Error,
                };
                Some(Expr { kind, span })
            }
        }
    }

    fn logic(&mut self, pair: P, op: LogicOp) -> Option<Expr> {
        let span = self.span(&pair);
        let mut operands = Vec::new();
        for part in Self::meaningful(pair.into_inner()) {
            operands.push(self.expr(part)?);
        }
        if operands.len() == 1 {
            return operands.pop();
        }
        Some(Expr {
            kind: ExprKind::Logic { op, operands },
            span,
        })
    }

    fn not_expr(&mut self, pair: P) -> Option<Expr> {
        let span = self.span(&pair);
        let mut nots = Vec::new();
        let mut operand = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::not_op => nots.push(self.span(&part)),
                _ => operand = self.expr(part),
            }
        }
        let mut expr = operand?;
        if self.too_deep(depth(&expr) + nots.len(), span) {
            return Some(error_expr(span));
        }
        // Apply the innermost `not` first so each node spans its own operand.
        for not_span in nots.into_iter().rev() {
            expr = Expr {
                span: not_span.to(expr.span),
                kind: ExprKind::Unary {
                    op: UnaryOp::Not,
                    operand: Box::new(expr),
                },
            };
        }
        Some(expr)
    }

    fn presence(&mut self, pair: P) -> Option<Expr> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let kind = self.child(&mut inner, span)?;
        let known = kind.as_str().starts_with("known");
        let operand = {
            let c = self.child(&mut inner, span)?;
            self.expr(c)
        }?;
        Some(Expr {
            kind: ExprKind::Presence {
                known,
                operand: Box::new(operand),
            },
            span,
        })
    }

    fn comparison(&mut self, pair: P) -> Option<Expr> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let first = {
            let c = self.child(&mut inner, span)?;
            self.expr(c)
        }?;
        let mut comparisons: Vec<Expr> = Vec::new();
        let mut left = first.clone();
        let mut only = Some(first);
        while let Some(next) = inner.next() {
            match next.as_rule() {
                Rule::membership => {
                    let value = only.take()?;
                    return self.membership(next, value, span);
                }
                Rule::cmp_op => {
                    let op = match next.as_str() {
                        "==" => CmpOp::Eq,
                        "!=" => CmpOp::Ne,
                        "<" => CmpOp::Lt,
                        "<=" => CmpOp::Le,
                        ">" => CmpOp::Gt,
                        _ => CmpOp::Ge,
                    };
                    let op_span = self.span(&next);
                    let right = {
                        let c = self.child(&mut inner, span)?;
                        self.expr(c)
                    }?;
                    only = None;
                    comparisons.push(Expr {
                        span: left.span.to(right.span),
                        kind: ExprKind::Compare {
                            op,
                            op_span,
                            lhs: Box::new(left),
                            rhs: Box::new(right.clone()),
                        },
                    });
                    left = right;
                }
                _ => self.unexpected(&next),
            }
        }
        if let Some(single) = only {
            return Some(single);
        }
        if comparisons.len() == 1 {
            return comparisons.pop();
        }
        // `a < b <= c` means `a < b and b <= c`.
        Some(Expr {
            kind: ExprKind::Logic {
                op: LogicOp::And,
                operands: comparisons,
            },
            span,
        })
    }

    fn membership(&mut self, pair: P, value: Expr, span: Span) -> Option<Expr> {
        let mut negated = false;
        let mut set = None;
        for part in Self::meaningful(pair.into_inner()) {
            match part.as_rule() {
                Rule::not_op => negated = true,
                Rule::set => {
                    let mut members = Vec::new();
                    for member in part.into_inner() {
                        members.push(self.expr(member)?);
                    }
                    set = Some(InSet::Set(members));
                }
                _ => set = Some(InSet::List(Box::new(self.expr(part)?))),
            }
        }
        Some(Expr {
            kind: ExprKind::In {
                value: Box::new(value),
                set: set?,
                negated,
            },
            span,
        })
    }

    fn arith(&mut self, pair: P) -> Option<Expr> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let mut left = {
            let c = self.child(&mut inner, span)?;
            self.expr(c)
        }?;
        let mut left_depth = depth(&left);
        while let Some(op_pair) = inner.next() {
            let op = match op_pair.as_str() {
                "+" => ArithOp::Add,
                "-" => ArithOp::Sub,
                "*" => ArithOp::Mul,
                _ => ArithOp::Div,
            };
            let op_span = self.span(&op_pair);
            let right = {
                let c = self.child(&mut inner, span)?;
                self.expr(c)
            }?;
            left_depth = left_depth.max(depth(&right)) + 1;
            if self.too_deep(left_depth, span) {
                return Some(error_expr(span));
            }
            left = Expr {
                span: left.span.to(right.span),
                kind: ExprKind::Arith {
                    op,
                    op_span,
                    lhs: Box::new(left),
                    rhs: Box::new(right),
                },
            };
        }
        Some(left)
    }

    fn unary(&mut self, pair: P) -> Option<Expr> {
        let mut negations = Vec::new();
        let mut operand = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::neg_op => negations.push(self.span(&part)),
                _ => operand = self.expr(part),
            }
        }
        let mut expr = operand?;
        let whole = negations.first().map_or(expr.span, |s| s.to(expr.span));
        if self.too_deep(depth(&expr) + negations.len(), whole) {
            return Some(error_expr(whole));
        }
        for neg_span in negations.into_iter().rev() {
            // Fold `-150` into a literal so constants can be negative.
            if let ExprKind::Literal(Literal::Number { value, integer }) = &expr.kind {
                expr = Expr {
                    kind: ExprKind::Literal(Literal::Number {
                        value: -*value,
                        integer: *integer,
                    }),
                    span: neg_span.to(expr.span),
                };
                continue;
            }
            expr = Expr {
                span: neg_span.to(expr.span),
                kind: ExprKind::Unary {
                    op: UnaryOp::Neg,
                    operand: Box::new(expr),
                },
            };
        }
        Some(expr)
    }

    fn postfix(&mut self, pair: P) -> Option<Expr> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let mut expr = {
            let c = self.child(&mut inner, span)?;
            self.expr(c)
        }?;
        let suffixes = inner.clone().count();
        if self.too_deep(depth(&expr) + suffixes, span) {
            return Some(error_expr(span));
        }
        for suffix in inner {
            let suffix_span = self.span(&suffix);
            match suffix.as_rule() {
                Rule::field_access => {
                    let mut parts = suffix.into_inner();
                    let field = {
                        let c = self.child(&mut parts, suffix_span)?;
                        self.ident(c)
                    };
                    expr = Expr {
                        span: expr.span.to(suffix_span),
                        kind: ExprKind::Field {
                            record: Box::new(expr),
                            field,
                        },
                    };
                }
                Rule::over_index => {
                    let mut parts = Self::meaningful(suffix.into_inner());
                    let year_pair = parts.next()?;
                    let year = self.year_index(year_pair)?;
                    expr = Expr {
                        span: expr.span.to(suffix_span),
                        kind: ExprKind::Over {
                            series: Box::new(expr),
                            year: Box::new(year),
                        },
                    };
                }
                _ => self.unexpected(&suffix),
            }
        }
        Some(expr)
    }

    /// `2023`, `year - 2`, `(expr)`
    fn year_index(&mut self, pair: P) -> Option<Expr> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let first = self.child(&mut inner, span)?;
        let base = match first.as_rule() {
            Rule::integer => {
                let literal = self.integer_literal(&first)?;
                Expr {
                    kind: ExprKind::Literal(literal),
                    span: self.span(&first),
                }
            }
            _ => self.expr(first)?,
        };
        let Some(op_pair) = inner.next() else {
            return Some(base);
        };
        let op = if op_pair.as_str() == "+" {
            ArithOp::Add
        } else {
            ArithOp::Sub
        };
        let op_span = self.span(&op_pair);
        let amount_pair = self.child(&mut inner, span)?;
        let amount = Expr {
            kind: ExprKind::Literal(self.integer_literal(&amount_pair)?),
            span: self.span(&amount_pair),
        };
        Some(Expr {
            kind: ExprKind::Arith {
                op,
                op_span,
                lhs: Box::new(base),
                rhs: Box::new(amount),
            },
            span,
        })
    }

    fn aggregate(&mut self, pair: P) -> Option<Expr> {
        let span = self.span(&pair);
        let mut inner = Self::meaningful(pair.into_inner());
        let kind_pair = inner.next()?;
        let kind = match kind_pair.as_str() {
            "count" => AggregateKind::Count,
            "any" => AggregateKind::Any,
            "all" => AggregateKind::All,
            _ => AggregateKind::Sum,
        };
        let mut binder = None;
        let mut exprs = Vec::new();
        for part in inner {
            match part.as_rule() {
                Rule::binder => {
                    binder = part.into_inner().next().map(|b| self.ident(b));
                }
                _ => exprs.push(self.expr(part)?),
            }
        }
        let mut exprs = exprs.into_iter();
        let list = exprs.next()?;
        let body = exprs.next().map(Box::new);
        Some(Expr {
            kind: ExprKind::Aggregate {
                kind,
                binder,
                list: Box::new(list),
                body,
            },
            span,
        })
    }

    // ------------------------------------------------------------ literals

    fn literal(&mut self, pair: P) -> Option<Literal> {
        let span = self.span(&pair);
        let text = pair.as_str();
        match pair.as_rule() {
            Rule::bool_lit => Some(Literal::Bool(text == "true")),
            Rule::string => Some(Literal::Text(self.string(pair).value)),
            Rule::money_lit => self.money(text, span),
            Rule::percent_lit => {
                let digits = text.trim_end_matches('%');
                let value = self.decimal(digits, span)?;
                Some(Literal::Percent(value / Decimal::ONE_HUNDRED))
            }
            Rule::date_lit => self.date(text, span),
            Rule::month_lit => match crate::ir::YearMonth::parse(text) {
                Some(month) => Some(Literal::Month(month)),
                None => {
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::E0103,
                            format!("`{text}` is not a month in the calendar"),
                        )
                        .at(span, "no such month")
                        .with_help("months are written year-month, like `2024-06`"),
                    );
                    None
                }
            },
            Rule::time_lit => match jiff::civil::Time::from_str(text) {
                Ok(time) if text.len() == 5 => Some(Literal::Time(time)),
                _ => {
                    self.diagnostics.push(
                        Diagnostic::new(Code::E0103, format!("`{text}` is not a time of day"))
                            .at(span, "no such time")
                            .with_help("times are written hours:minutes from `00:00` to `23:59`"),
                    );
                    None
                }
            },
            Rule::duration_lit => {
                let mut inner = pair.into_inner();
                let amount_pair = self.child(&mut inner, span)?;
                let unit_pair = self.child(&mut inner, span)?;
                let amount = match amount_pair.as_str().replace('_', "").parse::<i64>() {
                    Ok(n) if n <= 10_000 => n,
                    _ => {
                        self.diagnostics.push(
                            Diagnostic::new(Code::E0105, "this duration is too long")
                                .at(span, "at most 10000 years, months or days"),
                        );
                        return None;
                    }
                };
                let unit = match unit_pair.as_str() {
                    "year" | "years" => DurationUnit::Years,
                    "month" | "months" => DurationUnit::Months,
                    _ => DurationUnit::Days,
                };
                Some(Literal::Duration { amount, unit })
            }
            Rule::number_lit => {
                if looks_like_thousands(text) {
                    let digits = text.replace(['.', '_'], "");
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::E0107,
                            format!("`{text}` looks like a number with a thousands separator"),
                        )
                        .at(span, "`.` is a decimal point here")
                        .with_help(format!(
                            "write `{}` for the whole number, or add a digit (`{text}0`) if you mean the decimal",
                            group_thousands(&digits)
                        )),
                    );
                    return None;
                }
                let value = self.decimal(text, span)?;
                Some(Literal::Number {
                    value,
                    integer: !text.contains('.'),
                })
            }
            Rule::integer => self.integer_literal(&pair),
            _ => {
                self.unexpected(&pair);
                None
            }
        }
    }

    fn integer_literal(&mut self, pair: &P) -> Option<Literal> {
        let span = self.span(pair);
        let value = self.decimal(pair.as_str(), span)?;
        Some(Literal::Number {
            value,
            integer: true,
        })
    }

    /// The exact value of a number literal: never rounded, so a constant
    /// with more digits than a decimal holds is an error, not a nearby value.
    fn decimal(&mut self, text: &str, span: Span) -> Option<Decimal> {
        let cleaned = text.replace('_', "");
        match crate::number::exact(&cleaned) {
            Ok(value) => Some(value),
            Err(_) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::E0105,
                        format!("`{text}` has more digits than a number holds exactly"),
                    )
                    .at(span, "too many digits")
                    .with_help(
                        "numbers have at most 28 significant digits; they are never rounded",
                    ),
                );
                None
            }
        }
    }

    /// Money is written `€150_000` or `€12.50`. Dutch documents write thousands
    /// with `.` and cents with `,`, so both are caught here with a fix.
    fn money(&mut self, text: &str, span: Span) -> Option<Literal> {
        let body = text.trim_start_matches('€');
        let digits_only = body.replace(['.', ',', '_'], "");
        if body.contains(',') {
            let help = if body.contains('.') {
                format!(
                    "write `€{}`; thousands are grouped with `_` and `.` is the decimal point",
                    body.replace('.', "_").replace(',', ".")
                )
            } else if body.rsplit(',').next().is_some_and(|d| d.len() == 3) {
                format!(
                    "write `€{}`; group thousands with `_`",
                    body.replace(',', "_")
                )
            } else {
                format!(
                    "write `€{}`; `.` is the decimal point",
                    body.replace(',', ".")
                )
            };
            self.diagnostics.push(
                Diagnostic::new(Code::E0102, format!("`{text}` uses `,` in a money amount"))
                    .at(span, "`,` is not allowed here")
                    .with_help(help),
            );
            return None;
        }
        let dots = body.matches('.').count();
        let decimals = body.rsplit('.').next().map_or(0, str::len);
        let whole = body.split('.').next().unwrap_or("");
        let thousands_like =
            dots == 1 && decimals == 3 && !whole.starts_with('0') && whole.len() <= 3;
        if dots > 1 || thousands_like {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::E0102,
                    format!("`{text}` looks like a thousands separator in a money amount"),
                )
                .at(span, "`.` is a decimal point here")
                .with_help(format!(
                    "write `€{}`; `.` is a decimal point, group thousands with `_`",
                    group_thousands(&digits_only)
                )),
            );
            return None;
        }
        if dots == 1 && decimals > 2 {
            self.diagnostics.push(
                Diagnostic::new(Code::E0102, format!("`{text}` has more than two decimals"))
                    .at(span, "money has at most cents")
                    .with_help("write at most two digits after the decimal point"),
            );
            return None;
        }
        let value = self.decimal(body, span)?;
        Some(Literal::Money(value))
    }

    fn date(&mut self, text: &str, span: Span) -> Option<Literal> {
        match jiff::civil::Date::from_str(text) {
            Ok(date) => Some(Literal::Date(date)),
            Err(_) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::E0103,
                        format!("`{text}` is not a date in the calendar"),
                    )
                    .at(span, "no such day")
                    .with_help("dates are written year-month-day, like `2024-10-01`"),
                );
                None
            }
        }
    }
}

fn error_expr(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Error,
        span,
    }
}

/// How deep an expression tree is, measured without recursion.
fn depth(expr: &Expr) -> usize {
    let mut deepest = 0;
    let mut stack: Vec<(&Expr, usize)> = vec![(expr, 1)];
    while let Some((e, d)) = stack.pop() {
        deepest = deepest.max(d);
        stack.extend(children(e).into_iter().map(|c| (c, d + 1)));
    }
    deepest
}

/// The direct sub-expressions of an expression.
fn children(expr: &Expr) -> Vec<&Expr> {
    match &expr.kind {
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Error => Vec::new(),
        ExprKind::Field { record, .. } => vec![record],
        ExprKind::Over { series, year } => vec![series, year],
        ExprKind::Unary { operand, .. } | ExprKind::Presence { operand, .. } => vec![operand],
        ExprKind::Arith { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => vec![lhs, rhs],
        ExprKind::Logic { operands, .. } => operands.iter().collect(),
        ExprKind::In { value, set, .. } => {
            let mut all: Vec<&Expr> = vec![value];
            match set {
                InSet::Set(members) => all.extend(members.iter()),
                InSet::List(list) => all.push(list),
            }
            all
        }
        ExprKind::Aggregate { list, body, .. } => {
            let mut all: Vec<&Expr> = vec![list];
            all.extend(body.as_deref());
            all
        }
    }
}

/// The length of `text` without trailing whitespace and `//` comments.
fn content_len(text: &str) -> usize {
    let mut end = text.trim_end().len();
    loop {
        let kept = text.get(..end).unwrap_or("");
        let line_start = kept.rfind('\n').map_or(0, |i| i + 1);
        let line = kept.get(line_start..).unwrap_or("");
        match comment_start(line) {
            Some(at) => end = kept.get(..line_start + at).unwrap_or("").trim_end().len(),
            None => return end,
        }
    }
}

/// Where a `//` comment starts on a line, outside string literals.
fn comment_start(line: &str) -> Option<usize> {
    let mut previous: Option<(usize, char)> = None;
    for (offset, c) in crate::source::code_chars(line, false) {
        if let Some((start, '/')) = previous {
            if c == '/' && start + 1 == offset {
                return Some(start);
            }
        }
        previous = Some((offset, c));
    }
    None
}

/// `1.000` or `25.000`: a `.` followed by exactly three digits, the way Dutch
/// documents group thousands. Real three-decimal values are rare in policies
/// and can be written with a fourth digit.
fn looks_like_thousands(text: &str) -> bool {
    match text.split_once('.') {
        Some((whole, decimals)) => {
            !whole.contains('_')
                && !whole.starts_with('0')
                && whole.len() <= 3
                && decimals.len() == 3
                && !decimals.contains('_')
        }
        None => false,
    }
}

/// `150000` -> `150_000`
fn group_thousands(digits: &str) -> String {
    let digits: Vec<char> = digits.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('_');
        }
        out.push(*c);
    }
    out
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_use
            | Rule::kw_except
            | Rule::kw_only
            | Rule::kw_input
            | Rule::kw_const
            | Rule::kw_def
            | Rule::kw_decision
            | Rule::kw_rule
            | Rule::kw_cites
            | Rule::kw_when
            | Rule::kw_then
            | Rule::kw_outcomes
            | Rule::kw_default
            | Rule::kw_example
            | Rule::kw_test
            | Rule::kw_table
            | Rule::kw_given
            | Rule::kw_with
            | Rule::kw_expect
            | Rule::kw_undetermined
            | Rule::kw_by
            | Rule::kw_over
            | Rule::kw_known
            | Rule::kw_missing
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_in
            | Rule::kw_tbd
    )
}

#[cfg(test)]
mod tests {
    use super::group_thousands;

    #[test]
    fn groups_thousands_with_underscores() {
        assert_eq!(group_thousands("150000"), "150_000");
        assert_eq!(group_thousands("1500000"), "1_500_000");
        assert_eq!(group_thousands("150"), "150");
    }
}
