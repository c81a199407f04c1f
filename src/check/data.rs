//! Examples and tests: facts written in Regel syntax, turned into the same JSON
//! form `regel eval --facts` reads and validated against the declared inputs.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

use super::Checker;
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::facts;
use crate::ir::{self, Type};
use crate::source::Span;
use crate::suggest::did_you_mean;
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn check_examples(&mut self) -> Vec<ir::Example> {
        let examples = self.examples.clone();
        let mut checked = Vec::new();
        for example in examples {
            let Some(json) = self.object_to_json(&example.data) else {
                continue;
            };
            self.validate_facts(&json, &example.data, None);
            checked.push(ir::Example {
                name: example.name.name.clone(),
                facts: json,
                span: example.span,
            });
        }
        checked
    }

    pub(super) fn check_tests(&mut self, examples: &[ir::Example]) -> Vec<ir::Test> {
        let tests = self.tests.clone();
        let mut checked = Vec::new();
        for test in tests {
            let mut facts = Map::new();
            if let Some(base) = &test.base {
                match examples.iter().find(|e| e.name == base.name) {
                    Some(example) => {
                        if let Json::Object(map) = &example.facts {
                            facts = map.clone();
                        }
                    }
                    None => {
                        let mut d = Diagnostic::new(
                            Code::E0210,
                            format!("there is no example `{}`", base.name),
                        )
                        .at(base.span, "unknown example");
                        let names: Vec<&str> = examples.iter().map(|e| e.name.as_str()).collect();
                        d = match did_you_mean(&base.name, names) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(format!(
                                "declare it with `example {} {{ ... }}`",
                                base.name
                            )),
                        };
                        self.error(d);
                    }
                }
            }
            if let Some(data) = &test.data {
                let Some(own) = self.object_to_json(data) else {
                    continue;
                };
                // Only the test's own facts are validated here: its example's
                // were validated with the example, so problems show once.
                self.validate_facts(&own, data, Some(test.name.span));
                // The test's own facts replace the example's, key by key.
                if let Json::Object(own) = own {
                    for (key, value) in own {
                        facts.insert(key, value);
                    }
                }
            }
            let facts = Json::Object(facts);
            let expectations = test
                .expectations
                .iter()
                .map(|e| self.expectation(e))
                .collect();
            checked.push(ir::Test {
                name: test.name.value.clone(),
                facts,
                expectations,
                span: test.span,
            });
        }
        checked
    }

    fn expectation(&mut self, expectation: &ast::Expectation) -> ir::Expectation {
        let (outcome, by) = match &expectation.expected {
            ast::Expected::Undetermined => {
                if !self
                    .decisions
                    .iter()
                    .any(|d| d.name == expectation.decision.name)
                {
                    let fake = ast::Ident {
                        name: String::new(),
                        span: expectation.decision.span,
                    };
                    self.check_outcome_ref(&expectation.decision, &fake);
                }
                (None, None)
            }
            ast::Expected::Outcome { outcome, by } => {
                self.check_outcome_ref(&expectation.decision, outcome);
                if let Some(rule) = by {
                    self.check_expected_rule(&expectation.decision.name, rule);
                }
                (
                    Some(outcome.name.clone()),
                    by.as_ref().map(|b| b.name.clone()),
                )
            }
        };
        ir::Expectation {
            decision: expectation.decision.name.clone(),
            outcome,
            by,
            span: expectation.span,
        }
    }

    fn check_expected_rule(&mut self, decision: &str, rule: &ast::Ident) {
        let found = self.rules.iter().find(|r| r.decl.id.name == rule.name);
        match found {
            Some(r) if r.decl.decision.name == decision => {}
            Some(r) => {
                let other = r.decl.decision.name.clone();
                self.error(
                    Diagnostic::new(
                        Code::E0210,
                        format!("rule `{}` decides `{other}`, not `{decision}`", rule.name),
                    )
                    .at(rule.span, "a rule of another decision"),
                );
            }
            None => {
                let mut d =
                    Diagnostic::new(Code::E0210, format!("there is no rule `{}`", rule.name))
                        .at(rule.span, "unknown rule");
                let ids: Vec<&str> = self.rules.iter().map(|r| r.decl.id.name.as_str()).collect();
                if let Some(s) = did_you_mean(&rule.name, ids) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.error(d);
            }
        }
    }

    /// Runs the facts loader over written facts and reports its findings at
    /// the entry they concern.
    fn validate_facts(&mut self, json: &Json, data: &ast::DataObject, fallback: Option<Span>) {
        let (_, problems) = facts::load(&self.inputs, json, true);
        for problem in problems {
            let top_key = problem
                .path
                .as_deref()
                .map(|p| p.split(['.', '[']).next().unwrap_or(p).to_string());
            let span = top_key
                .and_then(|k| data.entries.iter().find(|e| e.key.value == k))
                .map_or(fallback.unwrap_or(data.span), |e| e.span);
            self.error(located(problem, span));
        }
    }

    /// Facts at the top level: each key is read against its input's type.
    fn object_to_json(&mut self, object: &ast::DataObject) -> Option<Json> {
        let inputs: Vec<(String, Type)> = self
            .inputs
            .iter()
            .map(|i| (i.name.clone(), i.ty.clone()))
            .collect();
        self.entries_to_json(object, "", &|key| {
            inputs
                .iter()
                .find(|(n, _)| n == key)
                .map(|(_, t)| t.clone())
        })
    }

    /// An object's entries; `type_of` gives the type expected for a key
    /// (`None`: not declared, left to the facts loader to report).
    fn entries_to_json(
        &mut self,
        object: &ast::DataObject,
        path: &str,
        type_of: &dyn Fn(&str) -> Option<Type>,
    ) -> Option<Json> {
        let mut map = Map::new();
        let mut ok = true;
        for entry in &object.entries {
            if map.contains_key(&entry.key.value) {
                self.error(
                    Diagnostic::new(
                        Code::E0202,
                        format!("fact `{}` is given twice", entry.key.value),
                    )
                    .at(entry.key.span, "given again here"),
                );
                ok = false;
                continue;
            }
            let entry_path = if path.is_empty() {
                entry.key.value.clone()
            } else {
                format!("{path}.{}", entry.key.value)
            };
            let ty = type_of(&entry.key.value);
            match self.value_to_json(&entry.value, ty.as_ref(), &entry_path) {
                Some(value) => {
                    map.insert(entry.key.value.clone(), value);
                }
                None => ok = false,
            }
        }
        ok.then_some(Json::Object(map))
    }

    fn value_to_json(
        &mut self,
        value: &ast::DataValue,
        ty: Option<&Type>,
        path: &str,
    ) -> Option<Json> {
        Some(match value {
            ast::DataValue::Object(object) => match ty {
                Some(Type::Series { of }) => {
                    let of = (**of).clone();
                    self.entries_to_json(object, path, &|_| Some(of.clone()))?
                }
                Some(Type::Record { fields }) => {
                    let fields = fields.clone();
                    self.entries_to_json(object, path, &|key| {
                        fields.iter().find(|f| f.name == key).map(|f| f.ty.clone())
                    })?
                }
                _ => self.entries_to_json(object, path, &|_| None)?,
            },
            ast::DataValue::List(items, _) => {
                let element = match ty {
                    Some(Type::List { of }) => Some((**of).clone()),
                    _ => None,
                };
                let mut out = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    out.push(self.value_to_json(
                        item,
                        element.as_ref(),
                        &format!("{path}[{index}]"),
                    )?);
                }
                Json::Array(out)
            }
            ast::DataValue::Name(ident) => Json::String(ident.name.clone()),
            ast::DataValue::Missing(_) => Json::Null,
            ast::DataValue::Literal(literal, span) => {
                if let Some(expected) = ty {
                    if !literal_fits(literal, expected) {
                        let (_, found) = super::expr::literal_type(literal);
                        self.error(
                            Diagnostic::new(
                                Code::E0502,
                                format!(
                                    "`{path}` is {}, but this value is {}",
                                    super::types::phrase(expected),
                                    super::types::phrase(&found)
                                ),
                            )
                            .at(*span, format!("this is {}", super::types::phrase(&found)))
                            .with_help(literal_help(expected)),
                        );
                        // Reported; the entry stays, as missing, so the
                        // example or test it is in still exists.
                        return Some(Json::Null);
                    }
                }
                match literal {
                    ast::Literal::Bool(b) => Json::Bool(*b),
                    ast::Literal::Number { value, .. } | ast::Literal::Money(value) => {
                        number(*value)
                    }
                    ast::Literal::Percent(fraction) => number(*fraction * Decimal::ONE_HUNDRED),
                    ast::Literal::Date(date) => Json::String(date.to_string()),
                    ast::Literal::Month(month) => Json::String(month.to_string()),
                    ast::Literal::Time(time) => Json::String(time.strftime("%H:%M").to_string()),
                    ast::Literal::Text(text) => Json::String(text.clone()),
                    ast::Literal::Duration { .. } => {
                        self.error(
                            Diagnostic::new(Code::E0502, "a duration cannot be a fact")
                                .at(*span, "durations are only used in date arithmetic"),
                        );
                        return Some(Json::Null);
                    }
                }
            }
        })
    }
}

