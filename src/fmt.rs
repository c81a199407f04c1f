//! `regel fmt`: one canonical layout for policy files.
//!
//! [`format()`] is pure: source text in, formatted text out, or the syntax
//! diagnostics that stop formatting. It works in three steps:
//!
//! 1. **Print.** The syntax tree is turned into a stream of layout commands
//!    (text, possible line breaks, groups that break all-or-nothing, hard line
//!    breaks). Text that comes from the source carries its byte range.
//! 2. **Render.** Groups are laid out to fit [`WIDTH`] columns (a group also
//!    breaks when a comment sits at one of its line breaks). Every output line
//!    knows the range of source bytes it prints.
//! 3. **Weave.** Comments are not in the tree: they are read from the source
//!    text and put back by position. A comment after code on its line stays at
//!    the end of the output line that prints that code; a comment on a line of
//!    its own goes above the line that prints what followed it. A comment inside
//!    a construct printed on one line (where it cannot stay) moves above that
//!    line. Blank lines are kept (at most one) between items, inputs and
//!    comments.
//!
//! As a safety net the result is parsed again: it must give the same syntax
//! tree (spans aside) and the same comments, or formatting is refused.
//!
//! The syntax tree drops parentheses and the spelling of literals. Literals are
//! printed in canonical form (`€150_000`, `12.50`, `35%`, `2024-10-01`,
//! `5 years`); parentheses are printed where precedence needs them, and kept
//! where the author wrote them around a compound expression (they are found in
//! the source text from the expression's span).

use rust_decimal::Decimal;

use crate::diagnostics::{Code, Diagnostic, has_errors};
use crate::source::{FileId, Span};
use crate::syntax::{self, ast::*};

/// The line width the layout aims for. Lines may be longer when a single
/// name, label or text does not fit.
pub const WIDTH: usize = 100;

/// Formats a policy or module file. Returns the formatted text, or the
/// diagnostics that stop it: a file that does not parse is not formatted.
pub fn format(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let (tree, diagnostics) = syntax::parse(file, text);
    if has_errors(&diagnostics) {
        return Err(diagnostics);
    }
    let Some(tree) = tree else {
        return Err(vec![internal(file, "the file could not be read")]);
    };
    let source = Source::new(text);
    let mut printer = Printer::new(&source);
    printer.file(&tree);
    let lines = render(&printer.cmds, &source);
    let formatted = weave(&lines, &source);
    verify(file, &tree, &source, &formatted)?;
    Ok(formatted)
}

/// The `//` comments of a text (outside string literals), each without
/// trailing whitespace, in order.
pub fn comments(text: &str) -> Vec<String> {
    lex(text).1.into_iter().map(|c| c.text).collect()
}

fn internal(file: FileId, message: &str) -> Diagnostic {
    Diagnostic::new(Code::E0101, format!("regel fmt: {message}"))
        .at(Span::new(file, 0, 0), "in this file")
        .with_note("this is a bug in regel fmt; the file was left as it is. Please report it with this file")
}

/// Parses the formatted text again: same tree, same comments, or an error.
fn verify(
    file: FileId,
    tree: &File,
    source: &Source,
    formatted: &str,
) -> Result<(), Vec<Diagnostic>> {
    let (again, diagnostics) = syntax::parse(file, formatted);
    if has_errors(&diagnostics) || again.as_ref() != Some(tree) {
        return Err(vec![internal(
            file,
            "formatting would change the meaning of this file",
        )]);
    }
    let mut before: Vec<&str> = source.comments.iter().map(|c| c.text.as_str()).collect();
    let after_comments = lex(formatted).1;
    let mut after: Vec<&str> = after_comments.iter().map(|c| c.text.as_str()).collect();
    before.sort_unstable();
    after.sort_unstable();
    if before != after {
        return Err(vec![internal(file, "formatting would lose a comment")]);
    }
    Ok(())
}

// ---------------------------------------------------------------- source text

/// A `//` comment: byte range (without trailing whitespace) and whether code
/// comes before it on its line.
#[derive(Debug, Clone)]
struct Comment {
    start: u32,
    text: String,
    trailing: bool,
}

/// A token of the source (not a comment): its byte range.
type Tok = (u32, u32);

struct Source<'a> {
    text: &'a str,
    tokens: Vec<Tok>,
    comments: Vec<Comment>,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Splits a text into tokens and comments. Tokens are coarse: a string
/// literal, a run of letters, digits and `_`, or any other single character.
fn lex(text: &str) -> (Vec<Tok>, Vec<Comment>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|&(_, c)| c);
    let pos = |k: usize| chars.get(k).map_or(text.len(), |&(o, _)| o);
    let mut tokens = Vec::new();
    let mut comments = Vec::new();
    let mut code_on_line = false;
    let mut k = 0;
    while let Some(c) = at(k) {
        match c {
            '\n' => {
                code_on_line = false;
                k += 1;
            }
            ' ' | '\t' | '\r' => k += 1,
            '/' if at(k + 1) == Some('/') => {
                let start = k;
                while at(k).is_some_and(|c| c != '\n') {
                    k += 1;
                }
                let raw = text.get(pos(start)..pos(k)).unwrap_or("").trim_end();
                comments.push(Comment {
                    start: to_u32(pos(start)),
                    text: raw.to_string(),
                    trailing: code_on_line,
                });
            }
            '"' => {
                let start = k;
                k += 1;
                loop {
                    match at(k) {
                        None | Some('\n') => break,
                        Some('\\') => k += 2,
                        Some('"') => {
                            k += 1;
                            break;
                        }
                        Some(_) => k += 1,
                    }
                }
                let end = pos(k.min(chars.len()));
                tokens.push((to_u32(pos(start)), to_u32(end)));
                code_on_line = true;
            }
            c if c.is_ascii_alphanumeric() || c == '_' => {
                let start = k;
                while at(k).is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    k += 1;
                }
                tokens.push((to_u32(pos(start)), to_u32(pos(k))));
                code_on_line = true;
            }
            _ => {
                tokens.push((to_u32(pos(k)), to_u32(pos(k + 1))));
                k += 1;
                code_on_line = true;
            }
        }
    }
    (tokens, comments)
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Self {
        let (tokens, comments) = lex(text);
        Source {
            text,
            tokens,
            comments,
        }
    }

    fn tok_text(&self, tok: Tok) -> &str {
        self.text.get(tok.0 as usize..tok.1 as usize).unwrap_or("")
    }

    /// The first token starting at or after `pos`.
    fn next_tok(&self, pos: u32) -> Option<Tok> {
        let i = self.tokens.partition_point(|t| t.0 < pos);
        self.tokens.get(i).copied()
    }

    /// The last token ending at or before `pos`.
    fn prev_tok(&self, pos: u32) -> Option<Tok> {
        let i = self.tokens.partition_point(|t| t.1 <= pos);
        i.checked_sub(1).and_then(|i| self.tokens.get(i)).copied()
    }

    /// The first token at or after `pos` that is not in `skip`, if it is `want`.
    fn find_next(&self, pos: u32, want: &str, skip: &[&str]) -> Option<Tok> {
        let start = self.tokens.partition_point(|t| t.0 < pos);
        for tok in self.tokens.iter().skip(start) {
            let text = self.tok_text(*tok);
            if text == want {
                return Some(*tok);
            }
            if !skip.contains(&text) {
                return None;
            }
        }
        None
    }

    /// The token just before `pos`, if it is `want`.
    fn find_prev(&self, pos: u32, want: &str) -> Option<Tok> {
        self.prev_tok(pos).filter(|t| self.tok_text(*t) == want)
    }

    /// The token at or after `pos`, if it is `want`.
    fn find_at(&self, pos: u32, want: &str) -> Option<Tok> {
        self.find_next(pos, want, &[])
    }

    /// Whether a comment starts in `lo..hi`.
    fn comment_in(&self, lo: u32, hi: u32) -> bool {
        let i = self.comments.partition_point(|c| c.start < lo);
        self.comments.get(i).is_some_and(|c| c.start < hi)
    }

    /// Whether a blank line comes right before `pos` (only whitespace between).
    fn blank_before(&self, pos: u32) -> bool {
        let before = self.text.get(..pos as usize).unwrap_or("");
        let mut newlines = 0;
        for c in before.chars().rev() {
            match c {
                '\n' => newlines += 1,
                ' ' | '\t' | '\r' => {}
                _ => break,
            }
        }
        newlines >= 2
    }

    /// Whether the span is wrapped in a pair of parentheses that match each
    /// other: `(a + b)`, but not `(a) + (b)`.
    fn parenthesized(&self, span: Span) -> bool {
        let Some(text) = self.text.get(span.range()) else {
            return false;
        };
        if !(text.starts_with('(') && text.ends_with(')')) {
            return false;
        }
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut in_comment = false;
        let mut previous = '\0';
        let last = text.len().saturating_sub(1);
        for (i, c) in text.char_indices() {
            if in_comment {
                in_comment = c != '\n';
            } else if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
            } else {
                match c {
                    '"' => in_string = true,
                    '/' if previous == '/' => in_comment = true,
                    '(' => depth += 1,
                    ')' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return i == last;
                        }
                    }
                    _ => {}
                }
            }
            previous = c;
        }
        false
    }
}

