//! `sample-collocation`: where a physics-informed network enforces its equations.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use piml_cli::{CommonArgs, warn};
use piml_io::{Outputs, Provenance, Table, read_table};
use piml_sampling::{Domain, Method, PointSet, Set, adaptive, centred_l2_discrepancy};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

const EXAMPLE: &str = "\
Examples:
  # 20 000 interior, 2 000 boundary and 1 000 initial points, scrambled Sobol
  sample-collocation fisher-kpp.json -o colloc.parquet \\
      --interior 20000 --boundary 2000 --initial 1000 --method sobol --seed 1 --report colloc.json

  # 5 000 new interior points where the residual of a trained network is large (RAD)
  sample-collocation fisher-kpp.json -o new.parquet \\
      --from residuals.parquet --method rad --k 1 --c 1 --interior 5000 --seed 2";

/// Collocation points for physics-informed training: interior points in
/// space-time, boundary points on every non-periodic side (shared in
/// proportion to the sides' measures), initial points at t0; or new interior
/// points drawn where a network's residual is large.
#[derive(Debug, Parser)]
#[command(name = "sample-collocation", version, after_help = EXAMPLE, allow_negative_numbers = true)]
struct Args {
    /// Model file (JSON): its time span, space spans and boundary conditions
    model: PathBuf,
    /// Output table: .parquet, or .csv; - writes Parquet to stdout
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Interior points (with --from: the number of new points)
    #[arg(long, value_name = "N", default_value_t = 0)]
    interior: usize,
    /// Boundary points, shared among the non-periodic sides by their measure
    #[arg(long, value_name = "N", default_value_t = 0)]
    boundary: usize,
    /// Initial points at the start of the time span
    #[arg(long, value_name = "N", default_value_t = 0)]
    initial: usize,
    /// Design: uniform, grid, lhs, sobol, halton; with --from: rad or rar
    #[arg(long, value_enum, default_value_t = MethodArg::Sobol)]
    method: MethodArg,
    /// Residual table (t, x, y as the model has them, and `residual`) to resample from
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// RAD exponent k in p ∝ |r|^k / mean(|r|^k) + c [default: 1]
    #[arg(long, value_name = "K")]
    k: Option<f64>,
    /// RAD uniform share c in p ∝ |r|^k / mean(|r|^k) + c [default: 1]
    #[arg(long, value_name = "C")]
    c: Option<f64>,
    /// Add a `weight` column: each point's share of its set's measure (quadrature weights)
    #[arg(long)]
    weights: bool,
    /// Write set sizes and discrepancies to this JSON file
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Largest number of points per set whose discrepancy is computed (O(N²))
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    discrepancy_points: usize,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MethodArg {
    Uniform,
    Grid,
    Lhs,
    Sobol,
    Halton,
    /// Residual-based adaptive distribution (Wu et al. 2023), with --from
    Rad,
    /// The points of largest residual (RAR, Lu et al. 2021), with --from
    Rar,
}

impl MethodArg {
    fn design(self) -> Option<Method> {
        match self {
            MethodArg::Uniform => Some(Method::Uniform),
            MethodArg::Grid => Some(Method::Grid),
            MethodArg::Lhs => Some(Method::Lhs),
            MethodArg::Sobol => Some(Method::Sobol),
            MethodArg::Halton => Some(Method::Halton),
            MethodArg::Rad | MethodArg::Rar => None,
        }
    }
}

/// Independent random streams of one seed: a set's points do not change when
/// another set's count does.
fn stream(seed: u64, set: Set) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(set as u64);
    rng
}

fn main() -> ExitCode {
    piml_cli::main_parsed(piml_cli::errors![piml_sampling::Error], run)
}

