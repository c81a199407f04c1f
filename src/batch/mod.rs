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

mod cells;
mod csv;
mod ids;
mod json_row;

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::diagnostics::{Code, Diagnostic};
use crate::eval::compiled::{Program, Record, Scratch};
use crate::eval::{self, Facts, Status, Value};
use crate::ir::{self, Type};
use crate::source::SourceMap;

use self::csv::Target;
pub use self::csv::{CsvColumns, CsvLine, Header, LineProblem};
pub use cells::parse_cell;
pub use ids::{IdHash, Ids};

/// A policy ready to decide many rows.
pub struct Batch<'p> {
    policy: &'p ir::Policy,
    program: Option<Program>,
    /// Reads JSON rows straight into the program's records.
    rows: json_row::RowReader<'p>,
    /// Per input: its CSV cells hold JSON (a list or record, or a series of
    /// them), worked out once rather than per cell.
    json_cells: Vec<bool>,
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
    /// The inputs a JSON row has given so far (a bit each).
    seen: Vec<u64>,
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

/// A decided row, or what is wrong with its data: coded problems, each
/// placed at the row (and column or key) it is about.
pub type RowResult<'w, 'b> = Result<Decisions<'w, 'b>, Vec<Diagnostic>>;

/// Where a row is in its file: its number (the first data row is 1) and the
/// line it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub row: u64,
    pub line: Option<u64>,
}

impl Place {
    /// `problems`, each placed at this row.
    pub fn all(self, problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
        problems
            .into_iter()
            .map(|d| d.in_row(self.row, self.line))
            .collect()
    }
}

/// E0513 for a field that is not UTF-8, with the byte where it goes wrong.
pub fn not_utf8(bytes: &[u8], error: &std::str::Utf8Error) -> Diagnostic {
    let at = error.valid_up_to();
    Diagnostic::new(
        Code::E0513,
        format!(
            "the field is not valid UTF-8: byte {} (0x{:02X}) does not belong",
            at + 1,
            bytes.get(at).copied().unwrap_or(0)
        ),
    )
    .with_help("save the file as UTF-8 (it may be in Latin-1 or Windows-1252)")
}

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

/// The id of a JSON row: the text of its id key, if it has one.
pub fn json_id(json: &serde_json::Value, id_column: &str) -> Option<String> {
    match json.get(id_column) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    }
}

impl<'p> Batch<'p> {
    pub fn new(policy: &'p ir::Policy) -> Batch<'p> {
        let (program, fallback) = match Program::compile(policy) {
            Ok(program) => (Some(program), None),
            Err(why) => (None, Some(why)),
        };
        let rows = json_row::RowReader::new(&policy.inputs, program.as_ref(), false);
        Batch {
            policy,
            program,
            rows,
            json_cells: policy
                .inputs
                .iter()
                .map(|i| needs_structure(&i.ty))
                .collect(),
            fallback,
            strict: false,
            explain: None,
        }
    }

    /// Like `--strict` for one provider: a CSV column or JSON key that is
    /// not an input of the policy (other than the id column) is a problem
    /// instead of being ignored.
    pub fn strict(mut self, strict: bool) -> Batch<'p> {
        self.strict = strict;
        self.rows = json_row::RowReader::new(&self.policy.inputs, self.program.as_ref(), strict);
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

    /// Decides every row with the reference interpreter (`--evaluator
    /// reference`), to check the compiled evaluator against it.
    pub fn reference(mut self) -> Batch<'p> {
        if self.program.take().is_some() {
            self.fallback = Some("--evaluator reference".into());
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
            seen: Vec::new(),
            explanation: None,
        }
    }

    /// Maps a CSV header onto the inputs, with warnings about inputs no
    /// column gives and columns that are no input (errors under `strict`).
    /// `Err`: the header cannot be used (E0514).
    pub fn csv_header(
        &self,
        header: &[&str],
        id_column: &str,
        delimiter: u8,
    ) -> Result<Header, Vec<Diagnostic>> {
        csv::map_header(self.policy, header, id_column, delimiter, self.strict)
    }

