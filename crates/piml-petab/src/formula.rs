//! PEtab formulas (sympy syntax) in piml's expression language: `**` is `^`, `ln` is `log`,
//! `log10(a)` and `log2(a)` are logarithms divided by ln 10 and ln 2, `time` is `t`, and SBML
//! ids the import renamed get their piml names.

use std::collections::BTreeMap;

use piml_model::Expr;

/// Parses `text`, naming ids as the imported model does.
pub(crate) fn parse(text: &str, renamed: &BTreeMap<String, String>) -> Result<Expr, String> {
    let rewritten = rewrite(&text.replace("**", "^"))?;
    let expr = piml_model::expr::parse(&rewritten).map_err(|e| e.to_string())?;
    Ok(expr.substitute(&|name| {
        renamed
            .get(name)
            .map(|n| Expr::var(n))
            .or_else(|| (name == "time").then(|| Expr::var("t")))
    }))
}

/// Rewrites the logarithms piml spells otherwise; everything else is copied.
fn rewrite(text: &str) -> Result<String, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if !(c.is_alphabetic() || c == '_') {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let base = match word.as_str() {
            "log10" => Some("10"),
            "log2" => Some("2"),
            _ => None,
        };
        let called = chars.get(i) == Some(&'(');
        match (word.as_str(), base, called) {
            ("ln", _, true) => out.push_str("log"),
            (_, Some(base), true) => {
                let close = matching(&chars, i)
                    .ok_or_else(|| format!("'{text}': unbalanced parentheses after {word}"))?;
                let inner: String = chars[i + 1..close].iter().collect();
                out.push_str(&format!("(log({})/log({base}))", rewrite(&inner)?));
                i = close + 1;
            }
            _ => out.push_str(&word),
        }
    }
    Ok(out)
}

/// The index of the parenthesis closing the one at `open`.
fn matching(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, c) in chars.iter().enumerate().skip(open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> f64 {
        parse(text, &BTreeMap::new()).unwrap().eval(&|n| {
            [("a", 2.0), ("t", 3.0)]
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| *v)
        })
    }

    #[test]
    fn sympy_spellings_become_piml() {
        assert_eq!(value("a**2"), 4.0);
        assert_eq!(value("ln(a)"), 2f64.ln());
        assert!((value("log10(a*50)") - 2.0).abs() < 1e-15);
        assert!((value("2*log2(a^3)") - 6.0).abs() < 1e-15);
        assert!((value("log10(log10(1e10))") - 1.0).abs() < 1e-15);
        assert_eq!(value("time*a"), 6.0);
        let renamed = BTreeMap::from([("t".to_string(), "t_".to_string())]);
        let e = parse("t + time", &renamed).unwrap();
        assert_eq!(
            e.eval(&|n| [("t_", 1.0), ("t", 10.0)]
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| *v)),
            11.0
        );
    }
}
