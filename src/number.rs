//! Exact decimals from text: the one reader of numbers for policy literals
//! and provider data alike.
//!
//! In goes the text of a number (a policy literal, a CSV cell, a JSON number
//! or a JSON string holding a number); out comes the exact [`Decimal`] or a
//! [`NumberProblem`] that says what is wrong and how to write it. Nothing is
//! ever rounded: a number with more significant digits than a `Decimal`
//! holds (28) is a problem, not the nearest value, because a rounded
//! `149.99999999999999999999999999999` is 150 and would fall on the other side
//! of a `< 150` threshold. Trailing zeros after the decimal point carry no
//! value and are dropped when they alone do not fit.
//!
//! Data text follows the rules of policy literals: `.` is the decimal point,
//! thousands may be grouped with `_`, and the Dutch ways of writing amounts
//! (`100.000` for a hundred thousand, `1.500,50`, `12,5`) are refused with a
//! fix, never read as something else.

use std::str::FromStr;

use rust_decimal::Decimal;

/// What is wrong with the text of a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberProblem {
    /// Not a number at all.
    Malformed,
    /// More significant digits than a decimal holds exactly, or too large.
    TooPrecise,
    /// A `,` or a `.` used as a thousands separator or decimal comma; the
    /// text to write instead.
    Dutch { write: String },
}

impl NumberProblem {
    /// The message for `text`, which was meant to be `what` ("a count").
    pub fn message(&self, text: &str, what: &str) -> String {
        match self {
            NumberProblem::Malformed => format!("`{text}` is not {what}"),
            NumberProblem::TooPrecise => format!(
                "`{text}` has more digits than a number holds exactly (28 significant digits); it is not rounded"
            ),
            NumberProblem::Dutch { .. } if text.contains(',') => {
                format!("`{text}` uses `,` in a number: `.` is the decimal point")
            }
            NumberProblem::Dutch { .. } => {
                format!("`{text}` looks like a number with a `.` as thousands separator")
            }
        }
    }

    /// A help line with the fix, where one is known.
    pub fn help(&self) -> Option<String> {
        match self {
            NumberProblem::Malformed => None,
            NumberProblem::TooPrecise => {
                Some("give the value with at most 28 significant digits".into())
            }
            NumberProblem::Dutch { write } => Some(write.clone()),
        }
    }
}

/// Reads `-?digits(.digits)?` exactly, with `_` allowed between digits
/// (`150_000`), as policy literals and data cells write numbers. Refuses a
/// `,` and a `.` that looks like a thousands separator (see [`dutch_fix`]).
pub fn parse_plain(text: &str) -> Result<Decimal, NumberProblem> {
    if let Some(write) = dutch_fix(text) {
        return Err(NumberProblem::Dutch { write });
    }
    let body = text.strip_prefix('-').unwrap_or(text).as_bytes();
    let is_separator = |b: u8| b == b'_' || b == b'.';
    let well_formed = body.first().is_some_and(u8::is_ascii_digit)
        && body.last().is_some_and(u8::is_ascii_digit)
        && body.iter().all(|b| b.is_ascii_digit() || is_separator(*b))
        && body.iter().filter(|b| **b == b'.').count() <= 1
        && body
            .windows(2)
            .all(|pair| !pair.iter().all(|b| is_separator(*b)));
    if !well_formed {
        return Err(NumberProblem::Malformed);
    }
    if text.contains('_') {
        exact(&text.replace('_', ""))
    } else {
        exact(text)
    }
}

/// Reads the text of a JSON number (`150`, `-2.5`, `1.5e2`) exactly. JSON's
/// grammar has no thousands separators, so no Dutch reading applies.
pub fn parse_json_number(text: &str) -> Result<Decimal, NumberProblem> {
    // The usual number in one pass; a `.` and three decimals is a plain
    // decimal in JSON, which the one-pass reading leaves to the full one.
    if let Some(value) = parse_simple(text) {
        return Ok(value);
    }
    match text.find(['e', 'E']) {
        None => exact(text),
        Some(at) => {
            let (mantissa, exponent) = (text.get(..at).unwrap_or(""), text.get(at + 1..));
            let exponent: i64 = exponent
                .and_then(|e| e.strip_prefix('+').unwrap_or(e).parse().ok())
                .ok_or(NumberProblem::Malformed)?;
            exact(&shift_point(mantissa, exponent)?)
        }
    }
}

