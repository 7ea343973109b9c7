//! `kcross completions SHELL` and `kcross man`: the shell completion script (clap_complete)
//! and the man page (clap_mangen), both generated from the same clap definition.
//! Arch names complete because `--arch` takes `ArchValue`, whose possible values are the
//! built-in registry's arches and aliases; it still accepts any other name (an arch of a
//! `--toolchains DIR`), which the plan then checks against the loaded registry.

use crate::error::{Error, Result};
use clap::builder::{PossibleValue, TypedValueParser};
use clap::CommandFactory;

/// Shells `kcross completions` writes scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// `--arch`'s value parser: any non-empty name is accepted; the built-in registry's arch
/// names and aliases are offered as its possible values (for completion and `--help`).
#[derive(Clone)]
pub struct ArchValue;

impl TypedValueParser for ArchValue {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<String, clap::Error> {
        clap::builder::NonEmptyStringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let names = crate::toolchain::Registry::load(&[])
            .map(|r| {
                r.arches
                    .values()
                    .flat_map(|a| std::iter::once(a.name.clone()).chain(a.aliases.clone()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        Some(Box::new(names.into_iter().map(PossibleValue::new)))
    }
}

/// Print the completion script for `shell`.
pub fn completions(shell: Shell) -> Result<i32> {
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    match shell {
        Shell::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, "kcross", &mut out)
        }
        Shell::Zsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, "kcross", &mut out)
        }
        Shell::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, "kcross", &mut out)
        }
    }
    print!("{}", String::from_utf8_lossy(&out));
    Ok(0)
}

/// Print the man page (roff) of kcross, its subcommands listed.
pub fn man() -> Result<i32> {
    let cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut out)
        .map_err(|e| Error::io("rendering the man page".to_string(), e))?;
    print!("{}", String::from_utf8_lossy(&out));
    Ok(0)
}