// ---------------------------------------------------------------- layout commands

/// The kinds of top-level items, for the blank lines between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Header,
    Use,
    Input,
    Const,
    Def,
    Decision,
    Rule,
    Example,
    Test,
}

#[derive(Debug, Clone)]
enum Cmd {
    /// Text, with the source range it prints (if it prints source).
    Text(String, Option<Tok>),
    /// A space, or a line break when the enclosing group breaks.
    Line,
    /// Nothing, or a line break when the enclosing group breaks.
    Soft,
    /// Always a line break. `keep_blank`: a blank line in the source here is
    /// kept. `item`: a top-level item starts on the new line.
    Hard {
        keep_blank: bool,
        item: Option<Kind>,
    },
    /// A group: its line breaks are all taken or none.
    Open,
    Close,
    /// Indent lines started inside by this much more.
    Nest(usize),
    Unnest,
}

// ---------------------------------------------------------------- printing the tree

/// Binding strength of an expression, loosest first (see the grammar).
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const CMP: u8 = 4;
const ADD: u8 = 5;
const MUL: u8 = 6;
const NEG: u8 = 7;
const POSTFIX: u8 = 8;
const ATOM: u8 = 9;

struct Printer<'a> {
    src: &'a Source<'a>,
    cmds: Vec<Cmd>,
    indents: Vec<usize>,
}

fn tok(span: Span) -> Option<Tok> {
    Some((span.start, span.end))
}

/// The first `len` bytes of a span (a keyword at its start).
fn head(span: Span, len: usize) -> Option<Tok> {
    Some((span.start, span.start.saturating_add(to_u32(len))))
}

/// The last byte of a span (a closing bracket).
fn last_byte(span: Span) -> Option<Tok> {
    Some((span.end.saturating_sub(1), span.end))
}

/// An input declaration or a record field.
struct Decl<'t> {
    name: &'t Ident,
    ty: &'t TypeExpr,
    description: Option<&'t Str>,
}

impl<'a> Printer<'a> {
    fn new(src: &'a Source<'a>) -> Self {
        Printer {
            src,
            cmds: Vec::new(),
            indents: vec![0],
        }
    }

    fn indent(&self) -> usize {
        self.indents.last().copied().unwrap_or(0)
    }

    fn text(&mut self, s: impl Into<String>) {
        self.cmds.push(Cmd::Text(s.into(), None));
    }

    fn at(&mut self, s: impl Into<String>, pos: Option<Tok>) {
        self.cmds.push(Cmd::Text(s.into(), pos));
    }

    fn ident(&mut self, ident: &Ident) {
        self.at(ident.name.clone(), tok(ident.span));
    }

    fn string(&mut self, s: &Str) {
        self.at(quote(&s.value), tok(s.span));
    }

    fn hard(&mut self, keep_blank: bool) {
        self.cmds.push(Cmd::Hard {
            keep_blank,
            item: None,
        });
    }

    fn nest(&mut self, n: usize) {
        self.indents.push(self.indent() + n);
        self.cmds.push(Cmd::Nest(n));
    }

    fn unnest(&mut self) {
        self.indents.pop();
        self.cmds.push(Cmd::Unnest);
    }

    fn start_item(&mut self, kind: Kind, first: bool) {
        if !first {
            self.cmds.push(Cmd::Hard {
                keep_blank: true,
                item: Some(kind),
            });
        }
    }

    // ------------------------------------------------------------ file and items

    fn file(&mut self, file: &File) {
        self.header(&file.header);
        let mut items = file.items.iter().peekable();
        while let Some(item) = items.next() {
            match item {
                Item::Input(first) => {
                    let mut block = vec![first];
                    while let Some(Item::Input(next)) = items.peek() {
                        let last_end = block.last().map_or(first.span.end, |d| d.span.end);
                        let same_block = self
                            .src
                            .next_tok(last_end)
                            .is_some_and(|t| self.src.tok_text(t) != "}");
                        if !same_block {
                            break;
                        }
                        block.push(next);
                        items.next();
                    }
                    self.input_block(&block);
                }
                Item::Use(u) => self.use_decl(u),
                Item::Const(c) => self.const_decl(c),
                Item::Def(d) => self.def_decl(d),
                Item::Decision(d) => self.decision(d),
                Item::Rule(r) => self.rule(r),
                Item::Example(e) => self.example(e),
                Item::Test(t) => self.test(t),
                Item::Table(t) => self.table(t),
            }
        }
    }

    fn header(&mut self, header: &Header) {
        self.start_item(Kind::Header, true);
        let word = match header.kind {
            FileKind::Policy => "policy",
            FileKind::Module => "module",
        };
        self.at(word, head(header.span, word.len()));
        self.text(" ");
        self.ident(&header.name);
        self.text(" ");
        let open = self.src.find_at(header.name.span.end, "{");
        let close = last_byte(header.span);
        if header.fields.is_empty() {
            self.at("{", open);
            self.at("}", close);
            return;
        }
        self.at("{", open);
        let width = header
            .fields
            .iter()
            .map(|f| f.name.name.chars().count())
            .max()
            .unwrap_or(0)
            + 1;
        self.nest(2);
        for field in &header.fields {
            self.hard(true);
            self.at(format!("{:<width$}", field.name.name), tok(field.name.span));
            let value = match &field.value {
                HeaderValue::Text(s) => quote(s),
                HeaderValue::Integer(n) => n.to_string(),
            };
            self.at(value, Some((field.name.span.end, field.span.end)));
        }
        self.unnest();
        self.hard(false);
        self.at("}", close);
    }

