//! Batch evaluation: one policy over many providers, one row each.
//!
//! The pure part of `regel eval --data`: mapping a CSV header onto the
//! policy's inputs, reading cells with the rules of policy literals, reading
//! JSON rows with the facts reader, and deciding each row. Reading and
//! writing files, parallelism and exit codes are the CLI's.
//!
//! Rows are decided by the compiled evaluator ([`crate::eval::compiled`]);
//! policies it cannot compile (lists, records, text comparisons) are decided
//! by the reference interpreter, with the same results.
//!
//! Rows are numbered from 1: the first data row (after a CSV header, or the
//! first non-blank line of JSON Lines, or the first element of a JSON array)
//! is row 1.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::eval::compiled::{Program, Record, Scratch};
use crate::eval::{self, Facts, Status, Value};
use crate::ir::{self, Type, YearMonth};
use crate::source::SourceMap;
use crate::suggest::did_you_mean;

/// A policy ready to decide many rows.
pub struct Batch<'p> {
    policy: &'p ir::Policy,
    program: Option<Program>,
    fallback: Option<String>,
    strict: bool,
    /// With explanations: the policy's sources, which they quote.
    explain: Option<&'p SourceMap>,
}

/// Per-thread working memory; get one from [`Batch::worker`]. Deciding a
/// row reuses it: nothing is allocated per row on the compiled path.
pub struct Worker<'b> {
    /// The compiled program's record and working memory.
    compiled: Option<(Record, Scratch)>,
    /// The decisions of the last row decided.
    decisions: Vec<DecisionRow<'b>>,
    /// Its explanation, when the batch explains.
    explanation: Option<serde_json::Value>,
}

/// The decisions of one row (one entry per decision, in declaration order)
/// and, when the batch explains, the explanation as JSON (the form of
/// `regel eval --facts --explain --format json`); borrowed from the worker.
#[derive(Debug, Clone, Copy)]
pub struct Decisions<'w, 'b> {
    pub decisions: &'w [DecisionRow<'b>],
    pub explanation: Option<&'w serde_json::Value>,
}

/// A decided row, or what is wrong with its data.
pub type RowResult<'w, 'b> = Result<Decisions<'w, 'b>, String>;

#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRow<'b> {
    /// `None` when undetermined.
    pub outcome: Option<&'b str>,
    pub status: Status,
    /// The winning rule; `None` when the default holds or undetermined.
    pub rule: Option<&'b str>,
    /// The missing facts, joined with `;`.
    pub missing: String,
}

impl Default for DecisionRow<'_> {
    fn default() -> Self {
        DecisionRow {
            outcome: None,
            status: Status::Undetermined,
            rule: None,
            missing: String::new(),
        }
    }
}

/// Where the cells of one CSV column go.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Ignored,
    Input { input: usize },
    SeriesYear { input: usize, year: i32 },
}

/// A CSV header mapped onto the policy's inputs.
#[derive(Debug, Clone)]
pub struct CsvColumns {
    names: Vec<String>,
    targets: Vec<Target>,
    id: Option<usize>,
}

impl CsvColumns {
    /// Whether the header has the id column.
    pub fn has_id(&self) -> bool {
        self.id.is_some()
    }

    /// The position of the id column.
    pub fn id(&self) -> Option<usize> {
        self.id
    }
}

/// The id of a JSON row: its id key, or else the row number.
pub fn json_id(json: &serde_json::Value, id_column: &str, row: u64) -> String {
    match json.get(id_column) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::Bool(b)) => b.to_string(),
        _ => row.to_string(),
    }
}

impl<'p> Batch<'p> {
    pub fn new(policy: &'p ir::Policy) -> Batch<'p> {
        match Program::compile(policy) {
            Ok(program) => Batch {
                policy,
                program: Some(program),
                fallback: None,
                strict: false,
                explain: None,
            },
            Err(why) => Batch {
                policy,
                program: None,
                fallback: Some(why),
                strict: false,
                explain: None,
            },
        }
    }

    /// Like `--strict` for one provider: a CSV column or JSON key that is
    /// not an input of the policy (other than the id column) is a problem
    /// instead of being ignored.
    pub fn strict(mut self, strict: bool) -> Batch<'p> {
        self.strict = strict;
        self
    }

