use super::*;

fn eval_at(src: &str, vars: &[(&str, f64)]) -> f64 {
    let e = parse(src).unwrap();
    e.eval(&|s| vars.iter().find(|(n, _)| *n == s).map(|(_, v)| *v))
}

#[test]
fn precedence_and_associativity() {
    assert_eq!(eval_at("1 + 2 * 3", &[]), 7.0);
    assert_eq!(eval_at("(1 + 2) * 3", &[]), 9.0);
    assert_eq!(eval_at("2 ^ 3 ^ 2", &[]), 512.0); // right-associative
    assert_eq!(eval_at("-2 ^ 2", &[]), -4.0); // unary minus binds looser than ^
    assert_eq!(eval_at("2 ^ -1", &[]), 0.5);
    assert_eq!(eval_at("8 / 4 / 2", &[]), 1.0); // left-associative
    assert_eq!(eval_at("10 - 4 - 3", &[]), 3.0);
    assert_eq!(eval_at("--3", &[]), 3.0);
    assert_eq!(eval_at("1e-3 * 2E2", &[]), 0.2);
    assert_eq!(eval_at(".5 + 1.", &[]), 1.5);
    assert_eq!(eval_at("2*-x", &[("x", 3.0)]), -6.0);
}

#[test]
fn functions() {
    assert_eq!(
        eval_at("mm(S, Vmax, Km)", &[("S", 2.0), ("Vmax", 3.0), ("Km", 4.0)]),
        1.0
    );
    let h = eval_at("hill(S, 2, 3, 2)", &[("S", 3.0)]);
    assert!((h - 1.0).abs() < 1e-15);
    assert_eq!(eval_at("max(1, min(5, 3))", &[]), 3.0);
    assert_eq!(eval_at("pow(2, 10)", &[]), 1024.0);
    assert!((eval_at("exp(log(7))", &[]) - 7.0).abs() < 1e-14);
}

#[test]
fn parse_errors_say_where() {
    let err = |s: &str| parse(s).unwrap_err().to_string();
    assert_eq!(
        err("(a + b"),
        "expected ')', found end of expression at column 7"
    );
    assert_eq!(err("a + b)"), "unbalanced ')' at column 6");
    assert_eq!(err(""), "empty expression at column 1");
    assert_eq!(
        err("a + * b"),
        "expected a number, a name or '(', found '*' at column 5"
    );
    assert_eq!(err("mm(S, V)"), "mm() takes 3 arguments, got 2 at column 1");
    assert_eq!(
        err("exq(x)"),
        "unknown function 'exq' (did you mean 'exp'?) at column 1"
    );
    assert_eq!(err("a $ b"), "unexpected character '$' at column 3");
    assert_eq!(
        err("a b"),
        "unexpected 'b' after a complete expression at column 3"
    );
}

#[test]
fn printing_round_trips() {
    for src in [
        "a - (b - c)",
        "a / (b * c)",
        "-x^2",
        "(-x)^2",
        "2^3^2",
        "(2^3)^2",
        "hill(S, V, K, n) - mm(S, V, K) * 1e-7",
        "-(a + b) * c",
        "a * (b + c) / (d - e)",
        "x^-1.5",
    ] {
        let e = parse(src).unwrap();
        let printed = e.to_string();
        assert_eq!(parse(&printed).unwrap(), e, "{src} printed as {printed}");
    }
    assert_eq!(parse("a - (b - c)").unwrap().to_string(), "a - (b - c)");
    assert_eq!(
        parse("((a)) * ((b + c))").unwrap().to_string(),
        "a * (b + c)"
    );
}

#[test]
fn simplification_removes_trivial_terms() {
    let s = |src: &str| simplify(&parse(src).unwrap()).to_string();
    assert_eq!(s("0 * x + 1 * y + z ^ 1 - 0"), "y + z");
    assert_eq!(s("2 * (3 * x)"), "6 * x");
    assert_eq!(s("-(-x)"), "x");
    assert_eq!(s("x - x"), "0");
    assert_eq!(s("x / x"), "1");
    assert_eq!(s("a + -b"), "a - b");
    assert_eq!(s("exp(0) + 2 ^ 3"), "9");
}

/// Central difference with a step balanced between truncation and rounding.
fn central(e: &Expr, var: &str, at: &[(&str, f64)]) -> f64 {
    let v0 = at.iter().find(|(n, _)| *n == var).unwrap().1;
    let h = 1e-6 * v0.abs().max(1.0);
    let f = |v: f64| {
        e.eval(&|s| {
            if s == var {
                Some(v)
            } else {
                at.iter().find(|(n, _)| *n == s).map(|(_, x)| *x)
            }
        })
    };
    (f(v0 + h) - f(v0 - h)) / (2.0 * h)
}

