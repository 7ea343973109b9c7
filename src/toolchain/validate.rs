//! What the registry checks once every data file is read: each name and alias belongs to one
//! arch only, every family an arch names exists and expands, an arch says why it cannot be
//! built when it has no compiler, and an arch's make variables stay out of kcross's own.
//! Every error names the data file and line.

use super::{line_col, Arch, Registry};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// The name and aliases of an arch file, with their spans.
#[derive(Deserialize)]
struct Names {
    name: Spanned<String>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of the arch's name and of each alias. A name given twice in one file is an error.
pub(super) fn name_lines(origin: &str, text: &str) -> Result<BTreeMap<String, usize>> {
    let n: Names = toml::from_str(text).map_err(|e| super::toml_error(origin, text, &e))?;
    let mut out = BTreeMap::new();
    for s in std::iter::once(&n.name).chain(n.aliases.iter()) {
        let line = line_of(text, s.span().start);
        if let Some(first) = out.insert(s.get_ref().clone(), line) {
            return Err(Error::input(
                format!("{origin}:{line}"),
                format!("`{}` is listed twice (also at line {first})", s.get_ref()),
            ));
        }
    }
    Ok(out)
}

/// `origin:line:col` of a top-level key (the file alone when it is not found).
pub(super) fn key_at(origin: &str, text: &str, key: &str) -> String {
    let mut offset = 0;
    for l in text.split_inclusive('\n') {
        let t = l.trim_start();
        if t.strip_prefix(key)
            .is_some_and(|r| r.trim_start().starts_with('='))
        {
            return format!("{origin}:{}", line_col(text, offset + (l.len() - t.len())));
        }
        offset += l.len();
    }
    origin.to_string()
}

/// Variables that kcross sets itself, from the arch and the compiler family.
const OWN_VARS: &[&str] = &["ARCH", "CROSS_COMPILE", "LLVM", "O", "CC", "LD"];

/// An arch's `make_vars`: `NAME=value`, plain values, none of kcross's own variables.
pub(super) fn arch_make_vars(a: &Arch, text: &str) -> Result<()> {
    for v in &a.make_vars {
        let at = key_at(&a.origin, text, "make_vars");
        let Some((name, value)) = v.split_once('=') else {
            return Err(Error::input(at, format!("make_vars `{v}`: not NAME=value")));
        };
        let plain_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        let plain_value = value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.,/:+".contains(c));
        if !plain_name || !plain_value {
            return Err(Error::input(
                at,
                format!("make_vars `{v}`: an upper-case name and a plain value"),
            ));
        }
        if OWN_VARS.contains(&name) {
            return Err(Error::input(
                at,
                format!("make_vars `{v}`: {name} is set by kcross (kernel_arch, [compilers])"),
            ));
        }
    }
    Ok(())
}

impl Registry {
    /// Everything checked across files (see the module's doc).
    pub(super) fn validate(&self) -> Result<()> {
        self.unique_names()?;
        for a in self.arches.values() {
            for family in a.compilers.keys() {
                if self.compiler(family).is_none() {
                    return Err(Error::input(
                        &a.origin,
                        format!(
                            "[compilers.{family}]: no compiler family `{family}` (known: {})",
                            self.compiler_names()
                        ),
                    ));
                }
                self.resolve(a, family)?;
            }
            for family in a.unsupported.keys() {
                let at = format!("{} [unsupported] {family}", a.origin);
                match self.compiler(family) {
                    None => {
                        return Err(Error::input(
                            at,
                            format!(
                                "no compiler family `{family}` (known: {})",
                                self.compiler_names()
                            ),
                        ))
                    }
                    Some(_) if a.compilers.contains_key(family) => {
                        return Err(Error::input(
                            at,
                            format!("`{family}` is also in [compilers.{family}]: which is it?"),
                        ))
                    }
                    Some(_) => {}
                }
            }
            if a.compilers.is_empty() && a.unavailable.is_none() {
                return Err(Error::input(
                    &a.origin,
                    "no [compilers.*] table: give one, or say why with `unavailable = \"...\"`",
                ));
            }
        }
        Ok(())
    }

    /// No two arches share a name or an alias: the error names both files and lines.
    fn unique_names(&self) -> Result<()> {
        let mut seen: BTreeMap<&str, &Arch> = BTreeMap::new();
        for a in self.arches.values() {
            for n in a.names() {
                if let Some(other) = seen.insert(n, a) {
                    return Err(Error::input(
                        a.name_at(n),
                        format!(
                            "`{n}` names arch {} here and arch {} at {}: names and aliases must be unique",
                            a.name,
                            other.name,
                            other.name_at(n)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Why `family` cannot build `arch` here (the arch is unavailable, or the family is
    /// unsupported on it), or `None` when it can be asked for.
    pub fn refusal(&self, arch: &Arch, family: &str) -> Option<String> {
        let fam = self
            .compiler(family)
            .map(|c| c.name.as_str())
            .unwrap_or(family);
        if let Some(why) = &arch.unavailable {
            return Some(format!(
                "arch {} cannot be built here: {why} ({})",
                arch.name, arch.origin
            ));
        }
        arch.unsupported.get(fam).map(|why| {
            format!(
                "{fam} does not build arch {}: {why} ({})",
                arch.name, arch.origin
            )
        })
    }
}
