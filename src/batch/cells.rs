//! One CSV cell into a typed value, with the rules of policy literals.

use std::str::FromStr;

use crate::diagnostics::Code;
use crate::eval::Value;
use crate::eval::facts::{self, Problem};
use crate::ir::{Type, YearMonth};
use crate::suggest::did_you_mean;

/// Reads one CSV cell of type `ty` with the rules of policy literals. An
/// empty cell is a missing value (`Value::Unknown`). `Err` says what is wrong
/// with the cell.
#[inline]
pub fn parse_cell(ty: &Type, cell: &str) -> Result<Value, Problem> {
    if let Type::Text = ty {
        return Ok(if cell.is_empty() {
            Value::Unknown
        } else {
            Value::Text(cell.to_string())
        });
    }
    let text = trim(cell);
    if text.is_empty() {
        return Ok(Value::Unknown);
    }
    let problem = Problem::new;
    match ty {
        Type::Bool => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(problem(
                Code::E0502,
                format!("`{text}` is not `true` or `false`"),
            )),
        },
        Type::Count | Type::Number | Type::Money | Type::Percent | Type::Year => {
            facts::number_text(ty, text).map(Value::Decimal)
        }
        Type::Date => match jiff::civil::Date::from_str(text) {
            Ok(date) if text.len() == 10 => Ok(Value::Date(date)),
            _ => Err(problem(
                Code::E0504,
                format!("`{text}` is not a date in the calendar (write dates as YYYY-MM-DD, like 2024-10-01)"),
            )),
        },
        Type::Month => YearMonth::parse(text).map(Value::Month).ok_or_else(|| {
            problem(
                Code::E0504,
                format!("`{text}` is not a month in the calendar (write months as YYYY-MM, like 2024-06)"),
            )
        }),
        Type::Time => match jiff::civil::Time::from_str(text) {
            Ok(time) if text.len() == 5 => Ok(Value::Time(time)),
            _ => Err(problem(
                Code::E0504,
                format!("`{text}` is not a time of day (write times as HH:MM, like 23:00)"),
            )),
        },
        Type::Enum { values } => {
            if values.iter().any(|v| v == text) {
                Ok(Value::Enum(text.to_string()))
            } else {
                let mut found = problem(
                    Code::E0505,
                    format!("`{text}` is not one of {{ {} }}", values.join(", ")),
                );
                if let Some(best) = did_you_mean(text, values.iter().map(String::as_str)) {
                    found.help = Some(format!("did you mean `{best}`?"));
                }
                Err(found)
            }
        }
        Type::Text => Ok(Value::Text(cell.to_string())),
        Type::Duration
        | Type::Series { .. }
        | Type::List { .. }
        | Type::Record { .. }
        | Type::Invalid => Err(problem(
            Code::E0502,
            format!("a CSV cell cannot hold {}", crate::check::types::phrase(ty)),
        )),
    }
}

/// `str::trim`, without its Unicode scan when the cell starts and ends
/// with a visible ASCII character (as almost every cell does).
pub(super) fn trim(cell: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    let bytes = cell.as_bytes();
    if visible(bytes.first()) && visible(bytes.last()) {
        cell
    } else {
        cell.trim()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use rust_decimal::Decimal;

    #[test]
    fn cells_read_like_literals() {
        let money = Type::Money;
        assert_eq!(
            parse_cell(&money, "€150_000").unwrap(),
            Value::Decimal(Decimal::from(150_000))
        );
        assert_eq!(
            parse_cell(&money, "150000.50").unwrap(),
            Value::Decimal(Decimal::from_str("150000.50").unwrap())
        );
        assert!(parse_cell(&money, "€150.000").is_err());
        assert!(parse_cell(&money, "1,5").is_err());
        assert_eq!(
            parse_cell(&Type::Percent, "35%").unwrap(),
            Value::Decimal(Decimal::from_str("0.35").unwrap())
        );
        assert_eq!(
            parse_cell(&Type::Percent, "35").unwrap(),
            parse_cell(&Type::Percent, "35%").unwrap()
        );
        assert!(parse_cell(&Type::Count, "2.5").is_err());
        assert!(parse_cell(&Type::Count, "-1").is_err());
        assert!(parse_cell(&Type::Number, "1__0").is_err());
        assert!(parse_cell(&Type::Number, "abc").is_err());
        assert!(parse_cell(&Type::Date, "2024-02-30").is_err());
        assert!(parse_cell(&Type::Bool, "yes").is_err());
        assert_eq!(parse_cell(&Type::Bool, " ").unwrap(), Value::Unknown);
        let kind = Type::Enum {
            values: vec!["fysiotherapie".into(), "oefentherapie".into()],
        };
        let err = parse_cell(&kind, "fysioterapie").unwrap_err();
        assert_eq!(err.help.as_deref(), Some("did you mean `fysiotherapie`?"));
        let dutch = parse_cell(&money, "100.000").unwrap_err();
        assert_eq!(dutch.code, Code::E0510);
        let precise = parse_cell(&Type::Number, "149.99999999999999999999999999999").unwrap_err();
        assert_eq!(precise.code, Code::E0509);
    }
}
