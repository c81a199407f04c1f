//! CSV for batch evaluation: a header mapped onto the policy's inputs, and
//! one line split into fields.
//!
//! A CSV row is one line of the file. A quoted field cannot hold a line
//! break: a quote left open at the end of a line is an error of that row
//! (E0512), never a field that runs on and swallows the rows after it, so
//! that every data line of a file is one row, decided or reported.
//! Splitting a line (quotes, doubled quotes, the delimiter) is csv-core's.

use crate::diagnostics::{Code, Diagnostic};
use crate::ir::{self, Type};
use crate::suggest::did_you_mean;

/// Where the cells of one CSV column go.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Target {
    Ignored,
    Input { input: usize },
    SeriesYear { input: usize, year: i32 },
}

/// A CSV header mapped onto the policy's inputs.
#[derive(Debug, Clone)]
pub struct CsvColumns {
    pub(super) names: Vec<String>,
    pub(super) targets: Vec<Target>,
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

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
}

/// A header that fits the policy, and what is worth a warning about it.
#[derive(Debug, Clone)]
pub struct Header {
    pub columns: CsvColumns,
    /// W0004 (inputs the policy reads that no column gives) and W0005
    /// (columns that are not inputs); errors under `--strict`.
    pub warnings: Vec<Diagnostic>,
}

/// Maps a CSV header onto `policy`'s inputs. `Err` holds the problems that
/// make the header unusable (E0514, and under `strict` the warnings too).
pub(super) fn map_header(
    policy: &ir::Policy,
    header: &[&str],
    id_column: &str,
    delimiter: u8,
    strict: bool,
) -> Result<Header, Vec<Diagnostic>> {
    if let Some(problem) = other_delimiter(header, delimiter) {
        return Err(vec![problem]);
    }
    let mut errors = Vec::new();
    let mut targets = Vec::with_capacity(header.len());
    for (i, raw) in header.iter().enumerate() {
        let name = raw.trim();
        if header.iter().take(i).any(|earlier| earlier.trim() == name) {
            errors.push(
                header_error(format!("the column `{name}` appears twice in the header"))
                    .with_path(name)
                    .with_help("give every column once"),
            );
            targets.push(Target::Ignored);
            continue;
        }
        match target(policy, name) {
            Ok(target) => targets.push(target),
            Err(problem) => {
                errors.push(problem.with_path(name));
                targets.push(Target::Ignored);
            }
        }
    }
    let mut warnings = Vec::new();
    warnings.extend(unread_inputs(policy, header, &targets));
    warnings.extend(unknown_columns(policy, header, &targets, id_column));
    if strict {
        errors.extend(warnings.drain(..).map(|mut w| {
            w.severity = crate::diagnostics::Severity::Error;
            w
        }));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Header {
        columns: CsvColumns {
            names: header.iter().map(|h| h.trim().to_string()).collect(),
            targets,
            id: header.iter().position(|h| h.trim() == id_column),
        },
        warnings,
    })
}

fn header_error(message: String) -> Diagnostic {
    Diagnostic::new(Code::E0514, message)
}

fn input_index(policy: &ir::Policy, name: &str) -> Option<usize> {
    policy.inputs.iter().position(|i| i.name == name)
}

/// Where a column named `name` goes.
fn target(policy: &ir::Policy, name: &str) -> Result<Target, Diagnostic> {
    match name.split_once('@') {
        None => match input_index(policy, name) {
            Some(input) => match policy.inputs.get(input).map(|i| &i.ty) {
                Some(Type::Series { .. }) => Err(header_error(format!(
                    "`{name}` is a yearly series: it needs one column per year"
                ))
                .with_help(format!(
                    "name the columns `{name}@2023`, `{name}@2024`, ..."
                ))),
                _ => Ok(Target::Input { input }),
            },
            None => Ok(Target::Ignored),
        },
        Some((base, year_text)) => {
            let Some(input) = input_index(policy, base) else {
                return Ok(Target::Ignored);
            };
            if !matches!(
                policy.inputs.get(input).map(|i| &i.ty),
                Some(Type::Series { .. })
            ) {
                return Err(header_error(format!(
                    "the column `{name}` gives a year of `{base}`, which is not a yearly series"
                ))
                .with_help(format!("name the column `{base}`")));
            }
            match ir::year_key(year_text) {
                Some(year) => Ok(Target::SeriesYear { input, year }),
                None => Err(header_error(format!(
                    "the column `{name}`: `{year_text}` is not a year"
                ))
                .with_help(format!("write the year in full: `{base}@2023`"))),
            }
        }
    }
}

