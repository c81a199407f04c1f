//! One JSON row read straight into a compiled record, without a tree.
//!
//! In go the text of one JSON object (a line of JSON Lines) and the
//! compiled program; out comes the program's record filled with the row's
//! facts and the row's id, or [`Slow`] when the row needs the full reader.
//! Keys the policy does not declare are skipped unread; scalars go into the
//! record's slots as they are read; only lists and records are built as
//! values first.
//!
//! The full reader ([`crate::eval::json::parse`] then
//! [`crate::eval::facts::load`]) stays the judge of every row with a
//! problem: this reader reads scalars through the same function
//! ([`crate::eval::facts::scalar_value`]) and hands over any row where it
//! finds something wrong or unusual (a syntax error, a key given twice, a
//! value of the wrong type, an unknown key under `--strict`), so that row
//! gets exactly the diagnostics it would get otherwise. A row this reader
//! accepts is one the full reader accepts, with the same facts.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use serde::de::{DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::eval::Value;
use crate::eval::compiled::{Program, Record};
use crate::eval::facts::{self, Raw};
use crate::ir::{self, Type};

/// The row needs the full reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slow;

/// The policy's inputs by name, for reading rows.
pub(super) struct RowReader<'p> {
    inputs: &'p [ir::Input],
    /// Input by the hash of its name: looking a key up is the hot step of
    /// reading a row, so it is one short hash and one probe. Names whose
    /// hashes collide are found by [`RowReader::input`]'s scan.
    by_hash: HashMap<u64, usize, BuildHasherDefault<Hashed>>,
    strict: bool,
}

/// A `Hasher` for keys that are hashes already: it keeps the `u64`.
#[derive(Default)]
struct Hashed(u64);

impl Hasher for Hashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed; anything else is folded in plainly.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

fn name_hash(name: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(name.as_bytes())
}

impl<'p> RowReader<'p> {
    pub(super) fn new(inputs: &'p [ir::Input], strict: bool) -> RowReader<'p> {
        let mut by_hash = HashMap::default();
        for (i, input) in inputs.iter().enumerate() {
            by_hash.entry(name_hash(&input.name)).or_insert(i);
        }
        RowReader {
            inputs,
            by_hash,
            strict,
        }
    }

    /// The input named `name`.
    fn input(&self, name: &str) -> Option<usize> {
        let hash = name_hash(name);
        let first = *self.by_hash.get(&hash)?;
        if self
            .inputs
            .get(first)
            .is_some_and(|input| input.name == name)
        {
            return Some(first);
        }
        // Two names with one hash: rare enough for a scan.
        self.inputs
            .iter()
            .position(|input| input.name == name && name_hash(&input.name) == hash)
    }

    /// Reads one row into `record` (cleared first); the text of its id key,
    /// if it has one.
    pub(super) fn read<'t>(
        &self,
        program: &Program,
        record: &mut Record,
        seen: &mut Vec<u64>,
        text: &'t str,
        id_column: &str,
    ) -> Result<Option<Cow<'t, str>>, Slow> {
        program.clear(record);
        seen.clear();
        seen.resize(self.inputs.len().div_ceil(64), 0);
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let row = RowVisitor {
            reader: self,
            program,
            record,
            seen,
            id_column,
        };
        let id = deserializer.deserialize_map(row).map_err(|_| Slow)?;
        deserializer.end().map_err(|_| Slow)?;
        Ok(id)
    }

    /// Reads the JSON text of input number `input`'s value into `record`.
    fn fill(
        &self,
        program: &Program,
        record: &mut Record,
        input: usize,
        text: &str,
    ) -> Result<(), Slow> {
        let ty = &self.inputs.get(input).ok_or(Slow)?.ty;
        match (ty, first_byte(text)) {
            (_, b'n') => Ok(()),
            (Type::Series { of }, b'{') => {
                program.set_input(record, input, &Value::Series(BTreeMap::new()));
                read_series(program, record, input, of, text)
            }
            (Type::List { .. } | Type::Record { .. }, b'[' | b'{') => {
                let value = value_of(ty, text, self.strict)?;
                program.set_input(record, input, &value);
                Ok(())
            }
            (Type::Series { .. } | Type::List { .. } | Type::Record { .. }, _) => Err(Slow),
            _ => {
                let text = unquoted(text)?;
                set_scalar(program, record, input, None, ty, raw(&text))
            }
        }
    }
}

fn first_byte(text: &str) -> u8 {
    text.as_bytes().first().copied().unwrap_or(b' ')
}

/// A string's contents (borrowed unless it has escapes), or the text of any
/// other value as it is.
enum Unquoted<'t> {
    Text(Cow<'t, str>),
    Other(&'t str),
}

fn unquoted(text: &str) -> Result<Unquoted<'_>, Slow> {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => Ok(Unquoted::Text(Cow::Borrowed(inner))),
        Some(_) => serde_json::from_str::<String>(text)
            .map(|s| Unquoted::Text(Cow::Owned(s)))
            .map_err(|_| Slow),
        None => Ok(Unquoted::Other(text)),
    }
}

