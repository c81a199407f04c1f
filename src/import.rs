//! Importing a `regel-ir/1` document: JSON -> a checked [`ir::Policy`].
//!
//! Other tools write policies in this format, so nothing in it is trusted.
//! Reading is by hand over a parsed JSON tree, so every problem names the JSON
//! path it is at (`policy.rules[3].condition.lhs`): a wrong JSON type, a
//! missing field, an unknown node or type kind, an unknown format version.
//! Then the tree is checked the way the checker builds it: every name refers
//! to a declaration (definitions only to earlier ones, aggregate variables only
//! inside their aggregate), every node's declared type is the type its
//! children give it under the unit rules, decisions and rules fit together,
//! and there are no cycles. A document that passes decides exactly like the
//! policy it was exported from.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::check::types;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{self, AggregateKind, ArithOp, CmpOp, DurationUnit, Expr, ExprKind, LogicOp, Type};
use crate::source::{FileId, Span};

/// The deepest JSON nesting an import accepts. The export of the deepest
/// legal policy (expressions 64 levels, types 32 brackets) stays below it.
pub const MAX_JSON_DEPTH: usize = 256;

/// An imported policy and the source files it says it was made from.
#[derive(Debug, Clone)]
pub struct Imported {
    pub policy: ir::Policy,
    /// `(name, sha256)` of each source file, in the document's order.
    pub sources: Vec<(String, String)>,
}