    fn use_decl(&mut self, u: &Use) {
        // Destructured in full, so that a new part of `use` cannot be missed.
        let Use {
            path,
            except,
            only,
            cites,
            span,
        } = u;
        self.start_item(Kind::Use, false);
        self.at("use", head(*span, 3));
        self.text(" ");
        self.at(path.value.clone(), tok(path.span));
        for (i, name) in except.iter().enumerate() {
            self.text(if i == 0 { " except " } else { ", " });
            self.ident(name);
        }
        for (i, name) in only.iter().flatten().enumerate() {
            self.text(if i == 0 { " only " } else { ", " });
            self.ident(name);
        }
        if let Some(cites) = cites {
            // A line too long for the page puts `cites` on the next line.
            let names = |list: &[Ident]| list.iter().map(|n| n.name.len() + 2).sum::<usize>();
            let width = 4
                + path.value.chars().count()
                + names(except)
                + only.as_deref().map_or(0, names)
                + 8
                + 7
                + quote(&cites.value).chars().count();
            let keyword = self.src.find_prev(cites.span.start, "cites");
            if width > WIDTH {
                self.nest(2);
                self.hard(false);
                self.at("cites", keyword);
                self.text(" ");
                self.string(cites);
                self.unnest();
            } else {
                self.text(" ");
                self.at("cites", keyword);
                self.text(" ");
                self.string(cites);
            }
        }
    }

    fn const_decl(&mut self, c: &ConstDecl) {
        self.start_item(Kind::Const, false);
        self.at("const", head(c.span, 5));
        self.text(" ");
        self.ident(&c.name);
        if let Some(ty) = &c.ty {
            self.text(": ");
            self.at(type_flat(ty), tok(ty.span));
        }
        self.text(" = ");
        match &c.value {
            ConstValue::Tbd { note, span } => {
                self.at("tbd", head(*span, 3));
                if let Some(note) = note {
                    self.text(" ");
                    self.string(note);
                }
            }
            ConstValue::Expr(e) => self.expr(e, OR),
        }
    }

    fn def_decl(&mut self, d: &DefDecl) {
        self.start_item(Kind::Def, false);
        self.at("def", head(d.span, 3));
        self.text(" ");
        self.ident(&d.name);
        if let Some(label) = &d.label {
            self.text(" ");
            self.string(label);
        }
        self.text(" =");
        self.cmds.push(Cmd::Open);
        self.nest(2);
        self.cmds.push(Cmd::Line);
        self.expr(&d.expr, OR);
        self.unnest();
        self.cmds.push(Cmd::Close);
    }

    fn decision(&mut self, d: &DecisionDecl) {
        self.start_item(Kind::Decision, false);
        self.at("decision", head(d.span, 8));
        self.text(" ");
        self.ident(&d.name);
        if let Some(label) = &d.label {
            self.text(" ");
            self.string(label);
        }
        self.text(" ");
        let open = d
            .outcomes
            .first()
            .and_then(|o| self.src.prev_tok(o.span.start))
            .and_then(|t| self.src.prev_tok(t.0))
            .filter(|t| self.src.tok_text(*t) == "{");
        self.at("{", open);
        self.nest(2);
        self.hard(false);
        let outcomes_kw = d
            .outcomes
            .first()
            .and_then(|o| self.src.find_prev(o.span.start, "outcomes"));
        self.at("outcomes", outcomes_kw);
        for (i, outcome) in d.outcomes.iter().enumerate() {
            self.text(if i == 0 { " " } else { " > " });
            self.ident(outcome);
        }
        self.hard(false);
        let default_kw = self.src.find_prev(d.default.span.start, "default");
        self.at("default", default_kw);
        self.text(" ");
        self.ident(&d.default);
        self.unnest();
        self.hard(false);
        self.at("}", last_byte(d.span));
    }

    fn rule(&mut self, r: &RuleDecl) {
        self.start_item(Kind::Rule, false);
        self.at("rule", head(r.span, 4));
        self.text(" ");
        self.ident(&r.id);
        self.text(" ");
        self.string(&r.label);
        self.nest(2);
        self.hard(false);
        let cites_kw = self.src.find_at(r.label.span.end, "cites");
        self.at("cites", cites_kw);
        self.text(" ");
        self.string(&r.cites);
        self.hard(false);
        let when_kw = self.src.find_at(r.cites.span.end, "when");
        self.at("when", when_kw);
        self.text(" ");
        self.expr(&r.condition, OR);
        self.hard(false);
        let then_kw = self.src.find_at(r.condition.span.end, "then");
        self.at("then", then_kw);
        self.text(" ");
        self.ident(&r.decision);
        self.text(" = ");
        self.ident(&r.outcome);
        self.unnest();
    }

    fn example(&mut self, e: &ExampleDecl) {
        self.start_item(Kind::Example, false);
        self.at("example", head(e.span, 7));
        self.text(" ");
        self.ident(&e.name);
        self.text(" ");
        self.data_object(&e.data);
    }

    fn test(&mut self, t: &TestDecl) {
        self.start_item(Kind::Test, false);
        self.at("test", head(t.span, 4));
        self.text(" ");
        self.string(&t.name);
        self.text(" ");
        let open = self.src.find_at(t.name.span.end, "{");
        self.at("{", open);
        self.nest(2);
        self.hard(false);
        let given_kw = open.and_then(|o| self.src.find_at(o.1, "given"));
        self.at("given", given_kw);
        if let Some(base) = &t.base {
            self.text(" ");
            self.ident(base);
            if let Some(data) = &t.data {
                self.text(" with ");
                self.data_object(data);
            }
        } else if let Some(data) = &t.data {
            self.text(" ");
            self.data_object(data);
        }
        for expectation in &t.expectations {
            self.hard(false);
            self.at("expect", head(expectation.span, 6));
            self.text(" ");
            self.ident(&expectation.decision);
            match &expectation.expected {
                Expected::Undetermined => {
                    self.text(" ");
                    let kw = self.src.prev_tok(expectation.span.end);
                    self.at("undetermined", kw);
                }
                Expected::Outcome { outcome, by } => {
                    self.text(" = ");
                    self.ident(outcome);
                    if let Some(by) = by {
                        self.text(" by ");
                        self.ident(by);
                    }
                }
            }
        }
        self.unnest();
        self.hard(false);
        self.at("}", last_byte(t.span));
    }

