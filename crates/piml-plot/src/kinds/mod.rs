//! The kinds of picture: each reads its tables into a figure.

pub(crate) mod field;
mod history;
mod kymograph;
mod operator;
mod profile;
mod residuals;
mod trajectories;
mod waterfall;

use crate::error::{Error, Result};
use crate::figure::Figure;
use crate::{Inputs, Options};
use trajectories::Along;

/// What to draw, and from which tables (see each variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Time courses of `simulate` tables (the first table solid, further ones
    /// — fits, predictions — dashed), measurements as points.
    Trajectories,
    /// 1-D fields over x at chosen times (the first table solid, further ones dashed),
    /// measurements as points.
    Profiles,
    /// One species of a 1-D field over (x, t).
    Kymograph,
    /// One species of a 2-D field over (x, y) at chosen times.
    Field,
    /// A training history: `fit-pinn --history` or `fit-operator train --history`.
    History,
    /// |residual| of `fit-pinn --residuals` over (x, t).
    Residuals,
    /// `fit-operator predict` output (first table) against the truth (second).
    Operator,
    /// Profile likelihoods: parameter, value, objective or delta_chi2.
    Profile,
    /// Multistart objective values sorted: start, objective.
    Waterfall,
}

impl Kind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [Kind; 9] = [
        Kind::Trajectories,
        Kind::Profiles,
        Kind::Kymograph,
        Kind::Field,
        Kind::History,
        Kind::Residuals,
        Kind::Operator,
        Kind::Profile,
        Kind::Waterfall,
    ];

    /// The kind's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Trajectories => "trajectories",
            Kind::Profiles => "profiles",
            Kind::Kymograph => "kymograph",
            Kind::Field => "field",
            Kind::History => "history",
            Kind::Residuals => "residuals",
            Kind::Operator => "operator",
            Kind::Profile => "profile",
            Kind::Waterfall => "waterfall",
        }
    }

    /// How many tables the kind reads: at least, and at most.
    pub fn tables(self) -> (usize, usize) {
        match self {
            Kind::Trajectories | Kind::Profiles | Kind::Waterfall => (1, usize::MAX),
            Kind::Operator => (2, 2),
            _ => (1, 1),
        }
    }

    pub(crate) fn figure(self, inputs: Inputs<'_>, options: &Options) -> Result<Figure> {
        let (least, most) = self.tables();
        let n = inputs.tables.len();
        if n < least || n > most {
            let wanted = match (least, most) {
                (1, usize::MAX) => "one or more tables".to_string(),
                (a, b) if a == b => format!("{a} table{}", if a == 1 { "" } else { "s" }),
                (a, b) => format!("{a} to {b} tables"),
            };
            return Err(Error::Option(format!(
                "plot {} takes {wanted}, got {n}",
                self.name()
            )));
        }
        if inputs.data.is_some() && !matches!(self, Kind::Trajectories | Kind::Profiles) {
            return Err(Error::Option(format!(
                "--data overlays measurements on trajectories and profiles, not on plot {}",
                self.name()
            )));
        }
        let first = &inputs.tables[0];
        let mut figure = match self {
            Kind::Trajectories => {
                trajectories::figure(inputs.tables, inputs.data, options, Along::Time)?
            }
            Kind::Profiles => {
                trajectories::figure(inputs.tables, inputs.data, options, Along::Space)?
            }
            Kind::Kymograph => kymograph::figure(first, options)?,
            Kind::Field => field::figure(first, options)?,
            Kind::History => history::figure(first, options)?,
            Kind::Residuals => residuals::figure(first, options)?,
            Kind::Operator => operator::figure(first, &inputs.tables[1], options)?,
            Kind::Profile => profile::figure(first, options)?,
            Kind::Waterfall => waterfall::figure(inputs.tables, options)?,
        };
        if let Some(title) = &options.title {
            figure.title.clone_from(title);
        }
        Ok(figure)
    }
}