#[test]
fn derivatives_match_finite_differences() {
    let at = [
        ("S", 1.7),
        ("V", 2.3),
        ("K", 0.8),
        ("n", 2.4),
        ("x", 0.3),
        ("y", -1.2),
    ];
    for src in [
        "mm(S, V, K)",
        "hill(S, V, K, n)",
        "S^n * exp(-x) / (K + sqrt(S))",
        "V^x",
        "log(S) * sin(x) - cos(y) * tanh(S * x)",
        "abs(y) * x + max(S, K) - min(x, y)",
        "pow(S, 2.5) - 3 / (y^2 + 1)",
        "-(S - V)^3 / K",
    ] {
        let e = parse(src).unwrap();
        for (var, _) in at {
            let exact =
                derivative(&e, var).eval(&|s| at.iter().find(|(n, _)| *n == s).map(|(_, v)| *v));
            let fd = central(&e, var, &at);
            // FD truncation O(h²) plus rounding O(eps/h) ≈ 1e-10 relative here.
            assert!(
                (exact - fd).abs() <= 1e-7 * (1.0 + fd.abs()),
                "d({src})/d{var}: exact {exact}, fd {fd}"
            );
        }
    }
}

#[test]
fn derivatives_are_simplified() {
    let d = |src: &str, v: &str| derivative(&parse(src).unwrap(), v).to_string();
    assert_eq!(d("k1*A*B", "A"), "k1 * B");
    assert_eq!(d("3*x^2", "x"), "6 * x");
    assert_eq!(d("r*u*(1 - u/K)", "r"), "u * (1 - u / K)");
    assert_eq!(d("exp(2*t)", "x"), "0");
}

#[test]
fn tape_matches_tree_on_points_and_columns() {
    let exprs: Vec<Expr> = [
        "mm(S, V, K) + S*S",
        "hill(S, V, K, 2) - exp(-S)",
        "S*S + 3",
        "-V/K",
    ]
    .iter()
    .map(|s| parse(s).unwrap())
    .collect();
    let names = ["S", "V", "K"];
    let tape = Tape::compile(&exprs, &names).unwrap();
    // S*S appears twice and is computed once.
    assert!(
        tape.len() < 14,
        "no common subexpressions shared: {} ops",
        tape.len()
    );
    let mut scratch = tape.scratch();
    let mut out = vec![0.0; 4];
    // More rows than one parallel block (4096), and not a multiple of it.
    let n = 10_000;
    let s_col: Vec<f64> = (0..n).map(|i| 0.01 * i as f64).collect();
    let v_col = vec![2.0; n];
    let k_col: Vec<f64> = (0..n).map(|i| 1.0 + 0.001 * i as f64).collect();
    let mut cols = vec![Vec::new(); 4];
    tape.eval_columns(&[&s_col, &v_col, &k_col], &mut cols);
    // The one-thread form into caller buffers, its work area reused for a
    // second, shorter call (a stale longer output must be cut to length).
    let (mut into, mut work) = (vec![Vec::new(); 4], Vec::new());
    tape.eval_columns_into(
        &[&s_col[..9], &v_col[..9], &k_col[..9]],
        &mut into,
        &mut work,
    );
    tape.eval_columns_into(&[&s_col, &v_col, &k_col], &mut into, &mut work);
    let mut short = vec![vec![f64::NAN; n]; 4];
    tape.eval_columns_into(
        &[&s_col[..300], &v_col[..300], &k_col[..300]],
        &mut short,
        &mut work,
    );
    // Stacked inputs in one buffer: a small batch, then one across a chunk boundary (256).
    let mut stacked = Vec::new();
    for rows in [5, 300] {
        let inputs: Vec<f64> = [&s_col, &v_col, &k_col]
            .iter()
            .flat_map(|c| c[..rows].iter().copied())
            .collect();
        stacked = vec![f64::NAN; 4 * rows];
        tape.eval_stacked(&inputs, rows, &mut stacked, &mut work);
    }
    for r in 0..n {
        let vals = [s_col[r], v_col[r], k_col[r]];
        tape.eval(&vals, &mut scratch, &mut out);
        for (j, e) in exprs.iter().enumerate() {
            let tree = e.eval(&|s| names.iter().position(|n| *n == s).map(|i| vals[i]));
            assert_eq!(out[j].to_bits(), tree.to_bits());
            assert_eq!(cols[j][r].to_bits(), tree.to_bits());
            assert_eq!(into[j][r].to_bits(), tree.to_bits());
            if r < 300 {
                assert_eq!(short[j][r].to_bits(), tree.to_bits());
                assert_eq!(stacked[j * 300 + r].to_bits(), tree.to_bits());
            }
        }
    }
    assert!(short.iter().all(|c| c.len() == 300));
    assert_eq!(
        Tape::compile(&[parse("Sx + 1").unwrap()], &names).unwrap_err(),
        UnknownSymbol("Sx".into())
    );
}