/// Reads and checks a `regel-ir/1` document.
pub fn import(text: &str) -> Result<Imported, Vec<Diagnostic>> {
    if let Some(depth) = too_deep(text) {
        return Err(vec![
            Diagnostic::new(
                Code::E0801,
                format!(
                    "the document nests deeper than {MAX_JSON_DEPTH} levels (at least {depth})"
                ),
            )
            .with_help("regel-ir documents of real policies nest about 20 levels"),
        ]);
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    // The depth was bounded above, so the parser's own limit is not needed.
    deserializer.disable_recursion_limit();
    let json = match Json::deserialize(&mut deserializer).and_then(|j| {
        deserializer.end()?;
        Ok(j)
    }) {
        Ok(json) => json,
        Err(e) => {
            return Err(vec![Diagnostic::new(
                Code::E0801,
                format!("not valid JSON: {e}"),
            )]);
        }
    };
    let mut reader = Reader { errors: Vec::new() };
    let imported = reader.document(&json);
    if !reader.errors.is_empty() {
        return Err(reader.errors);
    }
    let Some(imported) = imported else {
        return Err(vec![Diagnostic::new(
            Code::E0803,
            "the document could not be read",
        )]);
    };
    let errors = validate(&imported.policy);
    if errors.is_empty() {
        Ok(imported)
    } else {
        Err(errors)
    }
}

/// The nesting depth of a JSON text when it exceeds [`MAX_JSON_DEPTH`].
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (_, c) in crate::source::code_chars(text, false) {
        match c {
            '{' | '[' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Some(depth);
                }
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

// ---------------------------------------------------------------- reading

struct Reader {
    errors: Vec<Diagnostic>,
}

fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn kind_of(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "true/false",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

impl Reader {
    fn fail<T>(&mut self, path: &str, message: impl Into<String>) -> Option<T> {
        self.errors
            .push(Diagnostic::new(Code::E0803, message.into()).with_path(path.to_string()));
        None
    }

    fn object<'v>(&mut self, json: &'v Json, path: &str) -> Option<&'v Map<String, Json>> {
        match json {
            Json::Object(map) => Some(map),
            other => self.fail(
                path,
                format!("`{path}` should be an object, found {}", kind_of(other)),
            ),
        }
    }

    fn field<'v>(&mut self, map: &'v Map<String, Json>, key: &str, path: &str) -> Option<&'v Json> {
        match map.get(key) {
            Some(v) => Some(v),
            None => self.fail(&at(path, key), format!("`{}` is missing", at(path, key))),
        }
    }

    fn string(&mut self, map: &Map<String, Json>, key: &str, path: &str) -> Option<String> {
        let p = at(path, key);
        match self.field(map, key, path)? {
            Json::String(s) => Some(s.clone()),
            other => self.fail(
                &p,
                format!("`{p}` should be a string, found {}", kind_of(other)),
            ),
        }
    }

    fn optional_string(
        &mut self,
        map: &Map<String, Json>,
        key: &str,
        path: &str,
    ) -> Option<Option<String>> {
        let p = at(path, key);
        match map.get(key) {
            None | Some(Json::Null) => Some(None),
            Some(Json::String(s)) => Some(Some(s.clone())),
            Some(other) => self.fail(
                &p,
                format!("`{p}` should be a string or null, found {}", kind_of(other)),
            ),
        }
    }

    fn boolean(&mut self, map: &Map<String, Json>, key: &str, path: &str) -> Option<bool> {
        let p = at(path, key);
        match self.field(map, key, path)? {
            Json::Bool(b) => Some(*b),
            other => self.fail(
                &p,
                format!("`{p}` should be true or false, found {}", kind_of(other)),
            ),
        }
    }

    fn integer(&mut self, map: &Map<String, Json>, key: &str, path: &str) -> Option<i64> {
        let p = at(path, key);
        match self.field(map, key, path)? {
            Json::Number(n) => match n.as_i64() {
                Some(i) => Some(i),
                None => self.fail(&p, format!("`{p}` should be a whole number, found {n}")),
            },
            other => self.fail(
                &p,
                format!("`{p}` should be a number, found {}", kind_of(other)),
            ),
        }
    }

    fn array<'v>(
        &mut self,
        map: &'v Map<String, Json>,
        key: &str,
        path: &str,
    ) -> Option<&'v Vec<Json>> {
        let p = at(path, key);
        match self.field(map, key, path)? {
            Json::Array(items) => Some(items),
            other => self.fail(
                &p,
                format!("`{p}` should be an array, found {}", kind_of(other)),
            ),
        }
    }

    fn strings(&mut self, map: &Map<String, Json>, key: &str, path: &str) -> Option<Vec<String>> {
        let items = self.array(map, key, path)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let p = format!("{}[{i}]", at(path, key));
            match item {
                Json::String(s) => out.push(s.clone()),
                other => {
                    return self.fail(
                        &p,
                        format!("`{p}` should be a string, found {}", kind_of(other)),
                    );
                }
            }
        }
        Some(out)
    }

    /// Reads each element of an array with `read`, keeping going past errors.
    fn each<T>(
        &mut self,
        map: &Map<String, Json>,
        key: &str,
        path: &str,
        mut read: impl FnMut(&mut Self, &Json, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let items = self.array(map, key, path)?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let p = format!("{}[{i}]", at(path, key));
            match read(self, item, &p) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn span(&mut self, map: &Map<String, Json>, path: &str) -> Option<Span> {
        let p = at(path, "span");
        let span = self.object(self_field(map, "span").unwrap_or(&Json::Null), &p)?;
        let file = self.integer(span, "file", &p)?;
        let start = self.integer(span, "start", &p)?;
        let end = self.integer(span, "end", &p)?;
        let fits = |n: i64| u32::try_from(n).is_ok();
        if !(fits(file) && fits(start) && fits(end)) || start > end {
            return self.fail(&p, format!("`{p}` is not a byte range"));
        }
        Some(Span {
            file: FileId(u32::try_from(file).unwrap_or(0)),
            start: u32::try_from(start).unwrap_or(0),
            end: u32::try_from(end).unwrap_or(0),
        })
    }

    // ------------------------------------------------------------ document

    fn document(&mut self, json: &Json) -> Option<Imported> {
        let map = self.object(json, "(document)")?;
        let format = self.string(map, "format", "")?;
        if format != ir::FORMAT {
            self.errors.push(
                Diagnostic::new(
                    Code::E0802,
                    format!("`format` is `{format}`; this reader knows `{}`", ir::FORMAT),
                )
                .with_path("format"),
            );
            return None;
        }
        let sources = self.each(map, "sources", "", |r, item, p| {
            let source = r.object(item, p)?;
            Some((r.string(source, "name", p)?, r.string(source, "sha256", p)?))
        })?;
        let policy_json = self.field(map, "policy", "")?;
        let policy = self.policy(policy_json, "policy")?;
        Some(Imported { policy, sources })
    }

    fn policy(&mut self, json: &Json, path: &str) -> Option<ir::Policy> {
        let map = self.object(json, path)?;
        let year = self.integer(map, "year", path)?;
        let Ok(year) = i32::try_from(year) else {
            return self.fail(&at(path, "year"), "`year` is out of range");
        };
        let is_module = match map.get("is_module") {
            None => false,
            Some(_) => self.boolean(map, "is_module", path)?,
        };
        Some(ir::Policy {
            is_module,
            id: self.string(map, "id", path)?,
            title: self.string(map, "title", path)?,
            insurer: self.optional_string(map, "insurer", path)?,
            year,
            modules: self.strings(map, "modules", path)?,
            inputs: self.each(map, "inputs", path, Self::input)?,
            constants: self.each(map, "constants", path, Self::constant)?,
            definitions: self.each(map, "definitions", path, Self::definition)?,
            decisions: self.each(map, "decisions", path, Self::decision)?,
            rules: self.each(map, "rules", path, Self::rule)?,
            examples: self.each(map, "examples", path, Self::example)?,
            tests: self.each(map, "tests", path, Self::test)?,
            span: self.span(map, path)?,
        })
    }

    fn input(&mut self, json: &Json, path: &str) -> Option<ir::Input> {
        let map = self.object(json, path)?;
        Some(ir::Input {
            name: self.string(map, "name", path)?,
            ty: self.ty(
                self_field(map, "type").unwrap_or(&Json::Null),
                &at(path, "type"),
            )?,
            description: self.optional_string(map, "description", path)?,
            module: self.optional_string(map, "module", path)?,
            span: self.span(map, path)?,
        })
    }

    fn constant(&mut self, json: &Json, path: &str) -> Option<ir::Constant> {
        let map = self.object(json, path)?;
        let value = match map.get("value") {
            None | Some(Json::Null) => None,
            Some(v) => Some(self.literal(v, &at(path, "value"))?),
        };
        Some(ir::Constant {
            name: self.string(map, "name", path)?,
            ty: self.ty(
                self_field(map, "type").unwrap_or(&Json::Null),
                &at(path, "type"),
            )?,
            value,
            tbd: self.optional_string(map, "tbd", path)?,
            module: self.optional_string(map, "module", path)?,
            span: self.span(map, path)?,
        })
    }

    fn definition(&mut self, json: &Json, path: &str) -> Option<ir::Definition> {
        let map = self.object(json, path)?;
        let expr_json = self.field(map, "expr", path)?;
        Some(ir::Definition {
            name: self.string(map, "name", path)?,
            label: self.optional_string(map, "label", path)?,
            ty: self.ty(
                self_field(map, "type").unwrap_or(&Json::Null),
                &at(path, "type"),
            )?,
            expr: self.expr(expr_json, &at(path, "expr"))?,
            module: self.optional_string(map, "module", path)?,
            span: self.span(map, path)?,
        })
    }

    fn decision(&mut self, json: &Json, path: &str) -> Option<ir::Decision> {
        let map = self.object(json, path)?;
        Some(ir::Decision {
            name: self.string(map, "name", path)?,
            label: self.optional_string(map, "label", path)?,
            outcomes: self.strings(map, "outcomes", path)?,
            default: self.string(map, "default", path)?,
            depends_on: self.strings(map, "depends_on", path)?,
            span: self.span(map, path)?,
        })
    }

    fn rule(&mut self, json: &Json, path: &str) -> Option<ir::Rule> {
        let map = self.object(json, path)?;
        let condition = self.field(map, "condition", path)?;
        Some(ir::Rule {
            id: self.string(map, "id", path)?,
            label: self.string(map, "label", path)?,
            cites: self.string(map, "cites", path)?,
            decision: self.string(map, "decision", path)?,
            outcome: self.string(map, "outcome", path)?,
            condition: self.expr(condition, &at(path, "condition"))?,
            module: self.optional_string(map, "module", path)?,
            span: self.span(map, path)?,
        })
    }

    fn example(&mut self, json: &Json, path: &str) -> Option<ir::Example> {
        let map = self.object(json, path)?;
        Some(ir::Example {
            name: self.string(map, "name", path)?,
            facts: self.field(map, "facts", path)?.clone(),
            span: self.span(map, path)?,
        })
    }

    fn test(&mut self, json: &Json, path: &str) -> Option<ir::Test> {
        let map = self.object(json, path)?;
        Some(ir::Test {
            name: self.string(map, "name", path)?,
            facts: self.field(map, "facts", path)?.clone(),
            expectations: self.each(map, "expectations", path, |r, item, p| {
                let e = r.object(item, p)?;
                Some(ir::Expectation {
                    decision: r.string(e, "decision", p)?,
                    outcome: r.optional_string(e, "outcome", p)?,
                    by: r.optional_string(e, "by", p)?,
                    span: r.span(e, p)?,
                })
            })?,
            span: self.span(map, path)?,
        })
    }

    // ------------------------------------------------------------ types

    fn ty(&mut self, json: &Json, path: &str) -> Option<Type> {
        let map = self.object(json, path)?;
        let kind = self.string(map, "kind", path)?;
        Some(match kind.as_str() {
            "bool" => Type::Bool,
            "count" => Type::Count,
            "number" => Type::Number,
            "money" => Type::Money,
            "percent" => Type::Percent,
            "date" => Type::Date,
            "month" => Type::Month,
            "time" => Type::Time,
            "year" => Type::Year,
            "duration" => Type::Duration,
            "text" => Type::Text,
            "enum" => Type::Enum {
                values: self.strings(map, "values", path)?,
            },
            "series" => Type::Series {
                of: Box::new(self.ty(
                    self_field(map, "of").unwrap_or(&Json::Null),
                    &at(path, "of"),
                )?),
            },
            "list" => Type::List {
                of: Box::new(self.ty(
                    self_field(map, "of").unwrap_or(&Json::Null),
                    &at(path, "of"),
                )?),
            },
            "record" => Type::Record {
                fields: self.each(map, "fields", path, |r, item, p| {
                    let f = r.object(item, p)?;
                    Some(ir::Field {
                        name: r.string(f, "name", p)?,
                        ty: r.ty(self_field(f, "type").unwrap_or(&Json::Null), &at(p, "type"))?,
                        description: r.optional_string(f, "description", p)?,
                    })
                })?,
            },
            other => {
                return self.fail(&at(path, "kind"), format!("`{other}` is not a type kind"));
            }
        })
    }

    fn literal(&mut self, json: &Json, path: &str) -> Option<ir::Literal> {
        let map = self.object(json, path)?;
        let kind = self.string(map, "kind", path)?;
        let value = self.field(map, "value", path)?;
        let p = at(path, "value");
        let text = |r: &mut Self| match value {
            Json::String(s) => Some(s.clone()),
            other => r.fail(
                &p,
                format!("`{p}` should be a string, found {}", kind_of(other)),
            ),
        };
        Some(match kind.as_str() {
            "bool" => match value {
                Json::Bool(b) => ir::Literal::Bool(*b),
                other => {
                    return self.fail(
                        &p,
                        format!("`{p}` should be true or false, found {}", kind_of(other)),
                    );
                }
            },
            "decimal" => {
                let t = text(self)?;
                match t.parse::<Decimal>() {
                    Ok(d) => ir::Literal::Decimal(d),
                    Err(_) => return self.fail(&p, format!("`{t}` is not a decimal")),
                }
            }
            "date" => {
                let t = text(self)?;
                match t.parse::<jiff::civil::Date>() {
                    Ok(d) if t.len() == 10 => ir::Literal::Date(d),
                    _ => return self.fail(&p, format!("`{t}` is not a date (YYYY-MM-DD)")),
                }
            }
            "month" => {
                let t = text(self)?;
                match ir::YearMonth::parse(&t) {
                    Some(m) => ir::Literal::Month(m),
                    None => return self.fail(&p, format!("`{t}` is not a month (YYYY-MM)")),
                }
            }
            "time" => {
                let t = text(self)?;
                match t.parse::<jiff::civil::Time>() {
                    Ok(time) if t.len() == 5 => ir::Literal::Time(time),
                    _ => return self.fail(&p, format!("`{t}` is not a time (HH:MM)")),
                }
            }
            "duration" => {
                let d = self.object(value, &p)?;
                let amount = self.integer(d, "amount", &p)?;
                let unit = match self.string(d, "unit", &p)?.as_str() {
                    "years" => DurationUnit::Years,
                    "months" => DurationUnit::Months,
                    "days" => DurationUnit::Days,
                    other => {
                        return self
                            .fail(&at(&p, "unit"), format!("`{other}` is not a duration unit"));
                    }
                };
                ir::Literal::Duration { amount, unit }
            }
            "text" => ir::Literal::Text(text(self)?),
            "enum" => ir::Literal::Enum(text(self)?),
            other => {
                return self.fail(
                    &at(path, "kind"),
                    format!("`{other}` is not a literal kind"),
                );
            }
        })
    }

    // ------------------------------------------------------------ expressions

    fn sub(&mut self, map: &Map<String, Json>, key: &str, path: &str) -> Option<Box<Expr>> {
        let json = self.field(map, key, path)?;
        Some(Box::new(self.expr(json, &at(path, key))?))
    }

    fn expr(&mut self, json: &Json, path: &str) -> Option<Expr> {
        let map = self.object(json, path)?;
        let node = self.string(map, "node", path)?;
        let ty = self.ty(
            self_field(map, "type").unwrap_or(&Json::Null),
            &at(path, "type"),
        )?;
        let span = self.span(map, path)?;
        let name = |r: &mut Self| r.string(map, "name", path);
        let kind = match node.as_str() {
            "literal" => ExprKind::Literal {
                value: self.literal(
                    self_field(map, "value").unwrap_or(&Json::Null),
                    &at(path, "value"),
                )?,
            },
            "input" => ExprKind::Input { name: name(self)? },
            "const" => ExprKind::Const { name: name(self)? },
            "def" => ExprKind::Def { name: name(self)? },
            "policy_year" => ExprKind::PolicyYear,
            "outcome" => ExprKind::Outcome {
                decision: self.string(map, "decision", path)?,
            },
            "var" => ExprKind::Var { name: name(self)? },
            "field" => ExprKind::Field {
                record: self.sub(map, "record", path)?,
                field: self.string(map, "field", path)?,
            },
            "series_at" => ExprKind::SeriesAt {
                series: self.sub(map, "series", path)?,
                year: self.sub(map, "year", path)?,
            },
            "not" => ExprKind::Not {
                operand: self.sub(map, "operand", path)?,
            },
            "neg" => ExprKind::Neg {
                operand: self.sub(map, "operand", path)?,
            },
            "arith" => ExprKind::Arith {
                op: match self.string(map, "op", path)?.as_str() {
                    "add" => ArithOp::Add,
                    "sub" => ArithOp::Sub,
                    "mul" => ArithOp::Mul,
                    "div" => ArithOp::Div,
                    other => {
                        return self.fail(
                            &at(path, "op"),
                            format!("`{other}` is not an arithmetic operator"),
                        );
                    }
                },
                lhs: self.sub(map, "lhs", path)?,
                rhs: self.sub(map, "rhs", path)?,
            },
            "logic" => ExprKind::Logic {
                op: match self.string(map, "op", path)?.as_str() {
                    "and" => LogicOp::And,
                    "or" => LogicOp::Or,
                    other => {
                        return self
                            .fail(&at(path, "op"), format!("`{other}` is not `and` or `or`"));
                    }
                },
                operands: self.each(map, "operands", path, Self::expr)?,
            },
            "compare" => ExprKind::Compare {
                op: match self.string(map, "op", path)?.as_str() {
                    "eq" => CmpOp::Eq,
                    "ne" => CmpOp::Ne,
                    "lt" => CmpOp::Lt,
                    "le" => CmpOp::Le,
                    "gt" => CmpOp::Gt,
                    "ge" => CmpOp::Ge,
                    other => {
                        return self
                            .fail(&at(path, "op"), format!("`{other}` is not a comparison"));
                    }
                },
                lhs: self.sub(map, "lhs", path)?,
                rhs: self.sub(map, "rhs", path)?,
            },
            "in_set" => ExprKind::InSet {
                value: self.sub(map, "value", path)?,
                set: self.each(map, "set", path, Self::expr)?,
                negated: self.boolean(map, "negated", path)?,
            },
            "in_list" => ExprKind::InList {
                value: self.sub(map, "value", path)?,
                list: self.sub(map, "list", path)?,
                negated: self.boolean(map, "negated", path)?,
            },
            "presence" => ExprKind::Presence {
                known: self.boolean(map, "known", path)?,
                operand: self.sub(map, "operand", path)?,
            },
            "aggregate" => ExprKind::Aggregate {
                aggregate: match self.string(map, "aggregate", path)?.as_str() {
                    "count" => AggregateKind::Count,
                    "any" => AggregateKind::Any,
                    "all" => AggregateKind::All,
                    "sum" => AggregateKind::Sum,
                    other => {
                        return self.fail(
                            &at(path, "aggregate"),
                            format!("`{other}` is not an aggregate"),
                        );
                    }
                },
                var: self.optional_string(map, "var", path)?,
                list: self.sub(map, "list", path)?,
                body: match map.get("body") {
                    None | Some(Json::Null) => None,
                    Some(_) => Some(self.sub(map, "body", path)?),
                },
            },
            other => return self.fail(&at(path, "node"), format!("`{other}` is not a node kind")),
        };
        Some(Expr { kind, ty, span })
    }
}

/// A field of an object, without reporting (callers report through `object`).
fn self_field<'v>(map: &'v Map<String, Json>, key: &str) -> Option<&'v Json> {
    map.get(key)
}

