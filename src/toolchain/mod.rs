//! Arches and compiler families, loaded from data (`toolchains/`). No code branches on an
//! arch or compiler name: everything a cell needs to know comes from these files.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

mod validate;
pub mod wrapper;

/// A program that must be on PATH, and the Debian package that provides it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub program: String,
    pub package: String,
}

/// How the runtime stage starts this arch under QEMU (kunit_tool's qemu_configs, as data).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QemuSpec {
    pub binary: String,
    pub package: String,
    pub machine: String,
    pub cpu: String,
    pub memory: String,
    #[serde(default)]
    pub slots: Option<u32>,
    #[serde(default)]
    pub maxmem: Option<String>,
    pub console: String,
    #[serde(default)]
    pub kernel_args: Vec<String>,
    #[serde(default)]
    pub extra_args: Vec<String>,
    pub guest_cc: String,
    pub guest_libc_package: String,
    /// The Debian package of `guest_cc` (default: `guest_libc_package`).
    #[serde(default)]
    pub guest_cc_package: Option<String>,
    /// Extra flags for building the guest programs (e.g. `-mcpu=power9`).
    #[serde(default)]
    pub guest_cflags: Vec<String>,
    /// The boot image relative to the build dir, when not the arch's `image_path`.
    #[serde(default)]
    pub image: Option<String>,
    /// How to attach an nvdimm, for tests that need one: QEMU argument templates with
    /// `{backing}` (a fresh sparse file per boot), `{size}` (its size in bytes) and `{uuid}`.
    /// Empty: this arch has no nvdimm under QEMU and such tests are skipped.
    #[serde(default)]
    pub nvdimm_args: Vec<String>,
    /// Size of the nvdimm's backing file (`4G`, `4194432K`: plain bytes or a K/M/G/T suffix).
    #[serde(default)]
    pub nvdimm_size: Option<String>,
    /// kcross writes the device-dax info block into the backing file before the boot (with
    /// the uuids the guest then gives the namespace and the dax device), so that the guest
    /// kernel finds a valid one and never writes into the pmem itself. For a platform whose
    /// QEMU cannot run the guest kernel's pmem write path (see the arch file's comment).
    #[serde(default)]
    pub nvdimm_dax_info: bool,
    /// Why this arch needs `nvdimm_dax_info` (what its QEMU lacks): reported with every
    /// boot that used it.
    #[serde(default)]
    pub nvdimm_dax_info_why: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arch {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// make ARCH=
    pub kernel_arch: String,
    /// the directory under arch/ (SRCARCH)
    pub srcarch: String,
    /// Other names for this arch (TuxMake's `target_arch`, Debian's architecture name...):
    /// unique across the registry, with the arches' names (`validate::names`).
    #[serde(default)]
    pub aliases: Vec<String>,
    pub defconfig: String,
    pub image_target: String,
    /// the boot image, relative to the build dir
    pub image_path: String,
    /// Make variables this arch always sets, after ARCH= (`SUBARCH=x86_64` for um).
    #[serde(default)]
    pub make_vars: Vec<String>,
    /// An arch-level kconfig fragment, a file beside this one (`powerpc64.config`): what makes
    /// a kbuild ARCH shared by several entries this one (bitness, endianness, CPU family).
    /// Every cell of the arch merges it first, before the matrix's fragments.
    #[serde(default)]
    pub kconfig: Option<String>,
    /// per compiler family: the template variables (cross_compile, package, ...)
    #[serde(default)]
    pub compilers: BTreeMap<String, BTreeMap<String, String>>,
    /// Compiler families that cannot build this arch, each with the reason (a matrix cell
    /// asking for one is refused with it).
    #[serde(default)]
    pub unsupported: BTreeMap<String, String>,
    /// Why this arch cannot be built on this platform at all (no compiler to be had); a
    /// matrix cell of it is refused with the reason, and `doctor` shows it.
    #[serde(default)]
    pub unavailable: Option<String>,
    #[serde(default)]
    pub qemu: Option<QemuSpec>,
    /// Why there is no `[qemu]` (how it runs instead, or what is missing to boot it).
    #[serde(default)]
    pub boot_note: Option<String>,
    /// Seconds a cold tinyconfig cell (full image) of this arch took, measured: what
    /// `plan::schedule` ranks cells by when the history has no time for them.
    #[serde(default)]
    pub cold_build_s: Option<f64>,
    /// where this arch was loaded from (for messages)
    #[serde(skip_deserializing, default)]
    pub origin: String,
    /// The parsed `kconfig` fragment.
    #[serde(skip)]
    pub fragment: Option<crate::kconfig::Fragment>,
    /// The line of the name and of each alias in the file (for messages).
    #[serde(skip)]
    pub name_lines: BTreeMap<String, usize>,
}

