//! Turning pest's parse errors into readable, coded diagnostics.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::Rule;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};

pub(super) fn empty_parse(file: FileId) -> Diagnostic {
    Diagnostic::new(Code::E0101, "the file is empty").at(
        Span::new(file, 0, 0),
        "expected a `policy` or `module` header",
    )
}

pub(super) fn from_pest(file: FileId, text: &str, error: &Error<Rule>) -> Diagnostic {
    let offset = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    let found = token_at(text, offset);
    let span = Span::new(file, offset, offset + found.len());
    let expected = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => expected_list(positives),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let found_text = if found.is_empty() {
        "the end of the file".to_string()
    } else {
        format!("`{found}`")
    };
    let mut diagnostic = Diagnostic::new(
        Code::E0101,
        format!("expected {expected}, found {found_text}"),
    )
    .at(span, format!("expected {expected}"));
    if let Some(help) = help_for(found, text, offset) {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

/// The word or symbol starting at `offset`, for "found `...`".
fn token_at(text: &str, offset: usize) -> &str {
    let rest = text.get(offset..).unwrap_or("");
    let mut chars = rest.char_indices();
    let Some((_, first)) = chars.next() else {
        return "";
    };
    if first.is_alphanumeric() || first == '_' {
        let end = rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(rest.len(), |(i, _)| i);
        return rest.get(..end).unwrap_or("");
    }
    let two = rest.get(..2).unwrap_or("");
    if matches!(two, "==" | "!=" | "<=" | ">=" | "&&" | "||") {
        return two;
    }
    rest.get(..first.len_utf8()).unwrap_or("")
}

fn help_for(found: &str, text: &str, offset: usize) -> Option<String> {
    let next = text.get(offset + found.len()..).unwrap_or("");
    match found {
        "=" if !next.starts_with('=') => {
            Some("to compare two values write `==`; a single `=` only appears in `then decision = outcome`".into())
        }
        "&&" => Some("write `and`".into()),
        "||" => Some("write `or`".into()),
        "!" => Some("write `not`, or `!=` to compare".into()),
        "'" => Some("text is written between double quotes: \"like this\"".into()),
        "," if text.get(..offset).is_some_and(|before| before.ends_with(|c: char| c.is_ascii_digit()))
            && next.starts_with(|c: char| c.is_ascii_digit()) =>
        {
            Some("the decimal point is `.`: write `7.5`, not `7,5`".into())
        }
        _ => None,
    }
}

/// "a name, `(` or a number" from the rules pest expected.
fn expected_list(rules: &[Rule]) -> String {
    let mut names: Vec<&'static str> = rules.iter().filter_map(|r| friendly(*r)).collect();
    names.sort_unstable();
    names.dedup();
    match names.as_slice() {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Names users understand for grammar rules; `None` hides a rule.
fn friendly(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "the end of the file",
        Rule::header | Rule::header_kind => "a `policy` or `module` header",
        Rule::header_field => "a header field like `title \"...\"`",
        Rule::use_decl | Rule::kw_use => "`use`",
        Rule::except_list | Rule::kw_except => "`except rule, ...`",
        Rule::only_list | Rule::kw_only => "`only rule, ...`",
        Rule::input_block | Rule::kw_input => "`input`",
        Rule::input_decl => "an input declaration `name: type \"description\"`",
        Rule::const_decl | Rule::kw_const => "`const`",
        Rule::def_decl | Rule::kw_def => "`def`",
        Rule::decision_decl | Rule::kw_decision => "`decision`",
        Rule::rule_decl | Rule::kw_rule => "`rule`",
        Rule::example_decl | Rule::kw_example => "`example`",
        Rule::test_decl | Rule::kw_test => "`test`",
        Rule::table_decl | Rule::kw_table => "`table`",
        Rule::table_header | Rule::table_column => "a column `| name |`",
        Rule::table_row | Rule::table_cell => "a row `| value |`",
        Rule::cites | Rule::kw_cites => "`cites \"section\"`",
        Rule::type_expr
        | Rule::scalar_type
        | Rule::enum_type
        | Rule::list_type
        | Rule::record_type => "a type",
        Rule::by_year | Rule::kw_by => "`by`",
        Rule::field_decl => "a field `name: type`",
        Rule::tbd | Rule::kw_tbd => "`tbd`",
        Rule::outcomes | Rule::kw_outcomes => "`outcomes`",
        Rule::default_outcome | Rule::kw_default => "`default`",
        Rule::kw_when => "`when`",
        Rule::kw_then => "`then`",
        Rule::given | Rule::kw_given => "`given`",
        Rule::kw_with => "`with`",
        Rule::expectation | Rule::kw_expect => "`expect`",
        Rule::expect_undetermined | Rule::kw_undetermined => "`undetermined`",
        Rule::expect_outcome => "`= outcome`",
        Rule::data_object => "`{`",
        Rule::data_entry | Rule::data_key => "a fact `name: value`",
        Rule::data_list => "`[`",
        Rule::data_value | Rule::data_missing | Rule::neg_number => "a value",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::comparison
        | Rule::sum
        | Rule::product
        | Rule::unary
        | Rule::postfix
        | Rule::paren
        | Rule::presence => "an expression",
        Rule::not_op | Rule::kw_not => "`not`",
        Rule::presence_kind | Rule::kw_known => "`known`",
        Rule::kw_missing => "`missing`",
        Rule::membership | Rule::kw_in => "`in`",
        Rule::set => "a set `{ a, b }`",
        Rule::cmp_op => "a comparison (`<`, `<=`, `==`, `!=`, `>=`, `>`)",
        Rule::add_op => "`+` or `-`",
        Rule::mul_op => "`*` or `/`",
        Rule::neg_op => "`-`",
        Rule::field_access => "`.field`",
        Rule::over_index | Rule::kw_over => "`over`",
        Rule::year_index => "a year",
        Rule::aggregate | Rule::aggregate_kind => "`count`, `any`, `all` or `sum`",
        Rule::kw_count | Rule::kw_any | Rule::kw_all | Rule::kw_sum => "an aggregate",
        Rule::binder => "a name",
        Rule::bool_lit | Rule::kw_true | Rule::kw_false => "`true` or `false`",
        Rule::money_lit => "a money amount like `€150_000`",
        Rule::percent_lit => "a percentage like `35%`",
        Rule::date_lit => "a date like `2024-10-01`",
        Rule::month_lit => "a month like `2024-06`",
        Rule::time_lit => "a time like `23:00`",
        Rule::duration_lit | Rule::duration_unit => "a duration like `5 years`",
        Rule::number_lit | Rule::integer | Rule::digits => "a number",
        Rule::string | Rule::string_inner => "a text in double quotes",
        Rule::ident | Rule::ident_raw | Rule::module_path => "a name",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::file
        | Rule::ident_char
        | Rule::item
        | Rule::base_type
        | Rule::primary
        | Rule::literal
        | Rule::keyword
        | Rule::WHITESPACE
        | Rule::COMMENT => return None,
    })
}