// ---------------------------------------------------------------- checking

/// Checks an imported policy the way the checker builds one.
pub fn validate(policy: &ir::Policy) -> Vec<Diagnostic> {
    let mut v = Validator {
        policy,
        errors: Vec::new(),
        defs_before: BTreeSet::new(),
        in_rule: false,
    };
    v.declarations();
    for (i, def) in policy.definitions.iter().enumerate() {
        let path = format!("policy.definitions[{i}].expr");
        let ty = v.expr(&def.expr, &path, &mut Vec::new());
        v.same_type(&def.ty, &ty, &format!("policy.definitions[{i}].type"));
        v.defs_before.insert(def.name.as_str());
    }
    v.in_rule = true;
    for (i, rule) in policy.rules.iter().enumerate() {
        v.rule(rule, i);
    }
    v.decisions();
    v.tests();
    v.errors
}

struct Validator<'p> {
    policy: &'p ir::Policy,
    errors: Vec<Diagnostic>,
    /// Definitions already checked: a definition may only use these.
    defs_before: BTreeSet<&'p str>,
    in_rule: bool,
}

impl<'p> Validator<'p> {
    fn error(&mut self, path: &str, message: impl Into<String>) -> Type {
        self.errors
            .push(Diagnostic::new(Code::E0804, message.into()).with_path(path.to_string()));
        Type::Invalid
    }

