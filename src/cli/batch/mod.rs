//! `regel eval POLICY --data FILE`: one decision row per provider row.
//!
//! Streams: rows are read, decided (in parallel, on `--jobs` threads) and
//! written in chunks of [`CHUNK`] rows, in input order, so memory stays
//! bounded whatever the file size (a JSON array is read one element at a
//! time too).

use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use rayon::prelude::*;

use regel::batch::{
    Batch, CsvColumns, CsvLine, IdHash, Ids, LineProblem, Place, RowResult, Worker, json_id,
};
use regel::eval::Status;

use super::{Exit, usage_error};

mod read;

use read::{CHUNK, JsonArray, Lines, Raw};

/// The most rows decided and formatted by one task, into one buffer. Small
/// enough that the threads finish a chunk close together (with 1,024 the
/// last task of a chunk of JSON rows kept one thread waiting for the other:
/// two jobs were 1.78x one job for the paramedical policy, now 1.86x).
const SLICE: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    /// Comma-separated values with a header row
    Csv,
    /// JSON Lines: one JSON object per line
    Jsonl,
    /// One JSON array of objects (read one element at a time)
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum OnError {
    /// Report the first bad row, stop, exit 1
    #[default]
    Fail,
    /// Leave bad rows out of the output (counted, reported on stderr), exit 1
    Skip,
    /// Write bad rows with status `error` and the message, exit 1
    Report,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutFormat {
    Csv,
    Jsonl,
}

pub struct Options<'a> {
    pub data: &'a Path,
    pub out: Option<&'a PathBuf>,
    pub format: Option<OutFormat>,
    pub input_format: Option<DataFormat>,
    pub id_column: &'a str,
    pub jobs: Option<usize>,
    pub on_error: OnError,
    pub strict: bool,
    /// The CSV field delimiter.
    pub delimiter: u8,
    /// Decide with the reference interpreter instead of the compiled evaluator.
    pub reference: bool,
    /// Explain every row, quoting these sources.
    pub explain: Option<&'a regel::source::SourceMap>,
}

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// The reading half of a [`Source`], borrowed apart from the CSV columns so
/// that it can read while the columns are used to decide.
enum Reader<'s> {
    Lines(&'s mut Lines),
    Json(&'s mut JsonArray),
}

impl Reader<'_> {
    fn fill(&mut self, rows: &mut Vec<Raw>, first: u64) -> Result<bool, String> {
        match self {
            Reader::Lines(lines) => lines.fill(rows),
            Reader::Json(array) => array.fill(rows, first),
        }
    }
}

/// Counts for the summary line.
#[derive(Default)]
struct Summary {
    read: u64,
    written: u64,
    skipped: u64,
    errors: u64,
    undetermined: u64,
    /// Decided rows per outcome of the first decision.
    outcomes: Vec<(String, u64)>,
    stopped_at: Option<u64>,
}

/// Turns decided rows into output bytes; runs on the worker threads.
struct Formatter<'b> {
    format: OutFormat,
    decisions: Vec<&'b str>,
    id_column: &'b str,
    report: bool,
    /// A column with each row's explanation (`--explain`).
    explain: bool,
    /// No outcome or rule name needs CSV quoting (names written in a policy
    /// never do; a hand-edited IR file might), so they are copied as they are.
    plain_names: bool,
}

