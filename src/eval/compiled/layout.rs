//! How one provider's facts are laid out in a [`Record`]: a [`Layout`] per
//! input says how its value is stored, and loading a [`Value`] (or setting
//! one input at a time) fills the record's slots and side arenas.
//!
//! Scalars (booleans, numbers, dates, enums) sit in their slot. Everything
//! of variable size sits in the record's [`Side`]: a list is a run of
//! elements in the element arena, a record value a run of its read fields
//! there, a text a run of bytes of the text buffer, a series a set of
//! `(id, year, value)` entries. The slot (or the enclosing element) holds a
//! `Copy` [`Scalar`] pointing at it, so evaluation never follows a pointer
//! it has to free, and clearing a record keeps every arena's memory.

use std::collections::BTreeSet;

use super::{InputSlot, Program, Record, Row, Scalar, at, index};
use crate::eval::{Facts, Value};
use crate::ir::{self, ExprKind, Type};

/// What the policy's rules and definitions read of the inputs.
pub(super) struct Usage<'p> {
    /// The inputs read at all.
    pub(super) read: BTreeSet<&'p str>,
    /// The years read of series inputs with a year from the policy
    /// (`bi over 2023`), each once, in the order first read.
    pub(super) years: Vec<(String, i32)>,
    /// Series inputs read otherwise too (with a year from the data, or as a
    /// value): every year of them is kept.
    pub(super) full: BTreeSet<&'p str>,
    /// Per record type: the fields read, in declaration order.
    pub(super) record_fields: Vec<(Type, Vec<String>)>,
}

/// The fields read per record type, while walking.
type ReadFields<'p> = Vec<(&'p Type, BTreeSet<&'p str>)>;

impl<'p> Usage<'p> {
    pub(super) fn of(policy: &'p ir::Policy) -> Usage<'p> {
        let mut usage = Usage {
            read: BTreeSet::new(),
            years: Vec::new(),
            full: BTreeSet::new(),
            record_fields: Vec::new(),
        };
        let mut seen_years = BTreeSet::new();
        let mut fields: ReadFields<'p> = Vec::new();
        let exprs = policy.expressions();
        for expr in exprs {
            usage.visit(policy, expr, false, &mut seen_years, &mut fields);
        }
        usage.record_fields = fields
            .into_iter()
            .map(|(ty, read)| {
                let names = match ty {
                    Type::Record { fields } => fields
                        .iter()
                        .filter(|f| read.contains(f.name.as_str()))
                        .map(|f| f.name.clone())
                        .collect(),
                    _ => Vec::new(),
                };
                (ty.clone(), names)
            })
            .collect();
        usage
    }

    /// `in_place`: `expr` is read where a series needs no value of its own
    /// (the series of `s over 2023`, the operand of `known s`).
    fn visit(
        &mut self,
        policy: &'p ir::Policy,
        expr: &'p ir::Expr,
        in_place: bool,
        seen_years: &mut BTreeSet<(&'p str, i32)>,
        fields: &mut ReadFields<'p>,
    ) {
        match &expr.kind {
            ExprKind::Input { name } => {
                self.read.insert(name.as_str());
                if !in_place && matches!(expr.ty, Type::Series { .. }) {
                    self.full.insert(name.as_str());
                }
            }
            ExprKind::SeriesAt { series, year } => {
                let folded = super::compile::fold_year(policy, year);
                match (&series.kind, folded) {
                    (ExprKind::Input { name }, Some(y)) => {
                        if let Some(y) = super::node::whole_year(y) {
                            if seen_years.insert((name.as_str(), y)) {
                                self.years.push((name.clone(), y));
                            }
                        }
                        self.visit(policy, series, true, seen_years, fields);
                    }
                    _ => self.visit(policy, series, false, seen_years, fields),
                }
                self.visit(policy, year, false, seen_years, fields);
            }
            ExprKind::Presence { operand, .. } => {
                self.visit(policy, operand, true, seen_years, fields);
            }
            ExprKind::Field { record, field } => {
                match fields.iter_mut().find(|(ty, _)| **ty == record.ty) {
                    Some((_, read)) => {
                        read.insert(field.as_str());
                    }
                    None => fields.push((&record.ty, BTreeSet::from([field.as_str()]))),
                }
                self.visit(policy, record, false, seen_years, fields);
            }
            _ => {
                for child in expr.children() {
                    self.visit(policy, child, false, seen_years, fields);
                }
            }
        }
    }
}

/// How a value of one type is stored; record fields the policy never reads
/// are left out.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Layout {
    /// Not stored (a duration: never a fact).
    Unused,
    /// In the scalar itself.
    Scalar,
    Text,
    List(Box<Layout>),
    /// The fields the policy reads, in declaration order.
    Record(Box<[(String, Layout)]>),
    Series(Box<Layout>),
}

/// One year of a series value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct SeriesEntry {
    id: u32,
    year: i32,
    value: Scalar,
}