    /// Explains every row (`--explain`). Explanations come from the
    /// reference interpreter's trace, so the rows are decided by it too.
    pub fn explained(mut self, sources: &'p SourceMap) -> Batch<'p> {
        self.explain = Some(sources);
        if self.program.take().is_some() {
            self.fallback = Some("rows are explained".into());
        }
        self
    }

    pub fn policy(&self) -> &'p ir::Policy {
        self.policy
    }

    /// Why the policy is decided by the reference interpreter instead of the
    /// compiled evaluator; `None` when it is compiled.
    pub fn fallback(&self) -> Option<&str> {
        self.fallback.as_deref()
    }

    pub fn worker(&self) -> Worker<'_> {
        Worker {
            compiled: self.program.as_ref().map(|p| (p.record(), p.scratch())),
            decisions: Vec::new(),
            explanation: None,
        }
    }

    /// Maps a CSV header onto the inputs. `Err` is a usage problem: the
    /// policy reads lists or records (CSV cannot hold them), a column is
    /// named twice, or a column does not fit its input's type.
    pub fn csv_columns(&self, header: &[&str], id_column: &str) -> Result<CsvColumns, String> {
        let structured: Vec<&str> = self
            .policy
            .inputs
            .iter()
            .filter(|i| needs_structure(&i.ty))
            .map(|i| i.name.as_str())
            .collect();
        if !structured.is_empty() {
            return Err(format!(
                "policy `{}` reads lists or records ({}), which a CSV file cannot hold; \
                 give the rows as JSON Lines (--input-format jsonl) instead",
                self.policy.id,
                structured
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut targets = Vec::with_capacity(header.len());
        for (i, raw) in header.iter().enumerate() {
            let name = raw.trim();
            if header.iter().take(i).any(|earlier| earlier.trim() == name) {
                return Err(format!("the column `{name}` appears twice in the header"));
            }
            let target = match name.split_once('@') {
                None => match self.input_index(name) {
                    Some(input) => match self.policy.inputs.get(input).map(|i| &i.ty) {
                        Some(Type::Series { .. }) => {
                            return Err(format!(
                                "`{name}` is a yearly series: name its columns `{name}@2023`, `{name}@2024`, ..."
                            ));
                        }
                        _ => Target::Input { input },
                    },
                    None => Target::Ignored,
                },
                Some((base, year_text)) => match self.input_index(base) {
                    None => Target::Ignored,
                    Some(input) => {
                        if !matches!(
                            self.policy.inputs.get(input).map(|i| &i.ty),
                            Some(Type::Series { .. })
                        ) {
                            return Err(format!(
                                "the column `{name}` gives a year of `{base}`, which is not a yearly series"
                            ));
                        }
                        match year_text.parse::<i32>() {
                            Ok(year) if year_text.len() == 4 && (1..=9999).contains(&year) => {
                                Target::SeriesYear { input, year }
                            }
                            _ => {
                                return Err(format!(
                                    "the column `{name}`: `{year_text}` is not a year (write `{base}@2023`)"
                                ));
                            }
                        }
                    }
                },
            };
            targets.push(target);
        }
        if self.strict {
            let unknown: Vec<String> = header
                .iter()
                .zip(&targets)
                .filter(|(name, target)| **target == Target::Ignored && name.trim() != id_column)
                .map(|(name, _)| format!("`{}`", name.trim()))
                .collect();
            if !unknown.is_empty() {
                return Err(format!(
                    "--strict: the column{} {} {} not an input of policy `{}`",
                    if unknown.len() == 1 { "" } else { "s" },
                    unknown.join(", "),
                    if unknown.len() == 1 { "is" } else { "are" },
                    self.policy.id
                ));
            }
        }
        Ok(CsvColumns {
            names: header.iter().map(|h| h.trim().to_string()).collect(),
            targets,
            id: header.iter().position(|h| h.trim() == id_column),
        })
    }

    fn input_index(&self, name: &str) -> Option<usize> {
        self.policy.inputs.iter().position(|i| i.name == name)
    }

    /// The names of the decisions, in declaration order.
    pub fn decisions(&self) -> impl Iterator<Item = &'p str> {
        self.policy.decisions.iter().map(|d| d.name.as_str())
    }

    /// Decides one CSV row (`row` numbers it in messages).
    pub fn eval_csv<'b, 'w, 'c>(
        &'b self,
        worker: &'w mut Worker<'b>,
        columns: &CsvColumns,
        row: u64,
        fields: impl IntoIterator<Item = &'c str>,
    ) -> RowResult<'w, 'b> {
        let mut problems: Vec<String> = Vec::new();
        let mut count = 0usize;
        let mut facts = Facts::new();
        if let (Some(program), Some((record, _))) = (&self.program, worker.compiled.as_mut()) {
            program.clear(record);
        }
        for (i, cell) in fields.into_iter().enumerate() {
            count += 1;
            let Some(target) = columns.targets.get(i) else {
                continue;
            };
            let (input, year) = match target {
                Target::Ignored => continue,
                Target::Input { input } => (*input, None),
                Target::SeriesYear { input, year } => (*input, Some(*year)),
            };
            let Some(declared) = self.policy.inputs.get(input) else {
                continue;
            };
            let ty = match (&declared.ty, year) {
                (Type::Series { of }, Some(_)) => of.as_ref(),
                (ty, _) => ty,
            };
            if self.program.is_some() && *ty == Type::Text {
                // Any text is a valid text, and the compiled program reads none.
                continue;
            }
            // An enum value goes into the record as its index, without the
            // `String` a `Value` would take; anything else (a missing cell,
            // a misspelled value) is read below.
            if let (Some(program), Some((record, _)), Type::Enum { values }) =
                (&self.program, worker.compiled.as_mut(), ty)
            {
                let text = trim(cell);
                if values.iter().any(|v| v == text) {
                    program.set_enum(record, input, year, text);
                    continue;
                }
            }
            let value = match parse_cell(ty, cell) {
                Ok(value) => value,
                Err(message) => {
                    let column = columns.names.get(i).map_or("", String::as_str);
                    problems.push(format!("row {row}, column `{column}`: {message}"));
                    continue;
                }
            };
            if value.is_unknown() {
                continue;
            }
            match (&self.program, worker.compiled.as_mut()) {
                (Some(program), Some((record, _))) => match year {
                    Some(year) => program.set_series_year(record, input, year, &value),
                    None => program.set_input(record, input, &value),
                },
                _ => match year {
                    Some(year) => {
                        let entry = facts
                            .entry(declared.name.clone())
                            .or_insert_with(|| Value::Series(BTreeMap::new()));
                        if let Value::Series(years) = entry {
                            years.insert(year, value);
                        }
                    }
                    None => {
                        facts.insert(declared.name.clone(), value);
                    }
                },
            }
        }
        if count != columns.targets.len() {
            problems.insert(
                0,
                format!(
                    "row {row}: has {count} field{}, the header has {}",
                    if count == 1 { "" } else { "s" },
                    columns.targets.len()
                ),
            );
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        self.decide(worker, &facts, false);
        Ok(Decisions {
            decisions: &worker.decisions,
            explanation: worker.explanation.as_ref(),
        })
    }

    /// Decides one JSON row: an object keyed by input name, as `--facts`
    /// reads it.
    pub fn eval_json<'b, 'w>(
        &'b self,
        worker: &'w mut Worker<'b>,
        row: u64,
        json: &serde_json::Value,
        id_column: &str,
    ) -> RowResult<'w, 'b> {
        let (facts, mut problems) = eval::facts::load(&self.policy.inputs, json, self.strict);
        // The id key is not an input, and is allowed under --strict.
        problems.retain(|d| d.path.as_deref() != Some(id_column));
        if !problems.is_empty() {
            let messages: Vec<String> = problems
                .iter()
                .map(|d| match &d.path {
                    Some(path) => format!("row {row}, column `{path}`: {}", d.message),
                    None => format!("row {row}: {}", d.message),
                })
                .collect();
            return Err(messages.join("; "));
        }
        self.decide(worker, &facts, true);
        Ok(Decisions {
            decisions: &worker.decisions,
            explanation: worker.explanation.as_ref(),
        })
    }

    /// Decides into `worker.decisions`, from the worker's loaded record
    /// (compiled) or from `facts`. `load`: the compiled record still has to
    /// be filled from `facts`.
    fn decide<'b>(&'b self, worker: &mut Worker<'b>, facts: &Facts, load: bool) {
        if let (Some(program), Some((record, scratch))) = (&self.program, worker.compiled.as_mut())
        {
            if load {
                program.load_facts(record, facts);
            }
            program.run(record.row(), scratch);
            let count = self.policy.decisions.len();
            worker.decisions.resize_with(count, DecisionRow::default);
            for (d, out) in worker.decisions.iter_mut().enumerate() {
                let decided = program.decided(scratch, d);
                out.outcome = decided.outcome;
                out.status = decided.status;
                out.rule = decided.rule;
                out.missing.clear();
                if decided.status == Status::Decided {
                    continue;
                }
                for (i, fact) in program.missing(scratch, d).enumerate() {
                    if i > 0 {
                        out.missing.push(';');
                    }
                    out.missing.push_str(fact);
                }
            }
            return;
        }
        let evaluation = eval::evaluate(self.policy, facts);
        worker.explanation = self.explain.map(|sources| {
            let explanation = crate::explain::explain(self.policy, facts, sources);
            // Plain data: serializing it into a `Value` cannot fail.
            serde_json::to_value(explanation).unwrap_or_default()
        });
        worker.decisions.clear();
        let rows =
            self.policy
                .decisions
                .iter()
                .zip(evaluation.decisions)
                .map(|(decision, result)| DecisionRow {
                    outcome: result.outcome.as_ref().and_then(|o| {
                        decision
                            .outcomes
                            .iter()
                            .chain(std::iter::once(&decision.default))
                            .find(|x| *x == o)
                            .map(String::as_str)
                    }),
                    status: result.status,
                    rule: result
                        .winner
                        .as_ref()
                        .and_then(|w| self.policy.rule(w))
                        .map(|r| r.id.as_str()),
                    missing: result.missing.join(";"),
                });
        worker.decisions.extend(rows);
    }
}