fn needs_quotes(field: &str) -> bool {
    // A byte scan: much cheaper than a `char` pattern on this hot path.
    field
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// Appends one CSV field, quoted when it has to be.
fn csv_field(out: &mut Vec<u8>, field: &str, first: bool) {
    if !first {
        out.push(b',');
    }
    if needs_quotes(field) {
        out.push(b'"');
        for part in field.split('"').enumerate() {
            if part.0 > 0 {
                out.extend_from_slice(b"\"\"");
            }
            out.extend_from_slice(part.1.as_bytes());
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field.as_bytes());
    }
}

impl<'b> Formatter<'b> {
    fn new(
        policy: &'b regel::ir::Policy,
        format: OutFormat,
        id_column: &'b str,
        report: bool,
        explain: bool,
    ) -> Self {
        let names = policy
            .decisions
            .iter()
            .flat_map(|d| d.outcomes.iter().chain(std::iter::once(&d.default)))
            .chain(policy.rules.iter().map(|r| &r.id));
        Formatter {
            format,
            decisions: policy.decisions.iter().map(|d| d.name.as_str()).collect(),
            id_column,
            report,
            explain,
            plain_names: names.into_iter().all(|n| !needs_quotes(n)),
        }
    }

    /// An outcome or rule name.
    fn name_field(&self, out: &mut Vec<u8>, name: &str) {
        if self.plain_names {
            out.push(b',');
            out.extend_from_slice(name.as_bytes());
        } else {
            csv_field(out, name, false);
        }
    }

    fn header(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.format == OutFormat::Csv {
            csv_field(&mut out, self.id_column, true);
            for d in &self.decisions {
                csv_field(&mut out, d, false);
                csv_field(&mut out, &format!("{d}_status"), false);
                csv_field(&mut out, &format!("{d}_rule"), false);
                csv_field(&mut out, &format!("{d}_missing"), false);
            }
            if self.explain {
                csv_field(&mut out, "explanation", false);
            }
            if self.report {
                csv_field(&mut out, "error", false);
            }
            out.push(b'\n');
        }
        out
    }

    /// Writes one row; `error` is the row's problems on one line.
    fn row(&self, id: &str, result: &RowResult<'_, '_>, error: Option<&str>, out: &mut Vec<u8>) {
        match self.format {
            OutFormat::Csv => {
                csv_field(out, id, true);
                match result {
                    Ok(decided) => {
                        for d in decided.decisions {
                            self.name_field(out, d.outcome.unwrap_or(""));
                            out.push(b',');
                            out.extend_from_slice(status(d.status).as_bytes());
                            self.name_field(out, d.rule.unwrap_or(""));
                            csv_field(out, &d.missing, false);
                        }
                        if self.explain {
                            let json = decided
                                .explanation
                                .map(ToString::to_string)
                                .unwrap_or_default();
                            csv_field(out, &json, false);
                        }
                        if self.report {
                            csv_field(out, "", false);
                        }
                    }
                    Err(_) => {
                        for _ in &self.decisions {
                            out.extend_from_slice(b",,error,,");
                        }
                        if self.explain {
                            out.push(b',');
                        }
                        csv_field(out, error.unwrap_or(""), false);
                    }
                }
                out.push(b'\n');
            }
            OutFormat::Jsonl => {
                let mut object = serde_json::Map::new();
                object.insert(self.id_column.to_string(), id.into());
                match result {
                    Ok(decided) => {
                        for (name, d) in self.decisions.iter().zip(decided.decisions) {
                            object.insert((*name).to_string(), d.outcome.into());
                            object.insert(format!("{name}_status"), status(d.status).into());
                            object.insert(format!("{name}_rule"), d.rule.into());
                            let missing: Vec<serde_json::Value> = d
                                .missing
                                .split(';')
                                .filter(|m| !m.is_empty())
                                .map(Into::into)
                                .collect();
                            object.insert(format!("{name}_missing"), missing.into());
                        }
                        if let Some(explanation) = decided.explanation {
                            object.insert("explanation".to_string(), explanation.clone());
                        }
                    }
                    Err(_) => {
                        for name in &self.decisions {
                            object.insert((*name).to_string(), serde_json::Value::Null);
                            object.insert(format!("{name}_status"), "error".into());
                            object.insert(format!("{name}_rule"), serde_json::Value::Null);
                            object.insert(format!("{name}_missing"), serde_json::json!([]));
                        }
                        object.insert("error".to_string(), error.unwrap_or("").into());
                    }
                }
                // Writing a map of strings into memory cannot fail.
                let _ = serde_json::to_writer(&mut *out, &object);
                out.push(b'\n');
            }
        }
    }
}

/// One decided row, ready to be counted and written.
struct Done<'b> {
    row: u64,
    /// The hash of the row's id, when the data gives one.
    id: Option<IdHash>,
    /// The row's data error, if any.
    error: Option<String>,
    /// The first decision: `None` undetermined, else its outcome.
    first: Option<Option<&'b str>>,
    /// Where the row's output ends in its slice's bytes.
    end: usize,
}

