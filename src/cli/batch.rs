//! `regel eval POLICY --data FILE`: one decision row per provider row.
//!
//! Streams: rows are read, decided (in parallel, on `--jobs` threads) and
//! written in chunks of [`CHUNK`] rows, in input order, so memory stays
//! bounded whatever the file size (a JSON array is read one element at a
//! time too).

use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use rayon::prelude::*;

use regel::batch::{Batch, CsvColumns, RowResult, json_id};
use regel::eval::Status;

use super::{Exit, usage_error};

/// Rows read, decided and written at a time.
const CHUNK: usize = 16 * 1024;

/// JSON rows read at a time also stop at about this many bytes of input:
/// a parsed JSON row takes several times its text in memory, and rows can
/// be wide.
const CHUNK_BYTES: usize = 4 << 20;

/// The most rows decided and formatted by one task, into one buffer.
const SLICE: usize = 1024;

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

    fn row(&self, id: &str, result: &RowResult<'_, '_>, out: &mut Vec<u8>) {
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
                    Err(message) => {
                        for _ in &self.decisions {
                            out.extend_from_slice(b",,error,,");
                        }
                        if self.explain {
                            out.push(b',');
                        }
                        csv_field(out, message, false);
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
                    Err(message) => {
                        for name in &self.decisions {
                            object.insert((*name).to_string(), serde_json::Value::Null);
                            object.insert(format!("{name}_status"), "error".into());
                            object.insert(format!("{name}_rule"), serde_json::Value::Null);
                            object.insert(format!("{name}_missing"), serde_json::json!([]));
                        }
                        object.insert("error".to_string(), message.clone().into());
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

/// One row as read, before it is decided.
enum Raw {
    Csv(csv::StringRecord),
    Json(serde_json::Value),
    /// A row that could not even be read (bad UTF-8, bad JSON).
    Broken(String),
}

/// Reads rows in chunks.
enum Source {
    Csv(csv::Reader<Box<dyn Read + Send>>, CsvColumns),
    Jsonl(BufReader<Box<dyn Read + Send>>),
    Json(JsonArray),
}

/// A JSON array read one element at a time, so that a big array is never
/// held in memory whole.
struct JsonArray {
    reader: BufReader<Counted>,
    started: bool,
    done: bool,
}

/// A reader that counts the bytes read through it.
struct Counted {
    inner: Box<dyn Read + Send>,
    bytes: usize,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n;
        Ok(n)
    }
}

impl JsonArray {
    /// The next byte that is not white space, without consuming it.
    fn peek(&mut self) -> Result<Option<u8>, String> {
        loop {
            let buffer = self
                .reader
                .fill_buf()
                .map_err(|e| format!("cannot read the data: {e}"))?;
            let Some(first) = buffer.first().copied() else {
                return Ok(None);
            };
            if first.is_ascii_whitespace() {
                self.reader.consume(1);
            } else {
                return Ok(Some(first));
            }
        }
    }

    /// The next element; `None` after the closing `]`. A syntax error is
    /// fatal: the rest of the array cannot be found again.
    fn next(&mut self) -> Result<Option<serde_json::Value>, String> {
        use serde::Deserialize;
        if self.done {
            return Ok(None);
        }
        if !self.started {
            self.started = true;
            if self.peek()? != Some(b'[') {
                return Err(
                    "the data should be a JSON array of objects (or use --input-format jsonl)"
                        .into(),
                );
            }
            self.reader.consume(1);
            if self.peek()? == Some(b']') {
                self.reader.consume(1);
                self.done = true;
                return Ok(None);
            }
        }
        let mut deserializer = serde_json::Deserializer::from_reader(&mut self.reader);
        let value = serde_json::Value::deserialize(&mut deserializer)
            .map_err(|e| format!("the data is not a valid JSON array: {e}"))?;
        match self.peek()? {
            Some(b',') => self.reader.consume(1),
            Some(b']') => {
                self.reader.consume(1);
                self.done = true;
            }
            // After a number the reader has already taken the `,` (or `]`).
            Some(_) if !value.is_object() && !value.is_array() && !value.is_string() => {}
            None if !value.is_object() && !value.is_array() && !value.is_string() => {
                self.done = true;
            }
            _ => return Err("the data is not a valid JSON array: expected `,` or `]`".into()),
        }
        Ok(Some(value))
    }
}

/// The reading half of a [`Source`], borrowed apart from the CSV columns so
/// that it can read while the columns are used to decide.
enum SourceReader<'s> {
    Csv(&'s mut csv::Reader<Box<dyn Read + Send>>),
    Jsonl(&'s mut BufReader<Box<dyn Read + Send>>),
    Json(&'s mut JsonArray),
}

impl Source {
    fn fill(&mut self, rows: &mut Vec<Raw>) -> Result<bool, String> {
        match self {
            Source::Csv(reader, _) => SourceReader::Csv(reader).fill(rows),
            Source::Jsonl(reader) => SourceReader::Jsonl(reader).fill(rows),
            Source::Json(items) => SourceReader::Json(items).fill(rows),
        }
    }
}

impl SourceReader<'_> {
    /// Reads up to `CHUNK` rows (JSON: and about `CHUNK_BYTES`) into
    /// `rows`; `Ok(false)` at the end of the input.
    fn fill(self, rows: &mut Vec<Raw>) -> Result<bool, String> {
        match self {
            SourceReader::Csv(reader) => fill_csv(reader, rows),
            SourceReader::Jsonl(reader) => {
                rows.clear();
                let mut line = String::new();
                let mut bytes = 0;
                while rows.len() < CHUNK && bytes < CHUNK_BYTES {
                    line.clear();
                    match reader.read_line(&mut line) {
                        Ok(0) => return Ok(false),
                        Ok(n) if line.trim().is_empty() => bytes += n,
                        Ok(n) => {
                            bytes += n;
                            rows.push(match serde_json::from_str(&line) {
                                Ok(json) => Raw::Json(json),
                                Err(e) => Raw::Broken(format!("not valid JSON: {e}")),
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                            rows.push(Raw::Broken("the line is not valid UTF-8".into()));
                        }
                        Err(e) => return Err(format!("cannot read the data: {e}")),
                    }
                }
                Ok(true)
            }
            SourceReader::Json(array) => {
                rows.clear();
                let start = array.reader.get_ref().bytes;
                while rows.len() < CHUNK && array.reader.get_ref().bytes - start < CHUNK_BYTES {
                    match array.next()? {
                        Some(json) => rows.push(Raw::Json(json)),
                        None => return Ok(false),
                    }
                }
                Ok(true)
            }
        }
    }
}

/// Reads up to `CHUNK` CSV rows into `rows`, reusing the records the buffer
/// held for the previous chunk so that reading allocates nothing per row.
fn fill_csv<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    rows: &mut Vec<Raw>,
) -> Result<bool, String> {
    let mut used = 0;
    let mut more = true;
    while used < CHUNK {
        if used == rows.len() {
            rows.push(Raw::Csv(csv::StringRecord::with_capacity(64, 8)));
        }
        let Some(slot) = rows.get_mut(used) else {
            break;
        };
        if !matches!(slot, Raw::Csv(_)) {
            *slot = Raw::Csv(csv::StringRecord::with_capacity(64, 8));
        }
        let Raw::Csv(record) = slot else {
            break;
        };
        match reader.read_record(record) {
            Ok(true) => used += 1,
            Ok(false) => {
                more = false;
                break;
            }
            Err(e) => {
                *slot = match e.kind() {
                    csv::ErrorKind::Io(io) => return Err(format!("cannot read the data: {io}")),
                    csv::ErrorKind::Utf8 { .. } => Raw::Broken("the row is not valid UTF-8".into()),
                    _ => Raw::Broken(format!("malformed CSV: {e}")),
                };
                used += 1;
            }
        }
    }
    rows.truncate(used);
    Ok(more)
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
        DataFormat::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .buffer_capacity(1 << 20)
                .from_reader(input);
            let header = match reader.headers() {
                Ok(header) => header.clone(),
                Err(e) => {
                    return usage_error(&format!(
                        "cannot read the CSV header of `{}`: {e}",
                        options.data.display()
                    ));
                }
            };
            if header.is_empty() {
                return usage_error(&format!(
                    "`{}` has no CSV header: the first line names the columns",
                    options.data.display()
                ));
            }
            let names: Vec<&str> = header.iter().collect();
            match batch.csv_columns(&names, options.id_column) {
                Ok(columns) => Source::Csv(reader, columns),
                Err(message) => return usage_error(&message),
            }
        }
        DataFormat::Jsonl => Source::Jsonl(BufReader::with_capacity(1 << 20, input)),
        DataFormat::Json => Source::Json(JsonArray {
            reader: BufReader::with_capacity(
                1 << 20,
                Counted {
                    inner: input,
                    bytes: 0,
                },
            ),
            started: false,
            done: false,
        }),
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
    let mut more = match source.fill(&mut rows) {
        Ok(more) => more,
        Err(message) => return usage_error(&message),
    };
    'chunks: loop {
        // Read the next chunk while this one is decided.
        let (columns, reader) = match &mut source {
            Source::Csv(reader, columns) => (Some(&*columns), SourceReader::Csv(reader)),
            Source::Jsonl(reader) => (None, SourceReader::Jsonl(reader)),
            Source::Json(items) => (None, SourceReader::Json(items)),
        };
        let (read, ()) = pool.install(|| {
            rayon::join(
                || {
                    if more {
                        reader.fill(&mut next)
                    } else {
                        next.clear();
                        Ok(false)
                    }
                },
                || {
                    decide_chunk(
                        &batch,
                        &formatter,
                        columns,
                        &rows,
                        base,
                        options.id_column,
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
            if let Some(message) = &result.error {
                summary.errors += 1;
                match options.on_error {
                    OnError::Fail => {
                        summary.skipped += 1;
                        summary.stopped_at = Some(result.row);
                        eprint_above(progress.as_ref(), &format!("error: {message}"));
                        break 'chunks;
                    }
                    OnError::Skip => {
                        summary.skipped += 1;
                        eprint_above(
                            progress.as_ref(),
                            &format!("error: {message} (row left out)"),
                        );
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
    if let Err(e) = sink.flush() {
        failure = Some(usage_error(&format!("cannot write the output: {e}")));
    }
    eprintln!("{}", summary_line(&summary, policy));
    if let Some(exit) = failure {
        return exit;
    }
    if summary.errors > 0 {
        Exit::Errors
    } else {
        Exit::Ok
    }
}

/// Decides and formats one chunk on the worker threads, in input order,
/// into `done` (one [`Slice`] per run of at most [`SLICE`] rows).
fn decide_chunk<'b>(
    batch: &'b Batch<'_>,
    formatter: &Formatter<'_>,
    columns: Option<&CsvColumns>,
    rows: &[Raw],
    base: u64,
    id_column: &str,
    done: &mut Vec<Slice<'b>>,
) {
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
            let mut worker = batch.worker();
            out.rows.clear();
            out.bytes.clear();
            for (j, raw) in slice.iter().enumerate() {
                let row = base + (k * per_task + j) as u64 + 1;
                let number = || std::borrow::Cow::Owned(row.to_string());
                let (id, result) = match (raw, columns) {
                    (Raw::Csv(record), Some(columns)) => (
                        columns
                            .id()
                            .and_then(|i| record.get(i))
                            .map_or_else(number, std::borrow::Cow::Borrowed),
                        batch.eval_csv(&mut worker, columns, row, record.iter()),
                    ),
                    (Raw::Json(json), _) => (
                        std::borrow::Cow::Owned(json_id(json, id_column, row)),
                        batch.eval_json(&mut worker, row, json, id_column),
                    ),
                    (Raw::Broken(message), _) => (number(), Err(format!("row {row}: {message}"))),
                    (Raw::Csv(_), None) => (number(), Err(format!("row {row}: no CSV header"))),
                };
                formatter.row(&id, &result, &mut out.bytes);
                out.rows.push(Done {
                    row,
                    error: result.as_ref().err().cloned(),
                    first: result.as_ref().ok().and_then(|decided| {
                        decided.decisions.first().map(|d| match d.status {
                            Status::Undetermined => None,
                            Status::Decided => d.outcome,
                        })
                    }),
                    end: out.bytes.len(),
                });
            }
        });
}

fn eprint_above(progress: Option<&indicatif::ProgressBar>, line: &str) {
    match progress {
        Some(bar) => bar.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

fn summary_line(summary: &Summary, policy: &regel::ir::Policy) -> String {
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
    line
}