/// The variable-size data of one record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Side {
    elements: Vec<Scalar>,
    texts: String,
    series: Vec<SeriesEntry>,
    /// Series values that are not inputs, numbered after the inputs.
    nested_series: u32,
}

/// No side data: what a row of a table without any has.
pub(super) static EMPTY_SIDE: Side = Side {
    elements: Vec::new(),
    texts: String::new(),
    series: Vec::new(),
    nested_series: 0,
};

impl Side {
    pub(super) fn clear(&mut self) {
        self.elements.clear();
        self.texts.clear();
        self.series.clear();
        self.nested_series = 0;
    }
}

impl Row<'_> {
    /// Element number `i` of the element arena.
    #[inline]
    pub(super) fn element(self, i: u32) -> Scalar {
        self.side
            .elements
            .get(at(i))
            .copied()
            .unwrap_or(Scalar::Unknown)
    }

    /// Year `year` of series `id`; the last one set wins, as a later CSV
    /// cell of the same year would.
    pub(super) fn series_year(self, id: u32, year: i32) -> Scalar {
        self.side
            .series
            .iter()
            .rev()
            .find(|e| e.id == id && e.year == year)
            .map_or(Scalar::Unknown, |e| e.value)
    }
}

impl<'a> Row<'a> {
    /// The bytes of a record text.
    pub(super) fn record_text(self, start: u32, len: u32) -> Option<&'a str> {
        let end = start.checked_add(len)?;
        self.side.texts.get(at(start)..at(end))
    }
}

/// `0..n` as the `u32` offsets scalars hold; `None` past them (a record of
/// more than 4 GiB), which is then unknown.
fn offset(n: usize) -> Option<u32> {
    u32::try_from(n).ok()
}

impl Program {
    /// Converts a scalar value of the reference interpreter.
    #[inline]
    fn scalar(&self, value: &Value) -> Scalar {
        match value {
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Decimal(d) => Scalar::Decimal(*d),
            Value::Date(d) => Scalar::Date(*d),
            Value::Month(m) => Scalar::Month(*m),
            Value::Time(t) => Scalar::Time(*t),
            Value::Duration { amount, unit } => {
                i32::try_from(*amount).map_or(Scalar::Unknown, |amount| Scalar::Duration {
                    amount,
                    unit: *unit,
                })
            }
            Value::Enum(name) => self.enum_index(name).map_or(Scalar::Unknown, Scalar::Enum),
            Value::Unknown
            | Value::Text(_)
            | Value::Series(_)
            | Value::List(_)
            | Value::Record(_) => Scalar::Unknown,
        }
    }

    pub(super) fn enum_index(&self, name: &str) -> Option<u32> {
        self.enums
            .binary_search_by(|e| e.as_str().cmp(name))
            .ok()
            .map(index)
    }