/// Consecutive rows decided by one task: their output in one buffer.
struct Slice<'b> {
    rows: Vec<Done<'b>>,
    bytes: Vec<u8>,
}

fn status(status: Status) -> &'static str {
    match status {
        Status::Decided => "decided",
        Status::Undetermined => "undetermined",
    }
}

/// Reads rows in chunks.
enum Source {
    Csv(Lines, CsvColumns),
    Jsonl(Lines),
    Json(JsonArray),
}

impl Source {
    /// Reads the next chunk into `rows`; `first` numbers its first row.
    /// `Ok(false)` at the end of the input.
    fn fill(&mut self, rows: &mut Vec<Raw>, first: u64) -> Result<bool, String> {
        match self {
            Source::Csv(lines, _) | Source::Jsonl(lines) => lines.fill(rows),
            Source::Json(array) => array.fill(rows, first),
        }
    }
}

/// Prints diagnostics about the data file as a whole (its header, its ids).
fn eprint_data_problems(problems: &[regel::diagnostics::Diagnostic]) {
    let empty = regel::source::SourceMap::new();
    let color = super::stderr_color();
    for problem in problems {
        eprint!(
            "{}",
            regel::diagnostics::render::render(problem, &empty, color)
        );
    }
}

/// Reads and checks the CSV header: `Err` is the exit status when it cannot
/// be used.
fn csv_source(batch: &Batch<'_>, mut lines: Lines, options: &Options<'_>) -> Result<Source, Exit> {
    let data = options.data.display();
    let mut text = Vec::new();
    let Some(line) = lines.next_into(&mut text).map_err(|m| usage_error(&m))? else {
        return Err(usage_error(&format!(
            "`{data}` has no CSV header: the first line names the columns"
        )));
    };
    let mut splitter = CsvLine::new(options.delimiter);
    if let Err(problem) = splitter.split(&text) {
        eprint_data_problems(&[problem.diagnostic(None).in_row(0, Some(line))]);
        return Err(Exit::Errors);
    }
    let mut names = Vec::with_capacity(splitter.len());
    for (i, field) in splitter.fields().enumerate() {
        match std::str::from_utf8(field) {
            Ok(name) => names.push(name),
            Err(e) => {
                let problem = regel::batch::not_utf8(field, &e)
                    .with_note(format!("in column {} of the header (line {line})", i + 1));
                eprint_data_problems(&[problem]);
                return Err(Exit::Errors);
            }
        }
    }
    match batch.csv_header(&names, options.id_column, options.delimiter) {
        Ok(header) => {
            eprint_data_problems(&header.warnings);
            Ok(Source::Csv(lines, header.columns))
        }
        Err(problems) => {
            eprint_data_problems(&problems);
            eprintln!(
                "{data}: the header does not fit policy `{}`; no row read",
                batch.policy().id
            );
            Err(Exit::Errors)
        }
    }
}

