//! `[check]`: the helpers, the extra objects, the headers the probe includes, and the arches
//! the helper check covers (which may be more than the matrix builds: their cells come from
//! another matrix, `from`).

use super::raw::TomlCheck;
use super::{Build, HelperName};
use crate::error::{Error, Result};
use crate::toolchain::Registry;
use toml::Spanned;

/// The headers the probe includes when `[check] includes` is not given: the generic
/// page-table and huge-page APIs, which pull in the arch's asm/pgtable.h.
pub const DEFAULT_INCLUDES: &[&str] = &[
    "linux/mm.h",
    "linux/huge_mm.h",
    "linux/pgtable.h",
    "linux/mman.h",
    "asm/pgtable.h",
    "asm/tlb.h",
];

/// `[check]`, checked.
pub(super) struct Checked {
    pub(super) helpers: Vec<HelperName>,
    pub(super) objects: Vec<String>,
    pub(super) includes: Vec<String>,
    /// None: the check covers the matrix's build cells.
    pub(super) arches: Option<Vec<String>>,
    /// Entries of `from` for the covered arches this matrix does not build.
    pub(super) builds: Vec<Build>,
}

type At<'a> = &'a dyn Fn(std::ops::Range<usize>) -> String;

/// A header path as `#include <...>` takes it: relative, `/`-separated words of
/// `[A-Za-z0-9_.+-]`, no `.` or `..` component, ending in `.h`.
fn is_header_path(s: &str) -> bool {
    s.ends_with(".h")
        && s.split('/').all(|w| {
            !w.is_empty()
                && w != "."
                && w != ".."
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-'))
        })
}