    /// Stores `value` as `layout` says: in the scalar it returns, and in
    /// `side` for what does not fit in one.
    fn store(&self, side: &mut Side, layout: &Layout, value: &Value) -> Scalar {
        match (layout, value) {
            (Layout::Scalar, _) => self.scalar(value),
            (Layout::Text, Value::Text(text)) => store_text(side, text),
            (Layout::List(of), Value::List(items)) => {
                let (Some(start), Some(len)) = (offset(side.elements.len()), offset(items.len()))
                else {
                    return Scalar::Unknown;
                };
                // The elements first, contiguous; what they point to after.
                side.elements
                    .resize(side.elements.len() + items.len(), Scalar::Unknown);
                for (i, item) in items.iter().enumerate() {
                    let element = self.store(side, of, item);
                    if let Some(slot) = side.elements.get_mut(at(start) + i) {
                        *slot = element;
                    }
                }
                Scalar::List { start, len }
            }
            (Layout::Record(fields), Value::Record(values)) => {
                let Some(start) = offset(side.elements.len()) else {
                    return Scalar::Unknown;
                };
                side.elements
                    .resize(side.elements.len() + fields.len(), Scalar::Unknown);
                for (i, (name, layout)) in fields.iter().enumerate() {
                    let field = values
                        .get(name)
                        .map_or(Scalar::Unknown, |v| self.store(side, layout, v));
                    if let Some(slot) = side.elements.get_mut(at(start) + i) {
                        *slot = field;
                    }
                }
                Scalar::Record(start)
            }
            (Layout::Series(of), Value::Series(years)) => {
                let id = index(self.inputs.len()).saturating_add(side.nested_series);
                side.nested_series = side.nested_series.saturating_add(1);
                for (year, value) in years {
                    let value = self.store(side, of, value);
                    side.series.push(SeriesEntry {
                        id,
                        year: *year,
                        value,
                    });
                }
                Scalar::Series(id)
            }
            _ => Scalar::Unknown,
        }
    }

    /// For list input number `input`, when it is a list of records whose
    /// read fields are all plain scalars: the names of those fields, in the
    /// order [`Program::set_record_list`] takes their values. `None` when
    /// the list is laid out otherwise (or not read): set it whole with
    /// [`Program::set_input`].
    pub fn record_list_fields(&self, input: usize) -> Option<Vec<&str>> {
        let Some(InputSlot::Stored {
            layout: Layout::List(of),
            ..
        }) = self.inputs.get(input)
        else {
            return None;
        };
        let Layout::Record(fields) = of.as_ref() else {
            return None;
        };
        fields
            .iter()
            .map(|(name, layout)| matches!(layout, Layout::Scalar).then_some(name.as_str()))
            .collect()
    }

    /// The record slot value of a scalar fact, for [`Program::set_record_list`].
    #[inline]
    pub fn scalar_of(&self, value: &Value) -> Scalar {
        self.scalar(value)
    }

    /// Sets list input number `input` (see [`Program::record_list_fields`])
    /// to records given as runs of `width` field scalars, one run per
    /// element in `fields`; an element of `elements` that is `false` is an
    /// unknown element (its run is not read). The same layout as
    /// [`Program::set_input`] with the list as a value makes, without one.
    pub fn set_record_list(
        &self,
        record: &mut Record,
        input: usize,
        width: usize,
        fields: &[Scalar],
        elements: &[bool],
    ) {
        let Some(InputSlot::Stored { slot, .. }) = self.inputs.get(input) else {
            return;
        };
        let side = &mut record.side;
        let runs = side.elements.len();
        side.elements.extend_from_slice(fields);
        let (Some(start), Some(len)) = (offset(side.elements.len()), offset(elements.len())) else {
            return;
        };
        for (k, known) in elements.iter().enumerate() {
            let head = match offset(runs + k * width) {
                Some(at) if *known => Scalar::Record(at),
                _ => Scalar::Unknown,
            };
            side.elements.push(head);
        }
        if let Some(s) = record.slots.get_mut(at(*slot)) {
            *s = Scalar::List { start, len };
        }
    }

    /// Sets input number `input` (its position in the policy's inputs).
    #[inline]
    pub fn set_input(&self, record: &mut Record, input: usize, value: &Value) {
        match (self.inputs.get(input), value) {
            (Some(InputSlot::Scalar(slot)), _) => {
                let scalar = self.scalar(value);
                if let Some(s) = record.slots.get_mut(at(*slot)) {
                    *s = scalar;
                }
            }
            (Some(InputSlot::Stored { slot, layout }), _) => {
                let scalar = self.store(&mut record.side, layout, value);
                if let Some(s) = record.slots.get_mut(at(*slot)) {
                    *s = scalar;
                }
            }
            (
                Some(InputSlot::Series {
                    present,
                    years,
                    of,
                    full,
                }),
                Value::Series(values),
            ) => {
                if let Some(p) = record.slots.get_mut(at(*present)) {
                    *p = Scalar::Series(index(input));
                }
                for (_, slot) in years {
                    if let Some(s) = record.slots.get_mut(at(*slot)) {
                        *s = Scalar::Unknown;
                    }
                }
                for (year, value) in values {
                    let wanted = years.iter().find(|(y, _)| y == year).map(|(_, s)| *s);
                    if !*full && wanted.is_none() {
                        continue;
                    }
                    let scalar = self.store(&mut record.side, of, value);
                    if *full {
                        record.side.series.push(SeriesEntry {
                            id: index(input),
                            year: *year,
                            value: scalar,
                        });
                    }
                    if let Some(s) = wanted.and_then(|slot| record.slots.get_mut(at(slot))) {
                        *s = scalar;
                    }
                }
            }
            _ => {}
        }
    }