    fn same_type(&mut self, declared: &Type, actual: &Type, path: &str) {
        if *actual != Type::Invalid && declared != actual {
            self.error(
                path,
                format!(
                    "`{path}` says {}, but the expression is {}",
                    declared.describe(),
                    actual.describe()
                ),
            );
        }
    }

    fn declarations(&mut self) {
        let mut names = BTreeSet::new();
        let policy = self.policy;
        let declared = policy
            .inputs
            .iter()
            .map(|i| (&i.name, &i.ty, "inputs"))
            .chain(
                policy
                    .constants
                    .iter()
                    .map(|c| (&c.name, &c.ty, "constants")),
            )
            .chain(
                policy
                    .definitions
                    .iter()
                    .map(|d| (&d.name, &d.ty, "definitions")),
            );
        for (name, ty, list) in declared {
            if !names.insert(name.as_str()) {
                self.error(
                    &format!("policy.{list}"),
                    format!("`{name}` is declared twice"),
                );
            }
            if contains_invalid(ty) {
                self.error(
                    &format!("policy.{list}"),
                    format!("`{name}` has the type `invalid`"),
                );
            }
        }
        for (i, constant) in policy.constants.iter().enumerate() {
            let path = format!("policy.constants[{i}]");
            match (&constant.value, &constant.tbd) {
                (Some(value), None) => {
                    let ty = literal_type(value, &constant.ty, &path);
                    if let Err(message) = ty {
                        self.error(&format!("{path}.value"), message);
                    }
                }
                (None, Some(_)) => {}
                _ => {
                    self.error(
                        &path,
                        format!("`{}` needs either a value or `tbd`", constant.name),
                    );
                }
            }
        }
    }