fn run(args: Args) -> Result<()> {
    let outputs: Vec<&Path> = std::iter::once(&args.output)
        .chain(&args.report)
        .map(PathBuf::as_path)
        .collect();
    let inputs: Vec<&Path> = args.from.iter().map(PathBuf::as_path).collect();
    let model = args.common.start(&args.model, &inputs, &outputs)?;
    let domain = Domain::from_model(&model).with_context(|| args.model.display().to_string())?;
    check_flags_fit(&args)?;
    let points: f64 = [args.interior, args.boundary, args.initial]
        .iter()
        .map(|&n| n as f64)
        .sum();
    // Each point's coordinates, set and weight, drawn and then copied into the table.
    piml_cli::check_memory(
        &format!(
            "--interior {} --boundary {} --initial {}",
            args.interior, args.boundary, args.initial
        ),
        points * (model.space.len() + 4) as f64 * 8.0 * 2.0,
    )?;

    let started = Instant::now();
    let (sets, mut report) = match (&args.from, args.method.design()) {
        (Some(from), None) => resample(&args, from, &domain)?,
        (None, Some(method)) => sample(&args, method, &domain)?,
        _ => unreachable!("check_flags_fit pairs --from with rad and rar"),
    };
    let sampling_seconds = started.elapsed().as_secs_f64();

    let provenance = Provenance::from_env("sample-collocation", Some(args.common.seed));
    let mut table = collocation_table(&domain, &sets, args.weights);
    table.set_metadata(provenance.table_metadata(&model.source_json()));
    let mut written = Outputs::default();
    written.table(&args.output, &table)?;

    if let Some(path) = &args.report {
        let started = Instant::now();
        let sets_report = set_reports(&args, &sets);
        report["rows"] = table.n_rows().into();
        report["sets"] = sets_report;
        report["discrepancy"] = json!({
            "kind": "centred L2 discrepancy, squared (Hickernell 1998), in the unit cube of the axes each set varies along",
            "max_points": args.discrepancy_points,
            "note": "a set with more points is measured on its first max_points points: a prefix of a Sobol or Halton sequence is itself low-discrepancy, a prefix of a Latin hypercube is not a Latin hypercube",
        });
        report["seconds"] = json!({
            "sampling": sampling_seconds,
            "discrepancy": started.elapsed().as_secs_f64(),
        });
        written.json(path, &provenance.document(&model.name, report))?;
    }
    Ok(written.commit()?)
}

/// Rejects flags that do not apply to the mode (fresh points or resampling).
fn check_flags_fit(args: &Args) -> Result<()> {
    let adaptive = args.method.design().is_none();
    match (&args.from, adaptive) {
        (None, true) => bail!("--method rad and rar resample a residual table: give --from FILE"),
        (Some(_), false) => bail!("--from resamples with --method rad or rar"),
        _ => {}
    }
    if (args.k.is_some() || args.c.is_some()) && args.method != MethodArg::Rad {
        bail!("--k and --c apply to --method rad");
    }
    if adaptive {
        if args.boundary > 0 || args.initial > 0 {
            bail!("--from draws new interior points only: give their number with --interior");
        }
        if args.interior == 0 {
            bail!("--from: give the number of new points with --interior N");
        }
        if args.weights {
            bail!("--weights applies to fresh points, not to resampled ones");
        }
    } else if [args.interior, args.boundary, args.initial] == [0, 0, 0] {
        bail!("no points asked for: give --interior, --boundary and/or --initial");
    }
    Ok(())
}

/// Fresh points: the interior, the sides and the initial time, each from its
/// own random stream.
fn sample(args: &Args, method: Method, domain: &Domain) -> Result<(Vec<PointSet>, Value)> {
    let seed = args.common.seed;
    let mut sets =
        vec![domain.interior(method, args.interior, &mut stream(seed, Set::Interior))?];
    sets.extend(domain.boundary(method, args.boundary, &mut stream(seed, Set::Boundary))?);
    sets.push(domain.initial(method, args.initial, &mut stream(seed, Set::Initial))?);
    sets.retain(|s| !s.is_empty());
    for (set, asked) in [
        (Set::Interior, args.interior),
        (Set::Boundary, args.boundary),
        (Set::Initial, args.initial),
    ] {
        let made: usize = sets
            .iter()
            .filter(|s| s.set == set)
            .map(PointSet::len)
            .sum();
        if made != asked {
            warn(format_args!(
                "--{} {asked} with --method grid: {made} points, the nearest full grid{}",
                set.name(),
                if set == Set::Boundary {
                    "s on the sides"
                } else {
                    ""
                }
            ));
        }
    }
    Ok((sets, json!({ "method": method.name() })))
}

