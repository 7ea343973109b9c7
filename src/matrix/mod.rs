//! Matrix loading: native TOML (`matrices/*.toml`) or lkb-harness JSON, validated against the
//! toolchain registry into one checked `Matrix`. Every error names file:line:col.

mod check;
pub mod known;
mod kunit;
mod makevars;
mod raw;
mod tuxmake;
mod tuxsuite;

pub use check::DEFAULT_INCLUDES;
pub use tuxsuite::{Note, TreeFn, Tuxsuite};

use makevars::check_make_arg;

use crate::error::{Error, Result};
use crate::kconfig::{Base, ConfigSpec, Fragment};
use crate::toolchain::{self, line_col, Registry};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The default matrix, built into the binary.
pub const DEFAULT_MATRIX: &str = "matrices/pud-helpers.toml";

/// One build entry of a matrix, checked: arch and toolchains are known, fragments parsed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Build {
    /// file:line:col of the entry
    pub at: String,
    pub name: Option<String>,
    /// canonical kcross arch name
    pub arch: String,
    /// canonical compiler family names
    pub toolchains: Vec<String>,
    pub cross_compile: Option<String>,
    pub config: ConfigSpec,
    /// empty: the arch's image target
    pub targets: Vec<String>,
    pub make_args: Vec<String>,
    /// Seconds each of its cells' build may take (None: `DEFAULT_CELL_TIMEOUT_S`).
    #[serde(default)]
    pub timeout_s: Option<u64>,
    /// The compiler wrapper's name (a known `toolchains/wrapper/` file), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapper: Option<String>,
}

/// A cell's build time limit when the matrix sets none: 2 hours, past any real build of a
/// kernel on a small machine, so only a hung make or link reaches it.
pub const DEFAULT_CELL_TIMEOUT_S: u64 = 2 * 3600;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HelperName {
    pub name: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct RuntimeSpec {
    pub tests: Vec<String>,
    pub timeout_s: u64,
    /// canonical arch names; empty = every arch with a QEMU description
    pub arches: Vec<String>,
    /// KUnit suites' Kconfig symbols (without `CONFIG_`): every cell is built with
    /// `CONFIG_KUNIT=y` and each of them (one more fragment, `kunit::fragment`).
    #[serde(default)]
    pub kunit: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Matrix {
    pub name: String,
    pub description: String,
    /// path of the matrix file (or `matrices/...` for the built-in one)
    pub origin: String,
    pub source: Option<String>,
    pub builds: Vec<Build>,
    pub helpers: Vec<HelperName>,
    pub check_objects: Vec<String>,
    /// The headers the helper check's probe includes (`[check] includes`).
    #[serde(default = "default_includes")]
    pub check_includes: Vec<String>,
    /// The arches the helper check covers (`[check] arches`); None: the build cells' arches.
    #[serde(default)]
    pub check_arches: Option<Vec<String>>,
    /// The entries of `[check] from` for covered arches this matrix does not build.
    #[serde(default)]
    pub check_builds: Vec<Build>,
    pub runtime: Option<RuntimeSpec>,
    /// `[[known]]` entries (none from lkb-harness JSON).
    #[serde(default)]
    pub known: Vec<crate::known::KnownIssue>,
    /// Read from a TuxSuite plan: what it asks that kcross does not run, its patch series.
    #[serde(default)]
    pub tuxsuite: Option<Tuxsuite>,
}

pub fn default_includes() -> Vec<String> {
    DEFAULT_INCLUDES.iter().map(|s| s.to_string()).collect()
}

impl Matrix {
    /// The matrix the helper check runs: the build entries of the arches `[check] arches`
    /// covers, and `[check] from`'s entries for those this matrix does not build.
    pub fn for_check(&self) -> Matrix {
        let mut m = self.clone();
        if let Some(arches) = &self.check_arches {
            m.builds.retain(|b| arches.contains(&b.arch));
            m.builds.extend(self.check_builds.iter().cloned());
            // In the order `arches` gives.
            m.builds
                .sort_by_key(|b| arches.iter().position(|a| a == &b.arch));
        }
        m
    }
}

/// Where a matrix's relative paths (fragments, config files) are read from.
enum Files {
    Disk(PathBuf),
    Embedded(String),
}

impl Files {
    fn read(&self, rel: &str, at: &str) -> Result<(String, String)> {
        match self {
            Files::Disk(dir) => {
                let p = if Path::new(rel).is_absolute() {
                    PathBuf::from(rel)
                } else {
                    dir.join(rel)
                };
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| Error::input(at, format!("cannot read {}: {e}", p.display())))?;
                Ok((p.display().to_string(), text))
            }
            Files::Embedded(dir) => {
                let key = format!("{dir}/{rel}");
                let text = crate::util::embedded_file(&key)
                    .ok_or_else(|| Error::input(at, format!("no built-in file {key}")))?;
                Ok((key, text.to_string()))
            }
        }
    }
}

/// Load a matrix: `None` is the built-in default; a path ending in `.json` is lkb-harness
/// JSON, `.yaml`/`.yml` a TuxSuite plan (whose in-tree kconfig items then fail: see
/// `load_with_tree`); anything else is native TOML.
pub fn load(path: Option<&Path>, reg: &Registry) -> Result<Matrix> {
    load_with_tree(path, reg, &|_| {
        Err(Error::Usage(
            "an in-tree kconfig item needs the kernel tree: load the plan with load_with_tree"
                .into(),
        ))
    })
}

/// `load`, with the kernel tree a TuxSuite plan's in-tree kconfig items are read from.
pub fn load_with_tree(path: Option<&Path>, reg: &Registry, tree: &TreeFn) -> Result<Matrix> {
    match path {
        None => {
            let text = crate::util::embedded_file(DEFAULT_MATRIX).expect("built-in matrix");
            load_toml(
                DEFAULT_MATRIX,
                text,
                Files::Embedded("matrices".into()),
                reg,
                true,
            )
        }
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                Error::input(p.display().to_string(), format!("cannot read matrix: {e}"))
            })?;
            let dir = p.parent().map(Path::to_path_buf).unwrap_or_default();
            load_text(&p.display().to_string(), &text, &dir, reg, tree)
        }
    }
}