/// A header that is one column holding another likely delimiter
/// (`id;bi;patients`): the whole file would be read as one column.
fn other_delimiter(header: &[&str], delimiter: u8) -> Option<Diagnostic> {
    let [only] = header else {
        return None;
    };
    let found = [b';', b'\t', b'|', b',']
        .into_iter()
        .filter(|d| *d != delimiter)
        .max_by_key(|d| only.bytes().filter(|b| b == d).count())
        .filter(|d| only.bytes().any(|b| b == *d))?;
    let shown = match found {
        b'\t' => "\\t".to_string(),
        other => char::from(other).to_string(),
    };
    Some(
        header_error(format!(
            "the header is one column, `{}`: the file looks `{shown}`-separated",
            shorten(only)
        ))
        .with_help(format!("read it with `--delimiter '{shown}'`")),
    )
}

fn shorten(text: &str) -> String {
    const MOST: usize = 60;
    match text.char_indices().nth(MOST) {
        Some((at, _)) => format!("{}...", text.get(..at).unwrap_or(text)),
        None => text.to_string(),
    }
}

/// The inputs the policy's rules and definitions read.
fn read_inputs(policy: &ir::Policy) -> std::collections::BTreeSet<&str> {
    let mut read = std::collections::BTreeSet::new();
    for expr in policy.expressions() {
        expr.walk(&mut |e| {
            if let ir::ExprKind::Input { name } = &e.kind {
                if let Some(input) = policy.input(name) {
                    read.insert(input.name.as_str());
                }
            }
        });
    }
    read
}

/// W0004: inputs the policy reads that no column gives; every row is
/// then undetermined wherever they matter.
fn unread_inputs(policy: &ir::Policy, header: &[&str], targets: &[Target]) -> Option<Diagnostic> {
    let given = |input: usize| {
        targets.iter().any(|t| match t {
            Target::Input { input: i } | Target::SeriesYear { input: i, .. } => *i == input,
            Target::Ignored => false,
        })
    };
    let missing: Vec<&str> = read_inputs(policy)
        .into_iter()
        .filter(|name| input_index(policy, name).is_some_and(|i| !given(i)))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let listed: Vec<String> = missing
        .iter()
        .map(|name| {
            let series = matches!(policy.input(name).map(|i| &i.ty), Some(Type::Series { .. }));
            if series {
                format!("`{name}@YEAR`")
            } else {
                format!("`{name}`")
            }
        })
        .collect();
    let mut d = Diagnostic::new(
        Code::W0004,
        format!(
            "the policy reads {} that no column of the header gives: {}",
            if missing.len() == 1 {
                "an input"
            } else {
                "inputs"
            },
            listed.join(", ")
        ),
    )
    .with_note("every row is read with these facts missing, so decisions that depend on them are undetermined");
    let names: Vec<&str> = header.iter().map(|h| h.trim()).collect();
    if let Some((name, column)) = missing
        .iter()
        .find_map(|name| did_you_mean(name, names.iter().copied()).map(|column| (*name, column)))
    {
        d = d.with_help(format!("is the column `{column}` meant to be `{name}`?"));
    }
    Some(d)
}