fn raw<'a>(value: &'a Unquoted<'_>) -> Raw<'a> {
    match value {
        Unquoted::Text(text) => Raw::Text(text),
        Unquoted::Other("true") => Raw::Bool(true),
        Unquoted::Other("false") => Raw::Bool(false),
        Unquoted::Other("null") => Raw::Null,
        Unquoted::Other(text) if text.starts_with('[') => Raw::List,
        Unquoted::Other(text) if text.starts_with('{') => Raw::Object,
        Unquoted::Other(text) => Raw::Number(text),
    }
}

/// A scalar fact (of input `input`, or its year `year`) into the record;
/// enums and texts without a `Value` of their own.
fn set_scalar(
    program: &Program,
    record: &mut Record,
    input: usize,
    year: Option<i32>,
    ty: &Type,
    value: Raw<'_>,
) -> Result<(), Slow> {
    match (ty, value) {
        (Type::Bool, Raw::Bool(b)) if year.is_none() => {
            program.set_input(record, input, &Value::Bool(b));
        }
        (_, Raw::Null) => {
            if let Some(year) = year {
                program.set_series_year(record, input, year, &Value::Unknown);
            }
        }
        (Type::Enum { values }, Raw::Text(name)) if values.iter().any(|v| v == name) => {
            program.set_enum(record, input, year, name);
        }
        (Type::Text, Raw::Text(text)) => program.set_text(record, input, year, text),
        _ => {
            let value = facts::scalar_value(ty, value).ok_or(Slow)?;
            match year {
                Some(year) => program.set_series_year(record, input, year, &value),
                None => program.set_input(record, input, &value),
            }
        }
    }
    Ok(())
}

/// The value of type `ty` written as JSON `text`, built without a tree, as
/// [`facts::load`] reads it: every declared field of a record (unknown when
/// absent), `null` as unknown.
pub(super) fn value_of(ty: &Type, text: &str, strict: bool) -> Result<Value, Slow> {
    let first = first_byte(text);
    if first == b'n' {
        return Ok(Value::Unknown);
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = match (ty, first) {
        (Type::List { of }, b'[') => deserializer
            .deserialize_seq(ListVisitor { of, strict })
            .map_err(|_| Slow)?,
        (Type::Record { fields }, b'{') => deserializer
            .deserialize_map(RecordVisitor { fields, strict })
            .map_err(|_| Slow)?,
        (Type::Series { of }, b'{') => deserializer
            .deserialize_map(SeriesValueVisitor { of, strict })
            .map_err(|_| Slow)?,
        (Type::List { .. } | Type::Record { .. } | Type::Series { .. }, _) => return Err(Slow),
        (Type::Enum { values }, b'"') => match unquoted(text)? {
            Unquoted::Text(name) if values.iter().any(|v| *v == name) => {
                Value::Enum(name.into_owned())
            }
            _ => return Err(Slow),
        },
        (Type::Text, b'"') => match unquoted(text)? {
            Unquoted::Text(text) => Value::Text(text.into_owned()),
            Unquoted::Other(_) => return Err(Slow),
        },
        _ => {
            let text = unquoted(text)?;
            return facts::scalar_value(ty, raw(&text)).ok_or(Slow);
        }
    };
    Ok(value)
}

struct ListVisitor<'t> {
    of: &'t Type,
    strict: bool,
}

impl<'de> Visitor<'de> for ListVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            items.push(value_of(self.of, item.get(), self.strict).map_err(|_| slow())?);
        }
        Ok(Value::List(items))
    }
}

struct RecordVisitor<'t> {
    fields: &'t [ir::Field],
    strict: bool,
}

impl<'de> Visitor<'de> for RecordVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        if self.fields.len() > 64 {
            return Err(slow());
        }
        let mut seen = 0u64;
        let mut others: Vec<Cow<'de, str>> = Vec::new();
        let mut values: Vec<Value> = vec![Value::Unknown; self.fields.len()];
        while let Some(key) = map.next_key_seed(Key)? {
            if key.starts_with("$serde_json::private") {
                return Err(slow());
            }
            match self.fields.iter().position(|f| f.name == key) {
                Some(i) => {
                    let bit = 1u64 << i;
                    if seen & bit != 0 {
                        return Err(slow());
                    }
                    seen |= bit;
                    let value: &'de RawValue = map.next_value()?;
                    let ty = self.fields.get(i).map(|f| &f.ty).ok_or_else(slow)?;
                    let value = value_of(ty, value.get(), self.strict).map_err(|_| slow())?;
                    if let Some(slot) = values.get_mut(i) {
                        *slot = value;
                    }
                }
                None if self.strict => return Err(slow()),
                None => {
                    map.next_value::<IgnoredAny>()?;
                    others.push(key);
                }
            }
        }
        others.sort_unstable();
        if others.windows(2).any(|pair| pair.first() == pair.get(1)) {
            return Err(slow());
        }
        Ok(Value::Record(
            self.fields
                .iter()
                .map(|f| f.name.clone())
                .zip(values)
                .collect(),
        ))
    }
}