    fn rule(&mut self, rule: &'p ir::Rule, index: usize) {
        let path = format!("policy.rules[{index}]");
        let ty = self.expr(
            &rule.condition,
            &format!("{path}.condition"),
            &mut Vec::new(),
        );
        if ty != Type::Bool && ty != Type::Invalid {
            self.error(
                &format!("{path}.condition"),
                "a rule's condition must be true or false",
            );
        }
        if self.policy.rules.iter().filter(|r| r.id == rule.id).count() > 1 {
            self.error(
                &format!("{path}.id"),
                format!("rule id `{}` is used twice", rule.id),
            );
        }
        match self.policy.decision(&rule.decision) {
            None => {
                self.error(
                    &format!("{path}.decision"),
                    format!("there is no decision `{}`", rule.decision),
                );
            }
            Some(d) if !d.outcomes.contains(&rule.outcome) => {
                self.error(
                    &format!("{path}.outcome"),
                    format!(
                        "`{}` is not an outcome of `{}`",
                        rule.outcome, rule.decision
                    ),
                );
            }
            Some(_) => {}
        }
    }

    fn decisions(&mut self) {
        let policy = self.policy;
        for (i, decision) in policy.decisions.iter().enumerate() {
            let path = format!("policy.decisions[{i}]");
            let unique: BTreeSet<&String> = decision.outcomes.iter().collect();
            if unique.len() != decision.outcomes.len() {
                self.error(&format!("{path}.outcomes"), "an outcome is listed twice");
            }
            if !decision.outcomes.contains(&decision.default) {
                self.error(
                    &format!("{path}.default"),
                    format!("`{}` is not among the outcomes", decision.default),
                );
            }
            if policy
                .decisions
                .iter()
                .filter(|d| d.name == decision.name)
                .count()
                > 1
            {
                self.error(
                    &format!("{path}.name"),
                    format!("decision `{}` is declared twice", decision.name),
                );
            }
            // `depends_on` must be exactly the decisions its rules read.
            let mut reads: Vec<String> = Vec::new();
            for rule in policy.rules.iter().filter(|r| r.decision == decision.name) {
                rule.condition.walk(&mut |e| {
                    if let ExprKind::Outcome { decision: other } = &e.kind {
                        if !reads.contains(other) {
                            reads.push(other.clone());
                        }
                    }
                });
            }
            let mut declared = decision.depends_on.clone();
            declared.sort();
            reads.sort();
            if declared != reads {
                self.error(
                    &format!("{path}.depends_on"),
                    format!("`depends_on` says {declared:?}, but the rules read {reads:?}"),
                );
            }
        }
        if let Some(cycle) = crate::check::order::decision_cycle(&policy.decisions) {
            self.error(
                "policy.decisions",
                format!(
                    "decisions depend on each other in a cycle: {}",
                    cycle.join(" -> ")
                ),
            );
        }
    }