/// A matrix's text, read as its `origin`'s extension says (`.json` lkb-harness JSON,
/// `.yaml`/`.yml` a TuxSuite plan, else native TOML); relative paths in it are read from
/// `dir`. `load_with_tree` after reading the file (and the fuzz targets) call this.
pub fn load_text(
    origin: &str,
    text: &str,
    dir: &Path,
    reg: &Registry,
    tree: &TreeFn,
) -> Result<Matrix> {
    let p = Path::new(origin);
    if p.extension().is_some_and(|e| e == "json") {
        load_json(origin, text, Files::Disk(dir.to_path_buf()), reg)
    } else if tuxsuite::is_plan(p) {
        tuxsuite::load(origin, text, dir, reg, tree)
    } else {
        load_toml(origin, text, Files::Disk(dir.to_path_buf()), reg, true)
    }
}

fn at(origin: &str, text: &str, span: std::ops::Range<usize>) -> String {
    format!("{origin}:{}", line_col(text, span.start))
}

fn config_base(value: &str, files: &Files, at: &str) -> Result<Base> {
    // A make target is a bare word ending in "config" (tinyconfig, ppc64le_defconfig).
    let is_target = !value.contains('/')
        && value.ends_with("config")
        && !value.ends_with(".config")
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if is_target {
        Ok(Base::Target(value.to_string()))
    } else {
        let (path, text) = files.read(value, at)?;
        Ok(Base::File { path, text })
    }
}

fn arch_name(reg: &Registry, name: &str, at: &str) -> Result<String> {
    reg.arch(name)
        .map(|a| a.name.clone())
        .ok_or_else(|| Error::UnknownArch {
            name: name.to_string(),
            at: at.to_string(),
            known: reg.arch_names(),
        })
}

fn toolchain_name(reg: &Registry, arch: &str, name: &str, at: &str) -> Result<String> {
    let c = reg.compiler(name).ok_or_else(|| Error::UnknownToolchain {
        name: name.to_string(),
        at: at.to_string(),
        known: reg.compiler_names(),
    })?;
    let a = reg.arch(arch).expect("checked arch");
    if let Some(why) = reg.refusal(a, &c.name) {
        return Err(Error::input(at, why));
    }
    if !a.compilers.contains_key(&c.name) {
        return Err(Error::UnknownToolchain {
            name: name.to_string(),
            at: format!(
                "{at} (arch {arch} has no [compilers.{}] in {})",
                c.name, a.origin
            ),
            known: a.compilers.keys().cloned().collect::<Vec<_>>().join(", "),
        });
    }
    Ok(c.name.clone())
}

fn is_c_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn check_helper_name(name: &str, at: &str) -> Result<()> {
    if is_c_identifier(name) {
        Ok(())
    } else {
        Err(Error::input(
            at,
            format!("helper `{name}` is not a C identifier"),
        ))
    }
}

