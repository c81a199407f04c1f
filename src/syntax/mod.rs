//! Parsing: source text -> [`ast::File`].
//!
//! Three steps: a bracket-depth scan that rejects over-deep nesting before the
//! recursive-descent parser could overflow the stack; the pest parser generated
//! from `grammar/regel.pest`; and `lower`, which turns pest pairs into the AST
//! and validates literals (money, dates, numbers).

pub mod ast;
mod errors;
mod lower;

use pest::Parser;
use pest_derive::Parser;

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// The deepest bracket nesting a policy may use: `(`, `{` and `[` each count.
/// Real policies stay below ten; the limit keeps parsing, checking and
/// evaluation far from any stack limit.
pub const MAX_NESTING: usize = 32;

/// The deepest expression tree a policy may build, counting every operator:
/// long operator chains (`a + b + c ...`, `not not ...`) nest without brackets.
/// Later stages walk expressions recursively, and the exported JSON of the
/// deepest legal policy must still import (docs/ir.md); real policies stay
/// below ten.
pub const MAX_EXPR_DEPTH: usize = 64;

#[derive(Parser)]
#[grammar = "../grammar/regel.pest"]
pub(crate) struct RegelParser;

/// Parses one file. Returns the tree when the text is well-formed, and every
/// syntax diagnostic found.
pub fn parse(file: FileId, text: &str) -> (Option<ast::File>, Vec<Diagnostic>) {
    if let Some(diagnostic) = check_nesting(file, text) {
        return (None, vec![diagnostic]);
    }
    match RegelParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let Some(pair) = pairs.next() else {
                return (None, vec![errors::empty_parse(file)]);
            };
            let mut lowering = lower::Lowering::new(file);
            let tree = lowering.file(pair);
            let diagnostics = lowering.finish();
            (tree, diagnostics)
        }
        Err(error) => (None, vec![errors::from_pest(file, text, &error)]),
    }
}

/// Finds the first bracket that nests deeper than [`MAX_NESTING`], skipping
/// strings and comments.
fn check_nesting(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    for (offset, ch) in crate::source::code_chars(text, true) {
        match ch {
            '(' | '{' | '[' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::new(
                            Code::E0104,
                            format!("brackets nest deeper than {MAX_NESTING} levels"),
                        )
                        .at(
                            Span::new(file, offset, offset + ch.len_utf8()),
                            "this bracket is too deep",
                        )
                        .with_help("split the expression into named definitions with `def`"),
                    );
                }
            }
            ')' | '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}