    /// A table: the header and rows with their columns lined up.
    fn table(&mut self, t: &TableDecl) {
        self.start_item(Kind::Test, false);
        self.at("table", head(t.span, 5));
        self.text(" ");
        self.string(&t.name);
        if let Some(base) = &t.base {
            self.text(" given ");
            self.ident(base);
        }
        self.text(" ");
        let open = self.src.find_at(t.name.span.end, "{");
        self.at("{", open);
        let header: Vec<String> = t
            .columns
            .iter()
            .map(|c| match c.year {
                Some(year) => format!("{} over {year}", c.name.name),
                None => c.name.name.clone(),
            })
            .collect();
        let rows: Vec<Vec<String>> = t
            .rows
            .iter()
            .map(|row| row.cells.iter().map(|cell| self.cell_text(cell)).collect())
            .collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in &rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let width = widths.get(i).copied().unwrap_or(0);
                    format!("{c:<width$}")
                })
                .collect();
            format!("| {} |", padded.join(" | "))
        };
        self.nest(2);
        self.hard(false);
        let header_start = t.columns.first().map(|c| c.span.start.saturating_sub(1));
        self.at(line(&header), header_start.map(|s| (s, s + 1)));
        for (row, cells) in t.rows.iter().zip(&rows) {
            self.hard(false);
            self.at(line(cells), head(row.span, 1));
        }
        self.unnest();
        self.hard(false);
        self.at("}", last_byte(t.span));
    }

    /// One table cell as written in canonical form.
    fn cell_text(&self, cell: &TableCell) -> String {
        match cell {
            TableCell::Undetermined(_) => "undetermined".to_string(),
            TableCell::Value(DataValue::Literal(literal, span)) => {
                literal_text(literal, self.src.text.get(span.range()).unwrap_or(""))
            }
            TableCell::Value(DataValue::Name(ident)) => ident.name.clone(),
            TableCell::Value(DataValue::Missing(_)) => "missing".to_string(),
            TableCell::Value(DataValue::Object(object)) => self.source_line(object.span),
            TableCell::Value(DataValue::List(_, span)) => self.source_line(*span),
        }
    }

    /// The source text of a span on one line.
    fn source_line(&self, span: Span) -> String {
        let text = self.src.text.get(span.range()).unwrap_or("");
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    // ------------------------------------------------------------ inputs and types

    fn input_block(&mut self, decls: &[&InputDecl]) {
        self.start_item(Kind::Input, false);
        let first_start = decls.first().map_or(0, |d| d.span.start);
        let open = self.src.find_prev(first_start, "{");
        let input_kw = open.and_then(|o| self.src.find_prev(o.0, "input"));
        self.at("input", input_kw);
        self.text(" ");
        self.at("{", open);
        let list: Vec<Decl> = decls
            .iter()
            .map(|d| Decl {
                name: &d.name,
                ty: &d.ty,
                description: d.description.as_ref(),
            })
            .collect();
        self.nest(2);
        self.decl_block(&list);
        self.unnest();
        self.hard(false);
        let last_end = decls.last().map_or(0, |d| d.span.end);
        let close = self.src.find_at(last_end, "}");
        self.at("}", close);
    }

    /// Declarations one per line. When one of them does not fit on a line,
    /// every one of the block puts its description on the next line.
    fn decl_block(&mut self, decls: &[Decl]) {
        let indent = self.indent();
        let wrapped = decls.iter().any(|d| !self.decl_fits(d, indent));
        for decl in decls {
            self.hard(true);
            self.ident(decl.name);
            self.text(": ");
            if wrapped {
                let col = indent + decl.name.name.chars().count() + 2;
                self.type_expr(decl.ty, col);
                if let Some(description) = decl.description {
                    self.nest(2);
                    self.hard(false);
                    self.string(description);
                    self.unnest();
                }
            } else {
                self.at(type_flat(decl.ty), tok(decl.ty.span));
                if let Some(description) = decl.description {
                    self.text(" ");
                    self.string(description);
                }
            }
        }
    }

    fn decl_fits(&self, decl: &Decl, indent: usize) -> bool {
        let mut width =
            indent + decl.name.name.chars().count() + 2 + type_flat(decl.ty).chars().count();
        if let Some(description) = decl.description {
            width += 1 + quote(&description.value).chars().count();
            if self
                .src
                .comment_in(decl.ty.span.end, description.span.start)
            {
                return false;
            }
        }
        width <= WIDTH && !self.comment_in_braces(decl.ty)
    }

    /// The braces of a record or enum type (the outermost, looking through `list of`).
    fn braces(&self, ty: &TypeExpr) -> Option<(Tok, Tok)> {
        let (first, last) = match &ty.kind {
            TypeExprKind::Scalar(_) => return None,
            TypeExprKind::List(inner) => return self.braces(inner),
            TypeExprKind::Enum(values) => (values.first()?.span, values.last()?.span),
            TypeExprKind::Record(fields) => (fields.first()?.span, fields.last()?.span),
        };
        let open = self.src.find_prev(first.start, "{")?;
        let close = self.src.find_next(last.end, "}", &[","])?;
        Some((open, close))
    }

    /// Whether a comment sits inside the braces of a record or enum type:
    /// then the type is laid out over several lines, so the comment can stay.
    fn comment_in_braces(&self, ty: &TypeExpr) -> bool {
        self.braces(ty)
            .is_some_and(|(open, close)| self.src.comment_in(open.0, close.1))
    }

    /// A type written at column `col`, over several lines when it is a record
    /// or enum that does not fit (or holds a comment).
    fn type_expr(&mut self, ty: &TypeExpr, col: usize) {
        let indent = self.indent();
        let flat = type_flat(ty);
        let multi = matches!(ty.kind, TypeExprKind::Enum(_) | TypeExprKind::Record(_))
            && (col + flat.chars().count() > WIDTH || self.comment_in_braces(ty));
        if !multi {
            if let TypeExprKind::List(inner) = &ty.kind {
                self.text("list of ");
                self.type_expr(inner, col + 8);
                if ty.by_year {
                    self.text(" by year");
                }
                return;
            }
            self.at(flat, tok(ty.span));
            return;
        }
        let braces = self.braces(ty);
        match &ty.kind {
            TypeExprKind::Enum(values) => {
                self.text("enum ");
                self.at("{", braces.map(|b| b.0));
                self.nest(4);
                let room = WIDTH.saturating_sub(indent + 4);
                let mut line_len = 0usize;
                let mut break_before = true;
                for (i, value) in values.iter().enumerate() {
                    let next_start = values.get(i + 1).map(|v| v.span.start);
                    let mut item = value.name.clone();
                    if next_start.is_some() {
                        item.push(',');
                    }
                    let len = item.chars().count();
                    if break_before || line_len + 1 + len > room {
                        self.hard(false);
                        line_len = len;
                    } else {
                        self.text(" ");
                        line_len += 1 + len;
                    }
                    self.at(item, tok(value.span));
                    // A comment after this value ends the line here.
                    let until =
                        next_start.unwrap_or_else(|| braces.map_or(value.span.end, |b| b.1.0));
                    break_before = self.src.comment_in(value.span.end, until);
                }
                self.unnest();
            }
            TypeExprKind::Record(fields) => {
                self.at("{", braces.map(|b| b.0));
                let list: Vec<Decl> = fields
                    .iter()
                    .map(|f| Decl {
                        name: &f.name,
                        ty: &f.ty,
                        description: f.description.as_ref(),
                    })
                    .collect();
                self.nest(4);
                self.decl_block(&list);
                self.unnest();
            }
            _ => {}
        }
        self.nest(2);
        self.hard(false);
        self.at("}", braces.map(|b| b.1));
        self.unnest();
        if ty.by_year {
            self.text(" by year");
        }
    }

    // ------------------------------------------------------------ data

    fn data_object(&mut self, object: &DataObject) {
        let open = head(object.span, 1);
        let close = last_byte(object.span);
        if object.entries.is_empty() {
            self.at("{", open);
            self.at("}", close);
            return;
        }
        self.cmds.push(Cmd::Open);
        self.at("{", open);
        self.nest(2);
        self.cmds.push(Cmd::Line);
        for (i, entry) in object.entries.iter().enumerate() {
            if i > 0 {
                self.text(",");
                self.cmds.push(Cmd::Line);
            }
            self.at(data_key(&entry.key.value), tok(entry.key.span));
            self.text(": ");
            self.data_value(&entry.value);
        }
        self.unnest();
        self.cmds.push(Cmd::Line);
        self.at("}", close);
        self.cmds.push(Cmd::Close);
    }

    fn data_value(&mut self, value: &DataValue) {
        match value {
            DataValue::Object(object) => self.data_object(object),
            DataValue::List(items, span) => {
                let open = head(*span, 1);
                let close = last_byte(*span);
                if items.is_empty() {
                    self.at("[", open);
                    self.at("]", close);
                    return;
                }
                self.cmds.push(Cmd::Open);
                self.at("[", open);
                self.nest(2);
                self.cmds.push(Cmd::Soft);
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.text(",");
                        self.cmds.push(Cmd::Line);
                    }
                    self.data_value(item);
                }
                self.unnest();
                self.cmds.push(Cmd::Soft);
                self.at("]", close);
                self.cmds.push(Cmd::Close);
            }
            DataValue::Literal(literal, span) => {
                let text = literal_text(literal, self.src.text.get(span.range()).unwrap_or(""));
                self.at(text, tok(*span));
            }
            DataValue::Name(ident) => self.ident(ident),
            DataValue::Missing(span) => self.at("missing", tok(*span)),
        }
    }

    // ------------------------------------------------------------ expressions

    fn needs_parens(&self, e: &Expr, min: u8) -> bool {
        level(e) < min || (!atomic(e) && self.src.parenthesized(e.span))
    }

    fn expr(&mut self, e: &Expr, min: u8) {
        let parens = self.needs_parens(e, min);
        self.expr_parens(e, parens);
    }

    fn expr_parens(&mut self, e: &Expr, parens: bool) {
        if parens {
            self.text("(");
        }
        self.expr_bare(e);
        if parens {
            self.text(")");
        }
    }

    fn expr_bare(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Literal(literal) => {
                let text = literal_text(literal, self.src.text.get(e.span.range()).unwrap_or(""));
                self.at(text, tok(e.span));
            }
            ExprKind::Name(ident) => self.ident(ident),
            ExprKind::Field { record, field } => {
                self.expr(record, POSTFIX);
                self.text(".");
                self.ident(field);
            }
            ExprKind::Over { series, year } => {
                self.expr(series, POSTFIX);
                self.text(" over ");
                if bare_year(year) {
                    self.expr_parens(year, false);
                } else {
                    self.text("(");
                    self.expr_bare(year);
                    self.text(")");
                }
            }
            ExprKind::Unary { op, operand } => match op {
                UnaryOp::Not => {
                    self.text("not ");
                    self.expr(operand, NOT);
                }
                UnaryOp::Neg => {
                    self.text("-");
                    self.expr(operand, NEG);
                }
            },
            ExprKind::Arith { op, lhs, rhs, .. } => {
                let (lmin, rmin) = match op {
                    ArithOp::Add | ArithOp::Sub => (ADD, MUL),
                    ArithOp::Mul | ArithOp::Div => (MUL, NEG),
                };
                // `(bi over year) - 2` must not read as `bi over (year - 2)`.
                let lhs_parens = self.needs_parens(lhs, lmin)
                    || (matches!(op, ArithOp::Add | ArithOp::Sub)
                        && self.ends_with_bare_over(lhs, lmin)
                        && self.starts_with_digit(rhs, rmin));
                self.expr_parens(lhs, lhs_parens);
                self.text(match op {
                    ArithOp::Add => " + ",
                    ArithOp::Sub => " - ",
                    ArithOp::Mul => " * ",
                    ArithOp::Div => " / ",
                });
                self.expr(rhs, rmin);
            }
            ExprKind::Logic { op, operands } => {
                if is_chain(e) {
                    self.chain(operands);
                    return;
                }
                let (word, min) = match op {
                    LogicOp::Or => ("or ", AND),
                    LogicOp::And => ("and ", NOT),
                };
                self.cmds.push(Cmd::Open);
                let mut rest = operands.iter();
                if let Some(first) = rest.next() {
                    self.expr(first, min);
                }
                self.nest(2);
                for operand in rest {
                    self.cmds.push(Cmd::Line);
                    self.text(word);
                    self.expr(operand, min);
                }
                self.unnest();
                self.cmds.push(Cmd::Close);
            }
            ExprKind::Compare { op, lhs, rhs, .. } => {
                self.expr(lhs, ADD);
                self.text(cmp_text(*op));
                self.expr(rhs, ADD);
            }
            ExprKind::In {
                value,
                set,
                negated,
            } => {
                self.expr(value, ADD);
                self.text(if *negated { " not in " } else { " in " });
                match set {
                    InSet::List(list) => self.expr(list, ADD),
                    InSet::Set(members) => self.set(members),
                }
            }
            ExprKind::Presence { known, operand } => {
                self.text(if *known { "known " } else { "missing " });
                self.expr(operand, POSTFIX);
            }
            ExprKind::Aggregate {
                kind,
                binder,
                list,
                body,
            } => {
                let word = match kind {
                    AggregateKind::Count => "count(",
                    AggregateKind::Any => "any(",
                    AggregateKind::All => "all(",
                    AggregateKind::Sum => "sum(",
                };
                self.at(word, head(e.span, word.len()));
                if let Some(binder) = binder {
                    self.ident(binder);
                    self.text(" in ");
                    self.expr(list, OR);
                    if let Some(body) = body {
                        self.text(":");
                        self.cmds.push(Cmd::Open);
                        self.nest(2);
                        self.cmds.push(Cmd::Line);
                        self.expr(body, OR);
                        self.unnest();
                        self.cmds.push(Cmd::Close);
                    }
                } else {
                    // `count(x in y)` would read as a binder: bracket `in`.
                    self.expr(list, ADD);
                }
                self.at(")", last_byte(e.span));
            }
            ExprKind::Error => {}
        }
    }

    /// `a < b <= c`: a chain of comparisons sharing their middle operands.
    fn chain(&mut self, operands: &[Expr]) {
        for (i, operand) in operands.iter().enumerate() {
            if let ExprKind::Compare { op, lhs, rhs, .. } = &operand.kind {
                if i == 0 {
                    self.expr(lhs, ADD);
                }
                self.text(cmp_text(*op));
                self.expr(rhs, ADD);
            }
        }
    }

    fn set(&mut self, members: &[Expr]) {
        let open = members
            .first()
            .and_then(|m| self.src.find_prev(m.span.start, "{"));
        let close = members
            .last()
            .and_then(|m| self.src.find_next(m.span.end, "}", &[","]));
        self.cmds.push(Cmd::Open);
        self.at("{", open);
        self.nest(2);
        self.cmds.push(Cmd::Line);
        for (i, member) in members.iter().enumerate() {
            if i > 0 {
                self.text(",");
                self.cmds.push(Cmd::Line);
            }
            self.expr(member, OR);
        }
        self.unnest();
        self.cmds.push(Cmd::Line);
        self.at("}", close);
        self.cmds.push(Cmd::Close);
    }

    /// Whether `e`, printed at `min`, ends with `over name` (a bare name as the
    /// year), which would take a following `- 2` as part of the year.
    fn ends_with_bare_over(&self, e: &Expr, min: u8) -> bool {
        if self.needs_parens(e, min) {
            return false;
        }
        match &e.kind {
            ExprKind::Over { year, .. } => matches!(year.kind, ExprKind::Name(_)),
            ExprKind::Arith { op, rhs, .. } => {
                let rmin = match op {
                    ArithOp::Add | ArithOp::Sub => MUL,
                    ArithOp::Mul | ArithOp::Div => NEG,
                };
                self.ends_with_bare_over(rhs, rmin)
            }
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => self.ends_with_bare_over(operand, NEG),
            _ => false,
        }
    }

    /// Whether `e`, printed at `min`, starts with a digit.
    fn starts_with_digit(&self, e: &Expr, min: u8) -> bool {
        if self.needs_parens(e, min) {
            return false;
        }
        match &e.kind {
            ExprKind::Literal(literal) => {
                !matches!(
                    literal,
                    Literal::Money(_) | Literal::Text(_) | Literal::Bool(_)
                ) && !literal_text(literal, "").starts_with('-')
            }
            ExprKind::Arith { op, lhs, .. } => {
                let lmin = match op {
                    ArithOp::Add | ArithOp::Sub => ADD,
                    ArithOp::Mul | ArithOp::Div => MUL,
                };
                self.starts_with_digit(lhs, lmin)
            }
            ExprKind::Field { record: inner, .. } | ExprKind::Over { series: inner, .. } => {
                self.starts_with_digit(inner, POSTFIX)
            }
            _ => false,
        }
    }
}

