//! Arches and compiler families, loaded from data (`toolchains/`). No code branches on an
//! arch or compiler name: everything a cell needs to know comes from these files.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

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
    #[serde(default)]
    pub aliases: Vec<String>,
    pub defconfig: String,
    pub image_target: String,
    /// the boot image, relative to the build dir
    pub image_path: String,
    /// per compiler family: the template variables (cross_compile, package, ...)
    pub compilers: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub qemu: Option<QemuSpec>,
    /// where this arch was loaded from (for messages)
    #[serde(skip_deserializing, default)]
    pub origin: String,
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
    #[serde(default)]
    pub requires: Vec<Requirement>,
    #[serde(skip_deserializing, default)]
    pub origin: String,
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
            reg.add_file(path, text)?;
        }
        for dir in extra_dirs {
            if !dir.is_dir() {
                return Err(Error::Usage(format!(
                    "toolchains directory {} does not exist",
                    dir.display()
                )));
            }
            let mut files = Vec::new();
            for sub in ["", "arch", "compiler"] {
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
                reg.add_file_kind(&p.display().to_string(), &rel, &text)?;
            }
        }
        reg.validate()?;
        Ok(reg)
    }

    fn add_file(&mut self, path: &str, text: &str) -> Result<()> {
        let rel = path.strip_prefix("toolchains/").unwrap_or(path);
        self.add_file_kind(path, rel, text)
    }

    fn add_file_kind(&mut self, origin: &str, rel: &str, text: &str) -> Result<()> {
        if rel.starts_with("arch/") {
            let mut a: Arch = toml::from_str(text).map_err(|e| toml_error(origin, text, &e))?;
            a.origin = origin.to_string();
            self.arches.insert(a.name.clone(), a);
        } else if rel.starts_with("compiler/") {
            let mut c: Compiler = toml::from_str(text).map_err(|e| toml_error(origin, text, &e))?;
            c.origin = origin.to_string();
            self.compilers.insert(c.name.clone(), c);
        } else if rel == "host.toml" {
            let h: HostFile = toml::from_str(text).map_err(|e| toml_error(origin, text, &e))?;
            self.host = h.requires;
        }
        Ok(())
    }

    /// Every arch x family pair an arch declares must expand without missing keys.
    fn validate(&self) -> Result<()> {
        for a in self.arches.values() {
            for family in a.compilers.keys() {
                let Some(_) = self.compiler(family) else {
                    return Err(Error::input(
                        &a.origin,
                        format!(
                            "[compilers.{family}]: no compiler family `{family}` (known: {})",
                            self.compiler_names()
                        ),
                    ));
                };
                self.resolve(a, family)?;
            }
        }
        Ok(())
    }

    pub fn arch(&self, name: &str) -> Option<&Arch> {
        self.arches.get(name).or_else(|| {
            self.arches
                .values()
                .find(|a| a.aliases.iter().any(|x| x == name) || a.kernel_arch == name)
        })
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
mod tests {
    use super::*;

    #[test]
    fn builtin_data_loads_and_resolves() {
        let reg = Registry::load(&[]).unwrap();
        let ppc = reg.arch("ppc64le").unwrap();
        assert_eq!(ppc.kernel_arch, "powerpc");
        let tc = reg.resolve(ppc, "gcc").unwrap();
        assert_eq!(tc.make_vars, vec!["CROSS_COMPILE=powerpc64le-linux-gnu-"]);
        assert_eq!(tc.requires[0].program, "powerpc64le-linux-gnu-gcc");
        assert_eq!(tc.requires[0].package, "gcc-powerpc64le-linux-gnu");
        let clang = reg.resolve(reg.arch("arm64").unwrap(), "llvm").unwrap();
        assert!(clang.make_vars.contains(&"LLVM=-14".to_string()));
    }

    #[test]
    fn expand_reports_unknown_keys() {
        let mut v = BTreeMap::new();
        v.insert("a".to_string(), "x".to_string());
        assert_eq!(expand("{a}-gcc", &v).unwrap(), "x-gcc");
        assert!(expand("{b}", &v).unwrap_err().contains("{b}"));
    }

    #[test]
    fn line_col_is_one_based() {
        assert_eq!(line_col("ab\ncd", 4), "2:2");
        assert_eq!(line_col("ab", 0), "1:1");
    }
}