/// W0005: columns that are neither inputs nor the id column, with a
/// did-you-mean where one is close.
fn unknown_columns(
    policy: &ir::Policy,
    header: &[&str],
    targets: &[Target],
    id_column: &str,
) -> Option<Diagnostic> {
    let unknown: Vec<&str> = header
        .iter()
        .zip(targets)
        .filter(|(name, target)| **target == Target::Ignored && name.trim() != id_column)
        .map(|(name, _)| name.trim())
        .filter(|name| !name.is_empty())
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let inputs = || policy.inputs.iter().map(|i| i.name.as_str());
    let suggestions: Vec<(&str, &str)> = unknown
        .iter()
        .filter_map(|name| {
            let base = name.split_once('@').map_or(*name, |(base, _)| base);
            did_you_mean(base, inputs()).map(|s| (*name, s))
        })
        .collect();
    const SHOWN: usize = 10;
    let mut listed: Vec<String> = unknown
        .iter()
        .take(SHOWN)
        .map(|n| format!("`{n}`"))
        .collect();
    if unknown.len() > SHOWN {
        listed.push(format!("and {} more", unknown.len() - SHOWN));
    }
    let mut d = Diagnostic::new(
        Code::W0005,
        format!(
            "{} not {} of policy `{}` and {} ignored: {}",
            if unknown.len() == 1 {
                "a column is".to_string()
            } else {
                format!("{} columns are", unknown.len())
            },
            if unknown.len() == 1 {
                "an input"
            } else {
                "inputs"
            },
            policy.id,
            if unknown.len() == 1 { "is" } else { "are" },
            listed.join(", ")
        ),
    );
    match suggestions.as_slice() {
        [] => {}
        [(_, input)] if unknown.len() == 1 => {
            d = d.with_help(format!("did you mean `{input}`?"));
        }
        _ => {
            let pairs: Vec<String> = suggestions
                .iter()
                .map(|(column, input)| format!("`{input}` for `{column}`"))
                .collect();
            d = d.with_help(format!("did you mean {}?", pairs.join(", ")));
        }
    }
    Some(d)
}

/// Splits lines into fields, reusing its buffers line after line.
pub struct CsvLine {
    reader: csv_core::Reader,
    bytes: Vec<u8>,
    ends: Vec<usize>,
    fields: usize,
}

/// Why a line could not be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineProblem {
    /// Field number `field` (from 0) opens a quote that the line does not close.
    OpenQuote { field: usize },
}

impl LineProblem {
    /// The problem as a diagnostic; `names` are the header's columns.
    pub fn diagnostic(self, names: Option<&CsvColumns>) -> Diagnostic {
        match self {
            LineProblem::OpenQuote { field } => {
                let column = names.and_then(|c| c.names.get(field)).cloned();
                let mut d = Diagnostic::new(
                    Code::E0512,
                    "a quoted field is not closed on its line".to_string(),
                )
                .with_help("close the quote (`\"120\"`), or double a quote inside the field (`\"\"`); a field cannot run over more lines")
                .with_note("the row is not read: rows are single lines, so the rows after it are not affected");
                if let Some(column) = column {
                    d = d.with_path(column);
                }
                d
            }
        }
    }
}

impl CsvLine {
    pub fn new(delimiter: u8) -> CsvLine {
        CsvLine {
            reader: csv_core::ReaderBuilder::new()
                .delimiter(delimiter)
                // Lines are split by the caller; a `\r` inside one is data.
                .terminator(csv_core::Terminator::Any(b'\n'))
                .build(),
            bytes: vec![0; 1024],
            ends: vec![0; 64],
            fields: 0,
        }
    }

