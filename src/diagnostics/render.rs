//! The one place that turns diagnostics into text (ariadne) or JSON.

use ariadne::{CharSet, Color, Config, IndexType, Label as AriadneLabel, Report, ReportKind};
use serde::Serialize;

use super::{Diagnostic, Severity};
use crate::source::SourceMap;

/// Renders one diagnostic as human-readable text.
///
/// `color` is decided by the caller (the CLI turns it off when stdout is not a
/// terminal or `NO_COLOR` is set); tests render without colour.
pub fn render(diagnostic: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let header = format!(
        "{}[{}]",
        diagnostic.severity.as_str(),
        diagnostic.code.as_str()
    );
    let Some(primary) = &diagnostic.primary else {
        return render_without_source(diagnostic, &header);
    };
    let Some(file) = sources.get(primary.span.file) else {
        return render_without_source(diagnostic, &header);
    };
    let kind_color = match diagnostic.severity {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
    };
    let config = Config::default()
        .with_index_type(IndexType::Byte)
        .with_color(color)
        .with_char_set(CharSet::Unicode);
    let id = file.name.clone();
    let mut builder = Report::build(
        ReportKind::Custom(&header, kind_color),
        (id.clone(), primary.span.range()),
    )
    .with_config(config)
    .with_message(&diagnostic.message)
    .with_label(label(
        AriadneLabel::new((id.clone(), primary.span.range()))
            .with_color(kind_color)
            .with_order(0),
        &primary.message,
    ));
    let mut sources_used: Vec<(String, String)> = vec![(id, file.text.clone())];
    for (order, label) in diagnostic.secondary.iter().enumerate() {
        let Some(other) = sources.get(label.span.file) else {
            continue;
        };
        if !sources_used.iter().any(|(name, _)| name == &other.name) {
            sources_used.push((other.name.clone(), other.text.clone()));
        }
        builder = builder.with_label(self::label(
            AriadneLabel::new((other.name.clone(), label.span.range()))
                .with_color(Color::Blue)
                .with_priority(1)
                .with_order(i32::try_from(order + 1).unwrap_or(i32::MAX)),
            &label.message,
        ));
    }
    if let Some(help) = &diagnostic.help {
        builder = builder.with_help(help);
    }
    for note in &diagnostic.notes {
        builder = builder.with_note(note);
    }
    let mut out = Vec::new();
    let written = builder
        .finish()
        .write(ariadne::sources(sources_used), &mut out);
    if written.is_err() {
        return render_without_source(diagnostic, &header);
    }
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if !color {
        // ariadne colours a custom report kind even with colour off.
        text = strip_ansi(&text);
    }
    // ariadne pads some lines with spaces; trailing whitespace only makes
    // snapshots and terminal copies noisy.
    let mut trimmed: String = text
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    trimmed.push('\n');
    trimmed
}

/// An empty message underlines the span without text.
fn label(
    label: AriadneLabel<(String, std::ops::Range<usize>)>,
    message: &str,
) -> AriadneLabel<(String, std::ops::Range<usize>)> {
    if message.is_empty() {
        label
    } else {
        label.with_message(message)
    }
}

/// Removes ANSI colour sequences (`ESC [ ... m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn render_without_source(diagnostic: &Diagnostic, header: &str) -> String {
    let mut out = format!("{header}: {}\n", diagnostic.message);
    if let Some(place) = data_place(diagnostic) {
        out.push_str(&format!("  at: {place}\n"));
    }
    if let Some(help) = &diagnostic.help {
        out.push_str(&format!("  help: {help}\n"));
    }
    for note in &diagnostic.notes {
        out.push_str(&format!("  note: {note}\n"));
    }
    out
}

/// Where in the data a problem is: `row 3 (line 4), column `bi``, or the key
/// path alone for one provider's facts.
fn data_place(diagnostic: &Diagnostic) -> Option<String> {
    let row = diagnostic.row.map(|r| match r.line {
        Some(line) => format!("row {} (line {line})", r.row),
        None => format!("row {}", r.row),
    });
    match (row, &diagnostic.path) {
        (Some(row), Some(path)) => Some(format!("{row}, column `{path}`")),
        (Some(row), None) => Some(row),
        (None, Some(path)) => Some(path.clone()),
        (None, None) => None,
    }
}

/// A data problem on one line, for a row's `error` cell and for the stream
/// of row errors on stderr:
/// `error[E0502] row 2 (line 3), column `patients`: `abc` is not a count; help: write a whole number`.
pub fn one_line(diagnostic: &Diagnostic) -> String {
    let mut out = format!(
        "{}[{}]",
        diagnostic.severity.as_str(),
        diagnostic.code.as_str()
    );
    if let Some(place) = data_place(diagnostic) {
        out.push(' ');
        out.push_str(&place);
    }
    out.push_str(": ");
    out.push_str(&diagnostic.message);
    if let Some(help) = &diagnostic.help {
        out.push_str("; help: ");
        out.push_str(help);
    }
    out
}

/// The JSON form of a diagnostic (`regel check --format json`).
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub span: Option<JsonSpan>,
    pub label: Option<String>,
    pub help: Option<String>,
    pub notes: Vec<String>,
    pub path: Option<String>,
    /// For a row of a data file: its number, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct JsonSpan {
    pub start: u32,
    pub end: u32,
}

pub fn to_json(diagnostic: &Diagnostic, sources: &SourceMap) -> JsonDiagnostic {
    let located = diagnostic.primary.as_ref().and_then(|label| {
        let file = sources.get(label.span.file)?;
        let (line, column) = file.line_col(label.span.start as usize);
        Some((file.name.clone(), line, column, label))
    });
    JsonDiagnostic {
        code: diagnostic.code.as_str(),
        severity: diagnostic.severity.as_str(),
        message: diagnostic.message.clone(),
        file: located.as_ref().map(|l| l.0.clone()),
        line: located.as_ref().map(|l| l.1),
        column: located.as_ref().map(|l| l.2),
        span: located.as_ref().map(|l| JsonSpan {
            start: l.3.span.start,
            end: l.3.span.end,
        }),
        label: located.as_ref().map(|l| l.3.message.clone()),
        help: diagnostic.help.clone(),
        notes: diagnostic.notes.clone(),
        path: diagnostic.path.clone(),
        row: diagnostic.row.map(|r| r.row),
    }
}
