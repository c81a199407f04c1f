//! One JSON row read straight into a compiled record, without a tree.
//!
//! In go the text of one JSON object (a line of JSON Lines) and the
//! compiled program; out comes the program's record filled with the row's
//! facts and the row's id, or [`Slow`] when the row needs the full reader.
//! Keys the policy does not declare are skipped unread; scalars go into the
//! record's slots as they are read, lists of records of plain scalars into
//! the record's arenas field by field; other lists and records are built as
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
use crate::eval::compiled::{Program, Record, Scalar};
use crate::eval::facts::{self, Raw};
use crate::ir::{self, Type};

/// The row needs the full reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slow;

/// The policy's inputs by name, for reading rows.
pub(super) struct RowReader<'p> {
    inputs: &'p [ir::Input],
    /// Input by the 128-bit hash of its name: looking a key up is the hot
    /// step of reading a row, so it is one short hash and one probe, without
    /// comparing names (two names share a 128-bit hash by chance about once
    /// in 2^128 pairs; the inputs' own names are checked to differ below).
    by_hash: HashMap<u128, usize, BuildHasherDefault<Hashed>>,
    /// Per input: how a list of records goes straight into the record's
    /// arenas, when the program stores it as plain scalar fields.
    record_lists: Vec<Option<RecordList>>,
    strict: bool,
}

/// Where each declared field of a list's records goes: its position in
/// the run of scalars the program stores per element, or nowhere (a field
/// the program does not read is still read and checked).
#[derive(Debug, Clone)]
struct RecordList {
    width: usize,
    positions: Vec<Option<usize>>,
}

/// A `Hasher` for keys that are hashes already: it keeps their low bits.
#[derive(Default)]
struct Hashed(u64);

impl Hasher for Hashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only hashes are hashed; anything else is folded in plainly.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

fn name_hash(name: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(name.as_bytes())
}

impl<'p> RowReader<'p> {
    pub(super) fn new(
        inputs: &'p [ir::Input],
        program: Option<&Program>,
        strict: bool,
    ) -> RowReader<'p> {
        let mut by_hash = HashMap::default();
        for (i, input) in inputs.iter().enumerate() {
            by_hash.entry(name_hash(&input.name)).or_insert(i);
        }
        // Should two inputs' names ever share a hash, keys are looked up by
        // name instead (see `input`).
        let distinct = by_hash.len() == inputs.len();
        let record_lists = inputs
            .iter()
            .enumerate()
            .map(|(i, input)| {
                let Type::List { of } = &input.ty else {
                    return None;
                };
                let Type::Record { fields } = of.as_ref() else {
                    return None;
                };
                let stored = program?.record_list_fields(i)?;
                Some(RecordList {
                    width: stored.len(),
                    positions: fields
                        .iter()
                        .map(|f| stored.iter().position(|name| *name == f.name))
                        .collect(),
                })
            })
            .collect();
        RowReader {
            inputs,
            record_lists,
            by_hash: if distinct {
                by_hash
            } else {
                HashMap::default()
            },
            strict,
        }
    }

    /// The input named `name`.
    fn input(&self, name: &str) -> Option<usize> {
        if self.by_hash.is_empty() {
            return self.inputs.iter().position(|input| input.name == name);
        }
        self.by_hash.get(&name_hash(name)).copied()
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
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = ValueSeed { ty, strict }
        .deserialize(&mut deserializer)
        .map_err(|_| Slow)?;
    deserializer.end().map_err(|_| Slow)?;
    Ok(value)
}