    /// Splits one line into fields. The line may end with its `\n` (one
    /// pass over it) or not.
    pub fn split(&mut self, line: &[u8]) -> Result<(), LineProblem> {
        self.reader.reset();
        self.fields = 0;
        let mut written = 0;
        let mut input = line;
        let mut ended = line.last() == Some(&b'\n');
        loop {
            let (result, read, out, ends) = self.reader.read_record(
                input,
                self.bytes.get_mut(written..).unwrap_or(&mut []),
                self.ends.get_mut(self.fields..).unwrap_or(&mut []),
            );
            input = input.get(read..).unwrap_or(&[]);
            written += out;
            self.fields += ends;
            match result {
                csv_core::ReadRecordResult::InputEmpty if !ended => {
                    // The line break ends the record, unless a quote is
                    // still open.
                    input = b"\n";
                    ended = true;
                }
                csv_core::ReadRecordResult::InputEmpty => {
                    return Err(LineProblem::OpenQuote { field: self.fields });
                }
                csv_core::ReadRecordResult::OutputFull => {
                    let len = self.bytes.len() * 2;
                    self.bytes.resize(len, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => {
                    return Ok(());
                }
            }
        }
    }

    /// The fields of the last line split, as bytes.
    pub fn fields(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let ends = self.ends.get(..self.fields).unwrap_or(&[]);
        let mut start = 0;
        ends.iter().map(move |&end| {
            let field = self.bytes.get(start..end).unwrap_or(&[]);
            start = end;
            field
        })
    }

    /// The fields of the last line split, as text; a field that is not
    /// UTF-8 as its bytes. The fields are checked together, in one pass.
    pub fn text_fields(&self) -> impl Iterator<Item = Result<&str, &[u8]>> + '_ {
        let ends = self.ends.get(..self.fields).unwrap_or(&[]);
        let used = ends.last().copied().unwrap_or(0);
        let all = std::str::from_utf8(self.bytes.get(..used).unwrap_or(&[])).ok();
        let mut start = 0;
        ends.iter().map(move |&end| {
            let range = start..end;
            start = end;
            // A field of valid text in valid text starts and ends on
            // character boundaries; one that does not is not valid itself.
            match all.and_then(|all| all.get(range.clone())) {
                Some(text) => Ok(text),
                None => {
                    let bytes = self.bytes.get(range).unwrap_or(&[]);
                    std::str::from_utf8(bytes).map_err(|_| bytes)
                }
            }
        })
    }

    /// The number of fields of the last line split.
    pub fn len(&self) -> usize {
        self.fields
    }

    pub fn is_empty(&self) -> bool {
        self.fields == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn split(line: &str) -> Result<Vec<String>, LineProblem> {
        let mut splitter = CsvLine::new(b',');
        splitter.split(line.as_bytes())?;
        Ok(splitter
            .fields()
            .map(|f| String::from_utf8(f.to_vec()).unwrap())
            .collect())
    }

    #[test]
    fn lines_split_into_fields() {
        assert_eq!(split("a,b,c").unwrap(), ["a", "b", "c"]);
        assert_eq!(split("a,\"b,c\",d").unwrap(), ["a", "b,c", "d"]);
        assert_eq!(split("\"say \"\"hi\"\"\",x").unwrap(), ["say \"hi\"", "x"]);
        assert_eq!(split("a,,").unwrap(), ["a", "", ""]);
        assert_eq!(split("a\rb").unwrap(), ["a\rb"]);
        let long = "x".repeat(5000);
        assert_eq!(split(&format!("{long},y")).unwrap(), [long.as_str(), "y"]);
        let many = vec!["1"; 300].join(",");
        assert_eq!(split(&many).unwrap().len(), 300);
    }

    #[test]
    fn text_fields_check_each_field_for_utf8() {
        let mut splitter = CsvLine::new(b',');
        splitter.split("é,x\n".as_bytes()).unwrap();
        assert_eq!(
            splitter.text_fields().collect::<Vec<_>>(),
            [Ok("é"), Ok("x")]
        );
        // Two halves of `é` in two fields: valid together, neither alone.
        splitter.split(b"\xC3,\xA9").unwrap();
        let fields: Vec<_> = splitter.text_fields().collect();
        assert_eq!(fields, [Err(&b"\xC3"[..]), Err(&b"\xA9"[..])]);
        splitter.split(b"ok,\xE4,z").unwrap();
        let fields: Vec<_> = splitter.text_fields().collect();
        assert_eq!(fields, [Ok("ok"), Err(&b"\xE4"[..]), Ok("z")]);
    }

    #[test]
    fn an_open_quote_is_a_problem_of_its_line() {
        assert_eq!(
            split("p1,\"120,5"),
            Err(LineProblem::OpenQuote { field: 1 })
        );
        assert_eq!(split("\"p1"), Err(LineProblem::OpenQuote { field: 0 }));
        // The splitter is ready for the next line.
        let mut splitter = CsvLine::new(b',');
        assert!(splitter.split(b"a,\"b").is_err());
        splitter.split(b"c,d").unwrap();
        assert_eq!(splitter.len(), 2);
    }
}
