//! Reading one provider's facts (a JSON object keyed by input name) into typed
//! values, with a coded diagnostic and key path for every problem.
//!
//! Numbers are read from their JSON text, never through `f64`. A key that is
//! absent or `null` is an unknown fact. Keys the policy does not declare are
//! ignored (one provider record serves every policy) unless `strict` is set.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value as Json;

use super::value::Value;
use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{self, Type};
use crate::suggest::did_you_mean;

/// Input values by input name. Inputs absent from the data are `Unknown`.
pub type Facts = BTreeMap<String, Value>;

/// Reads `json` against the declared inputs.
pub fn load(inputs: &[ir::Input], json: &Json, strict: bool) -> (Facts, Vec<Diagnostic>) {
    let mut reader = Reader {
        problems: Vec::new(),
        strict,
    };
    let mut facts = Facts::new();
    let Json::Object(object) = json else {
        reader.problems.push(
            Diagnostic::new(
                Code::E0501,
                format!(
                    "the facts must be a JSON object keyed by input name, not {}",
                    json_kind(json)
                ),
            )
            .with_help("write `{\"kvk_registered\": true, \"bi\": {\"2023\": 120}}`"),
        );
        return (facts, reader.problems);
    };
    for input in inputs {
        let value = match object.get(&input.name) {
            Some(json) => reader.value(json, &input.ty, &input.name),
            None => Value::Unknown,
        };
        facts.insert(input.name.clone(), value);
    }
    if strict {
        for key in object.keys() {
            if !inputs.iter().any(|i| &i.name == key) {
                let mut d = Diagnostic::new(
                    Code::E0507,
                    format!("`{key}` is not an input of this policy"),
                )
                .with_path(key.clone());
                if let Some(s) = did_you_mean(key, inputs.iter().map(|i| i.name.as_str())) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                reader.problems.push(d);
            }
        }
    }
    (facts, reader.problems)
}

struct Reader {
    problems: Vec<Diagnostic>,
    strict: bool,
}

fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "true/false",
        Json::Number(_) => "a number",
        Json::String(_) => "a text",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

impl Reader {
    fn wrong(&mut self, path: &str, ty: &Type, json: &Json, help: Option<&str>) -> Value {
        let mut d = Diagnostic::new(
            Code::E0502,
            format!(
                "`{path}` should be {}, but the data has {}",
                crate::check::types::phrase(ty),
                json_kind(json)
            ),
        )
        .with_path(path);
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.problems.push(d);
        Value::Unknown
    }

