//! "Did you mean ...?": one deterministic helper for every kind of name.

/// The candidate closest to `name`, if it is close enough to be a likely typo.
///
/// A case-insensitive exact match wins; otherwise the smallest edit distance
/// within `max(len / 4, 1)`, ties broken alphabetically so output is stable.
/// (A quarter, not a third: policy names are long compounds, and
/// `bekkenfysiotherapie` is not a typo of `fysiotherapie`.)
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut sorted: Vec<&str> = candidates.into_iter().filter(|c| *c != name).collect();
    sorted.sort_unstable();
    sorted.dedup();
    if let Some(exact) = sorted.iter().find(|c| c.eq_ignore_ascii_case(name)) {
        return Some(exact);
    }
    let threshold = (name.chars().count() / 4).max(1);
    sorted
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= threshold)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance counting an adjacent swap as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut table = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        if let Some(cell) = table.get_mut(at(i, 0)) {
            *cell = i;
        }
    }
    for j in 0..=b.len() {
        if let Some(cell) = table.get_mut(at(0, j)) {
            *cell = j;
        }
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let get = |i: usize, j: usize| table.get(at(i, j)).copied().unwrap_or(usize::MAX - 1);
            let same = a.get(i - 1) == b.get(j - 1);
            let mut best = (get(i - 1, j) + 1)
                .min(get(i, j - 1) + 1)
                .min(get(i - 1, j - 1) + usize::from(!same));
            if i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1) {
                best = best.min(get(i - 2, j - 2) + 1);
            }
            if let Some(cell) = table.get_mut(at(i, j)) {
                *cell = best;
            }
        }
    }
    table
        .get(at(a.len(), b.len()))
        .copied()
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let names = ["patients", "partners", "bi"];
        assert_eq!(did_you_mean("patinets", names), Some("patients"));
        assert_eq!(did_you_mean("Patients", names), Some("patients"));
        assert_eq!(did_you_mean("turnover", names), None);
    }

    #[test]
    fn distance_counts_swaps_once() {
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