/// New interior points chosen among the rows of a residual table.
fn resample(args: &Args, from: &Path, domain: &Domain) -> Result<(Vec<PointSet>, Value)> {
    let table = read_table(from)?;
    let axes: Vec<&str> = domain.axes.iter().map(|(n, _)| n.as_str()).collect();
    let mut needed = axes.clone();
    needed.push("residual");
    table.require_columns(&needed)?;
    let mut known = needed.clone();
    known.extend(["set", "side", "weight"]);
    let ignored = table.unknown_columns(&known);
    if !ignored.is_empty() {
        warn(format_args!(
            "{}: ignoring column{} {}",
            from.display(),
            if ignored.len() == 1 { "" } else { "s" },
            ignored.join(", ")
        ));
    }
    let residuals = table.f64_values("residual")?;
    let mut rng = stream(args.common.seed, Set::Interior);
    let (chosen, k, c) = match args.method {
        MethodArg::Rad => {
            let (k, c) = (args.k.unwrap_or(1.0), args.c.unwrap_or(1.0));
            (
                adaptive::rad(&residuals, k, c, args.interior, &mut rng),
                Some(k),
                Some(c),
            )
        }
        _ => (adaptive::rar(&residuals, args.interior), None, None),
    };
    let chosen = chosen.with_context(|| format!("--from {}", from.display()))?;
    let mut columns = Vec::new();
    for name in &axes {
        let values = table.f64_values(name)?;
        let column = chosen
            .iter()
            .map(|&i| {
                values[i].filter(|v| v.is_finite()).with_context(|| {
                    format!(
                        "--from {}: row {}: '{name}' is not a finite number",
                        from.display(),
                        i + 1
                    )
                })
            })
            .collect::<Result<Vec<f64>>>()?;
        columns.push(column);
    }
    let mut distinct = chosen.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let set = domain.interior_at(columns);
    let report = json!({
        "method": format!("{:?}", args.method).to_lowercase(),
        "from": from.display().to_string(),
        "candidates": residuals.len(),
        "k": k,
        "c": c,
        "distinct_points": distinct.len(),
    });
    Ok((vec![set], report))
}

/// The collocation table of DESIGN.md: the axes, `set`, `side` for spatial
/// models (null off the boundary), and `weight` when asked.
fn collocation_table(domain: &Domain, sets: &[PointSet], weights: bool) -> Table {
    let mut table = Table::new();
    for (a, (name, _)) in domain.axes.iter().enumerate() {
        let column = sets
            .iter()
            .flat_map(|s| s.columns[a].iter().map(|&v| Some(v)));
        table.push_f64(name, column.collect());
    }
    let per_row = |f: &dyn Fn(&PointSet) -> Option<String>| -> Vec<Option<String>> {
        sets.iter()
            .flat_map(|s| std::iter::repeat_n(f(s), s.len()))
            .collect()
    };
    table.push_utf8("set", per_row(&|s| Some(s.set.name().to_string())));
    if domain.axes.len() > 1 {
        table.push_utf8(
            "side",
            per_row(&|s| s.side.as_ref().map(|d| d.label.clone())),
        );
    }
    if weights {
        let column = sets
            .iter()
            .flat_map(|s| std::iter::repeat_n(Some(s.measure / s.len() as f64), s.len()));
        table.push_f64("weight", column.collect());
    }
    table
}

/// Points and discrepancy per set (and per side).
fn set_reports(args: &Args, sets: &[PointSet]) -> Value {
    let cap = args.discrepancy_points;
    let one = |s: &PointSet| {
        let unit = s.unit_prefix(cap);
        let discrepancy = (!unit.is_empty()).then(|| centred_l2_discrepancy(&unit));
        json!({
            "points": s.len(),
            "measure": s.measure,
            "discrepancy": discrepancy,
            "discrepancy_points": s.len().min(cap),
        })
    };
    let mut out = serde_json::Map::new();
    for (set, asked) in [
        (Set::Interior, args.interior),
        (Set::Boundary, args.boundary),
        (Set::Initial, args.initial),
    ] {
        let of_set: Vec<&PointSet> = sets.iter().filter(|s| s.set == set).collect();
        let mut entry = match (set, of_set.as_slice()) {
            (Set::Boundary, _) => json!({
                "points": of_set.iter().map(|s| s.len()).sum::<usize>(),
                "sides": of_set.iter().map(|s| {
                    let mut e = one(s);
                    e["side"] = s.side.as_ref().map(|d| d.label.clone()).into();
                    e
                }).collect::<Vec<_>>(),
            }),
            (_, [s]) => one(s),
            _ => json!({ "points": 0 }),
        };
        entry["asked"] = asked.into();
        out.insert(set.name().to_string(), entry);
    }
    Value::Object(out)
}