impl Arch {
    /// The arch's name and its aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// `origin:line` of one of its names (the file alone when unknown).
    pub fn name_at(&self, name: &str) -> String {
        match self.name_lines.get(name) {
            Some(l) => format!("{}:{l}", self.origin),
            None => self.origin.clone(),
        }
    }

    /// The cross prefix of one family (`powerpc64-linux-gnu-`), if it declares one.
    pub fn cross_compile(&self, family: &str) -> Option<&str> {
        self.compilers
            .get(family)
            .and_then(|v| v.get("cross_compile"))
            .map(String::as_str)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compiler {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// make variables, as `VAR=value` templates
    pub make_vars: Vec<String>,
    /// program that lists an object's symbols (template)
    pub nm: String,
    /// the host compiler kbuild uses with this family (`HOSTCC`), which a wrapper wraps
    #[serde(default = "default_hostcc")]
    pub hostcc: String,
    #[serde(default)]
    pub requires: Vec<Requirement>,
    #[serde(skip_deserializing, default)]
    pub origin: String,
}

fn default_hostcc() -> String {
    "gcc".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostFile {
    requires: Vec<Requirement>,
}

/// A compiler family made concrete for one arch: the make variables and the programs needed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResolvedToolchain {
    pub family: String,
    pub make_vars: Vec<String>,
    /// kbuild's HOSTCC for this family (`gcc`, `clang-14`)
    #[serde(default = "default_hostcc")]
    pub hostcc: String,
    pub nm: String,
    pub requires: Vec<Requirement>,
}

impl ResolvedToolchain {
    /// The compiler: the first program the compiler family requires (toolchains/README.md).
    pub fn compiler(&self) -> Option<&str> {
        self.requires.first().map(|r| r.program.as_str())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub arches: BTreeMap<String, Arch>,
    pub compilers: BTreeMap<String, Compiler>,
    /// compiler wrappers (`wrapper/*.toml`): ccache, sccache, distcc, icecc
    pub wrappers: BTreeMap<String, wrapper::Wrapper>,
    pub host: Vec<Requirement>,
}

/// Convert a toml error into `file:line:col: message`.
pub fn toml_error(origin: &str, text: &str, e: &toml::de::Error) -> Error {
    let at = match e.span() {
        Some(span) => format!("{origin}:{}", line_col(text, span.start)),
        None => origin.to_string(),
    };
    Error::input(at, e.message().trim().to_string())
}

/// `line:col` (1-based) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map(|i| offset - i).unwrap_or(offset + 1);
    format!("{line}:{col}")
}

/// Expand `{key}` placeholders from `vars`. An unknown key is an error naming it.
pub fn expand(
    template: &str,
    vars: &BTreeMap<String, String>,
) -> std::result::Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else {
            return Err(format!("unclosed `{{` in `{template}`"));
        };
        let key = &after[..j];
        match vars.get(key) {
            Some(v) => out.push_str(v),
            None => return Err(format!("`{{{key}}}` in `{template}` has no value")),
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Registry {
    /// The built-in data plus every `*.toml` under `extra_dirs` (`arch/`, `compiler/`,
    /// `host.toml`); a file in an extra dir replaces a built-in one of the same name.
    pub fn load(extra_dirs: &[std::path::PathBuf]) -> Result<Registry> {
        let mut reg = Registry::default();
        for (path, text) in crate::util::embedded_files("toolchains/") {
            if !path.ends_with(".toml") {
                continue; // an arch's kconfig fragment, read with its arch file
            }
            let rel = path.strip_prefix("toolchains/").unwrap_or(path);
            let beside = |name: &str| {
                let dir = Path::new(path).parent().unwrap_or(Path::new(""));
                crate::util::embedded_file(&dir.join(name).to_string_lossy())
                    .map(|t| (dir.join(name).to_string_lossy().into_owned(), t.to_string()))
            };
            reg.add_file_kind(path, rel, text, &beside)?;
        }
        for dir in extra_dirs {
            if !dir.is_dir() {
                return Err(Error::Usage(format!(
                    "toolchains directory {} does not exist",
                    dir.display()
                )));
            }
            let mut files = Vec::new();
            for sub in ["", "arch", "compiler", "wrapper"] {
                let d = dir.join(sub);
                if let Ok(rd) = std::fs::read_dir(&d) {
                    for e in rd.flatten() {
                        let p = e.path();
                        if p.extension().is_some_and(|x| x == "toml") {
                            files.push(p);
                        }
                    }
                }
            }
            files.sort();
            for p in files {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| Error::io(format!("reading {}", p.display()), e))?;
                let rel = p
                    .strip_prefix(dir)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .into_owned();
                let beside = |name: &str| {
                    let f = p.parent().unwrap_or(Path::new("")).join(name);
                    let t = std::fs::read_to_string(&f).ok()?;
                    Some((f.display().to_string(), t))
                };
                reg.add_file_kind(&p.display().to_string(), &rel, &text, &beside)?;
            }
        }
        reg.validate()?;
        Ok(reg)
    }

    /// Add one data file; `beside` reads a file next to it (an arch's kconfig fragment):
    /// `(its path for messages, its text)`.
    fn add_file_kind(
        &mut self,
        origin: &str,
        rel: &str,
        text: &str,
        beside: &dyn Fn(&str) -> Option<(String, String)>,
    ) -> Result<()> {
        if rel.starts_with("arch/") {
            let mut a: Arch = toml::from_str(text).map_err(|e| toml_error(origin, text, &e))?;
            a.origin = origin.to_string();
            a.name_lines = validate::name_lines(origin, text)?;
            if let Some(k) = &a.kconfig {
                let at = validate::key_at(origin, text, "kconfig");
                if k.contains('/') || k.starts_with('.') {
                    return Err(Error::input(
                        at,
                        format!("kconfig `{k}`: a file name beside the arch file"),
                    ));
                }
                let (path, ftext) = beside(k)
                    .ok_or_else(|| Error::input(&at, format!("kconfig `{k}`: no such file")))?;
                a.fragment = Some(crate::kconfig::Fragment::parse(&path, &ftext)?);
            }
            validate::arch_make_vars(&a, text)?;
            self.arches.insert(a.name.clone(), a);
        } else if rel.starts_with("compiler/") {
            let mut c: Compiler = toml::from_str(text).map_err(|e| toml_error(origin, text, &e))?;
            c.origin = origin.to_string();
            self.compilers.insert(c.name.clone(), c);
        } else if rel.starts_with("wrapper/") {
            let w = wrapper::parse(origin, text)?;
            self.wrappers.insert(w.name.clone(), w);
        } else if rel == "host.toml" {
            let h: HostFile = toml::from_str(text).map_err(|e| toml_error(origin, text, &e))?;
            self.host = h.requires;
        }
        Ok(())
    }

    /// An arch by its name or one of its aliases (unique: `validate::names`). Never by
    /// kernel ARCH: several entries share one (`powerpc`, `mips`, `x86`).
    pub fn arch(&self, name: &str) -> Option<&Arch> {
        self.arches.get(name).or_else(|| {
            self.arches
                .values()
                .find(|a| a.aliases.iter().any(|x| x == name))
        })
    }

    /// The arch an lkb-harness build means: `name` with its `cross_compile` prefix. A name
    /// that is a kernel ARCH shared by several entries (`powerpc`) is decided by the prefix
    /// (its file name: `powerpc-linux-gnu-` is powerpc32) among the entries of that ARCH
    /// (and of the arch `name` itself names); without a prefix that decides, `arch(name)`.
    pub fn arch_for_cross(&self, name: &str, cross_compile: Option<&str>) -> Option<&Arch> {
        let named = self.arch(name);
        let Some(cc) = cross_compile else {
            return named;
        };
        let cc = cc.rsplit('/').next().unwrap_or(cc);
        let family_of = |a: &Arch| {
            a.kernel_arch == name
                || a.srcarch == name
                || named.is_some_and(|n| n.srcarch == a.srcarch)
        };
        let by_prefix: Vec<&Arch> = self
            .arches
            .values()
            .filter(|a| family_of(a) || named.is_some_and(|n| n.name == a.name))
            .filter(|a| a.compilers.keys().any(|f| a.cross_compile(f) == Some(cc)))
            .collect();
        match by_prefix.as_slice() {
            [one] => Some(one),
            _ => named,
        }
    }

    pub fn compiler(&self, name: &str) -> Option<&Compiler> {
        self.compilers.get(name).or_else(|| {
            self.compilers
                .values()
                .find(|c| c.aliases.iter().any(|x| x == name))
        })
    }

    pub fn arch_names(&self) -> String {
        self.arches.keys().cloned().collect::<Vec<_>>().join(", ")
    }

    pub fn compiler_names(&self) -> String {
        self.compilers
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Make a compiler family concrete for an arch. `cross_override` replaces the arch's
    /// cross prefix (lkb-harness `cross_compile`).
    pub fn resolve_with(
        &self,
        arch: &Arch,
        family: &str,
        cross_override: Option<&str>,
    ) -> Result<ResolvedToolchain> {
        let comp = self
            .compiler(family)
            .ok_or_else(|| Error::UnknownToolchain {
                name: family.to_string(),
                at: arch.origin.clone(),
                known: self.compiler_names(),
            })?;
        let Some(vars) = arch.compilers.get(&comp.name) else {
            return Err(Error::UnknownToolchain {
                name: family.to_string(),
                at: format!("arch {} ({})", arch.name, arch.origin),
                known: arch
                    .compilers
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let mut vars = vars.clone();
        if let Some(c) = cross_override {
            vars.insert("cross_compile".into(), c.to_string());
        }
        let at = format!("{} (for arch {})", comp.origin, arch.name);
        let ex = |t: &str| expand(t, &vars).map_err(|m| Error::input(&at, m));
        let mut make_vars = Vec::new();
        for v in &comp.make_vars {
            make_vars.push(ex(v)?);
        }
        let mut requires = Vec::new();
        for r in &comp.requires {
            requires.push(Requirement {
                program: ex(&r.program)?,
                package: ex(&r.package)?,
            });
        }
        Ok(ResolvedToolchain {
            family: comp.name.clone(),
            make_vars,
            hostcc: comp.hostcc.clone(),
            nm: ex(&comp.nm)?,
            requires,
        })
    }

    pub fn resolve(&self, arch: &Arch, family: &str) -> Result<ResolvedToolchain> {
        self.resolve_with(arch, family, None)
    }
}

/// Which requirements are not on PATH.
pub fn missing(reqs: &[Requirement]) -> Vec<Requirement> {
    reqs.iter()
        .filter(|r| which::which(&r.program).is_err())
        .cloned()
        .collect()
}

/// Is `dir` a plausible extra toolchains dir? (used by the CLI for a friendly error)
pub fn looks_like_toolchains_dir(dir: &Path) -> bool {
    dir.join("arch").is_dir() || dir.join("compiler").is_dir() || dir.join("host.toml").is_file()
}

#[cfg(test)]
mod tests;
