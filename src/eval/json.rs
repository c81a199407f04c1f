//! JSON text into a `serde_json::Value`, for facts and data rows, refusing
//! what a plain parse would take silently.
//!
//! In goes the text of one JSON document (a facts file, a line of JSON
//! Lines, an element of a JSON array); out comes the value, or one coded
//! diagnostic: E0511 for an object with the same key twice (a plain parse
//! keeps the last one, so a provider's data would be read half), E0508 for
//! nesting as deep as serde_json's limit (128 levels, counting the outer
//! value), E0501 for text that is not JSON, with line and column. A byte-order mark at the start is skipped: editors and
//! spreadsheet exports write one.

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

use crate::diagnostics::{Code, Diagnostic};

/// Text without its byte-order mark.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Parses one JSON document.
pub fn parse(text: &str) -> Result<Json, Diagnostic> {
    let text = without_bom(text);
    let mut found = Found::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = Strict {
        found: &mut found,
        path: &mut String::new(),
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    parsed.map_err(|e| found.diagnostic(&e))
}

/// Reads one JSON value from a deserializer (an element of a big array,
/// read one at a time), with the same checks as [`parse`].
pub fn read<'de, D>(deserializer: D) -> Result<Json, (Option<Diagnostic>, D::Error)>
where
    D: serde::Deserializer<'de>,
{
    let mut found = Found::default();
    let parsed = Strict {
        found: &mut found,
        path: &mut String::new(),
    }
    .deserialize(deserializer);
    parsed.map_err(|e| (found.problem.take(), e))
}

/// What the strict reader found wrong, beyond a syntax error.
#[derive(Default)]
struct Found {
    problem: Option<Diagnostic>,
}

impl Found {
    fn diagnostic(mut self, error: &serde_json::Error) -> Diagnostic {
        let at = format!("line {}, column {}", error.line(), error.column());
        if error.to_string().starts_with("recursion limit exceeded") {
            return Diagnostic::new(
                Code::E0508,
                format!(
                    "the JSON nests 128 levels deep or more (at line {}, column {})",
                    error.line(),
                    error.column()
                ),
            )
            .with_help("facts are flat records: inputs, yearly series and lists of records");
        }
        match self.problem.take() {
            // A key given twice is placed by its path; where the reader
            // noticed it (after the value) says nothing more.
            Some(problem) if problem.code == Code::E0511 => problem,
            Some(problem) => problem.with_note(format!("at {at}")),
            None => Diagnostic::new(Code::E0501, format!("not valid JSON: {error}")),
        }
    }
}

/// A `DeserializeSeed` that builds a `Value` and keeps the key path, so a
/// problem deep inside says where it is.
struct Strict<'a> {
    found: &'a mut Found,
    path: &'a mut String,
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Json;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Strict<'_> {
    fn nested(&mut self) -> Strict<'_> {
        Strict {
            found: self.found,
            path: self.path,
        }
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("not a finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let base = self.path.len();
        loop {
            self.path.truncate(base);
            self.path.push_str(&format!("[{}]", items.len()));
            match seq.next_element_seed(self.nested())? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        self.path.truncate(base);
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Json, A::Error> {
        // With `arbitrary_precision`, a number arrives as a map with one
        // private key; serde_json's own `Value` knows how to take it.
        let mut object = Map::new();
        let base = self.path.len();
        while let Some(key) = map.next_key::<String>()? {
            if key == ARBITRARY_NUMBER {
                let text: String = map.next_value()?;
                return text
                    .parse::<serde_json::Number>()
                    .map(Json::Number)
                    .map_err(A::Error::custom);
            }
            self.path.truncate(base);
            if !self.path.is_empty() {
                self.path.push('.');
            }
            self.path.push_str(&key);
            let value = map.next_value_seed(self.nested())?;
            if object.contains_key(&key) {
                let path = self.path.clone();
                self.found.problem = Some(
                    Diagnostic::new(
                        Code::E0511,
                        format!("`{path}` is given twice in the same object"),
                    )
                    .with_path(path)
                    .with_help("give each key once: a reader would otherwise keep one of the two values and drop the other without a word"),
                );
                return Err(A::Error::custom("duplicate key"));
            }
            object.insert(key, value);
        }
        self.path.truncate(base);
        Ok(Json::Object(object))
    }
}

/// The key serde_json uses for a number's text with `arbitrary_precision`.
const ARBITRARY_NUMBER: &str = "$serde_json::private::Number";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn values_read_as_serde_json_reads_them() {
        let text = r#"{"a": 1.50, "b": [true, null, "x"], "c": {"d": -2e3}}"#;
        assert_eq!(
            parse(text).unwrap(),
            serde_json::from_str::<Json>(text).unwrap()
        );
        assert_eq!(parse(text).unwrap()["a"].to_string(), "1.50");
    }

    #[test]
    fn a_key_given_twice_is_an_error_with_its_path() {
        let d = parse(r#"{"bi": 1, "t": [{"x": 1}, {"x": 2, "x": 3}]}"#).unwrap_err();
        assert_eq!(d.code, Code::E0511);
        assert_eq!(d.path.as_deref(), Some("t[1].x"));
        let d = parse(r#"{"bi": 1, "bi": 2}"#).unwrap_err();
        assert_eq!(d.path.as_deref(), Some("bi"));
    }

    #[test]
    fn a_bom_is_skipped_and_syntax_errors_say_where() {
        assert_eq!(parse("\u{feff}{\"a\": 1}").unwrap()["a"], 1);
        let d = parse("{\n  \"a\": 1,\n}").unwrap_err();
        assert_eq!(d.code, Code::E0501);
        assert!(d.message.contains("line 3"), "{}", d.message);
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(parse(&deep).unwrap_err().code, Code::E0508);
    }
}
