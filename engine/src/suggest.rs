//! "Did you mean" suggestions for misspelled keys and names.

/// Returns up to `limit` candidates closest to `wanted` by edit distance, nearest
/// first, leaving out those too far away to be a plausible typo.
pub fn closest<'a, I>(wanted: &str, candidates: I, limit: usize) -> Vec<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let max_distance = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|candidate| (strsim::damerau_levenshtein(wanted, candidate), candidate))
        .filter(|(distance, candidate)| {
            *distance <= max_distance
                || candidate.starts_with(wanted)
                || wanted.starts_with(candidate)
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(limit)
        .map(|(_, candidate)| candidate.to_string())
        .collect()
}

/// Formats suggestions as `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`.
pub fn or_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("'{name}'")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_candidates_come_first() {
        let found = closest("outz", ["outs", "deps", "metrics", "cmd"], 3);
        assert_eq!(found, vec!["outs".to_string()]);
        assert!(closest("completely_different", ["outs", "deps"], 3).is_empty());
    }
}
