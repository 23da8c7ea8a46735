//! Shell completions and man pages, generated from each tool's clap definition: every tool
//! answers `--completions SHELL` (bash, zsh, fish, elvish, powershell) and `--man` given as its
//! only arguments, before its own parsing (so they work whatever else the tool requires).

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use clap_complete::Shell;

use crate::exit::{Classifier, main_with};

/// Parses the arguments of `C` and runs `body` through [`main_with`] (with the tool's error
/// `classifiers`); first answers the documentation requests `--completions SHELL` and `--man`.
pub fn main_parsed<C: Parser>(
    classifiers: &[Classifier],
    body: impl FnOnce(C) -> anyhow::Result<()>,
) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["--man"] => main_with(classifiers, || {
            let mut out = Vec::new();
            clap_mangen::Man::new(C::command()).render(&mut out)?;
            std::io::stdout().write_all(&out)?;
            Ok(())
        }),
        ["--completions", shell] => main_with(classifiers, || {
            let shell = Shell::from_str(shell, true).map_err(|_| {
                anyhow::anyhow!(
                    "--completions: '{shell}' is not one of bash, zsh, fish, elvish, powershell"
                )
            })?;
            let mut command = C::command();
            let name = command.get_name().to_string();
            clap_complete::generate(shell, &mut command, name, &mut std::io::stdout());
            Ok(())
        }),
        _ => main_with(classifiers, || body(C::parse())),
    }
}
