//! The model's equations as functions of a network's output jets, compiled to tapes together
//! with their exact partial derivatives (symbolic, through piml-model's `derivative`).
//!
//! The residual of species i is r_i = ∂u_i/∂t − ∇·(D_i ∇u_i) − R_i(u, θ, t, x), with the flux
//! divergence expanded exactly: ∇·(D∇u) = Σ_c D ∂²u/∂c² + (∂D/∂c + Σ_j ∂D/∂u_j ∂u_j/∂c) ∂u/∂c,
//! so that a diffusion coefficient that depends on x or on the species is handled as written.

use piml_model::expr::derivative;
use piml_model::expr::simplify::{add, mul, sub};
use piml_model::{Expr, Model, Tape};

use crate::Error;

/// Names of the quantities a tape reads: the coordinates (t, then x, y), every model parameter,
/// and the jets of every species in the stream order of the interior points.
#[derive(Debug, Clone)]
pub(crate) struct Symbols {
    pub coords: Vec<String>,
    pub params: Vec<String>,
    pub species: Vec<String>,
}

impl Symbols {
    pub fn of_model(model: &Model) -> Symbols {
        let mut coords = vec!["t".to_string()];
        coords.extend(model.space.iter().map(|(name, _)| name.clone()));
        Symbols {
            coords,
            params: model.parameters.iter().map(|p| p.name.clone()).collect(),
            species: model.species.iter().map(|s| s.name.clone()).collect(),
        }
    }

    /// Streams of an interior point: the value, ∂/∂c for every coordinate, ∂²/∂c² for every
    /// space coordinate (the layout of `JetSpec::new(&[0, 1, …], &[1, …])`).
    pub fn streams(&self) -> usize {
        2 * self.coords.len()
    }

    /// The name of stream `stream` of species `species`: `u`, `u't`, `u'x`, `u''x`, …
    /// (a quote cannot appear in a model name, so these never collide).
    pub fn jet(&self, species: usize, stream: usize) -> String {
        let s = &self.species[species];
        let nc = self.coords.len();
        match stream {
            0 => s.clone(),
            k if k <= nc => format!("{s}'{}", self.coords[k - 1]),
            k => format!("{s}''{}", self.coords[k - nc]),
        }
    }

    fn jets(&self) -> Vec<String> {
        (0..self.species.len())
            .flat_map(|j| (0..self.streams()).map(move |s| (j, s)))
            .map(|(j, s)| self.jet(j, s))
            .collect()
    }

    /// Tape inputs: coordinates, parameters, then `tail`.
    fn inputs(&self, tail: &[String]) -> Vec<String> {
        let mut v = self.coords.clone();
        v.extend(self.params.iter().cloned());
        v.extend(tail.iter().cloned());
        v
    }
}

/// Functions f_1..f_n compiled with their Jacobian with respect to chosen inputs: one tape
/// whose outputs are f, then ∂f_i/∂w_j row by row.
#[derive(Debug, Clone)]
pub(crate) struct Differentiated {
    tape: Tape,
    pub n_f: usize,
    pub n_wrt: usize,
}

impl Differentiated {
    pub fn new(exprs: &[Expr], wrt: &[String], inputs: &[String]) -> Result<Self, String> {
        let mut all = exprs.to_vec();
        for e in exprs {
            all.extend(wrt.iter().map(|w| derivative(e, w)));
        }
        let tape = Tape::compile(&all, inputs).map_err(|e| e.to_string())?;
        Ok(Differentiated {
            tape,
            n_f: exprs.len(),
            n_wrt: wrt.len(),
        })
    }

    /// Length of the output buffer: values then Jacobian.
    pub fn outputs(&self) -> usize {
        self.n_f * (1 + self.n_wrt)
    }

    pub fn eval(&self, parts: &[&[f64]], out: &mut [f64]) {
        self.tape.eval_parts(parts, out);
    }

    /// ∂f_i/∂w_j in an output buffer.
    pub fn jacobian(&self, out: &[f64], i: usize, j: usize) -> f64 {
        out[self.jacobian_output(i, j)]
    }

    /// The output that holds ∂f_i/∂w_j.
    pub fn jacobian_output(&self, i: usize, j: usize) -> usize {
        self.n_f + i * self.n_wrt + j
    }