/// `allow_from`: whether `[check] from` may name another matrix (not in that one).
fn load_toml(
    origin: &str,
    text: &str,
    files: Files,
    reg: &Registry,
    allow_from: bool,
) -> Result<Matrix> {
    let m: raw::TomlMatrix =
        toml::from_str(text).map_err(|e| toolchain::toml_error(origin, text, &e))?;
    let sp = |s: &Spanned<String>| at(origin, text, s.span());
    if m.build.is_empty() {
        return Err(Error::input(origin, "the matrix has no [[build]] entries"));
    }
    let d = &m.defaults;
    let kunit = kunit::symbols(m.runtime.as_ref(), &sp)?;
    let mut builds = Vec::new();
    for b in &m.build {
        let entry_at = at(origin, text, b.span());
        let b = b.get_ref();
        let arch = arch_name(reg, b.arch.get_ref(), &sp(&b.arch))?;
        let tcs = b
            .toolchains
            .as_ref()
            .or(d.toolchains.as_ref())
            .cloned()
            .unwrap_or_else(|| vec![Spanned::new(b.arch.span(), "gcc".to_string())]);
        let mut toolchains = Vec::new();
        for t in &tcs {
            toolchains.push(toolchain_name(reg, &arch, t.get_ref(), &sp(t))?);
        }
        let config = b
            .config
            .as_ref()
            .or(d.config.as_ref())
            .ok_or_else(|| Error::input(&entry_at, "no `config` here or in [defaults]"))?;
        let base = config_base(config.get_ref(), &files, &sp(config))?;
        let mut fragments = Vec::new();
        for f in d
            .fragments
            .iter()
            .flatten()
            .chain(b.fragments.iter().flatten())
        {
            let (path, ftext) = files.read(f.get_ref(), &sp(f))?;
            fragments.push(Fragment::parse(&path, &ftext)?);
        }
        let mut make_args = Vec::new();
        for a in d
            .make_args
            .iter()
            .flatten()
            .chain(b.make_args.iter().flatten())
        {
            check_make_arg(a.get_ref(), &sp(a))?;
            make_args.push(a.get_ref().clone());
        }
        let mut label = b
            .name
            .clone()
            .unwrap_or_else(|| config_label(&base, &fragments));
        if !kunit.is_empty() {
            fragments.push(kunit::fragment(origin, &kunit)?);
            if b.name.is_none() {
                label.push_str("+kunit");
            }
        }
        builds.push(Build {
            at: entry_at,
            name: b.name.clone(),
            arch,
            toolchains,
            cross_compile: b.cross_compile.clone(),
            config: ConfigSpec {
                label,
                base,
                fragments,
            },
            targets: b.targets.clone().or(d.targets.clone()).unwrap_or_default(),
            make_args,
            timeout_s: match b.timeout.as_ref().or(d.timeout.as_ref()) {
                Some(t) => Some(
                    crate::util::duration::parse(t.get_ref())
                        .map_err(|e| Error::input(sp(t), e))?,
                ),
                None => None,
            },
            wrapper: match b.wrapper.as_ref().or(d.wrapper.as_ref()) {
                Some(w) => Some(
                    reg.wrapper(w.get_ref())
                        .map_err(|e| Error::input(sp(w), e.to_string()))?
                        .name
                        .clone(),
                ),
                None => None,
            },
        });
    }
    let load_from = |rel: &str, here: &str| -> Result<Matrix> {
        if !allow_from {
            return Err(Error::input(
                here,
                "[check] from in a matrix that is itself a `from`: name the arches' matrix directly",
            ));
        }
        let (path, text) = files.read(rel, here)?;
        let dir = Path::new(&path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let files = match &files {
            Files::Disk(_) => Files::Disk(dir),
            Files::Embedded(_) => Files::Embedded(dir.display().to_string()),
        };
        load_toml(&path, &text, files, reg, false)
    };
    let default_tcs: Vec<String> = d
        .toolchains
        .iter()
        .flatten()
        .filter_map(|t| reg.compiler(t.get_ref()).map(|c| c.name.clone()))
        .collect();
    let chk = check::check(
        m.check.as_ref(),
        &builds,
        &default_tcs,
        reg,
        &|s| at(origin, text, s),
        &load_from,
    )?;
    let runtime = match &m.runtime {
        None => None,
        Some(r) => {
            let mut arches = Vec::new();
            for a in r.arches.iter().flatten() {
                arches.push(arch_name(reg, a.get_ref(), &sp(a))?);
            }
            let mut tests = Vec::new();
            for t in &r.tests {
                if !crate::guest_tests::known_test(t.get_ref()) {
                    return Err(Error::input(
                        sp(t),
                        format!(
                            "unknown runtime test `{}` (known: {})",
                            t.get_ref(),
                            crate::guest_tests::known_tests().join(", ")
                        ),
                    ));
                }
                tests.push(t.get_ref().clone());
            }
            Some(RuntimeSpec {
                tests,
                timeout_s: r.timeout.unwrap_or(300),
                arches,
                kunit: kunit.clone(),
            })
        }
    };
    let known = known::check(&m.known, reg, &|s| at(origin, text, s))?;
    Ok(Matrix {
        name: m.name.clone().unwrap_or_else(|| stem(origin)),
        description: m.description.clone(),
        origin: origin.to_string(),
        source: m.source.as_ref().map(|s| s.get_ref().clone()),
        builds,
        helpers: chk.helpers,
        check_objects: chk.objects,
        check_includes: chk.includes,
        check_arches: chk.arches,
        check_builds: chk.builds,
        runtime,
        known,
        tuxsuite: None,
    })
}

fn stem(origin: &str) -> String {
    Path::new(origin)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "matrix".into())
}

