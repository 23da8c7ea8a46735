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
        _ => main_with(classifiers, || {
            let argv = attach_negative_values(&C::command(), std::env::args_os().collect());
            body(C::parse_from(argv))
        }),
    }
}

/// `--rtol -1e-8` and `--shard -1/4` as `--rtol=-1e-8` and `--shard=-1/4`: clap takes a value
/// that starts with `-` for a flag unless it looks like a plain number to it, which `-1e-8`
/// (an exponent's sign) and `-1/4` do not; the value then reaches the flag's own parser, whose
/// message says what is wrong with it. Only options that take a value are joined, and only to
/// a value that starts with `-` and a digit or a point.
fn attach_negative_values(
    command: &clap::Command,
    argv: Vec<std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    fn takes_value(command: &clap::Command, long: &str) -> bool {
        command
            .get_arguments()
            .any(|a| a.get_long() == Some(long) && a.get_action().takes_values())
            || command.get_subcommands().any(|s| takes_value(s, long))
    }
    let negative = |v: &str| {
        v.strip_prefix('-')
            .and_then(|r| r.chars().next())
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
    };
    let mut out = Vec::with_capacity(argv.len());
    let mut tokens = argv.into_iter().peekable();
    while let Some(token) = tokens.next() {
        let flag = token
            .to_str()
            .and_then(|t| t.strip_prefix("--"))
            .filter(|f| !f.contains('=') && takes_value(command, f));
        match (flag, tokens.peek().and_then(|v| v.to_str())) {
            (Some(f), Some(value)) if negative(value) => {
                out.push(format!("--{f}={value}").into());
                tokens.next();
            }
            _ => out.push(token),
        }
    }
    out
}