fn needs_structure(ty: &Type) -> bool {
    match ty {
        Type::List { .. } | Type::Record { .. } => true,
        Type::Series { of } => needs_structure(of),
        _ => false,
    }
}

/// Reads one CSV cell of type `ty` with the rules of policy literals. An
/// empty cell is a missing value (`Value::Unknown`). `Err` says what is wrong
/// with the cell.
#[inline]
pub fn parse_cell(ty: &Type, cell: &str) -> Result<Value, String> {
    if let Type::Text = ty {
        return Ok(if cell.is_empty() {
            Value::Unknown
        } else {
            Value::Text(cell.to_string())
        });
    }
    let text = trim(cell);
    if text.is_empty() {
        return Ok(Value::Unknown);
    }
    match ty {
        Type::Bool => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("`{text}` is not `true` or `false`")),
        },
        Type::Count => {
            let d = number(text, "a count")?;
            if d.is_sign_negative() && !d.is_zero() {
                Err(format!("`{text}` is a count but is negative"))
            } else if d.scale() > 0 && !d.fract().is_zero() {
                Err(format!("`{text}` is a count but has a fraction"))
            } else {
                Ok(Value::Decimal(d))
            }
        }
        Type::Number => number(text, "a number").map(Value::Decimal),
        Type::Money => money(text).map(Value::Decimal),
        Type::Percent => {
            let points = match text.strip_suffix('%') {
                Some(body) => number(body.trim_end(), "a percentage")?,
                None => number(text, "a percentage")?,
            };
            Ok(Value::Decimal(points / Decimal::ONE_HUNDRED))
        }
        Type::Year => match number(text, "a year") {
            Ok(d) if d.fract().is_zero() && d >= Decimal::ONE && d <= Decimal::from(9999) => {
                Ok(Value::Decimal(d))
            }
            _ => Err(format!("`{text}` is not a year (write a year like 2025)")),
        },
        Type::Date => match jiff::civil::Date::from_str(text) {
            Ok(date) if text.len() == 10 => Ok(Value::Date(date)),
            _ => Err(format!(
                "`{text}` is not a date in the calendar (write dates as YYYY-MM-DD, like 2024-10-01)"
            )),
        },
        Type::Month => YearMonth::parse(text).map(Value::Month).ok_or_else(|| {
            format!(
                "`{text}` is not a month in the calendar (write months as YYYY-MM, like 2024-06)"
            )
        }),
        Type::Time => match jiff::civil::Time::from_str(text) {
            Ok(time) if text.len() == 5 => Ok(Value::Time(time)),
            _ => Err(format!(
                "`{text}` is not a time of day (write times as HH:MM, like 23:00)"
            )),
        },
        Type::Enum { values } => {
            if values.iter().any(|v| v == text) {
                Ok(Value::Enum(text.to_string()))
            } else {
                let mut message = format!("`{text}` is not one of {{ {} }}", values.join(", "));
                if let Some(best) = did_you_mean(text, values.iter().map(String::as_str)) {
                    message.push_str(&format!("; did you mean `{best}`?"));
                }
                Err(message)
            }
        }
        Type::Text => Ok(Value::Text(cell.to_string())),
        Type::Duration
        | Type::Series { .. }
        | Type::List { .. }
        | Type::Record { .. }
        | Type::Invalid => Err(format!(
            "a CSV cell cannot hold {}",
            crate::check::types::phrase(ty)
        )),
    }
}