/// Whether a literal written in example or test facts has the kind of value
/// the fact is declared with: money is written `€…`, percentages `…%`, counts
/// and numbers plainly.
fn literal_fits(literal: &ast::Literal, expected: &Type) -> bool {
    use ast::Literal as L;
    match (literal, expected) {
        (L::Bool(_), Type::Bool)
        | (L::Money(_), Type::Money)
        | (L::Percent(_), Type::Percent)
        | (L::Date(_), Type::Date)
        | (L::Month(_), Type::Month)
        | (L::Time(_), Type::Time)
        | (L::Text(_), Type::Text)
        | (L::Number { .. }, Type::Number) => true,
        (L::Number { integer, .. }, Type::Count | Type::Year) => *integer,
        _ => false,
    }
}

fn literal_help(expected: &Type) -> String {
    match expected {
        Type::Money => "write money with `€`, like `€150_000`".into(),
        Type::Percent => "write a percentage with `%`, like `35%`".into(),
        Type::Count => "write a whole number, like `30`".into(),
        Type::Year => "write a year, like `2025`".into(),
        Type::Number => "write a number, like `149.5`".into(),
        Type::Date => "write a date, like `2024-10-01`".into(),
        Type::Month => "write a month, like `2024-06`".into(),
        Type::Time => "write a time of day, like `23:00`".into(),
        Type::Bool => "write `true` or `false`".into(),
        Type::Text => "write text in double quotes".into(),
        Type::Enum { values } => format!("write one of: {}", values.join(", ")),
        other => format!("write {}", super::types::phrase(other)),
    }
}

/// A JSON number with exactly the decimal's digits.
fn number(value: Decimal) -> Json {
    serde_json::Number::from_str(&value.normalize().to_string())
        .map(Json::Number)
        .unwrap_or(Json::Null)
}

fn located(problem: Diagnostic, span: Span) -> Diagnostic {
    let path = problem.path.clone().unwrap_or_default();
    let mut d = problem.at(span, format!("in the fact `{path}`"));
    d.path = None;
    d
}
