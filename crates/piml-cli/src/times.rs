//! `--times`: a comma list (`0,0.5,2`) or a range `start:stop:step`.

/// Parses output times; the range includes `stop` when it falls on the grid
/// (to rounding), and the result must be strictly increasing.
pub fn parse_times(s: &str) -> Result<Vec<f64>, String> {
    let num = |v: &str| -> Result<f64, String> {
        let x: f64 = v
            .trim()
            .parse()
            .map_err(|_| format!("'{v}' is not a number"))?;
        if x.is_finite() {
            Ok(x)
        } else {
            Err(format!("'{v}' is not finite"))
        }
    };
    let times = if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        let [a, b, h] = parts[..] else {
            return Err(format!("'{s}': expected start:stop:step"));
        };
        let (a, b, h) = (num(a)?, num(b)?, num(h)?);
        if h <= 0.0 || b < a {
            return Err(format!("'{s}': expected start <= stop and step > 0"));
        }
        let n = ((b - a) / h * (1.0 + 1e-12)).floor() as usize;
        if n > 100_000_000 {
            return Err(format!("'{s}': {n} output times is too many"));
        }
        (0..=n).map(|i| a + i as f64 * h).collect()
    } else {
        s.split(',').map(num).collect::<Result<Vec<_>, _>>()?
    };
    if let Some(w) = times.windows(2).find(|w| w[1] <= w[0]) {
        return Err(format!(
            "times must increase strictly, but {} follows {}",
            w[1], w[0]
        ));
    }
    Ok(times)
}

#[cfg(test)]
mod tests {
    use super::parse_times;

    #[test]
    fn lists_and_ranges() {
        assert_eq!(parse_times("0,0.5,2").unwrap(), vec![0.0, 0.5, 2.0]);
        assert_eq!(
            parse_times("0:1:0.25").unwrap(),
            vec![0.0, 0.25, 0.5, 0.75, 1.0]
        );
        assert_eq!(parse_times("0:1:0.1").unwrap().len(), 11);
        assert!(parse_times("0,2,1").unwrap_err().contains("increase"));
        assert!(parse_times("0:1").is_err());
        assert!(parse_times("0:1:-1").is_err());
        assert!(parse_times("a,b").is_err());
    }
}