fn config_label(base: &Base, fragments: &[Fragment]) -> String {
    let mut l = base.label();
    for f in fragments {
        if let Some(s) = Path::new(&f.path).file_stem() {
            l.push('+');
            l.push_str(&s.to_string_lossy());
        }
    }
    l
}

/// serde_json gives no spans for values; find the n-th occurrence of `"key"` as an object
/// key to point errors at the right build entry.
fn json_key_at(text: &str, key: &str, nth: usize) -> Option<usize> {
    let needle = format!("\"{key}\"");
    let mut count = 0;
    let mut from = 0;
    while let Some(i) = text[from..].find(&needle) {
        let pos = from + i;
        let after = text[pos + needle.len()..].trim_start();
        if after.starts_with(':') {
            if count == nth {
                return Some(pos);
            }
            count += 1;
        }
        from = pos + needle.len();
    }
    None
}

fn load_json(origin: &str, text: &str, files: Files, reg: &Registry) -> Result<Matrix> {
    let json_err = |e: serde_json::Error| {
        Error::input(
            format!("{origin}:{}:{}", e.line(), e.column()),
            e.to_string(),
        )
    };
    let (name, source, builds, helper_names) = match text.trim_start().chars().next() {
        Some('[') => {
            let v: Vec<raw::JsonBuild> = serde_json::from_str(text).map_err(json_err)?;
            (None, None, v, Vec::new())
        }
        Some('{') => {
            let o: raw::JsonObject = serde_json::from_str(text).map_err(json_err)?;
            (o.name, o.source, o.builds, o.helpers)
        }
        _ => {
            return Err(Error::input(
                format!("{origin}:1:1"),
                "an lkb-harness matrix is a JSON list of builds or an object with `builds`",
            ))
        }
    };
    if builds.is_empty() {
        return Err(Error::input(origin, "the matrix has no builds"));
    }
    let mut out = Vec::new();
    for (i, b) in builds.iter().enumerate() {
        let loc = |key: &str| match json_key_at(text, key, i) {
            Some(p) => format!("{origin}:{}", line_col(text, p)),
            None => format!("{origin} (build #{})", i + 1),
        };
        // A kernel ARCH shared by several entries (`powerpc`) is decided by cross_compile.
        let arch = match reg.arch_for_cross(&b.arch, b.cross_compile.as_deref()) {
            Some(a) => a.name.clone(),
            None => arch_name(reg, &b.arch, &loc("arch"))?,
        };
        let family = if b.llvm { "clang" } else { "gcc" };
        let tc = toolchain_name(reg, &arch, family, &loc("arch"))?;
        let base = config_base(&b.config, &files, &loc("config"))?;
        let mut fragments = Vec::new();
        for f in &b.fragments {
            let (path, ftext) = files.read(f, &loc("fragments"))?;
            fragments.push(Fragment::parse(&path, &ftext)?);
        }
        for a in &b.make_args {
            check_make_arg(a, &loc("make_args"))?;
        }
        let label = b
            .name
            .clone()
            .unwrap_or_else(|| config_label(&base, &fragments));
        out.push(Build {
            at: loc("arch"),
            name: b.name.clone(),
            arch,
            toolchains: vec![tc],
            cross_compile: b.cross_compile.clone(),
            config: ConfigSpec {
                label,
                base,
                fragments,
            },
            targets: b.targets.clone(),
            make_args: b.make_args.clone(),
            timeout_s: None,
            wrapper: None,
        });
    }
    let mut helpers = Vec::new();
    for h in helper_names {
        check_helper_name(&h, origin)?;
        helpers.push(HelperName {
            name: h,
            at: origin.to_string(),
        });
    }
    Ok(Matrix {
        name: name.unwrap_or_else(|| stem(origin)),
        description: String::new(),
        origin: origin.to_string(),
        source,
        builds: out,
        helpers,
        check_objects: Vec::new(),
        check_includes: default_includes(),
        check_arches: None,
        check_builds: Vec::new(),
        runtime: None,
        known: Vec::new(),
        tuxsuite: None,
    })
}

#[cfg(test)]
mod tests;