struct SeriesValueVisitor<'t> {
    of: &'t Type,
    strict: bool,
}

impl<'de> Visitor<'de> for SeriesValueVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a yearly series")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut years = BTreeMap::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let year = ir::year_key(&key).ok_or_else(slow)?;
            let value: &'de RawValue = map.next_value()?;
            let value = value_of(self.of, value.get(), self.strict).map_err(|_| slow())?;
            if years.insert(year, value).is_some() {
                return Err(slow());
            }
        }
        Ok(Value::Series(years))
    }
}

/// The years of a series, as `{"2023": 120, ...}`.
fn read_series(
    program: &Program,
    record: &mut Record,
    input: usize,
    of: &Type,
    text: &str,
) -> Result<(), Slow> {
    if matches!(
        of,
        Type::Series { .. } | Type::List { .. } | Type::Record { .. }
    ) {
        return Err(Slow);
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer
        .deserialize_map(SeriesVisitor {
            program,
            record,
            input,
            of,
        })
        .map_err(|_| Slow)
}

/// A key, borrowed from the text unless it has escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

struct RowVisitor<'r, 'p> {
    reader: &'r RowReader<'p>,
    program: &'r Program,
    record: &'r mut Record,
    /// Inputs read so far in this row, a bit each: a key given twice is
    /// the full reader's to report.
    seen: &'r mut Vec<u64>,
    id_column: &'r str,
}

/// Why the row was handed over; the reason itself is the full reader's.
fn slow<E: serde::de::Error>() -> E {
    E::custom("handed to the full reader")
}

impl<'de> Visitor<'de> for RowVisitor<'_, '_> {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object of facts")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut others: Vec<Cow<'de, str>> = Vec::new();
        let mut id = None;
        while let Some(key) = map.next_key_seed(Key)? {
            // With `arbitrary_precision` a number is a map with one private
            // key: the row is a number, not an object.
            if key.starts_with('$') && key.starts_with("$serde_json::private") {
                return Err(slow());
            }
            let input = self.reader.input(&key);
            let is_id = key == self.id_column;
            match input {
                Some(input) => {
                    let (word, bit) = (input / 64, 1u64 << (input % 64));
                    let seen = self.seen.get_mut(word).ok_or_else(slow)?;
                    if *seen & bit != 0 {
                        return Err(slow());
                    }
                    *seen |= bit;
                    let value: &'de RawValue = map.next_value()?;
                    if is_id {
                        id = id_text(value.get());
                    }
                    self.reader
                        .fill(self.program, self.record, input, value.get())
                        .map_err(|_| slow())?;
                }
                None if is_id => {
                    let value: &'de RawValue = map.next_value()?;
                    id = id_text(value.get());
                    others.push(key);
                }
                None if self.reader.strict => return Err(slow()),
                None => {
                    map.next_value::<IgnoredAny>()?;
                    others.push(key);
                }
            }
        }
        others.sort_unstable();
        if others.windows(2).any(|pair| pair.first() == pair.get(1)) {
            return Err(slow());
        }
        Ok(id)
    }
}

/// The id of a row from its key's JSON text, as [`super::json_id`] reads it.
fn id_text(text: &str) -> Option<Cow<'_, str>> {
    match unquoted(text).ok()? {
        Unquoted::Text(text) => Some(text),
        Unquoted::Other(other @ ("true" | "false")) => Some(Cow::Borrowed(other)),
        Unquoted::Other(other)
            if other.starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) =>
        {
            Some(Cow::Borrowed(other))
        }
        Unquoted::Other(_) => None,
    }
}

struct SeriesVisitor<'r> {
    program: &'r Program,
    record: &'r mut Record,
    input: usize,
    of: &'r Type,
}

impl<'de> Visitor<'de> for SeriesVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a yearly series")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut years: Vec<i32> = Vec::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let year = ir::year_key(&key).ok_or_else(slow)?;
            if years.contains(&year) {
                return Err(slow());
            }
            years.push(year);
            let value: &'de RawValue = map.next_value()?;
            let text = unquoted(value.get()).map_err(|_| slow())?;
            set_scalar(
                self.program,
                self.record,
                self.input,
                Some(year),
                self.of,
                raw(&text),
            )
            .map_err(|_| slow())?;
        }
        Ok(())
    }
}