fn cmp_text(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => " == ",
        CmpOp::Ne => " != ",
        CmpOp::Lt => " < ",
        CmpOp::Le => " <= ",
        CmpOp::Gt => " > ",
        CmpOp::Ge => " >= ",
    }
}

/// A chain `a < b <= c` is lowered to `a < b and b <= c` with the very same
/// `b` (same span) on both sides.
fn is_chain(e: &Expr) -> bool {
    let ExprKind::Logic {
        op: LogicOp::And,
        operands,
    } = &e.kind
    else {
        return false;
    };
    operands.len() >= 2
        && operands
            .iter()
            .all(|o| matches!(o.kind, ExprKind::Compare { .. }))
        && operands.windows(2).all(|pair| match pair {
            [
                Expr {
                    kind: ExprKind::Compare { rhs, .. },
                    ..
                },
                Expr {
                    kind: ExprKind::Compare { lhs, .. },
                    ..
                },
            ] => rhs.span.start == lhs.span.start && rhs.span.end == lhs.span.end,
            _ => false,
        })
}

fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Logic {
            op: LogicOp::Or, ..
        } => OR,
        ExprKind::Logic { .. } => {
            if is_chain(e) {
                CMP
            } else {
                AND
            }
        }
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => NOT,
        ExprKind::Compare { .. } | ExprKind::In { .. } | ExprKind::Presence { .. } => CMP,
        ExprKind::Arith {
            op: ArithOp::Add | ArithOp::Sub,
            ..
        } => ADD,
        ExprKind::Arith { .. } => MUL,
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => NEG,
        ExprKind::Literal(literal) if literal_text(literal, "").starts_with('-') => NEG,
        ExprKind::Field { .. } | ExprKind::Over { .. } => POSTFIX,
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Aggregate { .. } | ExprKind::Error => {
            ATOM
        }
    }
}