/// Reads a value of type `ty` from the deserializer as it goes: strings
/// borrowed, numbers from their text, lists and records element by element.
#[derive(Clone, Copy)]
struct ValueSeed<'t> {
    ty: &'t Type,
    strict: bool,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a fact")
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Unknown)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Unknown)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        let strict = self.strict;
        match self.ty {
            Type::List { of } => d.deserialize_seq(ListVisitor { of, strict }),
            Type::Record { fields } => d.deserialize_map(RecordVisitor { fields, strict }),
            Type::Series { of } => d.deserialize_map(SeriesValueVisitor { of, strict }),
            Type::Bool => bool::deserialize(d).map(Value::Bool),
            Type::Enum { values } => {
                let name = d.deserialize_str(Key)?;
                if values.iter().any(|v| *v == name) {
                    Ok(Value::Enum(name.into_owned()))
                } else {
                    Err(slow())
                }
            }
            Type::Text => d.deserialize_str(Key).map(|t| Value::Text(t.into_owned())),
            Type::Date | Type::Month | Type::Time => {
                let text = d.deserialize_str(Key)?;
                facts::scalar_value(self.ty, Raw::Text(&text)).ok_or_else(slow)
            }
            _ => {
                let value = <&'de RawValue>::deserialize(d)?;
                let text = unquoted(value.get()).map_err(|_| slow())?;
                facts::scalar_value(self.ty, raw(&text)).ok_or_else(slow)
            }
        }
    }
}

use serde::Deserialize as _;

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
        let seed = ValueSeed {
            ty: self.of,
            strict: self.strict,
        };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(seed)? {
            items.push(item);
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
        let mut values: Vec<Value> = vec![Value::Unknown; self.fields.len()];
        read_fields(&mut map, self.fields, self.strict, |i, value| {
            if let Some(slot) = values.get_mut(i) {
                *slot = value;
            }
        })?;
        Ok(Value::Record(
            self.fields
                .iter()
                .map(|f| f.name.clone())
                .zip(values)
                .collect(),
        ))
    }
}

/// The fields of a record, each read as its declared type and handed to
/// `put` with its position among `fields`; a field given twice, a key no
/// field has under `strict`, or more than 64 fields go to the full reader.
fn read_fields<'de, A: MapAccess<'de>>(
    map: &mut A,
    fields: &[ir::Field],
    strict: bool,
    mut put: impl FnMut(usize, Value),
) -> Result<(), A::Error> {
    if fields.len() > 64 {
        return Err(slow());
    }
    let mut seen = 0u64;
    let mut others: Vec<Cow<'de, str>> = Vec::new();
    while let Some(key) = map.next_key_seed(Key)? {
        if key.starts_with('$') {
            // A number's private key (`arbitrary_precision`), or a field no
            // policy declares: the full reader decides.
            return Err(slow());
        }
        match fields.iter().position(|f| f.name == key) {
            Some(i) => {
                let bit = 1u64 << i;
                if seen & bit != 0 {
                    return Err(slow());
                }
                seen |= bit;
                let ty = fields.get(i).map(|f| &f.ty).ok_or_else(slow)?;
                put(i, map.next_value_seed(ValueSeed { ty, strict })?);
            }
            None if strict => return Err(slow()),
            None => {
                map.next_value::<IgnoredAny>()?;
                others.push(key);
            }
        }
    }
    if given_twice(&mut others) {
        return Err(slow());
    }
    Ok(())
}