pub(super) fn includes(
    list: Option<&Spanned<Vec<Spanned<String>>>>,
    at: At,
) -> Result<Vec<String>> {
    let Some(list) = list else {
        return Ok(DEFAULT_INCLUDES.iter().map(|s| s.to_string()).collect());
    };
    if list.get_ref().is_empty() {
        return Err(Error::input(
            at(list.span()),
            "[check] includes is empty: the probe needs the headers that declare the helpers (default: linux/mm.h, linux/huge_mm.h, linux/pgtable.h, linux/mman.h, asm/pgtable.h, asm/tlb.h)",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for h in list.get_ref() {
        let name = h.get_ref();
        if !is_header_path(name) {
            return Err(Error::input(
                at(h.span()),
                format!("[check] includes: `{name}` is not a header path as #include <...> takes it (e.g. linux/mm.h)"),
            ));
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    Ok(out)
}

/// The arches `[check] arches` names: `"all"` (every arch of the registry that some compiler
/// can build, here or in `from`) or a list of names and aliases.
fn arches(
    v: &Spanned<toml::Value>,
    reg: &Registry,
    at: At,
) -> Result<(bool, Vec<(String, String)>)> {
    let here = at(v.span());
    match v.get_ref() {
        toml::Value::String(s) if s == "all" => Ok((true, Vec::new())),
        toml::Value::Array(items) if !items.is_empty() => {
            let mut out = Vec::new();
            for i in items {
                let Some(name) = i.as_str() else {
                    return Err(Error::input(&here, "[check] arches: a list of arch names, or \"all\""));
                };
                let a = super::arch_name(reg, name, &here)?;
                if !out.iter().any(|(n, _)| n == &a) {
                    out.push((a, here.clone()));
                }
            }
            Ok((false, out))
        }
        _ => Err(Error::input(
            here,
            "[check] arches: \"all\" or a non-empty list of arch names (e.g. [\"x86_64\", \"powerpc64\"])",
        )),
    }
}

/// Check `[check]`. `builds` are the matrix's checked entries; `load_from` loads the matrix
/// `from` names (relative to this one) without its own `from`.
pub(super) fn check(
    c: Option<&TomlCheck>,
    builds: &[Build],
    defaults_toolchains: &[String],
    reg: &Registry,
    at: At,
    load_from: &dyn Fn(&str, &str) -> Result<super::Matrix>,
) -> Result<Checked> {
    let mut out = Checked {
        helpers: Vec::new(),
        objects: Vec::new(),
        includes: includes(None, at)?,
        arches: None,
        builds: Vec::new(),
    };
    let Some(c) = c else {
        return Ok(out);
    };
    for h in &c.helpers {
        let here = at(h.span());
        super::check_helper_name(h.get_ref(), &here)?;
        out.helpers.push(HelperName {
            name: h.get_ref().clone(),
            at: here,
        });
    }
    out.objects = c.objects.clone();
    out.includes = includes(c.includes.as_ref(), at)?;
    let from = match &c.from {
        Some(f) => Some(load_from(f.get_ref(), &at(f.span()))?),
        None => None,
    };
    let Some(v) = &c.arches else {
        if let Some(f) = &c.from {
            return Err(Error::input(
                at(f.span()),
                "[check] from gives the cells of arches this matrix does not build: it needs `arches`",
            ));
        }
        return Ok(out);
    };
    let (all, named) = arches(v, reg, at)?;
    let wanted: Vec<(String, String)> = if all {
        let mut found: Vec<(String, String)> = Vec::new();
        for b in builds
            .iter()
            .chain(from.iter().flat_map(|m| m.builds.iter()))
        {
            if !found.iter().any(|(a, _)| a == &b.arch) {
                found.push((b.arch.clone(), at(v.span())));
            }
        }
        // Every arch some compiler can build must be covered: one that neither matrix has is
        // named, so "all" never silently shrinks.
        let uncovered: Vec<&str> = reg
            .arches
            .values()
            .filter(|a| a.compilers.keys().any(|f| reg.refusal(a, f).is_none()))
            .map(|a| a.name.as_str())
            .filter(|n| !found.iter().any(|(a, _)| a == n))
            .collect();
        if !uncovered.is_empty() {
            return Err(Error::input(
                at(v.span()),
                format!(
                    "[check] arches = \"all\": no [[build]] here{} for {}",
                    if from.is_some() {
                        " or in `from`"
                    } else {
                        " (name a matrix that has them with `from`)"
                    },
                    uncovered.join(", ")
                ),
            ));
        }
        found
    } else {
        named
    };
    let mut arches = Vec::new();
    for (a, here) in wanted {
        if !builds.iter().any(|b| b.arch == a) {
            let theirs: Vec<&Build> = from
                .iter()
                .flat_map(|m| m.builds.iter())
                .filter(|b| b.arch == a)
                .collect();
            if theirs.is_empty() {
                return Err(Error::input(
                    here,
                    format!(
                        "[check] arches: {a} has no [[build]] here{}",
                        if from.is_some() {
                            " nor in `from`"
                        } else {
                            " (name a matrix that has one with `from`)"
                        }
                    ),
                ));
            }
            for b in theirs {
                out.builds.push(on_toolchains(b, defaults_toolchains));
            }
        }
        arches.push(a);
    }
    out.arches = Some(arches);
    Ok(out)
}

/// An entry of `from` on this matrix's `[defaults] toolchains` where it has them (gcc for the
/// default matrix), else on its own (hexagon: clang only).
fn on_toolchains(b: &Build, defaults: &[String]) -> Build {
    let mut b = b.clone();
    let common: Vec<String> = b
        .toolchains
        .iter()
        .filter(|t| defaults.contains(t))
        .cloned()
        .collect();
    if !common.is_empty() {
        b.toolchains = common;
    }
    b
}

#[cfg(test)]
mod tests {
    use super::is_header_path;
    use crate::toolchain::Registry;
    use std::path::Path;

    fn reg() -> Registry {
        Registry::load(&[]).unwrap()
    }

    fn load(dir: &Path, text: &str) -> crate::error::Result<super::super::Matrix> {
        let p = dir.join("m.toml");
        std::fs::write(&p, text).unwrap();
        super::super::load(Some(&p), &reg())
    }

    const BUILD: &str = "[[build]]\narch = \"x86_64\"\nconfig = \"tinyconfig\"\n";

    #[test]
    fn header_paths_are_what_include_takes() {
        for ok in [
            "linux/mm.h",
            "asm/pgtable.h",
            "linux/huge_mm.h",
            "asm-generic/tlb.h",
        ] {
            assert!(is_header_path(ok), "{ok}");
        }
        for bad in [
            "",
            "/usr/include/x.h",
            "../x.h",
            "linux/./mm.h",
            "linux/mm.c",
            "linux//mm.h",
            "a b.h",
            "x.h\"",
            "$(X).h",
        ] {
            assert!(!is_header_path(bad), "{bad}");
        }
    }

    #[test]
    fn includes_default_to_the_page_table_headers_and_a_bad_one_is_located() {
        let d = tempfile::tempdir().unwrap();
        let m = load(
            d.path(),
            &format!("{BUILD}[check]\nhelpers = [\"pud_modify\"]\n"),
        )
        .unwrap();
        assert_eq!(m.check_includes, super::super::default_includes());
        let m = load(
            d.path(),
            &format!("{BUILD}[check]\nincludes = [\"linux/mm.h\", \"linux/fs.h\"]\n"),
        )
        .unwrap();
        assert_eq!(m.check_includes, ["linux/mm.h", "linux/fs.h"]);
        // The counter-cases: a path that is no header, an empty list.
        let e = load(
            d.path(),
            &format!("{BUILD}[check]\nincludes = [\"linux/mm.h\", \"../etc/passwd\"]\n"),
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let s = e.to_string();
        assert!(
            s.contains("m.toml:5:27") && s.contains("../etc/passwd"),
            "{s}"
        );
        let e = load(d.path(), &format!("{BUILD}[check]\nincludes = []\n")).unwrap_err();
        assert!(e.to_string().contains("m.toml:5:12"), "{e}");
    }

    #[test]
    fn arches_take_cells_from_another_matrix_on_this_one_s_compilers() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("other.toml"),
            "[[build]]\narch = \"powerpc64\"\ntoolchains = [\"gcc\", \"clang\"]\nconfig = \"tinyconfig\"\n\
             [[build]]\narch = \"hexagon\"\ntoolchains = [\"clang\"]\nconfig = \"tinyconfig\"\n\
             [[build]]\narch = \"x86_64\"\nconfig = \"defconfig\"\n",
        )
        .unwrap();
        let head = "[defaults]\ntoolchains = [\"gcc\"]\n";
        let m = load(
            d.path(),
            &format!("{head}{BUILD}[check]\narches = [\"x86_64\", \"ppc64\", \"hexagon\"]\nfrom = \"other.toml\"\n"),
        )
        .unwrap();
        assert_eq!(m.builds.len(), 1, "the builds stay");
        let c = m.for_check();
        let got: Vec<(&str, Vec<String>, String)> = c
            .builds
            .iter()
            .map(|b| {
                (
                    b.arch.as_str(),
                    b.toolchains.clone(),
                    b.config.label.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("x86_64", vec!["gcc".to_string()], "tinyconfig".to_string()),
                (
                    "powerpc64",
                    vec!["gcc".to_string()],
                    "tinyconfig".to_string()
                ),
                (
                    "hexagon",
                    vec!["clang".to_string()],
                    "tinyconfig".to_string()
                ),
            ]
        );
        // Without `arches` the check is the build cells'.
        let m = load(
            d.path(),
            &format!("{head}{BUILD}[check]\nhelpers = [\"pud_modify\"]\n"),
        )
        .unwrap();
        assert_eq!(m.for_check().builds.len(), 1);
        // The counter-cases, each located: an arch neither matrix builds, "all" when neither
        // has every buildable arch, a bad value, `from` without `arches`.
        for (check, at, needle) in [
            (
                "arches = [\"arm64\"]\nfrom = \"other.toml\"",
                "m.toml:7:10",
                "arm64 has no [[build]]",
            ),
            (
                "arches = \"all\"\nfrom = \"other.toml\"",
                "m.toml:7:10",
                "arm64",
            ),
            ("arches = \"some\"", "m.toml:7:10", "\"all\" or"),
            ("arches = [\"pdp11\"]", "m.toml:7:10", "pdp11"),
            ("from = \"other.toml\"", "m.toml:7:8", "needs `arches`"),
        ] {
            let e = load(d.path(), &format!("{head}{BUILD}[check]\n{check}\n")).unwrap_err();
            let s = e.to_string();
            assert!(s.contains(at) && s.contains(needle), "{check}: {s}");
            assert_eq!(e.exit_code(), 2);
        }
    }
}