/// Expressions whose parentheses, when the author wrote them, are dropped.
fn atomic(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Aggregate { .. }
    )
}

/// Whether a year after `over` can be written without parentheses: `2023`,
/// `year`, `year - 2`.
fn bare_year(year: &Expr) -> bool {
    let whole = |e: &Expr| matches!(&e.kind, ExprKind::Literal(Literal::Number { value, integer: true }) if !value.is_sign_negative());
    match &year.kind {
        ExprKind::Literal(_) => whole(year),
        ExprKind::Name(_) => true,
        ExprKind::Arith {
            op: ArithOp::Add | ArithOp::Sub,
            lhs,
            rhs,
            ..
        } => matches!(lhs.kind, ExprKind::Name(_)) && whole(rhs),
        _ => false,
    }
}

// ---------------------------------------------------------------- literals

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `150000` -> `150_000` when the whole part has at least `min` digits.
fn group_number(text: &str, min: usize) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (whole, fraction) = match rest.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (rest, None),
    };
    let digits: Vec<char> = whole.chars().collect();
    let mut out = String::from(sign);
    for (i, c) in digits.iter().enumerate() {
        if digits.len() >= min && i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('_');
        }
        out.push(*c);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(fraction);
    }
    out
}

/// The canonical spelling of a literal. `written` is the source text, used
/// only when the value cannot be reproduced exactly.
fn literal_text(literal: &Literal, written: &str) -> String {
    match literal {
        Literal::Bool(b) => b.to_string(),
        Literal::Number { value, .. } => group_number(&value.to_string(), 5),
        Literal::Money(value) => {
            let mut value = *value;
            if value.scale() > 0 && value.scale() < 2 {
                value.rescale(2);
            }
            format!("€{}", group_number(&value.to_string(), 4))
        }
        Literal::Percent(value) => match value.checked_mul(Decimal::ONE_HUNDRED) {
            Some(points) => format!("{}%", group_number(&points.normalize().to_string(), 5)),
            None => written.to_string(),
        },
        Literal::Date(date) => format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day()),
        Literal::Month(month) => format!("{:04}-{:02}", month.year, month.month),
        Literal::Time(time) => format!("{:02}:{:02}", time.hour(), time.minute()),
        Literal::Duration { amount, unit } => {
            let word = match unit {
                DurationUnit::Years => "year",
                DurationUnit::Months => "month",
                DurationUnit::Days => "day",
            };
            let plural = if *amount == 1 { "" } else { "s" };
            format!("{amount} {word}{plural}")
        }
        Literal::Text(s) => quote(s),
    }
}

const KEYWORDS: &[&str] = &[
    "use",
    "except",
    "only",
    "input",
    "const",
    "def",
    "decision",
    "rule",
    "cites",
    "when",
    "then",
    "outcomes",
    "default",
    "example",
    "test",
    "table",
    "given",
    "with",
    "expect",
    "undetermined",
    "by",
    "over",
    "known",
    "missing",
    "not",
    "and",
    "or",
    "in",
    "true",
    "false",
    "tbd",
    "count",
    "any",
    "all",
    "sum",
];

