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
use crate::number::NumberProblem;
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

/// A JSON value as far as reading a scalar needs it: its kind, and the text
/// of a number or string. The tree reader here and the streaming reader of
/// batch rows both read scalars through it, so they accept and refuse alike.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Raw<'a> {
    Null,
    Bool(bool),
    /// A JSON number's text, exactly as written.
    Number(&'a str),
    Text(&'a str),
    List,
    Object,
}

impl Raw<'_> {
    fn kind(self) -> &'static str {
        match self {
            Raw::Null => "null",
            Raw::Bool(_) => "true/false",
            Raw::Number(_) => "a number",
            Raw::Text(_) => "a text",
            Raw::List => "a list",
            Raw::Object => "an object",
        }
    }
}

fn raw(json: &Json) -> Raw<'_> {
    match json {
        Json::Null => Raw::Null,
        Json::Bool(b) => Raw::Bool(*b),
        Json::Number(n) => Raw::Number(n.as_str()),
        Json::String(s) => Raw::Text(s),
        Json::Array(_) => Raw::List,
        Json::Object(_) => Raw::Object,
    }
}

fn json_kind(json: &Json) -> &'static str {
    raw(json).kind()
}

/// The value of a scalar fact of type `ty` (not a series, list or record),
/// or `None` when the data has a problem there (or a structured type is
/// asked for): what [`load`] reads, for a reader that needs no diagnostics
/// because it hands rows with problems to [`load`].
pub(crate) fn scalar_value(ty: &Type, raw: Raw<'_>) -> Option<Value> {
    let mut reader = Reader {
        problems: Vec::new(),
        strict: false,
    };
    let value = reader.scalar(raw, ty, "");
    reader.problems.is_empty().then_some(value)
}

impl Reader {
    fn wrong(&mut self, path: &str, ty: &Type, raw: Raw<'_>, help: Option<&str>) -> Value {
        let mut d = Diagnostic::new(
            Code::E0502,
            format!(
                "`{path}` should be {}, but the data has {}",
                crate::check::types::phrase(ty),
                raw.kind()
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
        match (ty, json) {
            (_, Json::Null) => Value::Unknown,
            (Type::Series { of }, _) => self.series(json, of, path),
            (Type::List { of }, Json::Array(items)) => Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.value(item, of, &format!("{path}[{i}]")))
                    .collect(),
            ),
            (Type::Record { fields }, _) => self.record(json, fields, ty, path),
            _ => self.scalar(raw(json), ty, path),
        }
    }