pub fn run(policy: &regel::ir::Policy, options: &Options<'_>) -> Exit {
    if options.jobs == Some(0) {
        return usage_error("--jobs must be at least 1");
    }
    let input_format =
        options
            .input_format
            .unwrap_or_else(|| match extension(options.data).as_deref() {
                Some("jsonl" | "ndjson") => DataFormat::Jsonl,
                Some("json") => DataFormat::Json,
                _ => DataFormat::Csv,
            });
    let format =
        options
            .format
            .unwrap_or_else(|| match options.out.and_then(|o| extension(o)).as_deref() {
                Some("jsonl" | "ndjson" | "json") => OutFormat::Jsonl,
                _ => OutFormat::Csv,
            });
    let mut batch = Batch::new(policy).strict(options.strict);
    if let Some(sources) = options.explain {
        batch = batch.explained(sources);
    }
    if options.reference {
        batch = batch.reference();
    }
    let input: Box<dyn Read + Send> = if is_stdio(options.data) {
        Box::new(std::io::stdin())
    } else {
        match std::fs::File::open(options.data) {
            Ok(file) => Box::new(file),
            Err(e) => {
                return usage_error(&format!("cannot read `{}`: {e}", options.data.display()));
            }
        }
    };
    let mut source = match input_format {
        DataFormat::Csv => match csv_source(&batch, Lines::new(input), options) {
            Ok(source) => source,
            Err(exit) => return exit,
        },
        DataFormat::Jsonl => Source::Jsonl(Lines::new(input)),
        DataFormat::Json => Source::Json(JsonArray::new(input)),
    };
    let sink: Box<dyn Write> = match options.out {
        None => Box::new(std::io::stdout().lock()),
        Some(path) if is_stdio(path) => Box::new(std::io::stdout().lock()),
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Box::new(file),
            Err(e) => return usage_error(&format!("cannot write `{}`: {e}", path.display())),
        },
    };
    let formatter = Formatter::new(
        policy,
        format,
        options.id_column,
        options.on_error == OnError::Report,
        options.explain.is_some(),
    );
    let mut sink = BufWriter::with_capacity(1 << 20, sink);
    if let Err(e) = sink.write_all(&formatter.header()) {
        return usage_error(&format!("cannot write the output: {e}"));
    }
    let pool = {
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(jobs) = options.jobs {
            builder = builder.num_threads(jobs);
        }
        match builder.build() {
            Ok(pool) => pool,
            Err(e) => return usage_error(&format!("cannot start the worker threads: {e}")),
        }
    };
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} {human_pos} rows decided ({per_sec})",
        ) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let mut summary = Summary::default();
    if let Some(first) = policy.decisions.first() {
        summary.outcomes = first.outcomes.iter().map(|o| (o.clone(), 0)).collect();
        if !first.outcomes.contains(&first.default) {
            summary.outcomes.push((first.default.clone(), 0));
        }
    }
    let mut rows: Vec<Raw> = Vec::with_capacity(CHUNK);
    // The decided slices of a chunk; their buffers are reused chunk after
    // chunk rather than allocated (and their pages zeroed) again.
    let mut done: Vec<Slice<'_>> = Vec::new();
    let mut next: Vec<Raw> = Vec::with_capacity(CHUNK);
    let mut base: u64 = 0;
    let mut failure: Option<Exit> = None;
    let mut ids = Ids::new();
    let mut more = match source.fill(&mut rows, 1) {
        Ok(more) => more,
        Err(message) => return usage_error(&message),
    };
    'chunks: loop {
        // Read the next chunk while this one is decided.
        let first_next = base + rows.len() as u64 + 1;
        let (columns, mut reader) = match &mut source {
            Source::Csv(lines, columns) => (Some(&*columns), Reader::Lines(lines)),
            Source::Jsonl(lines) => (None, Reader::Lines(lines)),
            Source::Json(array) => (None, Reader::Json(array)),
        };
        let (read, ()) = pool.install(|| {
            rayon::join(
                || {
                    if more {
                        reader.fill(&mut next, first_next)
                    } else {
                        next.clear();
                        Ok(false)
                    }
                },
                || {
                    decide_chunk(
                        &Chunk {
                            batch: &batch,
                            formatter: &formatter,
                            columns,
                            delimiter: options.delimiter,
                            id_column: options.id_column,
                        },
                        &rows,
                        base,
                        &mut done,
                    );
                },
            )
        });
        base += rows.len() as u64;
        let decided = done.iter().flat_map(|slice| {
            let mut start = 0;
            slice.rows.iter().map(move |row| {
                let bytes = slice.bytes.get(start..row.end).unwrap_or(&[]);
                start = row.end;
                (row, bytes)
            })
        });
        for (result, bytes) in decided {
            summary.read += 1;
            if let Some(hash) = result.id {
                ids.add(hash, result.row);
            }
            if let Some(message) = &result.error {
                summary.errors += 1;
                match options.on_error {
                    OnError::Fail => {
                        summary.skipped += 1;
                        summary.stopped_at = Some(result.row);
                        eprint_above(progress.as_ref(), message);
                        break 'chunks;
                    }
                    OnError::Skip => {
                        summary.skipped += 1;
                        eprint_above(progress.as_ref(), &format!("{message} (row left out)"));
                        continue;
                    }
                    OnError::Report => {}
                }
            }
            match &result.first {
                Some(None) => summary.undetermined += 1,
                Some(Some(outcome)) => {
                    if let Some(entry) = summary.outcomes.iter_mut().find(|(o, _)| o == outcome) {
                        entry.1 += 1;
                    }
                }
                None => {}
            }
            if let Err(e) = sink.write_all(bytes) {
                failure = Some(usage_error(&format!("cannot write the output: {e}")));
                break 'chunks;
            }
            summary.written += 1;
        }
        if let Some(bar) = progress.as_ref() {
            bar.inc(done.iter().map(|s| s.rows.len() as u64).sum());
        }
        if !more {
            break;
        }
        more = match read {
            Ok(more) => more,
            Err(message) => {
                failure = Some(usage_error(&message));
                break;
            }
        };
        std::mem::swap(&mut rows, &mut next);
        if rows.is_empty() && !more {
            break;
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let duplicates = ids.finish();
    const SHOWN: usize = 20;
    eprint_data_problems(duplicates.get(..SHOWN).unwrap_or(&duplicates));
    if duplicates.len() > SHOWN {
        eprintln!(
            "... and {} more ids in more than one row",
            duplicates.len() - SHOWN
        );
    }
    if let Err(e) = sink.flush() {
        failure = Some(usage_error(&format!("cannot write the output: {e}")));
    }
    eprintln!("{}", summary_line(&summary, policy, batch.fallback()));
    if let Some(exit) = failure {
        return exit;
    }
    if summary.errors > 0 {
        Exit::Errors
    } else {
        Exit::Ok
    }
}