/// Whether a key is among `keys` more than once.
fn given_twice(keys: &mut [Cow<'_, str>]) -> bool {
    keys.sort_unstable();
    keys.windows(2).any(|pair| pair.first() == pair.get(1))
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
            let value = map.next_value_seed(ValueSeed {
                ty: self.of,
                strict: self.strict,
            })?;
            if years.insert(year, value).is_some() {
                return Err(slow());
            }
        }
        Ok(Value::Series(years))
    }
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
                    let seed = InputSeed {
                        reader: self.reader,
                        program: self.program,
                        record: &mut *self.record,
                        input,
                    };
                    if is_id {
                        // The id is also an input: its text, then its fact.
                        let value: &'de RawValue = map.next_value()?;
                        id = id_text(value.get());
                        let mut inner = serde_json::Deserializer::from_str(value.get());
                        seed.deserialize(&mut inner).map_err(|_| slow())?;
                    } else {
                        map.next_value_seed(seed)?;
                    }
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
        if given_twice(&mut others) {
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

/// Reads the value of input number `input` from the deserializer into the
/// record as it goes: booleans, enums and texts without a value of their
/// own, numbers from their text, lists and records built element by element.
struct InputSeed<'r, 'p> {
    reader: &'r RowReader<'p>,
    program: &'r Program,
    record: &'r mut Record,
    input: usize,
}

impl<'de> DeserializeSeed<'de> for InputSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for InputSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a fact")
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let ty = &self.reader.inputs.get(self.input).ok_or_else(slow)?.ty;
        let (program, record, input) = (self.program, self.record, self.input);
        match ty {
            Type::Bool => {
                let b = bool::deserialize(d)?;
                program.set_input(record, input, &Value::Bool(b));
            }
            Type::Enum { values } => {
                let name = d.deserialize_str(Key)?;
                if !values.iter().any(|v| *v == name) {
                    return Err(slow());
                }
                program.set_enum(record, input, None, &name);
            }
            Type::Text => {
                let text = d.deserialize_str(Key)?;
                program.set_text(record, input, None, &text);
            }
            Type::Date | Type::Month | Type::Time => {
                let text = d.deserialize_str(Key)?;
                let value = facts::scalar_value(ty, Raw::Text(&text)).ok_or_else(slow)?;
                program.set_input(record, input, &value);
            }
            Type::Series { of } => {
                if matches!(
                    **of,
                    Type::Series { .. } | Type::List { .. } | Type::Record { .. }
                ) {
                    return Err(slow());
                }
                program.set_input(record, input, &Value::Series(BTreeMap::new()));
                d.deserialize_map(SeriesVisitor {
                    program,
                    record,
                    input,
                    of,
                })?;
            }
            Type::List { of } => {
                let strict = self.reader.strict;
                match (of.as_ref(), self.reader.record_lists.get(input)) {
                    (Type::Record { fields }, Some(Some(plan))) => {
                        let mut list = RecordListVisitor {
                            program,
                            fields,
                            plan,
                            strict,
                            scalars: Vec::new(),
                            elements: Vec::new(),
                        };
                        list = d.deserialize_seq(list)?;
                        program.set_record_list(
                            record,
                            input,
                            plan.width,
                            &list.scalars,
                            &list.elements,
                        );
                    }
                    _ => {
                        let value = ValueSeed { ty, strict }.visit_some(d)?;
                        program.set_input(record, input, &value);
                    }
                }
            }
            Type::Record { .. } => {
                let value = ValueSeed {
                    ty,
                    strict: self.reader.strict,
                }
                .visit_some(d)?;
                program.set_input(record, input, &value);
            }
            _ => {
                let value = <&'de RawValue>::deserialize(d)?;
                let text = unquoted(value.get()).map_err(|_| slow())?;
                set_scalar(program, record, input, None, ty, raw(&text)).map_err(|_| slow())?;
            }
        }
        Ok(())
    }
}

/// A list of records read straight into runs of field scalars.
struct RecordListVisitor<'r> {
    program: &'r Program,
    fields: &'r [ir::Field],
    plan: &'r RecordList,
    strict: bool,
    scalars: Vec<Scalar>,
    elements: Vec<bool>,
}

impl<'de, 'r> Visitor<'de> for RecordListVisitor<'r> {
    type Value = RecordListVisitor<'r>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of records")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<Self, A::Error> {
        loop {
            let base = self.scalars.len();
            self.scalars.resize(base + self.plan.width, Scalar::Unknown);
            let element = ElementSeed {
                program: self.program,
                fields: self.fields,
                plan: self.plan,
                strict: self.strict,
                run: self.scalars.get_mut(base..).unwrap_or(&mut []),
            };
            match seq.next_element_seed(element)? {
                Some(known) => self.elements.push(known),
                None => {
                    self.scalars.truncate(base);
                    return Ok(self);
                }
            }
        }
    }
}

/// One record of a list into its run of field scalars; `false` for `null`.
struct ElementSeed<'r, 'a> {
    program: &'r Program,
    fields: &'r [ir::Field],
    plan: &'r RecordList,
    strict: bool,
    run: &'a mut [Scalar],
}

impl<'de> DeserializeSeed<'de> for ElementSeed<'_, '_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record")
    }

    fn visit_none<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let (program, plan, run) = (self.program, self.plan, self.run);
        // Every field is read and checked, whether or not the program reads it.
        read_fields(&mut map, self.fields, self.strict, |i, value| {
            let position = plan.positions.get(i).copied().flatten();
            if let Some(slot) = position.and_then(|p| run.get_mut(p)) {
                *slot = program.scalar_of(&value);
            }
        })?;
        Ok(true)
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