    /// A fact of a type other than series and record, from its JSON kind
    /// and text (a list only when the data has one).
    fn scalar(&mut self, json: Raw<'_>, ty: &Type, path: &str) -> Value {
        if let Raw::Null = json {
            return Value::Unknown;
        }
        match ty {
            Type::Bool => match json {
                Raw::Bool(b) => Value::Bool(b),
                _ => self.wrong(path, ty, json, Some("write `true` or `false`")),
            },
            Type::Count | Type::Number | Type::Money | Type::Percent | Type::Year => {
                self.number(json, ty, path)
            }
            Type::Date => match json {
                Raw::Text(s) => match jiff::civil::Date::from_str(s) {
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
                Raw::Text(s) => match crate::ir::YearMonth::parse(s) {
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
                Raw::Text(s) => match jiff::civil::Time::from_str(s) {
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
                Raw::Text(s) => Value::Text(s.to_string()),
                _ => self.wrong(path, ty, json, Some("write text in double quotes")),
            },
            Type::Enum { values } => match json {
                Raw::Text(s) if values.iter().any(|v| v == s) => Value::Enum(s.to_string()),
                Raw::Text(s) => {
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
            Type::List { .. } => self.wrong(path, ty, json, Some("write a JSON list `[...]`")),
            Type::Series { .. } | Type::Record { .. } | Type::Invalid => Value::Unknown,
        }
    }
}

impl Reader {
    /// A count, number, money amount, percentage or year: a JSON number,
    /// or a text written as policies write numbers (`"250000.00"`, `"35%"`),
    /// read exactly or refused with the reason.
    fn number(&mut self, json: Raw<'_>, ty: &Type, path: &str) -> Value {
        let read = match json {
            Raw::Number(n) => json_number(ty, n),
            Raw::Text(s) if looks_like_a_number(s) => number_text(ty, s.trim()),
            _ => return self.wrong(path, ty, json, Some(number_help(ty))),
        };
        match read {
            Ok(d) => Value::Decimal(d),
            Err(problem) => {
                self.problems.push(problem.at(path));
                Value::Unknown
            }
        }
    }

    fn series(&mut self, json: &Json, of: &Type, path: &str) -> Value {
        let Json::Object(years) = json else {
            return self.wrong(
                path,
                &Type::Series {
                    of: Box::new(of.clone()),
                },
                raw(json),
                Some("write one value per year: {\"2023\": 120, \"2024\": 131}"),
            );
        };
        let mut series = BTreeMap::new();
        for (key, value) in years {
            match crate::ir::year_key(key) {
                Some(year) => {
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
                raw(json),
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

/// What is wrong with one value of provider data: a coded message and,
/// where a fix is known, a help line. The caller adds where it is. One
/// pointer wide, so that the `Result` of reading a cell stays small: cells
/// are read by the million, problems are rare.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem(Box<ProblemDetails>);

#[derive(Debug, Clone, PartialEq)]
pub struct ProblemDetails {
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
}

impl std::ops::Deref for Problem {
    type Target = ProblemDetails;

    fn deref(&self) -> &ProblemDetails {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemDetails {
        &mut self.0
    }
}

impl Problem {
    pub fn new(code: Code, message: String) -> Problem {
        Problem(Box::new(ProblemDetails {
            code,
            message,
            help: None,
        }))
    }

    fn with_help(mut self, help: impl Into<String>) -> Problem {
        self.0.help = Some(help.into());
        self
    }

    /// The problem as a diagnostic, for the caller to place.
    pub fn into_diagnostic(self) -> Diagnostic {
        let ProblemDetails {
            code,
            message,
            help,
        } = *self.0;
        let mut d = Diagnostic::new(code, message);
        if let Some(help) = help {
            d = d.with_help(help);
        }
        d
    }

    /// The problem as a diagnostic at key path `path`.
    pub fn at(self, path: &str) -> Diagnostic {
        let d = self.into_diagnostic();
        let message = format!("`{path}`: {}", d.message);
        Diagnostic { message, ..d }.with_path(path)
    }
}

fn number_help(ty: &Type) -> &'static str {
    match ty {
        Type::Count => "write a whole number",
        Type::Percent => "write 35 or \"35%\" for 35%",
        Type::Year => "write a year like 2025",
        _ => "write a number like 1500.50",
    }
}

/// Text that is meant as a number (digits with separators, a sign, `€` or
/// `%`), so that a malformed one is reported as a malformed number rather
/// than as text where a number belongs.
fn looks_like_a_number(text: &str) -> bool {
    let text = text.trim();
    text.bytes().any(|b| b.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '_' | '-' | '%' | '€' | ' '))
}

fn problem_of(problem: &NumberProblem, text: &str, ty: &Type) -> Problem {
    let code = match problem {
        NumberProblem::Malformed => Code::E0502,
        NumberProblem::TooPrecise => Code::E0509,
        NumberProblem::Dutch { .. } => Code::E0510,
    };
    let what = crate::check::types::phrase(ty);
    let found = Problem::new(code, problem.message(text, &what));
    match problem.help() {
        Some(help) => found.with_help(help),
        None => found.with_help(number_help(ty)),
    }
}

/// A number of type `ty` from the text of a JSON number, exactly.
fn json_number(ty: &Type, text: &str) -> Result<Decimal, Problem> {
    let value = crate::number::parse_json_number(text).map_err(|p| problem_of(&p, text, ty))?;
    typed_number(ty, value, text)
}

/// A number of type `ty` from text written as policies write literals:
/// `1500.50`, `150_000`, money with or without `€`, a percentage with or
/// without `%`. Used for CSV cells and for numbers in JSON strings, so both
/// read the same text the same way.
#[inline]
pub fn number_text(ty: &Type, text: &str) -> Result<Decimal, Problem> {
    let body = match ty {
        Type::Money => text.strip_prefix('€').map_or(text, str::trim_start),
        Type::Percent => text.strip_suffix('%').map_or(text, str::trim_end),
        _ => text,
    };
    let value = match crate::number::parse_simple(body) {
        // The usual cells, without the checks they cannot fail.
        Some(value) => match ty {
            Type::Number | Type::Money => return Ok(value),
            Type::Count if value.scale() == 0 && !value.is_sign_negative() => return Ok(value),
            _ => value,
        },
        None => crate::number::parse_plain(body).map_err(|p| problem_of(&p, text, ty))?,
    };
    typed_number(ty, value, text)
}

/// Checks a number against its type; percentages become fractions.
fn typed_number(ty: &Type, value: Decimal, text: &str) -> Result<Decimal, Problem> {
    match ty {
        Type::Count if value.is_sign_negative() && !value.is_zero() => Err(Problem::new(
            Code::E0503,
            format!("`{text}` is a count but is negative"),
        )),
        // `fract` only where there can be one: it is not free.
        Type::Count if value.scale() > 0 && !value.fract().is_zero() => Err(Problem::new(
            Code::E0502,
            format!("`{text}` is a count but has a fraction"),
        )
        .with_help("counts are whole numbers")),
        Type::Year
            if (value.scale() > 0 && !value.fract().is_zero())
                || value < Decimal::ONE
                || value > Decimal::from(9999) =>
        {
            Err(Problem::new(Code::E0502, format!("`{text}` is not a year"))
                .with_help("write a year like 2025"))
        }
        // Percent points to a fraction: the same digits, two places further
        // right, so nothing is rounded.
        Type::Percent => {
            let mut fraction = value;
            match fraction.set_scale(value.scale() + 2) {
                Ok(()) => Ok(fraction),
                Err(_) => Err(problem_of(&NumberProblem::TooPrecise, text, ty)),
            }
        }
        _ => Ok(value),
    }
}