/// What deciding a chunk needs besides its rows.
struct Chunk<'a, 'b, 'p> {
    batch: &'b Batch<'p>,
    formatter: &'a Formatter<'a>,
    columns: Option<&'a CsvColumns>,
    delimiter: u8,
    id_column: &'a str,
}

/// Decides and formats one chunk on the worker threads, in input order,
/// into `done` (one [`Slice`] per run of at most [`SLICE`] rows).
fn decide_chunk<'b>(chunk: &Chunk<'_, 'b, '_>, rows: &[Raw], base: u64, done: &mut Vec<Slice<'b>>) {
    // Enough tasks for every thread even in a short chunk (JSON rows).
    let per_task = (rows.len() / (4 * rayon::current_num_threads())).clamp(16, SLICE);
    let slices = rows.len().div_ceil(per_task);
    done.truncate(slices);
    done.resize_with(slices, || Slice {
        rows: Vec::with_capacity(per_task),
        bytes: Vec::with_capacity(per_task * 96),
    });
    rows.par_chunks(per_task)
        .zip(done.par_iter_mut())
        .enumerate()
        .for_each(|(k, (slice, out))| {
            let mut worker = chunk.batch.worker();
            SPLITTER.with_borrow_mut(|kept| {
                let splitter = match kept {
                    Some((delimiter, splitter)) if *delimiter == chunk.delimiter => splitter,
                    _ => {
                        &mut kept
                            .insert((chunk.delimiter, CsvLine::new(chunk.delimiter)))
                            .1
                    }
                };
                out.rows.clear();
                out.bytes.clear();
                for (j, raw) in slice.iter().enumerate() {
                    let place = Place {
                        row: base + (k * per_task + j) as u64 + 1,
                        line: Some(raw.line()),
                    };
                    let (id, result) = decide_row(chunk, &mut worker, splitter, raw, place);
                    let id_hash = id.as_deref().map(IdHash::of);
                    let id = id.unwrap_or_else(|| std::borrow::Cow::Owned(place.row.to_string()));
                    let error = result.as_ref().err().map(|problems| {
                        problems
                            .iter()
                            .map(regel::diagnostics::render::one_line)
                            .collect::<Vec<_>>()
                            .join(" | ")
                    });
                    chunk
                        .formatter
                        .row(&id, &result, error.as_deref(), &mut out.bytes);
                    out.rows.push(Done {
                        row: place.row,
                        id: id_hash,
                        first: result.as_ref().ok().and_then(|decided| {
                            decided.decisions.first().map(|d| match d.status {
                                Status::Undetermined => None,
                                Status::Decided => d.outcome,
                            })
                        }),
                        error,
                        end: out.bytes.len(),
                    });
                }
            });
        });
}