    fn tests(&mut self) {
        let policy = self.policy;
        for (i, test) in policy.tests.iter().enumerate() {
            for (j, e) in test.expectations.iter().enumerate() {
                let path = format!("policy.tests[{i}].expectations[{j}]");
                let Some(decision) = policy.decision(&e.decision) else {
                    self.error(&path, format!("there is no decision `{}`", e.decision));
                    continue;
                };
                if let Some(outcome) = &e.outcome {
                    if !decision.outcomes.contains(outcome) {
                        self.error(
                            &path,
                            format!("`{outcome}` is not an outcome of `{}`", e.decision),
                        );
                    }
                }
                if let Some(by) = &e.by {
                    if !policy
                        .rules
                        .iter()
                        .any(|r| &r.id == by && r.decision == e.decision)
                    {
                        self.error(
                            &path,
                            format!("there is no rule `{by}` deciding `{}`", e.decision),
                        );
                    }
                }
            }
        }
    }

    /// The type an expression has, given its children; reports where the
    /// declared type differs or a reference does not resolve.
    fn expr(&mut self, e: &'p Expr, path: &str, scope: &mut Vec<(&'p str, Type)>) -> Type {
        let actual = self.node(e, path, scope);
        if contains_invalid(&e.ty) {
            return self.error(
                &format!("{path}.type"),
                "the type `invalid` cannot appear in a policy",
            );
        }
        self.same_type(&e.ty, &actual, &format!("{path}.type"));
        actual
    }

    fn node(&mut self, e: &'p Expr, path: &str, scope: &mut Vec<(&'p str, Type)>) -> Type {
        let policy = self.policy;
        match &e.kind {
            ExprKind::Literal { value } => match literal_type(value, &e.ty, path) {
                Ok(ty) => ty,
                Err(message) => self.error(&format!("{path}.value"), message),
            },
            ExprKind::Input { name } => match policy.input(name) {
                Some(input) => input.ty.clone(),
                None => self.error(path, format!("there is no input `{name}`")),
            },
            ExprKind::Const { name } => match policy.constants.iter().find(|c| &c.name == name) {
                Some(c) => c.ty.clone(),
                None => self.error(path, format!("there is no constant `{name}`")),
            },
            ExprKind::Def { name } => {
                let found = policy.definitions.iter().find(|d| &d.name == name);
                match found {
                    Some(d) if self.in_rule || self.defs_before.contains(name.as_str()) => d.ty.clone(),
                    Some(_) => self.error(
                        path,
                        format!("definition `{name}` is used before it is defined (definitions come in dependency order)"),
                    ),
                    None => self.error(path, format!("there is no definition `{name}`")),
                }
            }
            ExprKind::PolicyYear => Type::Year,
            ExprKind::Outcome { decision } => match policy.decision(decision) {
                Some(d) if self.in_rule => Type::Enum {
                    values: d.outcomes.clone(),
                },
                Some(_) => self.error(path, "a decision's outcome can only be read in a rule"),
                None => self.error(path, format!("there is no decision `{decision}`")),
            },
            ExprKind::Var { name } => match scope.iter().rev().find(|(n, _)| n == name) {
                Some((_, ty)) => ty.clone(),
                None => self.error(
                    path,
                    format!("`{name}` is not bound by an enclosing aggregate"),
                ),
            },
            ExprKind::Field { record, field } => {
                let ty = self.expr(record, &at(path, "record"), scope);
                match ty {
                    Type::Record { fields } => match fields.iter().find(|f| &f.name == field) {
                        Some(f) => f.ty.clone(),
                        None => self.error(path, format!("the record has no field `{field}`")),
                    },
                    Type::Invalid => Type::Invalid,
                    other => self.error(
                        path,
                        format!("`.{field}` needs a record, not {}", other.describe()),
                    ),
                }
            }
            ExprKind::SeriesAt { series, year } => {
                let s = self.expr(series, &at(path, "series"), scope);
                let y = self.expr(year, &at(path, "year"), scope);
                if !matches!(y, Type::Year | Type::Count | Type::Invalid) {
                    self.error(&at(path, "year"), "the year of `over` must be a year");
                }
                match s {
                    Type::Series { of } => *of,
                    Type::Invalid => Type::Invalid,
                    other => self.error(
                        path,
                        format!("`over` needs a yearly series, not {}", other.describe()),
                    ),
                }
            }
            ExprKind::Not { operand } => {
                let t = self.expr(operand, &at(path, "operand"), scope);
                self.boolean(&t, &at(path, "operand"));
                Type::Bool
            }
            ExprKind::Neg { operand } => {
                let t = self.expr(operand, &at(path, "operand"), scope);
                types::negate(&t)
                    .unwrap_or_else(|| self.error(path, format!("cannot negate {}", t.describe())))
            }
            ExprKind::Arith { op, lhs, rhs } => {
                let l = self.expr(lhs, &at(path, "lhs"), scope);
                let r = self.expr(rhs, &at(path, "rhs"), scope);
                types::arith(*op, &l, &r).unwrap_or_else(|| {
                    self.error(
                        path,
                        format!(
                            "`{}` does not combine {} and {}",
                            op.symbol(),
                            l.describe(),
                            r.describe()
                        ),
                    )
                })
            }
            ExprKind::Logic { operands, .. } => {
                for (i, operand) in operands.iter().enumerate() {
                    let p = format!("{path}.operands[{i}]");
                    let t = self.expr(operand, &p, scope);
                    self.boolean(&t, &p);
                }
                Type::Bool
            }
            ExprKind::Compare { op, lhs, rhs } => {
                let l = self.expr(lhs, &at(path, "lhs"), scope);
                let r = self.expr(rhs, &at(path, "rhs"), scope);
                if !types::comparable(&l, &r, op.is_ordering()) {
                    self.error(
                        path,
                        format!("cannot compare {} with {}", l.describe(), r.describe()),
                    );
                }
                Type::Bool
            }
            ExprKind::InSet { value, set, .. } => {
                let v = self.expr(value, &at(path, "value"), scope);
                for (i, member) in set.iter().enumerate() {
                    let p = format!("{path}.set[{i}]");
                    let m = self.expr(member, &p, scope);
                    if !types::comparable(&v, &m, false) {
                        self.error(
                            &p,
                            format!(
                                "a set member is {}, the value {}",
                                m.describe(),
                                v.describe()
                            ),
                        );
                    }
                }
                Type::Bool
            }
            ExprKind::InList { value, list, .. } => {
                let v = self.expr(value, &at(path, "value"), scope);
                match self.expr(list, &at(path, "list"), scope) {
                    Type::List { of } if types::comparable(&v, &of, false) => {}
                    Type::Invalid => {}
                    other => {
                        self.error(
                            path,
                            format!(
                                "`in` needs a list of {}, not {}",
                                v.describe(),
                                other.describe()
                            ),
                        );
                    }
                }
                Type::Bool
            }
            ExprKind::Presence { operand, .. } => {
                self.expr(operand, &at(path, "operand"), scope);
                Type::Bool
            }
            ExprKind::Aggregate {
                aggregate,
                var,
                list,
                body,
            } => self.aggregate(
                *aggregate,
                var.as_deref(),
                list,
                body.as_deref(),
                path,
                scope,
            ),
        }
    }

    fn aggregate(
        &mut self,
        aggregate: AggregateKind,
        var: Option<&'p str>,
        list: &'p Expr,
        body: Option<&'p Expr>,
        path: &str,
        scope: &mut Vec<(&'p str, Type)>,
    ) -> Type {
        let element = match self.expr(list, &at(path, "list"), scope) {
            Type::List { of } => *of,
            Type::Invalid => Type::Invalid,
            other => self.error(
                path,
                format!("an aggregate needs a list, not {}", other.describe()),
            ),
        };
        let item = match body {
            Some(body) => {
                if let Some(name) = var {
                    scope.push((name, element.clone()));
                }
                let t = self.expr(body, &at(path, "body"), scope);
                if var.is_some() {
                    scope.pop();
                }
                t
            }
            None => element,
        };
        match aggregate {
            AggregateKind::Count => {
                if body.is_some() {
                    self.boolean(&item, &at(path, "body"));
                }
                Type::Count
            }
            AggregateKind::Any | AggregateKind::All => {
                self.boolean(&item, &at(path, "body"));
                Type::Bool
            }
            AggregateKind::Sum if item.is_numeric() || item == Type::Invalid => item,
            AggregateKind::Sum => self.error(
                path,
                format!("`sum` needs numbers, not {}", item.describe()),
            ),
        }
    }

    fn boolean(&mut self, ty: &Type, path: &str) {
        if *ty != Type::Bool && *ty != Type::Invalid {
            self.error(
                path,
                format!("expected true or false, found {}", ty.describe()),
            );
        }
    }
}