    fn value(&mut self, json: &Json, ty: &Type, path: &str) -> Value {
        if json.is_null() {
            return Value::Unknown;
        }
        match ty {
            Type::Bool => match json {
                Json::Bool(b) => Value::Bool(*b),
                _ => self.wrong(path, ty, json, Some("write `true` or `false`")),
            },
            Type::Count => self.count(json, path),
            Type::Number | Type::Money => match decimal(json) {
                Some(Ok(d)) => Value::Decimal(d),
                Some(Err(())) => self.out_of_range(path),
                None => self.wrong(path, ty, json, Some("write a number like 1500.50")),
            },
            Type::Percent => self.percent(json, path),
            Type::Year => match decimal(json) {
                Some(Ok(d))
                    if d.fract().is_zero() && d >= Decimal::ONE && d <= Decimal::from(9999) =>
                {
                    Value::Decimal(d)
                }
                Some(_) => {
                    self.problems.push(
                        Diagnostic::new(Code::E0502, format!("`{path}` is not a year"))
                            .with_path(path)
                            .with_help("write a year like 2025"),
                    );
                    Value::Unknown
                }
                None => self.wrong(path, ty, json, Some("write a year like 2025")),
            },
            Type::Date => match json {
                Json::String(s) => match jiff::civil::Date::from_str(s) {
                    Ok(date) if s.len() == 10 => Value::Date(date),
                    _ => {
                        self.problems.push(
                            Diagnostic::new(
                                Code::E0504,
                                format!("`{path}` is not a date in the calendar: `{s}`"),
                            )
                            .with_path(path)
                            .with_help("write dates as \"YYYY-MM-DD\", like \"2024-10-01\""),
                        );
                        Value::Unknown
                    }
                },
                _ => self.wrong(path, ty, json, Some("write dates as \"YYYY-MM-DD\"")),
            },
            Type::Month => match json {
                Json::String(s) => match crate::ir::YearMonth::parse(s) {
                    Some(month) => Value::Month(month),
                    None => {
                        self.problems.push(
                            Diagnostic::new(
                                Code::E0504,
                                format!("`{path}` is not a month in the calendar: `{s}`"),
                            )
                            .with_path(path)
                            .with_help("write months as \"YYYY-MM\", like \"2024-06\""),
                        );
                        Value::Unknown
                    }
                },
                _ => self.wrong(path, ty, json, Some("write months as \"YYYY-MM\"")),
            },
            Type::Time => match json {
                Json::String(s) => match jiff::civil::Time::from_str(s) {
                    Ok(time) if s.len() == 5 => Value::Time(time),
                    _ => {
                        self.problems.push(
                            Diagnostic::new(
                                Code::E0504,
                                format!("`{path}` is not a time of day: `{s}`"),
                            )
                            .with_path(path)
                            .with_help("write times as \"HH:MM\", like \"23:00\""),
                        );
                        Value::Unknown
                    }
                },
                _ => self.wrong(path, ty, json, Some("write times as \"HH:MM\"")),
            },
            Type::Duration => self.wrong(path, ty, json, Some("durations cannot be facts")),
            Type::Text => match json {
                Json::String(s) => Value::Text(s.clone()),
                _ => self.wrong(path, ty, json, Some("write text in double quotes")),
            },
            Type::Enum { values } => match json {
                Json::String(s) if values.contains(s) => Value::Enum(s.clone()),
                Json::String(s) => {
                    let mut d = Diagnostic::new(
                        Code::E0505,
                        format!(
                            "`{path}` is `{s}`, which is not one of {{ {} }}",
                            values.join(", ")
                        ),
                    )
                    .with_path(path);
                    if let Some(best) = did_you_mean(s, values.iter().map(String::as_str)) {
                        d = d.with_help(format!("did you mean `{best}`?"));
                    }
                    self.problems.push(d);
                    Value::Unknown
                }
                _ => self.wrong(path, ty, json, None),
            },
            Type::Series { of } => self.series(json, of, path),
            Type::List { of } => match json {
                Json::Array(items) => Value::List(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| self.value(item, of, &format!("{path}[{i}]")))
                        .collect(),
                ),
                _ => self.wrong(path, ty, json, Some("write a JSON list `[...]`")),
            },
            Type::Record { fields } => self.record(json, fields, ty, path),
            Type::Invalid => Value::Unknown,
        }
    }

    fn out_of_range(&mut self, path: &str) -> Value {
        self.problems.push(
            Diagnostic::new(Code::E0502, format!("`{path}` is out of range"))
                .with_path(path)
                .with_help("numbers have at most 28 significant digits"),
        );
        Value::Unknown
    }

    fn count(&mut self, json: &Json, path: &str) -> Value {
        match decimal(json) {
            Some(Ok(d)) if d < Decimal::ZERO => {
                self.problems.push(
                    Diagnostic::new(
                        Code::E0503,
                        format!("`{path}` is a count but is negative ({d})"),
                    )
                    .with_path(path),
                );
                Value::Unknown
            }
            Some(Ok(d)) if !d.fract().is_zero() => {
                self.problems.push(
                    Diagnostic::new(
                        Code::E0502,
                        format!("`{path}` is a count but has a fraction ({d})"),
                    )
                    .with_path(path)
                    .with_help("counts are whole numbers"),
                );
                Value::Unknown
            }
            Some(Ok(d)) => Value::Decimal(d),
            Some(Err(())) => self.out_of_range(path),
            None => self.wrong(path, &Type::Count, json, Some("write a whole number")),
        }
    }

    /// Percentages are JSON numbers in percent points (35 means 35%) or text
    /// like "35%". They are stored as fractions.
    fn percent(&mut self, json: &Json, path: &str) -> Value {
        let points = match json {
            Json::String(s) if s.trim_end().ends_with('%') => {
                Decimal::from_str(s.trim_end().trim_end_matches('%').trim()).map_err(|_| ())
            }
            _ => match decimal(json) {
                Some(result) => result,
                None => {
                    return self.wrong(
                        path,
                        &Type::Percent,
                        json,
                        Some("write 35 or \"35%\" for 35%"),
                    );
                }
            },
        };
        match points {
            Ok(p) => Value::Decimal(p / Decimal::ONE_HUNDRED),
            Err(()) => self.wrong(
                path,
                &Type::Percent,
                json,
                Some("write 35 or \"35%\" for 35%"),
            ),
        }
    }

    fn series(&mut self, json: &Json, of: &Type, path: &str) -> Value {
        let Json::Object(years) = json else {
            return self.wrong(
                path,
                &Type::Series {
                    of: Box::new(of.clone()),
                },
                json,
                Some("write one value per year: {\"2023\": 120, \"2024\": 131}"),
            );
        };
        let mut series = BTreeMap::new();
        for (key, value) in years {
            match key.parse::<i32>() {
                Ok(year) if (1..=9999).contains(&year) && key.len() == 4 => {
                    let v = self.value(value, of, &format!("{path}.{key}"));
                    series.insert(year, v);
                }
                _ => self.problems.push(
                    Diagnostic::new(Code::E0506, format!("`{key}` in `{path}` is not a year"))
                        .with_path(format!("{path}.{key}"))
                        .with_help("the keys of a yearly series are years like \"2023\""),
                ),
            }
        }
        Value::Series(series)
    }

    fn record(&mut self, json: &Json, fields: &[ir::Field], ty: &Type, path: &str) -> Value {
        let Json::Object(object) = json else {
            return self.wrong(
                path,
                ty,
                json,
                Some("write a JSON object with the record's fields"),
            );
        };
        let mut record = BTreeMap::new();
        for field in fields {
            let value = match object.get(&field.name) {
                Some(v) => self.value(v, &field.ty, &format!("{path}.{}", field.name)),
                None => Value::Unknown,
            };
            record.insert(field.name.clone(), value);
        }
        if self.strict {
            for key in object.keys() {
                if !fields.iter().any(|f| &f.name == key) {
                    let mut d = Diagnostic::new(
                        Code::E0507,
                        format!("`{path}` has a field `{key}` the policy does not declare"),
                    )
                    .with_path(format!("{path}.{key}"));
                    if let Some(s) = did_you_mean(key, fields.iter().map(|f| f.name.as_str())) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    self.problems.push(d);
                }
            }
        }
        Value::Record(record)
    }
}

/// The exact decimal of a JSON number, read from its text (never through
/// `f64`), or of a text holding a plain decimal (`"250000.00"`, as exporters
/// of decimal columns write them). `None` when it is neither; `Err` when it
/// does not fit.
fn decimal(json: &Json) -> Option<Result<Decimal, ()>> {
    let text = match json {
        Json::Number(n) => n.to_string(),
        Json::String(s) if looks_numeric(s) => s.clone(),
        _ => return None,
    };
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(&text)
    } else {
        Decimal::from_str(&text)
    };
    Some(parsed.map_err(|_| ()))
}

/// A plain decimal in text: digits with at most one `.`, optionally negative.
/// Thousands separators (`"1,500"`, `"1.500.000"`) are not accepted.
fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    !body.is_empty()
        && body.chars().all(|c| c.is_ascii_digit() || c == '.')
        && body.chars().filter(|c| *c == '.').count() <= 1
        && !body.starts_with('.')
        && !body.ends_with('.')
}
