//! "Did you mean …?" hints for misspelt names.

/// Optimal string alignment distance (Levenshtein with transpositions).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Names longer than this get no hint: the distance costs the product of the
/// two lengths, and a name this long is no typo.
const LONGEST_HINTED: usize = 64;

/// The closest candidate within a distance that still looks like a typo.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let length = name.chars().count();
    if length > LONGEST_HINTED {
        return None;
    }
    let limit = (length / 3).max(1) + usize::from(length > 4);
    candidates
        .into_iter()
        // The distance is at least the difference in length.
        .filter(|c| c.chars().count().abs_diff(length) <= limit)
        .map(|c| {
            let case_only = c.eq_ignore_ascii_case(name);
            (if case_only { 0 } else { edit_distance(name, c) }, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// `" (did you mean 'x'?)"` or an empty string.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(name, candidates).map_or_else(String::new, |c| format!(" (did you mean '{c}'?)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(nearest("Sx", ["S", "P", "Vmax"]), Some("S"));
        assert_eq!(nearest("vmax", ["S", "Vmax"]), Some("Vmax"));
        assert_eq!(nearest("Kmm", ["Km", "Vmax"]), Some("Km"));
        assert_eq!(
            nearest("reactnats", ["reactants", "products"]),
            Some("reactants")
        );
        assert_eq!(nearest("zzz", ["S", "Vmax"]), None);
    }
}