/// A key of a facts object: a bare name or year when it can be, else quoted.
fn data_key(key: &str) -> String {
    let mut chars = key.chars();
    let is_name = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&key);
    let is_number = !key.is_empty() && key.chars().all(|c| c.is_ascii_digit());
    if is_name || is_number {
        key.to_string()
    } else {
        quote(key)
    }
}

fn scalar_name(scalar: ScalarType) -> &'static str {
    match scalar {
        ScalarType::Bool => "bool",
        ScalarType::Count => "count",
        ScalarType::Number => "number",
        ScalarType::Money => "money",
        ScalarType::Percent => "percent",
        ScalarType::Date => "date",
        ScalarType::Month => "month",
        ScalarType::Time => "time",
        ScalarType::Year => "year",
        ScalarType::Text => "text",
    }
}

/// A type on one line: `list of { a: bool "A", b: count "B" } by year`.
fn type_flat(ty: &TypeExpr) -> String {
    let mut out = match &ty.kind {
        TypeExprKind::Scalar(scalar) => scalar_name(*scalar).to_string(),
        TypeExprKind::Enum(values) => {
            let names: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
            format!("enum {{ {} }}", names.join(", "))
        }
        TypeExprKind::List(inner) => format!("list of {}", type_flat(inner)),
        TypeExprKind::Record(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| {
                    let mut field = format!("{}: {}", f.name.name, type_flat(&f.ty));
                    if let Some(description) = &f.description {
                        field.push(' ');
                        field.push_str(&quote(&description.value));
                    }
                    field
                })
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
    };
    if ty.by_year {
        out.push_str(" by year");
    }
    out
}

// ---------------------------------------------------------------- rendering

/// One output line before comments are put back.
#[derive(Debug, Clone)]
struct RLine {
    indent: usize,
    text: String,
    lo: Option<u32>,
    hi: Option<u32>,
    keep_blank: bool,
    item: Option<Kind>,
}

impl RLine {
    fn new(indent: usize, keep_blank: bool, item: Option<Kind>) -> Self {
        RLine {
            indent,
            text: String::new(),
            lo: None,
            hi: None,
            keep_blank,
            item,
        }
    }
}

/// Per group (indexed by the position of its `Open`): its width on one line,
/// where it closes, and whether it must break.
struct Groups {
    width: Vec<usize>,
    close: Vec<usize>,
    forced: Vec<bool>,
}

fn measure(cmds: &[Cmd], src: &Source) -> Groups {
    let n = cmds.len();
    let mut width = vec![0usize; n];
    let mut close = vec![n; n];
    let mut forced = vec![false; n];
    let mut parent = vec![None; n];
    // Where each break opportunity sits in the source: between the last
    // source text before it and the first after it.
    let mut breaks: Vec<(usize, u32, usize)> = Vec::new(); // (group, gap start, cmd index)
    let mut stack: Vec<usize> = Vec::new();
    let mut last_end = 0u32;
    for (i, cmd) in cmds.iter().enumerate() {
        match cmd {
            Cmd::Open => {
                if let Some(slot) = parent.get_mut(i) {
                    *slot = stack.last().copied();
                }
                stack.push(i);
            }
            Cmd::Close => {
                if let Some(g) = stack.pop() {
                    if let Some(slot) = close.get_mut(g) {
                        *slot = i;
                    }
                    let w = width.get(g).copied().unwrap_or(0);
                    if let Some(p) = stack.last() {
                        if let Some(slot) = width.get_mut(*p) {
                            *slot = slot.saturating_add(w);
                        }
                    }
                }
            }
            Cmd::Text(text, pos) => {
                if let Some(g) = stack.last() {
                    if let Some(slot) = width.get_mut(*g) {
                        *slot = slot.saturating_add(text.chars().count());
                    }
                }
                if let Some((_, end)) = pos {
                    last_end = last_end.max(*end);
                }
            }
            Cmd::Line | Cmd::Soft => {
                if let Some(g) = stack.last() {
                    if matches!(cmd, Cmd::Line) {
                        if let Some(slot) = width.get_mut(*g) {
                            *slot = slot.saturating_add(1);
                        }
                    }
                    breaks.push((*g, last_end, i));
                }
            }
            Cmd::Hard { .. } => {
                for g in &stack {
                    if let Some(slot) = forced.get_mut(*g) {
                        *slot = true;
                    }
                }
            }
            Cmd::Nest(_) | Cmd::Unnest => {}
        }
    }
    // The first source position after each command.
    let mut next_start = vec![u32::MAX; n + 1];
    for i in (0..n).rev() {
        let after = next_start.get(i + 1).copied().unwrap_or(u32::MAX);
        let here = match cmds.get(i) {
            Some(Cmd::Text(_, Some((start, _)))) => *start,
            _ => after,
        };
        if let Some(slot) = next_start.get_mut(i) {
            *slot = here.min(after);
        }
    }
    for (g, gap_start, i) in breaks {
        let gap_end = next_start.get(i).copied().unwrap_or(u32::MAX);
        if src.comment_in(gap_start, gap_end) {
            let mut group = Some(g);
            while let Some(current) = group {
                if let Some(slot) = forced.get_mut(current) {
                    *slot = true;
                }
                group = parent.get(current).copied().flatten();
            }
        }
    }
    Groups {
        width,
        close,
        forced,
    }
}

/// The width of the text that follows command `i` up to the next line break.
fn trailing_width(cmds: &[Cmd], i: usize) -> usize {
    let mut width = 0;
    for cmd in cmds.iter().skip(i + 1) {
        match cmd {
            Cmd::Text(text, _) => width += text.chars().count(),
            Cmd::Line | Cmd::Soft | Cmd::Hard { .. } => break,
            _ => {}
        }
    }
    width
}

fn render(cmds: &[Cmd], src: &Source) -> Vec<RLine> {
    let groups = measure(cmds, src);
    let mut lines = vec![RLine::new(0, true, Some(Kind::Header))];
    let mut indents: Vec<usize> = vec![0];
    let mut flat_stack: Vec<bool> = Vec::new();
    let mut col = 0usize;
    fn newline(lines: &mut Vec<RLine>, indent: usize, keep_blank: bool, item: Option<Kind>) {
        if let Some(last) = lines.last_mut() {
            if last.text.is_empty() {
                last.indent = indent;
                last.keep_blank |= keep_blank;
                last.item = last.item.or(item);
                return;
            }
        }
        lines.push(RLine::new(indent, keep_blank, item));
    }
    for (i, cmd) in cmds.iter().enumerate() {
        let flat = flat_stack.last().copied().unwrap_or(false);
        let indent = indents.last().copied().unwrap_or(0);
        match cmd {
            Cmd::Open => {
                let fits = if flat {
                    true
                } else if groups.forced.get(i).copied().unwrap_or(false) {
                    false
                } else {
                    let close = groups.close.get(i).copied().unwrap_or(i);
                    let width = groups.width.get(i).copied().unwrap_or(usize::MAX);
                    col.saturating_add(width)
                        .saturating_add(trailing_width(cmds, close))
                        <= WIDTH
                };
                flat_stack.push(fits);
            }
            Cmd::Close => {
                flat_stack.pop();
            }
            Cmd::Text(text, pos) => {
                if let Some(line) = lines.last_mut() {
                    line.text.push_str(text);
                    if let Some((start, end)) = pos {
                        line.lo = Some(line.lo.map_or(*start, |lo| lo.min(*start)));
                        line.hi = Some(line.hi.map_or(*end, |hi| hi.max(*end)));
                    }
                }
                col += text.chars().count();
            }
            Cmd::Line | Cmd::Soft => {
                if flat {
                    if matches!(cmd, Cmd::Line) {
                        if let Some(line) = lines.last_mut() {
                            line.text.push(' ');
                        }
                        col += 1;
                    }
                } else {
                    newline(&mut lines, indent, false, None);
                    col = indent;
                }
            }
            Cmd::Hard { keep_blank, item } => {
                newline(&mut lines, indent, *keep_blank, *item);
                col = indent;
            }
            Cmd::Nest(n) => indents.push(indent + n),
            Cmd::Unnest => {
                indents.pop();
            }
        }
    }
    lines.retain(|l| !l.text.is_empty());
    lines
}