fn contains_invalid(ty: &Type) -> bool {
    match ty {
        Type::Invalid => true,
        Type::Series { of } | Type::List { of } => contains_invalid(of),
        Type::Record { fields } => fields.iter().any(|f| contains_invalid(&f.ty)),
        _ => false,
    }
}

/// Whether a literal fits the type declared for it; the type when it does.
fn literal_type(literal: &ir::Literal, declared: &Type, path: &str) -> Result<Type, String> {
    let fits = match (literal, declared) {
        (ir::Literal::Bool(_), Type::Bool)
        | (ir::Literal::Date(_), Type::Date)
        | (ir::Literal::Month(_), Type::Month)
        | (ir::Literal::Time(_), Type::Time)
        | (ir::Literal::Duration { .. }, Type::Duration)
        | (ir::Literal::Text(_), Type::Text) => true,
        (ir::Literal::Decimal(d), Type::Count | Type::Year) => {
            d.fract().is_zero() && !d.is_sign_negative()
        }
        (ir::Literal::Decimal(_), Type::Number | Type::Money | Type::Percent) => true,
        (ir::Literal::Enum(v), Type::Enum { values }) => values.contains(v),
        _ => false,
    };
    if fits {
        Ok(declared.clone())
    } else {
        Err(format!("`{path}` does not hold {}", declared.describe()))
    }
}