thread_local! {
    /// Each worker thread's line splitter, kept from chunk to chunk: making
    /// one builds csv-core's state machine, which costs more than a line.
    static SPLITTER: std::cell::RefCell<Option<(u8, CsvLine)>> =
        const { std::cell::RefCell::new(None) };
}

/// An id as text: as it is when it is UTF-8 (the usual case, without a copy).
fn id_text(field: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(field) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(field),
    }
}

/// Reads and decides one row: its id (when the data gives one) and result.
fn decide_row<'r, 'w, 'b>(
    chunk: &Chunk<'_, 'b, '_>,
    worker: &'w mut Worker<'b>,
    splitter: &'r mut CsvLine,
    raw: &'r Raw,
    place: Place,
) -> (Option<std::borrow::Cow<'r, str>>, RowResult<'w, 'b>) {
    match (raw, chunk.columns) {
        (Raw::Line { text, .. }, Some(columns)) => {
            if let Err(problem) = splitter.split(text) {
                // The fields before the open quote are whole: the id may be one.
                let LineProblem::OpenQuote { field } = problem;
                let id = columns
                    .id()
                    .filter(|i| *i < field)
                    .and_then(|i| splitter.fields().nth(i))
                    .map(id_text);
                return (id, Err(place.all(vec![problem.diagnostic(Some(columns))])));
            }
            let id = columns
                .id()
                .and_then(|i| splitter.fields().nth(i))
                .map(id_text);
            let result = chunk
                .batch
                .eval_csv(worker, columns, place, splitter.text_fields());
            (id, result)
        }
        (Raw::Line { text, .. }, None) => {
            chunk
                .batch
                .eval_json_line(worker, place, text, chunk.id_column)
        }
        (Raw::Json { json, .. }, _) => {
            let id = json_id(json, chunk.id_column).map(std::borrow::Cow::Owned);
            (
                id,
                chunk.batch.eval_json(worker, place, json, chunk.id_column),
            )
        }
        (Raw::Broken { problem, .. }, _) => (None, Err(place.all(vec![problem.clone()]))),
    }
}

fn eprint_above(progress: Option<&indicatif::ProgressBar>, line: &str) {
    match progress {
        Some(bar) => bar.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

fn summary_line(summary: &Summary, policy: &regel::ir::Policy, fallback: Option<&str>) -> String {
    let decision = policy.decisions.first().map_or("", |d| d.name.as_str());
    let outcomes: Vec<String> = summary
        .outcomes
        .iter()
        .map(|(o, n)| format!("{o} {n}"))
        .collect();
    let mut line = format!(
        "{} rows read, {} written, {} skipped; {decision}: {}; undetermined {}; errors {}",
        summary.read,
        summary.written,
        summary.skipped,
        outcomes.join(", "),
        summary.undetermined,
        summary.errors,
    );
    if let Some(row) = summary.stopped_at {
        line.push_str(&format!(
            " (stopped at row {row}; --on-error skip or report to go on)"
        ));
    }
    // Which evaluator decided: the two decide alike, but one is much faster.
    match fallback {
        None => line.push_str("; decided by the compiled evaluator"),
        Some(why) => line.push_str(&format!("; decided by the reference interpreter ({why})")),
    }
    line
}
