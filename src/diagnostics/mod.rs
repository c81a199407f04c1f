//! Diagnostics as plain data.
//!
//! Every stage (parse, check, facts loading, evaluation) reports problems as
//! [`Diagnostic`] values; nothing prints. [`render`] is the only code that turns
//! them into text (through ariadne) and [`render::to_json`] into JSON.

pub mod codes;
pub mod render;

pub use codes::Code;

use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A span with a short message shown under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found in a policy or in provider data.
///
/// `primary` is where the problem is; `secondary` labels point at related places
/// (the earlier declaration of a duplicate, the other side of a comparison).
/// Data errors have no span but a `path` into the facts (`therapists[2].hours_per_week`).
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub notes: Vec<String>,
    /// For data errors: the key path in the facts document, or the CSV
    /// column.
    pub path: Option<String>,
    /// For problems in a data file of many rows: which row, and on which
    /// line of the file it starts.
    pub row: Option<DataRow>,
}

/// Where a row of a data file is: its number (the first data row is 1) and
/// the line of the file it starts on, when the format has lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataRow {
    pub row: u64,
    pub line: Option<u64>,
}

impl Diagnostic {
    /// An error or warning, with the severity the code registry gives it.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
            path: None,
            row: None,
        }
    }

    pub fn at(mut self, span: Span, label: impl Into<String>) -> Self {
        self.primary = Some(Label {
            span,
            message: label.into(),
        });
        self
    }

    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: label.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn in_row(mut self, row: u64, line: Option<u64>) -> Self {
        self.row = Some(DataRow { row, line });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// True when any diagnostic in the list is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// Sorts diagnostics by file and position so output is stable whatever order
/// the stages found them in.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| {
        let (file, start) = d
            .primary
            .as_ref()
            .map_or((u32::MAX, u32::MAX), |l| (l.span.file.0, l.span.start));
        (file, start, d.code.as_str())
    });
}
