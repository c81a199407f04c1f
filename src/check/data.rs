//! Examples and tests: facts written in Regel syntax, turned into the same JSON
//! form `regel eval --facts` reads and validated against the declared inputs.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

use super::Checker;
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::facts;
use crate::ir;
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
                let Some(Json::Object(own)) = self.object_to_json(data) else {
                    continue;
                };
                // The test's own facts replace the example's, key by key.
                for (key, value) in own {
                    facts.insert(key, value);
                }
            }
            let facts = Json::Object(facts);
            if let Some(data) = &test.data {
                self.validate_facts(&facts, data, Some(test.name.span));
            } else {
                self.validate_facts_at(&facts, test.name.span);
            }
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

    fn validate_facts_at(&mut self, json: &Json, span: Span) {
        let (_, problems) = facts::load(&self.inputs, json, true);
        for problem in problems {
            self.error(located(problem, span));
        }
    }

    fn object_to_json(&mut self, object: &ast::DataObject) -> Option<Json> {
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
            match self.value_to_json(&entry.value) {
                Some(value) => {
                    map.insert(entry.key.value.clone(), value);
                }
                None => ok = false,
            }
        }
        ok.then_some(Json::Object(map))
    }

    fn value_to_json(&mut self, value: &ast::DataValue) -> Option<Json> {
        Some(match value {
            ast::DataValue::Object(object) => self.object_to_json(object)?,
            ast::DataValue::List(items, _) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.value_to_json(item)?);
                }
                Json::Array(out)
            }
            ast::DataValue::Name(ident) => Json::String(ident.name.clone()),
            ast::DataValue::Missing(_) => Json::Null,
            ast::DataValue::Literal(literal, span) => match literal {
                ast::Literal::Bool(b) => Json::Bool(*b),
                ast::Literal::Number { value, .. } | ast::Literal::Money(value) => number(*value),
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
                    return None;
                }
            },
        })
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
