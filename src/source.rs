//! Source files and byte spans.
//!
//! Every AST and IR node carries a [`Span`]: a file and a byte range. Spans are
//! `Copy`, compare equal to every other span (so two trees that differ only in
//! layout compare equal), and are turned into line/column only when rendered.

use serde::Serialize;

/// Index of a file in a [`SourceMap`].
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Default,
    schemars::JsonSchema,
)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, Default, Serialize, schemars::JsonSchema)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span covering both `self` and `other` (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

// Spans never take part in equality: trees are compared by meaning.
impl PartialEq for Span {
    fn eq(&self, _other: &Span) -> bool {
        true
    }
}
impl Eq for Span {}

/// One loaded source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name shown in diagnostics (usually the path as given).
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let line_start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = self
            .text
            .get(line_start..offset)
            .map_or(0, |prefix| prefix.chars().count());
        (line.max(1), column + 1)
    }

    /// The text a span covers ("" when it is out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// All files of one compilation: the policy and the modules it uses.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(name, text));
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }
}

/// The characters of `text` that are code, with their byte offsets: those
/// outside `"..."` string literals (which may contain `\"`) and, when
/// `comments` is set, outside `//` line comments. One scanner serves the
/// nesting checks of Regel source and JSON and the search for comments.
pub fn code_chars(text: &str, comments: bool) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut in_string = false;
    let mut escaped = false;
    let mut in_comment = false;
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        loop {
            let (offset, c) = chars.next()?;
            if in_comment {
                in_comment = c != '\n';
                if !in_comment {
                    return Some((offset, c));
                }
                continue;
            }
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' || c == '\n' {
                    in_string = false;
                }
                continue;
            }
            if c == '"' {
                in_string = true;
                continue;
            }
            if comments && c == '/' && chars.peek().map(|(_, next)| *next) == Some('/') {
                in_comment = true;
                continue;
            }
            return Some((offset, c));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::code_chars;

    #[test]
    fn code_chars_skip_strings_and_comments() {
        let text = "a \"b // (\\\" [\" c // { d\ne";
        let code: String = code_chars(text, true).map(|(_, c)| c).collect();
        assert_eq!(code, "a  c \ne");
        let json: String = code_chars("{\"k\": \"[\"}", false)
            .map(|(_, c)| c)
            .collect();
        assert_eq!(json, "{: }");
    }
}
