use piml_fit::{Objective, Scored, Transform, minimise};
use piml_petab::{Fit, Problem, Settings};
use std::cell::Cell;

struct Traced<'a> {
    fit: Fit<'a>,
    calls: Cell<usize>,
}
impl Objective for Traced<'_> {
    fn estimates(&self) -> Vec<(Transform, Option<[f64; 2]>)> {
        self.fit.estimates()
    }
    fn score(&self, e: &[f64]) -> Result<Scored, String> {
        let r = self.fit.score(e);
        let n = self.calls.get();
        self.calls.set(n + 1);
        match &r {
            Ok(s) => eprintln!(
                "{n} nll {:.4} |g| {:.3e} theta {:?}",
                s.nll,
                s.gradient.iter().map(|g| g * g).sum::<f64>().sqrt(),
                e.iter()
                    .map(|v| format!("{:.2}", v.log10()))
                    .collect::<Vec<_>>()
            ),
            Err(m) => eprintln!("{n} ERR {m}"),
        }
        r
    }
}
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let problem = Problem::load(std::path::Path::new(&args[1])).unwrap();
    let start: usize = args[2].parse().unwrap();
    let iters: u64 = args[3].parse().unwrap();
    let fit = Fit::new(
        &problem,
        Settings {
            rtol: 1e-8,
            atol: 1e-10,
            ..Settings::default()
        },
    );
    let s = fit.start(start, 1);
    let full = fit.full(&s);
    for tol in [1e-6, 1e-8, 1e-10] {
        let st = Settings {
            rtol: tol,
            atol: tol * 1e-2,
            ..Settings::default()
        };
        eprintln!(
            "no gradient rtol {tol}: {:?}",
            problem
                .evaluate(&full, &st, false)
                .map(|e| e.log_likelihood)
        );
        eprintln!(
            "gradient rtol {tol}: {:?}",
            problem.evaluate(&full, &st, true).map(|e| e.log_likelihood)
        );
    }
    let t = Traced {
        fit,
        calls: Cell::new(0),
    };
    let method = if args.len() > 4 {
        piml_fit::Method::Lbfgs
    } else {
        piml_fit::Method::LevenbergMarquardt
    };
    let o = minimise(
        &t,
        &s,
        &piml_fit::Settings {
            max_iterations: iters,
            method,
            ..piml_fit::Settings::default()
        },
    );
    eprintln!("{} {} {}", o.nll, o.iterations, o.message);
}
