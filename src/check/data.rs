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

    /// Each row of a table becomes a test named `<table> row N`.
    pub(super) fn check_tables(&mut self, examples: &[ir::Example]) -> Vec<ir::Test> {
        let tables = self.tables.clone();
        let mut checked = Vec::new();
        for table in tables {
            let base = table
                .base
                .as_ref()
                .and_then(|b| self.example_facts(examples, b));
            let columns: Vec<Column> = table.columns.iter().map(|c| self.column(c)).collect();
            for (index, row) in table.rows.iter().enumerate() {
                if row.cells.len() != columns.len() {
                    self.error(
                        Diagnostic::new(
                            Code::E0215,
                            format!(
                                "this row has {} cells, but the table has {} columns",
                                row.cells.len(),
                                columns.len()
                            ),
                        )
                        .at(row.span, "wrong number of cells")
                        .with_help("give every row one cell per column; write `missing` for an absent fact and `_` for an outcome not checked"),
                    );
                    continue;
                }
                let mut facts = base.clone().unwrap_or_default();
                let mut expectations = Vec::new();
                for (column, cell) in columns.iter().zip(&row.cells) {
                    self.table_cell(column, cell, &mut facts, &mut expectations, row.span);
                }
                checked.push(ir::Test {
                    name: format!("{} row {}", table.name.value, index + 1),
                    facts: Json::Object(facts),
                    expectations,
                    span: row.span,
                });
            }
        }
        checked
    }

    /// The facts of the example a test or table starts from.
    fn example_facts(
        &mut self,
        examples: &[ir::Example],
        base: &ast::Ident,
    ) -> Option<Map<String, Json>> {
        match examples.iter().find(|e| e.name == base.name) {
            Some(example) => match &example.facts {
                Json::Object(map) => Some(map.clone()),
                _ => None,
            },
            None => {
                let mut d =
                    Diagnostic::new(Code::E0210, format!("there is no example `{}`", base.name))
                        .at(base.span, "unknown example");
                let names: Vec<&str> = examples.iter().map(|e| e.name.as_str()).collect();
                if let Some(s) = did_you_mean(&base.name, names) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.error(d);
                None
            }
        }
    }

    /// What a table column holds: a fact (an input, or one year of a yearly
    /// input) or the expected outcome of a decision.
    fn column(&mut self, column: &ast::TableColumn) -> Column {
        let name = &column.name.name;
        if self.decisions.iter().any(|d| &d.name == name) {
            if column.year.is_some() {
                self.error(
                    Diagnostic::new(
                        Code::E0301,
                        format!("`{name}` is a decision; it has no years"),
                    )
                    .at(column.span, "a decision column"),
                );
                return Column::Invalid;
            }
            return Column::Outcome(column.name.clone());
        }
        let Some(input) = self.inputs.iter().find(|i| &i.name == name) else {
            let mut candidates: Vec<&str> = self.inputs.iter().map(|i| i.name.as_str()).collect();
            candidates.extend(self.decisions.iter().map(|d| d.name.as_str()));
            let mut d = Diagnostic::new(
                Code::E0201,
                format!("column `{name}` is neither an input nor a decision"),
            )
            .at(column.name.span, "unknown column");
            if let Some(s) = did_you_mean(name, candidates) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.error(d);
            return Column::Invalid;
        };
        match (column.year, &input.ty) {
            (None, ty) => Column::Fact {
                name: name.clone(),
                year: None,
                ty: ty.clone(),
            },
            (Some(year), Type::Series { of }) => Column::Fact {
                name: name.clone(),
                year: Some(year.to_string()),
                ty: (**of).clone(),
            },
            (Some(_), other) => {
                self.error(
                    Diagnostic::new(
                        Code::E0304,
                        format!(
                            "`{name} over ...` needs a yearly series, but `{name}` is {}",
                            super::types::phrase(other)
                        ),
                    )
                    .at(column.span, "not a yearly input"),
                );
                Column::Invalid
            }
        }
    }

    fn table_cell(
        &mut self,
        column: &Column,
        cell: &ast::TableCell,
        facts: &mut Map<String, Json>,
        expectations: &mut Vec<ir::Expectation>,
        row_span: Span,
    ) {
        match (column, cell) {
            (Column::Invalid, _) => {}
            (Column::Fact { name, year, ty }, ast::TableCell::Value(value)) => {
                let path = match year {
                    Some(y) => format!("{name} over {y}"),
                    None => name.clone(),
                };
                let Some(json) = self.value_to_json(value, Some(ty), &path) else {
                    return;
                };
                match year {
                    None => {
                        facts.insert(name.clone(), json);
                    }
                    Some(y) => {
                        // One year of a series, added to the years the
                        // example already gives.
                        let series = facts
                            .entry(name.clone())
                            .or_insert_with(|| Json::Object(Map::new()));
                        if !series.is_object() {
                            *series = Json::Object(Map::new());
                        }
                        if let Json::Object(years) = series {
                            years.insert(y.clone(), json);
                        }
                    }
                }
            }
            (Column::Fact { name, .. }, ast::TableCell::Undetermined(span)) => {
                self.error(
                    Diagnostic::new(
                        Code::E0502,
                        format!("`undetermined` is an outcome, but `{name}` is a fact"),
                    )
                    .at(*span, "write a value, or `missing`"),
                );
            }
            (Column::Outcome(decision), ast::TableCell::Undetermined(span)) => {
                expectations.push(ir::Expectation {
                    decision: decision.name.clone(),
                    outcome: None,
                    by: None,
                    span: *span,
                });
            }
            (Column::Outcome(decision), ast::TableCell::Value(value)) => match value {
                ast::DataValue::Name(outcome) if outcome.name == "_" => {}
                ast::DataValue::Name(outcome) => {
                    self.check_outcome_ref(decision, outcome);
                    expectations.push(ir::Expectation {
                        decision: decision.name.clone(),
                        outcome: Some(outcome.name.clone()),
                        by: None,
                        span: outcome.span,
                    });
                }
                _ => {
                    self.error(
                        Diagnostic::new(
                            Code::E0206,
                            format!("the `{}` column holds outcomes", decision.name),
                        )
                        .at(row_span, "not an outcome")
                        .with_help("write an outcome name, `undetermined`, or `_` when this row does not check it"),
                    );
                }
            },
        }
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

/// What one table column holds.
enum Column {
    /// A fact: an input, or (`year`) one year of a yearly input.
    Fact {
        name: String,
        year: Option<String>,
        ty: Type,
    },
    /// The expected outcome of a decision.
    Outcome(ast::Ident),
    /// The header has an error (reported); the column is skipped.
    Invalid,
}