/// `mantissa * 10^exponent` written out as a plain decimal.
fn shift_point(mantissa: &str, exponent: i64) -> Result<String, NumberProblem> {
    let (negative, body) = match mantissa.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, mantissa),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let digits: String = whole.chars().chain(fraction.chars()).collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumberProblem::Malformed);
    }
    if digits.bytes().all(|b| b == b'0') {
        return Ok("0".into());
    }
    // Where the decimal point goes, counted in digits from the left. Beyond
    // a few dozen places no decimal holds the value either way.
    let point = i64::try_from(whole.len()).unwrap_or(i64::MAX) + exponent;
    if !(-40..=40).contains(&point) {
        return Err(NumberProblem::TooPrecise);
    }
    let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let mut out = String::with_capacity(digits.len() + 45);
    if negative {
        out.push('-');
    }
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n(
            '0',
            usize::try_from(-point).unwrap_or(0),
        ));
        out.push_str(&digits);
    } else if point >= len {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n(
            '0',
            usize::try_from(point - len).unwrap_or(0),
        ));
    } else {
        let split = usize::try_from(point).unwrap_or(0);
        out.push_str(digits.get(..split).unwrap_or(""));
        out.push('.');
        out.push_str(digits.get(split..).unwrap_or(""));
    }
    Ok(out)
}

/// The usual cell in one pass: `-?digits(.digits)?` with at most 18
/// digits, read exactly. `None` sends anything else (and a `.` that may be
/// a thousands separator) through [`parse_plain`], which gives the same
/// value for what this reads.
#[inline]
pub fn parse_simple(text: &str) -> Option<Decimal> {
    let (negative, body) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        bytes => (false, bytes),
    };
    let mut mantissa: i64 = 0;
    let mut digits = 0u32;
    let mut whole_digits = 0u32;
    let mut scale: Option<u32> = None;
    for &b in body {
        match b {
            // 18 digits always fit in an i64; longer numbers take the full reading.
            b'0'..=b'9' if digits < 18 => {
                mantissa = mantissa * 10 + i64::from(b - b'0');
                digits += 1;
                match scale.as_mut() {
                    Some(s) => *s += 1,
                    None => whole_digits += 1,
                }
            }
            b'.' if scale.is_none() && digits > 0 => scale = Some(0),
            _ => return None,
        }
    }
    // `5.` is not a number; `-0` keeps the full reading's signed zero;
    // `100.000` may be a hundred thousand written the Dutch way.
    let leading_zero = body.first() == Some(&b'0');
    if digits == 0
        || scale == Some(0)
        || (negative && mantissa == 0)
        || (scale == Some(3) && whole_digits <= 3 && !leading_zero)
    {
        return None;
    }
    Some(Decimal::new(
        if negative { -mantissa } else { mantissa },
        scale.unwrap_or(0),
    ))
}

/// A plain `-?digits(.digits)?` read without rounding. Trailing zeros of the
/// fraction are dropped when the text does not fit with them.
pub fn exact(text: &str) -> Result<Decimal, NumberProblem> {
    if let Ok(value) = Decimal::from_str_exact(text) {
        return Ok(value);
    }
    if let Some((whole, fraction)) = text.split_once('.') {
        let fraction = fraction.trim_end_matches('0');
        let shorter = if fraction.is_empty() {
            whole.to_string()
        } else {
            format!("{whole}.{fraction}")
        };
        if let Ok(value) = Decimal::from_str_exact(&shorter) {
            return Ok(value);
        }
    }
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    // Well-formed but not held: too many digits (rounded by a lossy
    // reading) or too large.
    if plain && (Decimal::from_str(text).is_ok() || text.len() > 28) {
        Err(NumberProblem::TooPrecise)
    } else {
        Err(NumberProblem::Malformed)
    }
}