    /// The names of the decisions, in declaration order.
    pub fn decisions(&self) -> impl Iterator<Item = &'p str> {
        self.policy.decisions.iter().map(|d| d.name.as_str())
    }

    /// Decides one CSV row, given as the fields of its line: each as text,
    /// or as its bytes when they are not UTF-8 ([`CsvLine::text_fields`]
    /// gives them so). `place` places the row in messages.
    pub fn eval_csv<'b, 'w, 'c>(
        &'b self,
        worker: &'w mut Worker<'b>,
        columns: &CsvColumns,
        place: Place,
        fields: impl IntoIterator<Item = Result<&'c str, &'c [u8]>>,
    ) -> RowResult<'w, 'b> {
        let mut problems: Vec<Diagnostic> = Vec::new();
        let mut count = 0usize;
        let mut facts = Facts::new();
        if let (Some(program), Some((record, _))) = (&self.program, worker.compiled.as_mut()) {
            program.clear(record);
        }
        let column_name = |i: usize| columns.names.get(i).map_or("", String::as_str);
        for (i, field) in fields.into_iter().enumerate() {
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
            let cell = match field.or_else(std::str::from_utf8) {
                Ok(cell) => cell,
                Err(e) => {
                    let bytes = field.err().unwrap_or(&[]);
                    problems.push(not_utf8(bytes, &e).with_path(column_name(i)));
                    continue;
                }
            };
            let ty = match (&declared.ty, year) {
                (Type::Series { of }, Some(_)) => of.as_ref(),
                (ty, _) => ty,
            };
            // A text goes into the record as it is (any text is a valid
            // text; an empty cell is a missing one).
            if let (Some(program), Some((record, _)), Type::Text) =
                (&self.program, worker.compiled.as_mut(), ty)
            {
                if !cell.is_empty() {
                    program.set_text(record, input, year, cell);
                }
                continue;
            }
            // An enum value goes into the record as its index, without the
            // `String` a `Value` would take; anything else (a missing cell,
            // a misspelled value) is read below.
            if let (Some(program), Some((record, _)), Type::Enum { values }) =
                (&self.program, worker.compiled.as_mut(), ty)
            {
                let text = cells::trim(cell);
                if values.iter().any(|v| v == text) {
                    program.set_enum(record, input, year, text);
                    continue;
                }
            }
            // Matched where they are made: a `Result` holding a diagnostic
            // is large, and moving one per cell costs more than the cell.
            let value = if self.json_cells.get(input) == Some(&true) {
                match self.json_cell(&declared.name, ty, cell) {
                    Ok(value) => value,
                    Err(problem) => {
                        problems.push(problem);
                        continue;
                    }
                }
            } else {
                match parse_cell(ty, cell) {
                    Ok(value) => value,
                    Err(problem) => {
                        problems.push(problem.into_diagnostic().with_path(column_name(i)));
                        continue;
                    }
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
                Diagnostic::new(
                    Code::E0512,
                    format!(
                        "the row has {count} field{}, the header has {}",
                        if count == 1 { "" } else { "s" },
                        columns.targets.len()
                    ),
                )
                .with_help("give every row one field per column of the header; quote a field that holds the delimiter"),
            );
        }
        if !problems.is_empty() {
            return Err(place.all(problems));
        }
        self.decide(worker, &facts, false);
        Ok(Decisions {
            decisions: &worker.decisions,
            explanation: worker.explanation.as_ref(),
        })
    }

    /// Decides one line of JSON Lines: its id (when it has one) and result.
    /// On the compiled path the facts go straight from the text into the
    /// record; a row with any problem is read by the full reader, which
    /// reports it as `--facts` would.
    pub fn eval_json_line<'b, 'w, 't>(
        &'b self,
        worker: &'w mut Worker<'b>,
        place: Place,
        line: &'t [u8],
        id_column: &str,
    ) -> (Option<Cow<'t, str>>, RowResult<'w, 'b>) {
        let text = match std::str::from_utf8(line) {
            Ok(text) => text,
            Err(e) => return (None, Err(place.all(vec![not_utf8(line, &e)]))),
        };
        if let (Some(program), Some((record, _))) = (&self.program, worker.compiled.as_mut()) {
            if let Ok(id) = self
                .rows
                .read(program, record, &mut worker.seen, text, id_column)
            {
                self.decide(worker, &Facts::new(), false);
                let decided = Decisions {
                    decisions: &worker.decisions,
                    explanation: worker.explanation.as_ref(),
                };
                return (id, Ok(decided));
            }
        }
        match eval::json::parse(text) {
            Ok(json) => {
                let id = json_id(&json, id_column).map(Cow::Owned);
                (id, self.eval_json(worker, place, &json, id_column))
            }
            Err(problem) => (None, Err(place.all(vec![problem]))),
        }
    }

    /// Whether a line of JSON Lines is read straight into the compiled
    /// record (`true`), or needs the full reader: it has a problem, or the
    /// policy is decided by the reference interpreter.
    pub fn reads_directly(&self, worker: &mut Worker<'_>, line: &str, id_column: &str) -> bool {
        match (&self.program, worker.compiled.as_mut()) {
            (Some(program), Some((record, _))) => self
                .rows
                .read(program, record, &mut worker.seen, line, id_column)
                .is_ok(),
            _ => false,
        }
    }

    /// Decides one JSON row: an object keyed by input name, as `--facts`
    /// reads it.
    pub fn eval_json<'b, 'w>(
        &'b self,
        worker: &'w mut Worker<'b>,
        place: Place,
        json: &serde_json::Value,
        id_column: &str,
    ) -> RowResult<'w, 'b> {
        let (facts, mut problems) = eval::facts::load(&self.policy.inputs, json, self.strict);
        // The id key is not an input, and is allowed under --strict.
        problems.retain(|d| d.path.as_deref() != Some(id_column));
        if !problems.is_empty() {
            return Err(place.all(problems));
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

impl Batch<'_> {
    /// A list or record in a CSV cell, written as JSON (`[{"big_registered":
    /// true}]`), read as the facts reader reads it: an empty cell is a
    /// missing fact, `[]` an empty list. A problem is placed at its path
    /// inside the value (`therapists[1].big_registered`).
    fn json_cell(&self, name: &str, ty: &Type, cell: &str) -> Result<Value, Diagnostic> {
        let text = cells::trim(cell);
        if text.is_empty() {
            return Ok(Value::Unknown);
        }
        if let Ok(value) = json_row::value_of(ty, text, self.strict) {
            return Ok(value);
        }
        let json = eval::json::parse(text).map_err(|d| {
            let message = format!(
                "the cell should hold {} as JSON: {}",
                crate::check::types::phrase(ty),
                d.message
            );
            Diagnostic { message, ..d }.with_path(name).with_help(
                "write the list as JSON, quoted for CSV: \"[{\"\"big_registered\"\": true}]\"",
            )
        })?;
        let input = ir::Input {
            name: name.to_string(),
            ty: ty.clone(),
            description: None,
            module: None,
            span: crate::source::Span::default(),
        };
        let object = serde_json::Value::Object([(name.to_string(), json)].into_iter().collect());
        let (mut facts, problems) =
            eval::facts::load(std::slice::from_ref(&input), &object, self.strict);
        if let Some(problem) = problems.into_iter().next() {
            return Err(problem);
        }
        Ok(facts.remove(name).unwrap_or(Value::Unknown))
    }
}

fn needs_structure(ty: &Type) -> bool {
    match ty {
        Type::List { .. } | Type::Record { .. } => true,
        Type::Series { of } => needs_structure(of),
        _ => false,
    }
}
