//! Generated and mutated model files fed to the model reader (issue 20): the
//! valid models of testdata/ with bytes flipped, fragments spliced in, string
//! values replaced by deep nestings, long sums and odd Unicode (combining
//! marks, right-to-left marks, zero-width characters, lone surrogates as JSON
//! escapes, NUL, emoji, names of 10,000 letters). The property: reading (and,
//! for a model that reads, compiling its kinetics and checking its units)
//! returns, Ok or a typed error, and never panics, overflows or hangs.
//!
//! `make test` runs 20,000 inputs; bench/fuzz.sh runs the ignored test below
//! with `PIML_FUZZ_COUNT` inputs (10⁶ by default).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use piml_model::{Kinetics, Model, check_units, expr};
use serde_json::Value;

/// SplitMix64 (Steele, Lea & Flood 2014): a whole stream from one integer,
/// so that input `i` of a run can be made again from the seed and `i` alone.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), near enough for choosing.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A length drawn log-uniformly up to `max`: mostly short, sometimes huge.
    fn length(&mut self, max: usize) -> usize {
        let bits = usize::BITS - max.leading_zeros();
        let cap = 1usize << self.below(bits as usize + 1);
        self.below(cap.min(max) + 1)
    }
}

/// Characters that have broken text handling elsewhere.
const ODD: [&str; 16] = [
    "\u{301}",                    // combining acute accent
    "\u{202e}",                   // right-to-left override
    "\u{200f}",                   // right-to-left mark
    "\u{200b}",                   // zero-width space
    "\u{feff}",                   // byte-order mark
    "\0",                         // NUL
    "\u{1f9ea}",                  // test-tube emoji
    "\u{1f468}\u{200d}\u{1f469}", // a joined emoji sequence
    "µ",
    "²",
    "ǅ",
    "ﬁ",
    "\u{ffff}",
    "Ω",
    "\u{7f}",
    "٣", // an Arabic-Indic digit
];

/// JSON escapes the reader must take apart: lone and paired surrogates, NUL.
const ESCAPES: [&str; 5] = ["\\ud800", "\\udfff", "\\ud83e\\uddea", "\\u0000", "\\u202e"];

const TOKENS: [&str; 24] = [
    "(", ")", "+", "-", "*", "/", "^", ",", "1", "0", "1e308", "-1e-308", "x", "y", "t", "S", "k",
    "exp(", "mm(", "hill(", "min(", ".5", "1e", "NaN",
];

/// A random expression: nested, long, or a jumble of tokens and odd names.
fn expression(rng: &mut SplitMix) -> String {
    match rng.below(7) {
        0 => {
            let depth = rng.length(3000);
            let (open, close) = *rng.pick(&[
                ("(", ")"),
                ("-", ""),
                ("x^", ""),
                ("exp(", ")"),
                ("max(1,", ")"),
                ("+", ""),
            ]);
            format!("{}S{}", open.repeat(depth), close.repeat(depth))
        }
        1 => {
            let terms = rng.length(5000).max(1);
            let op = *rng.pick(&["+", "-", "*", "/"]);
            vec!["k*S"; terms].join(op)
        }
        2 => (0..rng.length(40))
            .map(|_| *rng.pick(&TOKENS))
            .collect::<Vec<_>>()
            .join(""),
        3 => format!("S{}", rng.pick(&ODD)),
        4 => "a".repeat(rng.length(20_000)),
        5 => format!("k*S + {}", rng.pick(&ODD).repeat(rng.length(100))),
        _ => format!("({})*S", rng.below(1 << 20) as f64 / 7.0),
    }
}

/// A string for a name or a value: an expression, an odd name, an escape.
fn text(rng: &mut SplitMix) -> String {
    match rng.below(4) {
        0 => format!("S{}", rng.pick(&ODD)),
        1 => "x".repeat(rng.length(10_000).max(1)),
        _ => expression(rng),
    }
}

/// How many nodes (values at any depth) `v` has.
fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(m) => m.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// A value of any JSON kind, odd more often than not.
fn value(rng: &mut SplitMix) -> Value {
    match rng.below(6) {
        0 => Value::String(text(rng)),
        1 => Value::from(*rng.pick(&[0.0, -1.0, 1e308, 5e-324, -0.0])),
        2 => Value::Null,
        3 => Value::Bool(true),
        4 => Value::Array(vec![Value::String(text(rng))]),
        _ => serde_json::json!({ text(rng): text(rng) }),
    }
}

/// Replaces node `target` (depth first) of `v`, or renames one of its keys
/// if it is an object; true once done.
fn mutate_node(v: &mut Value, target: &mut usize, rng: &mut SplitMix) -> bool {
    if *target == 0 {
        match v {
            Value::Object(m) if !m.is_empty() && rng.below(3) == 0 => {
                let key = m
                    .keys()
                    .nth(rng.below(m.len()))
                    .cloned()
                    .unwrap_or_default();
                let moved = m.remove(&key).unwrap_or(Value::Null);
                m.insert(text(rng), moved);
            }
            _ => *v = value(rng),
        }
        return true;
    }
    *target -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|item| mutate_node(item, target, rng)),
        Value::Object(m) => m.values_mut().any(|item| mutate_node(item, target, rng)),
        _ => false,
    }
}