    /// Sets one year of series input number `input`; the series is then
    /// present.
    pub fn set_series_year(&self, record: &mut Record, input: usize, year: i32, value: &Value) {
        if let Some(InputSlot::Series { of, .. }) = self.inputs.get(input) {
            let scalar = self.store(&mut record.side, of, value);
            self.set_series_scalar(record, input, year, scalar);
        }
    }

    /// Puts `scalar` in year `year` of series input `input`.
    fn set_series_scalar(&self, record: &mut Record, input: usize, year: i32, scalar: Scalar) {
        if let Some(InputSlot::Series {
            present,
            years,
            full,
            ..
        }) = self.inputs.get(input)
        {
            if let Some(p) = record.slots.get_mut(at(*present)) {
                *p = Scalar::Series(index(input));
            }
            if *full {
                record.side.series.push(SeriesEntry {
                    id: index(input),
                    year,
                    value: scalar,
                });
            }
            if let Some((_, slot)) = years.iter().find(|(y, _)| *y == year) {
                if let Some(s) = record.slots.get_mut(at(*slot)) {
                    *s = scalar;
                }
            }
        }
    }

    /// Sets enum input number `input` (of series input `input`, year
    /// `year`) to the value named `name`, as [`Program::set_input`] with a
    /// `Value::Enum` but without one.
    pub fn set_enum(&self, record: &mut Record, input: usize, year: Option<i32>, name: &str) {
        let scalar = self.enum_index(name).map_or(Scalar::Unknown, Scalar::Enum);
        match (self.inputs.get(input), year) {
            (Some(InputSlot::Scalar(slot)), None) => {
                if let Some(s) = record.slots.get_mut(at(*slot)) {
                    *s = scalar;
                }
            }
            (Some(InputSlot::Series { .. }), Some(year)) => {
                self.set_series_scalar(record, input, year, scalar);
            }
            _ => {}
        }
    }

    /// Sets text input number `input` (of series input `input`, year
    /// `year`) to `text`, as [`Program::set_input`] with a `Value::Text`
    /// but without one: the bytes are copied into the record.
    pub fn set_text(&self, record: &mut Record, input: usize, year: Option<i32>, text: &str) {
        match (self.inputs.get(input), year) {
            (
                Some(InputSlot::Stored {
                    slot,
                    layout: Layout::Text,
                }),
                None,
            ) => {
                let scalar = store_text(&mut record.side, text);
                if let Some(s) = record.slots.get_mut(at(*slot)) {
                    *s = scalar;
                }
            }
            (
                Some(InputSlot::Series {
                    of: Layout::Text, ..
                }),
                Some(year),
            ) => {
                let scalar = store_text(&mut record.side, text);
                self.set_series_scalar(record, input, year, scalar);
            }
            _ => {}
        }
    }

    /// Clears `record` and loads one provider's facts into it: scalars,
    /// texts, lists, records and series alike.
    pub fn load_facts(&self, record: &mut Record, facts: &Facts) {
        self.clear(record);
        for (i, name) in self.input_names.iter().enumerate() {
            if let Some(value) = facts.get(name) {
                self.set_input(record, i, value);
            }
        }
    }
}

fn store_text(side: &mut Side, text: &str) -> Scalar {
    match (offset(side.texts.len()), offset(text.len())) {
        (Some(start), Some(len)) if offset(side.texts.len() + text.len()).is_some() => {
            side.texts.push_str(text);
            Scalar::Text { start, len }
        }
        _ => Scalar::Unknown,
    }
}
