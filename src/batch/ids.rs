//! Provider ids seen more than once in a data file (W0006).
//!
//! In go the rows' ids, in row order; out come the pairs of rows that share
//! an id. Each id is kept as 88 bits of its hash with its row (16 bytes a
//! row, not the id's text), and duplicates are found by sorting once the
//! file has been read, so checking adds little to a row's cost. Memory is
//! bounded: past [`Ids::LIMIT`] rows the remaining ids are not checked, and
//! [`Ids::finish`] says so.

use rayon::slice::ParallelSliceMut;

use crate::diagnostics::{Code, Diagnostic};

/// The ids of the rows read so far.
#[derive(Debug, Default)]
pub struct Ids {
    /// `(hash, row)`: the high 64 bits of the hash, then 24 more bits of it
    /// above the row number (rows up to 2^40).
    seen: Vec<(u64, u64)>,
    unchecked: u64,
}

/// The hash of an id that [`Ids::add`] takes; computed on any thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdHash(u64, u64);

impl IdHash {
    /// XXH3's 128-bit hash: two ids share one by chance about once in
    /// 2^64 pairs, so a reported duplicate is a real one.
    pub fn of(id: &str) -> IdHash {
        let hash = xxhash_rust::xxh3::xxh3_128(id.as_bytes());
        IdHash((hash >> 64) as u64, hash as u64)
    }
}

const ROW_BITS: u32 = 40;

impl Ids {
    /// Rows whose ids are checked: 32 MiB of hashes.
    pub const LIMIT: usize = 2 << 20;

    pub fn new() -> Ids {
        Ids::default()
    }

    /// Notes the id of row `row`.
    pub fn add(&mut self, hash: IdHash, row: u64) {
        if self.seen.len() >= Ids::LIMIT || row >= 1 << ROW_BITS {
            self.unchecked += 1;
            return;
        }
        let extra = hash.1 >> ROW_BITS;
        self.seen.push((hash.0, (extra << ROW_BITS) | row));
    }

    /// One warning per id found in more than one row, naming its first
    /// two rows (and how many more), ordered by the first. A last warning
    /// says how many rows were not checked, if any.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.seen.par_sort_unstable();
        let mask = (1u64 << ROW_BITS) - 1;
        let key = |&(hash, rest): &(u64, u64)| (hash, rest >> ROW_BITS);
        let mut found: Vec<(u64, u64, usize)> = Vec::new();
        for group in self.seen.chunk_by(|a, b| key(a) == key(b)) {
            if let [first, second, more @ ..] = group {
                found.push((first.1 & mask, second.1 & mask, more.len()));
            }
        }
        found.sort_unstable();
        let mut warnings: Vec<Diagnostic> = found
            .into_iter()
            .map(|(first, second, more)| {
                let also = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                Diagnostic::new(
                    Code::W0006,
                    format!("row {first} and row {second}{also} have the same id"),
                )
                .with_note("each row is decided on its own; check whether the provider is in the data twice")
            })
            .collect();
        if self.unchecked > 0 {
            warnings.push(
                Diagnostic::new(
                    Code::W0006,
                    format!(
                        "the ids of the last {} rows were not checked for duplicates (the check holds {} rows)",
                        self.unchecked,
                        Ids::LIMIT
                    ),
                ),
            );
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn duplicates_name_both_rows() {
        let mut ids = Ids::new();
        for (row, id) in ["a", "b", "a", "c", "b", "a"].iter().enumerate() {
            ids.add(IdHash::of(id), row as u64 + 1);
        }
        let found = ids.finish();
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "row 1 and row 3 and 1 more have the same id",
                "row 2 and row 5 have the same id"
            ]
        );
    }
}
