//! Reading the rows of a data file in chunks, for `regel eval --data`.
//!
//! CSV and JSON Lines are read a line at a time: a row is one line, so a
//! malformed row (an open quote, broken JSON) is that row's error and the
//! rows after it are read as they are. Lines are only cut here; they are
//! split into fields or parsed as JSON on the worker threads. A JSON array
//! is read one element at a time; a syntax error inside it ends the file,
//! since the rest of the array cannot be found again, and says so.

use std::io::{BufRead, BufReader, Read};

use regel::diagnostics::{Code, Diagnostic};

/// Rows read at a time.
pub const CHUNK: usize = 16 * 1024;

/// Rows read at a time also stop at about this many bytes of input: a
/// parsed JSON row takes several times its text in memory, and rows can be
/// wide.
const CHUNK_BYTES: usize = 4 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One row as read, before it is decided.
pub enum Raw {
    /// A line of CSV or JSON Lines, ending in `\n`.
    Line { line: u64, text: Vec<u8> },
    /// An element of a JSON array.
    Json { line: u64, json: serde_json::Value },
    /// A row that could not be read at all.
    Broken { line: u64, problem: Diagnostic },
}

impl Raw {
    pub fn line(&self) -> u64 {
        match self {
            Raw::Line { line, .. } | Raw::Json { line, .. } | Raw::Broken { line, .. } => *line,
        }
    }
}

/// A file read one line at a time, counting lines.
pub struct Lines {
    reader: BufReader<Box<dyn Read + Send>>,
    /// Lines read so far.
    line: u64,
}

impl Lines {
    pub fn new(input: Box<dyn Read + Send>) -> Lines {
        Lines {
            reader: BufReader::with_capacity(1 << 20, input),
            line: 0,
        }
    }

    /// The next line that is not blank into `text`, ending in one `\n`
    /// (whatever the file's line ends; the first line without a byte-order
    /// mark), and its number.
    pub fn next_into(&mut self, text: &mut Vec<u8>) -> Result<Option<u64>, String> {
        loop {
            text.clear();
            let read = self
                .reader
                .read_until(b'\n', text)
                .map_err(|e| format!("cannot read the data: {e}"))?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            if self.line == 1 && text.starts_with(BOM) {
                text.drain(..BOM.len());
            }
            while matches!(text.last(), Some(b'\n' | b'\r')) {
                text.pop();
            }
            if !text.iter().all(u8::is_ascii_whitespace) {
                text.push(b'\n');
                return Ok(Some(self.line));
            }
        }
    }

    /// Reads up to a chunk of lines into `rows`, reusing their buffers;
    /// `Ok(false)` at the end of the input.
    pub fn fill(&mut self, rows: &mut Vec<Raw>) -> Result<bool, String> {
        let mut used = 0;
        let mut bytes = 0;
        while used < CHUNK && bytes < CHUNK_BYTES {
            if used == rows.len() {
                rows.push(Raw::Line {
                    line: 0,
                    text: Vec::with_capacity(128),
                });
            }
            let Some(slot) = rows.get_mut(used) else {
                break;
            };
            if !matches!(slot, Raw::Line { .. }) {
                *slot = Raw::Line {
                    line: 0,
                    text: Vec::with_capacity(128),
                };
            }
            let Raw::Line { line, text } = slot else {
                break;
            };
            match self.next_into(text)? {
                Some(number) => {
                    *line = number;
                    bytes += text.len();
                    used += 1;
                }
                None => {
                    rows.truncate(used);
                    return Ok(false);
                }
            }
        }
        rows.truncate(used);
        Ok(true)
    }
}

/// A JSON array read one element at a time, so that a big array is never
/// held in memory whole.
pub struct JsonArray {
    reader: BufReader<Box<dyn Read + Send>>,
    started: bool,
    done: bool,
    /// Where the next unread byte is: line and column, from 1.
    line: u64,
    column: u64,
}

/// Passes bytes through, keeping the line and column of the last one.
struct Tracking<'a> {
    inner: &'a mut BufReader<Box<dyn Read + Send>>,
    line: &'a mut u64,
    column: &'a mut u64,
}

impl Read for Tracking<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for b in buf.get(..n).unwrap_or(&[]) {
            advance(self.line, self.column, *b);
        }
        Ok(n)
    }
}

fn advance(line: &mut u64, column: &mut u64, byte: u8) {
    if byte == b'\n' {
        *line += 1;
        *column = 1;
    } else if byte & 0xC0 != 0x80 {
        // A column counts characters: continuation bytes add none.
        *column += 1;
    }
}