/// `str::trim`, without its Unicode scan when the cell starts and ends
/// with a visible ASCII character (as almost every cell does).
fn trim(cell: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    let bytes = cell.as_bytes();
    if visible(bytes.first()) && visible(bytes.last()) {
        cell
    } else {
        cell.trim()
    }
}

/// The usual cell in one pass: `-?digits(.digits)?`, at most 18 digits.
/// `None` sends anything else through [`number`]'s full reading, which
/// gives the same value for these.
fn plain_decimal(text: &str) -> Option<Decimal> {
    let (negative, body) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        bytes => (false, bytes),
    };
    let mut mantissa: i64 = 0;
    let mut digits = 0u32;
    let mut scale: Option<u32> = None;
    for &b in body {
        match b {
            // 18 digits always fit in an i64; longer numbers take the full reading.
            b'0'..=b'9' if digits < 18 => {
                mantissa = mantissa * 10 + i64::from(b - b'0');
                digits += 1;
                if let Some(s) = scale.as_mut() {
                    *s += 1;
                }
            }
            b'.' if scale.is_none() && digits > 0 => scale = Some(0),
            _ => return None,
        }
    }
    // `5.` is not a number; `-0` keeps the full reading's signed zero.
    if digits == 0 || scale == Some(0) || (negative && mantissa == 0) {
        return None;
    }
    Some(Decimal::new(
        if negative { -mantissa } else { mantissa },
        scale.unwrap_or(0),
    ))
}