/// `first op operand op operand …` evaluated left to right, as written.
fn left_to_right(ops: &[char], values: &[f64]) -> f64 {
    ops.iter()
        .zip(&values[1..])
        .fold(values[0], |acc, (op, v)| match op {
            '+' => acc + v,
            '-' => acc - v,
            '*' => acc * v,
            _ => acc / v,
        })
}

#[test]
fn long_chains_are_balanced_and_keep_their_value() {
    // Operators from a fixed pattern with runs of each, so that halves
    // start with every operator, inverted or not.
    for (pair, n) in [(['+', '-'], 9), (['+', '-'], 1000), (['*', '/'], 300)] {
        let ops: Vec<char> = (0..n - 1).map(|i| pair[(i * i / 3 + i / 5) % 2]).collect();
        let values: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64 / 8.0).collect();
        let mut src = format!("v{}", 0);
        for (i, op) in ops.iter().enumerate() {
            src.push_str(&format!(" {op} v{}", i + 1));
        }
        let e = parse(&src).unwrap();
        let got = e.eval(&|s| s[1..].parse::<usize>().ok().map(|i| values[i]));
        let want = left_to_right(&ops, &values);
        assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{n} operands of {pair:?}: {got} against {want}"
        );
        assert!(depth(&e) <= 12, "{n} operands: {} deep", depth(&e));
    }
    // Short chains keep the written shape.
    let short = parse("a - b - c + d").unwrap();
    assert_eq!(short.to_string(), "a - b - c + d");
    assert_eq!(depth(&short), 4);
}

fn depth(e: &Expr) -> usize {
    1 + match e {
        Expr::Num(_) | Expr::Var(_) => 0,
        Expr::Neg(a) => depth(a),
        Expr::Bin(_, a, b) => depth(a).max(depth(b)),
        Expr::Call(_, args) => args.iter().map(depth).max().unwrap_or(0),
    }
}

#[test]
fn nesting_deeper_than_the_limit_is_refused_where_it_starts() {
    let too_deep = |prefix: &str, middle: &str, suffix: &str| {
        let src = format!("{}{middle}{}", prefix.repeat(10_000), suffix.repeat(10_000));
        parse(&src).unwrap_err()
    };
    for err in [
        too_deep("(", "x", ")"),
        too_deep("-", "x", ""),
        too_deep("x^", "x", ""),
        too_deep("exp(", "x", ")"),
        too_deep("max(1, ", "x", ")"),
    ] {
        assert!(
            err.message == format!("expression nested deeper than {MAX_NESTING} levels"),
            "{err}"
        );
    }
    assert_eq!(too_deep("(", "x", ")").column, MAX_NESTING + 1);
    let at_limit = format!("{}x{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert_eq!(parse(&at_limit).unwrap(), Expr::var("x"));
}

/// The deepest trees the parser builds, a long sum and the longest chains
/// kept left-leaning nested to the limit (each level 14 nodes deeper), go
/// through every pass on a worker thread's stack (2 MiB).
#[test]
fn every_pass_survives_the_deepest_trees_on_a_small_stack() {
    let long_sum = vec!["k*S"; 20_000].join(" + ");
    let mut nested = "-x^-S".to_string();
    for _ in 3..MAX_NESTING {
        nested = format!("({nested})*b*c*d*e*f*g*h - a - a - a - a - a - a - a");
    }
    let calls = format!("{}S{}", "exp(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            for src in [&long_sum, &nested, &calls] {
                let e = parse(src).unwrap();
                let d = simplify(&derivative(&e, "S"));
                assert!(!d.to_string().is_empty());
                let names = ["k", "S", "a", "b", "c", "d", "e", "f", "g", "h", "x"];
                Tape::compile(&[e.clone(), d], &names).unwrap();
                crate::units::infer_units(&e, &Default::default(), crate::units::Numbers::Free);
                assert_eq!(parse(&e.to_string()).unwrap(), e);
            }
            assert!(depth(&parse(&nested).unwrap()) > 14 * (MAX_NESTING - 3));
        })
        .unwrap()
        .join()
        .unwrap();
}