    /// Evaluates `rows` points at once, inputs stacked input after input, outputs likewise
    /// (see [`Tape::eval_stacked`]).
    pub fn eval_stacked(&self, inputs: &[f64], rows: usize, out: &mut [f64], work: &mut Vec<f64>) {
        self.tape.eval_stacked(inputs, rows, out, work);
    }
}

/// Every compiled piece of the physics of one model.
#[derive(Debug, Clone)]
pub(crate) struct Physics {
    pub symbols: Symbols,
    /// r_i over (coords, params, jets), differentiated by every jet then every unknown.
    pub residual: Differentiated,
    /// u0_k over (coords, params), differentiated by every unknown.
    pub initial: Differentiated,
    /// u0_k and its space derivatives (the jets a hard initial condition needs), in stream
    /// order without the time derivative: u0, ∂u0/∂x…, ∂²u0/∂x²…
    pub initial_jets: Differentiated,
    /// Observables over (coords, params, species values), differentiated by every species, then
    /// every unknown; only the observables the data has, in `observed` order.
    pub observables: Differentiated,
}

impl Physics {
    pub fn new(model: &Model, unknowns: &[String], observed: &[usize]) -> Result<Self, Error> {
        let symbols = Symbols::of_model(model);
        let fail = |what: &str, why: String| Error::Input(format!("{what}: {why}"));
        let jets = symbols.jets();
        let mut wrt = jets.clone();
        wrt.extend(unknowns.iter().cloned());
        let residual =
            Differentiated::new(&residuals(model, &symbols), &wrt, &symbols.inputs(&jets))
                .map_err(|e| fail("the equations", e))?;
        let u0: Vec<Expr> = model.species.iter().map(|s| s.initial.clone()).collect();
        let space = &symbols.coords[1..];
        let initial = Differentiated::new(&u0, unknowns, &symbols.inputs(&[]))
            .map_err(|e| fail("initial values", e))?;
        let mut u0_jets = u0.clone();
        for c in space {
            u0_jets.extend(u0.iter().map(|e| derivative(e, c)));
        }
        for c in space {
            u0_jets.extend(u0.iter().map(|e| derivative(&derivative(e, c), c)));
        }
        let initial_jets = Differentiated::new(&u0_jets, &[], &symbols.inputs(&[]))
            .map_err(|e| fail("initial values", e))?;
        let obs: Vec<Expr> = observed
            .iter()
            .map(|&o| model.observables[o].expr.clone())
            .collect();
        let mut wrt_obs = symbols.species.clone();
        wrt_obs.extend(unknowns.iter().cloned());
        let observables = Differentiated::new(&obs, &wrt_obs, &symbols.inputs(&symbols.species))
            .map_err(|e| fail("observables", e))?;
        Ok(Physics {
            symbols,
            residual,
            initial,
            initial_jets,
            observables,
        })
    }

    /// Dirichlet values g_k of one side over (coords, params), differentiated by the unknowns.
    pub fn dirichlet(&self, values: &[Expr], unknowns: &[String]) -> Result<Differentiated, Error> {
        Differentiated::new(values, unknowns, &self.symbols.inputs(&[]))
            .map_err(|e| Error::Input(format!("Dirichlet boundary values: {e}")))
    }
}

/// The residual expression of every species.
fn residuals(model: &Model, symbols: &Symbols) -> Vec<Expr> {
    let reactions = model.reaction_terms();
    let nc = symbols.coords.len();
    model
        .species
        .iter()
        .enumerate()
        .map(|(i, species)| {
            let mut divergence = Expr::Num(0.0);
            if let Some(d) = &species.diffusion {
                for (c, coord) in symbols.coords.iter().enumerate().skip(1) {
                    let first = Expr::var(&symbols.jet(i, 1 + c));
                    let second = Expr::var(&symbols.jet(i, nc + c));
                    let mut slope = derivative(d, coord);
                    for j in 0..symbols.species.len() {
                        let by_species = derivative(d, &symbols.species[j]);
                        slope = add(slope, mul(by_species, Expr::var(&symbols.jet(j, 1 + c))));
                    }
                    divergence = add(divergence, add(mul(d.clone(), second), mul(slope, first)));
                }
            }
            let time = Expr::var(&symbols.jet(i, 1));
            sub(sub(time, divergence), reactions[i].clone())
        })
        .collect()
}