/// Input `index` of a run: one of the seeds mutated one to three times.
fn generate(seeds: &[(Value, String)], seed: u64, index: u64) -> String {
    let mut rng = SplitMix(seed ^ index.wrapping_mul(0xd134_2543_de82_ef95));
    let (doc, raw) = rng.pick(seeds);
    let mut doc = doc.clone();
    let structural = rng.below(4) != 0;
    let mut out = if structural {
        for _ in 0..=rng.below(3) {
            let mut target = rng.below(count_nodes(&doc));
            mutate_node(&mut doc, &mut target, &mut rng);
        }
        doc.to_string()
    } else {
        raw.clone()
    };
    // Then, sometimes, text-level damage: bytes, escapes, splices.
    for _ in 0..rng.below(3) {
        let mut bytes = out.into_bytes();
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 if !bytes.is_empty() => {
                let i = at.min(bytes.len() - 1);
                bytes[i] ^= 1 << rng.below(8);
            }
            1 if at < bytes.len() => {
                bytes.truncate(at);
            }
            2 => {
                let escape = rng.pick(&ESCAPES).as_bytes().to_vec();
                bytes.splice(at..at, escape);
            }
            3 => {
                let (_, other) = rng.pick(seeds);
                let from = rng.below(other.len());
                let to = (from + rng.length(400)).min(other.len());
                bytes.splice(at..at, other.as_bytes()[from..to].iter().copied());
            }
            _ => {
                let odd = rng.pick(&ODD).as_bytes().to_vec();
                bytes.splice(at..at, odd);
            }
        }
        out = String::from_utf8_lossy(&bytes).into_owned();
    }
    out
}

/// Reads `text` as a model and, if it reads, compiles and checks it; whether
/// it read.
fn exercise(text: &str) -> bool {
    let Ok(model) = Model::from_json_str(text, "generated.json") else {
        return false;
    };
    check_units(&model);
    if !model.is_spatial() && !model.is_algebraic() {
        Kinetics::new(&model).expect("a kinetic model compiles");
    }
    true
}

/// The valid models of testdata/ (and its kinetics/ and nondim/ folders).
fn seeds() -> Vec<(Value, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let mut seeds = Vec::new();
    for dir in [root.clone(), root.join("kinetics"), root.join("nondim")] {
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        for p in paths {
            let raw = std::fs::read_to_string(&p).unwrap();
            if Model::from_json_str(&raw, "seed").is_ok() {
                seeds.push((serde_json::from_str(&raw).unwrap(), raw));
            }
        }
    }
    assert!(seeds.len() >= 20, "only {} seed models", seeds.len());
    seeds
}

/// What a run found.
struct Findings {
    count: u64,
    /// Inputs that read as models.
    valid: u64,
    panics: Vec<(u64, String, String)>,
    slowest: (Duration, u64),
}

/// Runs inputs `0..count` of stream `seed`, catching panics.
fn run(seed: u64, count: u64) -> Findings {
    let seeds = seeds();
    let mut found = Findings {
        count,
        valid: 0,
        panics: Vec::new(),
        slowest: (Duration::ZERO, 0),
    };
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for index in 0..count {
        let input = generate(&seeds, seed, index);
        let start = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            // The expression parser alone too, on the input as one expression.
            let _ = expr::parse(&input);
            exercise(&input)
        }));
        let took = start.elapsed();
        if took > found.slowest.0 {
            found.slowest = (took, index);
        }
        found.valid += u64::from(outcome.as_ref().is_ok_and(|valid| *valid));
        if let Err(payload) = outcome {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            found.panics.push((index, message, input));
        }
    }
    std::panic::set_hook(quiet);
    found
}

fn report(found: &Findings) -> String {
    let mut text = format!(
        "{} inputs ({} valid models), {} panics, slowest input #{} took {:.1} ms",
        found.count,
        found.valid,
        found.panics.len(),
        found.slowest.1,
        found.slowest.0.as_secs_f64() * 1e3
    );
    for (index, message, input) in found.panics.iter().take(5) {
        text.push_str(&format!(
            "\ninput #{index} panicked: {message}\n  input: {}",
            expr::excerpt(input)
        ));
    }
    text
}

#[test]
fn twenty_thousand_generated_models_are_read_without_a_panic() {
    let found = run(20_261_207, 20_000);
    assert!(found.panics.is_empty(), "{}", report(&found));
    // Generous: the slowest input takes milliseconds; a quadratic pass on a
    // long sum would take seconds.
    assert!(
        found.slowest.0 < Duration::from_secs(5),
        "{}",
        report(&found)
    );
}

/// bench/fuzz.sh: `PIML_FUZZ_COUNT` inputs (10⁶ by default) of stream
/// `PIML_FUZZ_SEED`; prints the count, panics and the slowest input.
#[test]
#[ignore = "long: run by bench/fuzz.sh"]
fn many_generated_models_are_read_without_a_panic() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (count, seed) = (env("PIML_FUZZ_COUNT", 1_000_000), env("PIML_FUZZ_SEED", 1));
    let start = Instant::now();
    let found = run(seed, count);
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "fuzz: {} ({seconds:.1} s, {:.0} inputs/s)",
        report(&found),
        count as f64 / seconds
    );
    if let Ok(dir) = std::env::var("PIML_FUZZ_SAMPLE_DIR") {
        // A sample for the tools' binaries: every thousandth input.
        let seeds = seeds();
        for index in (0..count).step_by(1000) {
            let path = Path::new(&dir).join(format!("input-{index}.json"));
            std::fs::write(path, generate(&seeds, seed, index)).unwrap();
        }
    }
    assert!(found.panics.is_empty(), "{}", report(&found));
}