impl JsonArray {
    pub fn new(input: Box<dyn Read + Send>) -> JsonArray {
        JsonArray {
            reader: BufReader::with_capacity(1 << 20, input),
            started: false,
            done: false,
            line: 1,
            column: 1,
        }
    }

    /// The next byte that is not white space (nor a byte-order mark at the
    /// start), without consuming it.
    fn peek(&mut self) -> Result<Option<u8>, String> {
        loop {
            let buffer = self
                .reader
                .fill_buf()
                .map_err(|e| format!("cannot read the data: {e}"))?;
            if !self.started && buffer.starts_with(BOM) {
                self.reader.consume(BOM.len());
                continue;
            }
            let Some(first) = buffer.first().copied() else {
                return Ok(None);
            };
            if first.is_ascii_whitespace() {
                advance(&mut self.line, &mut self.column, first);
                self.reader.consume(1);
            } else {
                return Ok(Some(first));
            }
        }
    }

    fn consume(&mut self) {
        self.reader.consume(1);
        self.column += 1;
    }

    /// The next element; `None` after the closing `]`. `row` numbers it.
    fn next(&mut self, row: u64) -> Result<Option<Raw>, String> {
        if self.done {
            return Ok(None);
        }
        if !self.started {
            if self.peek()? != Some(b'[') {
                self.started = true;
                return Err(
                    "the data should be a JSON array of objects (or use --input-format jsonl)"
                        .into(),
                );
            }
            self.started = true;
            self.consume();
            if self.peek()? == Some(b']') {
                self.consume();
                self.done = true;
                return Ok(None);
            }
        }
        self.peek()?;
        let (line, column) = (self.line, self.column);
        let mut deserializer = serde_json::Deserializer::from_reader(Tracking {
            inner: &mut self.reader,
            line: &mut self.line,
            column: &mut self.column,
        });
        let json = match regel::eval::json::read(&mut deserializer) {
            Ok(json) => json,
            Err((problem, error)) => {
                self.done = true;
                return Ok(Some(Raw::Broken {
                    line,
                    problem: broken_element(problem, &error, line, column, row),
                }));
            }
        };
        match self.peek()? {
            Some(b',') => self.consume(),
            Some(b']') => {
                self.consume();
                self.done = true;
            }
            // After a number the reader has already taken the `,` (or `]`).
            Some(_) if !json.is_object() && !json.is_array() && !json.is_string() => {}
            None if !json.is_object() && !json.is_array() && !json.is_string() => {
                self.done = true;
            }
            _ => {
                self.done = true;
                let problem = Diagnostic::new(
                    Code::E0501,
                    format!(
                        "the JSON array goes wrong after row {row} at line {}, column {}: expected `,` or `]`; the rest of the array cannot be read",
                        self.line, self.column
                    ),
                );
                return Ok(Some(Raw::Broken {
                    line: self.line,
                    problem,
                }));
            }
        }
        Ok(Some(Raw::Json { line, json }))
    }

    /// Reads up to a chunk of elements into `rows`; `first` is the row
    /// number of the first. `Ok(false)` at the end of the array.
    pub fn fill(&mut self, rows: &mut Vec<Raw>, first: u64) -> Result<bool, String> {
        rows.clear();
        let mut bytes = 0u64;
        let start = (self.line, self.column);
        while rows.len() < CHUNK && bytes < CHUNK_BYTES as u64 {
            match self.next(first + rows.len() as u64)? {
                Some(raw) => rows.push(raw),
                None => return Ok(false),
            }
            // Lines are a fair measure of an element's size in memory;
            // an array on one line is cut by the row count alone.
            bytes = (self.line - start.0) * 64;
        }
        Ok(!self.done)
    }
}

/// The problem of an element that could not be read: what the strict
/// reader found, or the syntax error, at its place in the whole file.
fn broken_element(
    problem: Option<Diagnostic>,
    error: &serde_json::Error,
    line: u64,
    column: u64,
    row: u64,
) -> Diagnostic {
    // The error's place counts from where the element starts.
    let error_line = line + error.line() as u64 - 1;
    let error_column = if error.line() == 1 {
        column + error.column() as u64 - 1
    } else {
        error.column() as u64
    };
    let rest = "the rest of the array cannot be read";
    match problem {
        Some(problem) => {
            let message = format!("{}; {rest}", problem.message);
            Diagnostic { message, ..problem }
                .with_note(format!("at line {error_line}, column {error_column}"))
        }
        None => Diagnostic::new(
            Code::E0501,
            format!(
                "row {row} is not valid JSON at line {error_line}, column {error_column}: {}; {rest}",
                serde_error_text(error)
            ),
        ),
    }
}

/// serde_json's message without its own (element-relative) position.
fn serde_error_text(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text.get(..at).unwrap_or(&text).to_string(),
        None => text,
    }
}
