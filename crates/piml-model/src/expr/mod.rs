//! The expression language: parse, print, simplify, differentiate, compile.

mod ast;
mod derive;
mod display;
mod parse;
pub mod simplify;
mod tape;

pub use ast::{BinOp, Expr, Func};
pub use derive::derivative;
pub use parse::{MAX_NESTING, ParseError, excerpt, parse};
pub use simplify::simplify;
pub use tape::{Tape, UnknownSymbol};

#[cfg(test)]
mod tests;