// ---------------------------------------------------------------- comments and blank lines

enum Out {
    Blank,
    Line {
        indent: usize,
        text: String,
        comment: Option<String>,
    },
}

fn weave(lines: &[RLine], src: &Source) -> String {
    let n = lines.len();
    // Source ranges, made increasing.
    let mut previous = 0u32;
    let ranges: Vec<(u32, u32)> = lines
        .iter()
        .map(|l| {
            let lo = l.lo.unwrap_or(previous).max(previous);
            let hi = l.hi.unwrap_or(lo).max(lo);
            previous = hi;
            (lo, hi)
        })
        .collect();

    // Blank lines forced between items: between items of different kinds, and
    // around items that take more than one line (but not `use` lines).
    let mut force_blank = vec![false; n];
    let starts: Vec<(usize, Kind)> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.item.map(|k| (i, k)))
        .collect();
    for (m, pair) in starts.windows(2).enumerate() {
        if let [(first, kind_a), (second, kind_b)] = pair {
            let len_a = second - first;
            let len_b = starts.get(m + 2).map_or(n, |s| s.0) - second;
            // A `use` whose `cites` goes on a second line is still one line
            // of a list of uses.
            let multi = |kind: &Kind, len: usize| len > 1 && *kind != Kind::Use;
            if kind_a != kind_b || multi(kind_a, len_a) || multi(kind_b, len_b) {
                if let Some(slot) = force_blank.get_mut(*second) {
                    *slot = true;
                }
            }
        }
    }

    // Each comment goes to exactly one place.
    let mut leading: Vec<Vec<&Comment>> = vec![Vec::new(); n];
    let mut trailing: Vec<Option<&Comment>> = vec![None; n];
    let mut tail: Vec<&Comment> = Vec::new();
    let mut gap_seen = vec![false; n + 1];
    for comment in &src.comments {
        let i = ranges.partition_point(|&(_, hi)| hi <= comment.start);
        let interior = ranges.get(i).is_some_and(|&(lo, _)| lo <= comment.start);
        if interior {
            if let Some(slot) = leading.get_mut(i) {
                slot.push(comment);
            }
            continue;
        }
        let first_in_gap = !gap_seen.get(i).copied().unwrap_or(true);
        if let Some(seen) = gap_seen.get_mut(i) {
            *seen = true;
        }
        let previous_line = i.checked_sub(1);
        let free = previous_line.is_some_and(|p| trailing.get(p).is_some_and(Option::is_none));
        if comment.trailing && first_in_gap && free {
            if let Some(slot) = previous_line.and_then(|p| trailing.get_mut(p)) {
                *slot = Some(comment);
            }
        } else if let Some(slot) = leading.get_mut(i) {
            slot.push(comment);
        } else {
            tail.push(comment);
        }
    }

    let mut out: Vec<Out> = Vec::new();
    let blank_allowed = |out: &Vec<Out>| match out.last() {
        None | Some(Out::Blank) => false,
        Some(Out::Line { text, .. }) => {
            !(text.ends_with('{') || text.ends_with('[') || text.ends_with('('))
        }
    };
    for (i, line) in lines.iter().enumerate() {
        let closing = line.text.starts_with(['}', ']', ')']);
        let force = force_blank.get(i).copied().unwrap_or(false);
        let mut first = true;
        for comment in leading.get(i).into_iter().flatten() {
            let blank = (first && force) || (line.keep_blank && src.blank_before(comment.start));
            if blank && blank_allowed(&out) {
                out.push(Out::Blank);
            }
            out.push(Out::Line {
                indent: if closing {
                    line.indent + 2
                } else {
                    line.indent
                },
                text: comment.text.clone(),
                comment: None,
            });
            first = false;
        }
        let source_blank = line.keep_blank && line.lo.is_some_and(|lo| src.blank_before(lo));
        let blank = ((first && force) || source_blank) && !closing;
        if blank && blank_allowed(&out) {
            out.push(Out::Blank);
        }
        out.push(Out::Line {
            indent: line.indent,
            text: line.text.clone(),
            comment: trailing.get(i).copied().flatten().map(|c| c.text.clone()),
        });
    }
    for comment in tail {
        if src.blank_before(comment.start) && blank_allowed(&out) {
            out.push(Out::Blank);
        }
        out.push(Out::Line {
            indent: 0,
            text: comment.text.clone(),
            comment: None,
        });
    }
    finish(&out)
}

/// Joins the lines; trailing comments on consecutive lines line up.
fn finish(out: &[Out]) -> String {
    let width = |o: &Out| match o {
        Out::Line { indent, text, .. } => indent + text.chars().count(),
        Out::Blank => 0,
    };
    let has_comment = |o: &Out| {
        matches!(
            o,
            Out::Line {
                comment: Some(_),
                ..
            }
        )
    };
    let mut columns = vec![0usize; out.len()];
    let mut i = 0;
    while i < out.len() {
        if !out.get(i).is_some_and(has_comment) {
            i += 1;
            continue;
        }
        let mut j = i;
        while out.get(j).is_some_and(has_comment) {
            j += 1;
        }
        let column = out
            .get(i..j)
            .into_iter()
            .flatten()
            .map(width)
            .max()
            .unwrap_or(0)
            + 2;
        for slot in columns.iter_mut().take(j).skip(i) {
            *slot = column;
        }
        i = j;
    }
    let mut text = String::new();
    for (o, column) in out.iter().zip(columns) {
        if let Out::Line {
            indent,
            text: line,
            comment,
        } = o
        {
            let mut rendered = " ".repeat(*indent);
            rendered.push_str(line);
            if let Some(comment) = comment {
                let pad = column.saturating_sub(width(o)).max(1);
                rendered.push_str(&" ".repeat(pad));
                rendered.push_str(comment);
            }
            text.push_str(rendered.trim_end());
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::group_number;

    #[test]
    fn groups_whole_part_only() {
        assert_eq!(group_number("150000", 4), "150_000");
        assert_eq!(group_number("1500", 4), "1_500");
        assert_eq!(group_number("1500", 5), "1500");
        assert_eq!(group_number("-1234567.125", 5), "-1_234_567.125");
        assert_eq!(group_number("12.50", 4), "12.50");
    }
}