/// A decimal as policies write it: `1500`, `-2.5`, `150_000`.
fn number(text: &str, what: &str) -> Result<Decimal, String> {
    if let Some(d) = plain_decimal(text) {
        return Ok(d);
    }
    let body = text.strip_prefix('-').unwrap_or(text).as_bytes();
    let is_separator = |b: u8| b == b'_' || b == b'.';
    let well_formed = body.first().is_some_and(u8::is_ascii_digit)
        && body.last().is_some_and(u8::is_ascii_digit)
        && body.iter().all(|b| b.is_ascii_digit() || is_separator(*b))
        && body.iter().filter(|b| **b == b'.').count() <= 1
        && body
            .windows(2)
            .all(|pair| !pair.iter().all(|b| is_separator(*b)));
    if !well_formed {
        return Err(format!("`{text}` is not {what}"));
    }
    let parsed = if text.contains('_') {
        Decimal::from_str(&text.replace('_', ""))
    } else {
        Decimal::from_str(text)
    };
    parsed.map_err(|_| {
        format!("`{text}` is out of range (numbers have at most 28 significant digits)")
    })
}

/// Money: euros as a plain number (`150000.00`) or a literal (`€150_000`).
fn money(text: &str) -> Result<Decimal, String> {
    if let Some(d) = plain_decimal(text) {
        return Ok(d);
    }
    let (euro, body) = match text.strip_prefix('€') {
        Some(body) => (true, body.trim_start()),
        None => (false, text),
    };
    if body.contains(',') {
        return Err(format!(
            "`{text}` uses `,` in a money amount: `.` is the decimal point, and thousands are grouped with `_` or not at all"
        ));
    }
    let whole = body.split('.').next().unwrap_or("");
    let decimals = body.rsplit('.').next().map_or(0, str::len);
    if euro && body.contains('.') && decimals == 3 && whole.len() <= 3 && !whole.starts_with('0') {
        return Err(format!(
            "`{text}` looks like a thousands separator in a money amount: `.` is the decimal point, group thousands with `_`"
        ));
    }
    number(body, "an amount of money")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    proptest::proptest! {
        #[test]
        fn the_one_pass_reading_gives_the_full_readings_value(
            negative: bool,
            whole in "[0-9]{1,20}",
            fraction in proptest::option::of("[0-9]{1,8}"),
        ) {
            let text = format!(
                "{}{whole}{}",
                if negative { "-" } else { "" },
                fraction.map(|f| format!(".{f}")).unwrap_or_default()
            );
            if let Some(fast) = plain_decimal(&text) {
                let full = Decimal::from_str(&text).unwrap();
                proptest::prop_assert_eq!(fast, full);
                proptest::prop_assert_eq!(fast.scale(), full.scale());
                proptest::prop_assert_eq!(fast.to_string(), full.to_string());
            }
        }
    }

    #[test]
    fn one_pass_reading_leaves_the_rest_to_the_full_one() {
        for text in [
            "99999999999999999999.5",
            "5.",
            ".5",
            "1_000",
            "1.2.3",
            "-",
            "",
            "1e5",
            "+1",
            "-0",
            "1234567890123456789",
        ] {
            assert_eq!(plain_decimal(text), None, "{text}");
        }
        assert_eq!(plain_decimal("150"), Some(Decimal::from(150)));
        assert_eq!(
            plain_decimal("-2.50").map(|d| d.to_string()).as_deref(),
            Some("-2.50")
        );
    }

    #[test]
    fn cells_read_like_literals() {
        let money = Type::Money;
        assert_eq!(
            parse_cell(&money, "€150_000").unwrap(),
            Value::Decimal(Decimal::from(150_000))
        );
        assert_eq!(
            parse_cell(&money, "150000.50").unwrap(),
            Value::Decimal(Decimal::from_str("150000.50").unwrap())
        );
        assert!(parse_cell(&money, "€150.000").is_err());
        assert!(parse_cell(&money, "1,5").is_err());
        assert_eq!(
            parse_cell(&Type::Percent, "35%").unwrap(),
            Value::Decimal(Decimal::from_str("0.35").unwrap())
        );
        assert_eq!(
            parse_cell(&Type::Percent, "35").unwrap(),
            parse_cell(&Type::Percent, "35%").unwrap()
        );
        assert!(parse_cell(&Type::Count, "2.5").is_err());
        assert!(parse_cell(&Type::Count, "-1").is_err());
        assert!(parse_cell(&Type::Number, "1__0").is_err());
        assert!(parse_cell(&Type::Number, "abc").is_err());
        assert!(parse_cell(&Type::Date, "2024-02-30").is_err());
        assert!(parse_cell(&Type::Bool, "yes").is_err());
        assert_eq!(parse_cell(&Type::Bool, " ").unwrap(), Value::Unknown);
        let kind = Type::Enum {
            values: vec!["fysiotherapie".into(), "oefentherapie".into()],
        };
        let err = parse_cell(&kind, "fysioterapie").unwrap_err();
        assert!(err.contains("did you mean `fysiotherapie`"), "{err}");
    }
}