/// The fix for a number written the Dutch way, or `None` when it is not:
/// a `,` anywhere (`1.500,50`, `12,5`, `150,000`), more than one `.`
/// (`1.500.000`), or one `.` followed by exactly three digits after one to
/// three digits (`100.000`), which Dutch texts mean as a hundred thousand.
/// `0.125` and `1500.125` are plain decimals.
pub fn dutch_fix(text: &str) -> Option<String> {
    let body = text.strip_prefix('-').unwrap_or(text);
    let sign = if body.len() < text.len() { "-" } else { "" };
    let digits = |s: &str| s.bytes().filter(u8::is_ascii_digit).count();
    if body.contains(',') {
        let (whole, cents) = body.rsplit_once(',').unwrap_or((body, ""));
        let whole_digits: String = whole.chars().filter(char::is_ascii_digit).collect();
        return Some(
            if cents.len() == 3 && !whole.contains('.') && digits(whole) <= 3 {
                format!(
                    "write `{sign}{whole_digits}{cents}` for the whole number (thousands are not separated, or with `_`), or `{sign}{whole_digits}.{cents}` for the decimal"
                )
            } else {
                format!(
                    "write `{sign}{whole_digits}.{cents}`: `.` is the decimal point, and thousands are not separated (or with `_`)"
                )
            },
        );
    }
    let dots = body.matches('.').count();
    if dots > 1 {
        let whole: String = body.chars().filter(|c| *c != '.').collect();
        return Some(format!(
            "write `{sign}{whole}`: thousands are not separated (or with `_`)"
        ));
    }
    let (whole, fraction) = body.split_once('.')?;
    let thousands_like = !whole.is_empty()
        && whole.len() <= 3
        && !whole.starts_with('0')
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.len() == 3
        && fraction.bytes().all(|b| b.is_ascii_digit());
    thousands_like.then(|| {
        let trimmed = fraction.trim_end_matches('0');
        let decimal = if trimmed.is_empty() {
            format!("{sign}{whole}.0")
        } else {
            format!("{sign}{whole}.{trimmed}")
        };
        format!(
            "write `{sign}{whole}{fraction}` for the whole number, or `{decimal}` for the decimal"
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    proptest::proptest! {
        #[test]
        fn the_one_pass_reading_gives_the_full_readings_value(
            negative: bool,
            whole in "[0-9]{1,20}",
            fraction in proptest::option::of("[0-9]{1,8}"),
        ) {
            let text = format!(
                "{}{whole}{}",
                if negative { "-" } else { "" },
                fraction.map(|f| format!(".{f}")).unwrap_or_default()
            );
            if let Some(fast) = parse_simple(&text) {
                let full = parse_plain(&text).unwrap();
                proptest::prop_assert_eq!(fast, full);
                proptest::prop_assert_eq!(fast.scale(), full.scale());
                proptest::prop_assert_eq!(fast.to_string(), full.to_string());
            }
        }
    }

    #[test]
    fn one_pass_reading_leaves_the_rest_to_the_full_one() {
        for text in [
            "99999999999999999999.5",
            "5.",
            ".5",
            "1_000",
            "1.2.3",
            "-",
            "",
            "1e5",
            "+1",
            "-0",
            "1234567890123456789",
            "100.000",
            "-1.500",
        ] {
            assert_eq!(parse_simple(text), None, "{text}");
        }
        assert_eq!(parse_simple("150"), Some(Decimal::from(150)));
        assert_eq!(parse_simple("0.125"), Some(d("0.125")));
        assert_eq!(parse_simple("1500.125"), Some(d("1500.125")));
        assert_eq!(
            parse_simple("-2.50").map(|d| d.to_string()).as_deref(),
            Some("-2.50")
        );
    }

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn plain_numbers_are_exact() {
        assert_eq!(parse_plain("150").unwrap(), d("150"));
        assert_eq!(parse_plain("-2.50").unwrap().to_string(), "-2.50");
        assert_eq!(parse_plain("150_000").unwrap(), d("150000"));
        assert_eq!(parse_plain("0.125").unwrap(), d("0.125"));
        assert_eq!(parse_plain("1500.125").unwrap(), d("1500.125"));
        assert_eq!(parse_plain("abc"), Err(NumberProblem::Malformed));
        assert_eq!(parse_plain("1__0"), Err(NumberProblem::Malformed));
        assert_eq!(parse_plain("5."), Err(NumberProblem::Malformed));
    }

    #[test]
    fn nothing_is_rounded() {
        // 32 significant digits: rounding would give 150.
        assert_eq!(
            parse_plain("149.99999999999999999999999999999"),
            Err(NumberProblem::TooPrecise)
        );
        assert_eq!(
            parse_json_number("149.99999999999999999999999999999"),
            Err(NumberProblem::TooPrecise)
        );
        assert_eq!(
            parse_plain("99999999999999999999999999999999"),
            Err(NumberProblem::TooPrecise)
        );
        // Trailing zeros carry no value.
        assert_eq!(
            parse_plain("150.000000000000000000000000000000").unwrap(),
            d("150")
        );
        assert_eq!(
            parse_plain("0.1234567890123456789012345678").unwrap(),
            d("0.1234567890123456789012345678")
        );
    }

    #[test]
    fn dutch_amounts_are_refused_with_a_fix() {
        for text in [
            "100.000",
            "1.500.000",
            "1.500,50",
            "12,5",
            "150,000",
            "-100.000",
        ] {
            assert!(
                matches!(parse_plain(text), Err(NumberProblem::Dutch { .. })),
                "{text}"
            );
        }
        let Err(problem) = parse_plain("100.000") else {
            unreachable!()
        };
        assert_eq!(
            problem.help().unwrap(),
            "write `100000` for the whole number, or `100.0` for the decimal"
        );
        let Err(problem) = parse_plain("1.500,50") else {
            unreachable!()
        };
        assert_eq!(
            problem.help().unwrap(),
            "write `1500.50`: `.` is the decimal point, and thousands are not separated (or with `_`)"
        );
    }

    #[test]
    fn json_numbers_in_scientific_notation() {
        assert_eq!(parse_json_number("1.5e2").unwrap(), d("150"));
        assert_eq!(parse_json_number("15E-1").unwrap(), d("1.5"));
        assert_eq!(parse_json_number("-2.5e+1").unwrap(), d("-25"));
        assert_eq!(parse_json_number("0e999999").unwrap(), d("0"));
        assert_eq!(parse_json_number("1e99"), Err(NumberProblem::TooPrecise));
        assert_eq!(parse_json_number("1e-60"), Err(NumberProblem::TooPrecise));
        // JSON numbers are never Dutch: the grammar has no separators.
        assert_eq!(parse_json_number("100.000").unwrap(), d("100"));
    }
}
