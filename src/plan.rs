//! Planning: a checked `Matrix` expands into `Cell`s (arch x toolchain x config x targets),
//! each with a stable id and everything needed to build it without looking anything up again.

use crate::error::{Error, Result};
use crate::kconfig::ConfigSpec;
use crate::matrix::{HelperName, Matrix, RuntimeSpec};
use crate::toolchain::{Registry, ResolvedToolchain};
use serde::{Deserialize, Serialize};

pub mod partition;
pub mod schedule;

pub use partition::{Partition, Shard};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cell {
    /// Stable id: `{arch}-{toolchain}-{config label}` (plus targets when not the default).
    pub id: String,
    pub arch: String,
    pub kernel_arch: String,
    pub srcarch: String,
    /// The arch's own make variables (`SUBARCH=x86_64`), after ARCH=.
    #[serde(default)]
    pub arch_make_vars: Vec<String>,
    pub toolchain: ResolvedToolchain,
    pub config: ConfigSpec,
    pub targets: Vec<String>,
    pub make_args: Vec<String>,
    /// the boot image, relative to the build dir
    pub image_path: String,
    /// where in the matrix this cell comes from (file:line:col)
    pub at: String,
    /// Seconds the build's make may run before it is ended with verdict `timeout` (not part
    /// of the config key: a limit changes nothing that is built).
    #[serde(default = "default_timeout_s")]
    pub timeout_s: u64,
    /// The compiler wrapper, when one is used: already in the toolchain's make variables
    /// (`CC=ccache <cc>`, so in the config key) and requirements; here its environment and
    /// statistics log for the build step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapper: Option<CellWrapper>,
}

/// What the build step needs of a cell's compiler wrapper.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CellWrapper {
    pub name: String,
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub stats_log: Option<crate::toolchain::wrapper::StatsLog>,
    #[serde(default)]
    pub slots: Option<crate::toolchain::wrapper::Slots>,
    /// argv printing the wrapper's cache directory (writable in a sandbox)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_dir: Vec<String>,
    /// Each farm host compiles a probe with the cell's compiler before the run
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_probe: Option<WrapperProbe>,
}

/// A cell's farm probe: `program compiler -c` on each host of `slots`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct WrapperProbe {
    pub program: String,
    pub compiler: String,
    pub probe: crate::toolchain::wrapper::HostProbe,
}

fn default_timeout_s() -> u64 {
    crate::matrix::DEFAULT_CELL_TIMEOUT_S
}

impl Cell {
    /// Every make variable for this cell, in order: ARCH, the arch's, the toolchain's, the
    /// matrix's.
    pub fn make_vars(&self) -> Vec<String> {
        let mut v = vec![format!("ARCH={}", self.kernel_arch)];
        v.extend(self.arch_make_vars.iter().cloned());
        v.extend(self.toolchain.make_vars.iter().cloned());
        v.extend(self.make_args.iter().cloned());
        v
    }

    /// Identity of the configured build dir: what, if changed, needs a fresh configure.
    pub fn config_key(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(self.arch.as_bytes());
        for v in self.make_vars() {
            h.update(b"\0");
            h.update(v.as_bytes());
        }
        // What is configured, not where it was read from: the base (a make target, or a
        // config file's text) and each fragment's text, in order. The label and the paths
        // are cosmetic: the same fragments read from another checkout or matrix share a dir.
        let base = match &self.config.base {
            crate::kconfig::Base::Target(t) => format!("target\0{t}"),
            crate::kconfig::Base::File { text, .. } => format!("file\0{text}"),
        };
        let texts: Vec<&str> = self
            .config
            .fragments
            .iter()
            .map(|f| f.text.as_str())
            .collect();
        h.update(serde_json::to_vec(&(base, texts)).expect("serialisable"));
        let d = h.finalize();
        d[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub matrix: String,
    pub matrix_origin: String,
    pub cells: Vec<Cell>,
    pub helpers: Vec<HelperName>,
    pub check_objects: Vec<String>,
    /// The headers the helper check's probe includes.
    #[serde(default = "crate::matrix::default_includes")]
    pub check_includes: Vec<String>,
    pub runtime: Option<RuntimeSpec>,
    /// The matrix's `[[known]]` entries.
    #[serde(default)]
    pub known: Vec<crate::known::KnownIssue>,
    /// Set when this plan is one shard of a bigger one (`--partition K/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub arches: Vec<String>,
    pub toolchains: Vec<String>,
    /// `--wrapper`: every cell's compiler wrapper (replaces the matrix's)
    pub wrapper: Option<String>,
}

/// Put `w` in front of the toolchain's compilers the way kbuild expects (`CC=ccache <cc>`,
/// one make variable) and add its program to what the cell requires (so a missing wrapper
/// is named with its package, like a missing compiler).
fn wrap(w: &crate::toolchain::wrapper::Wrapper, tc: &mut ResolvedToolchain) -> CellWrapper {
    let cc = tc.compiler().unwrap_or("gcc").to_string();
    tc.make_vars.extend(w.make_vars(&cc, &tc.hostcc));
    tc.requires.extend(w.requires());
    CellWrapper {
        name: w.name.clone(),
        env: w.env.clone(),
        stats_log: w.stats_log.clone(),
        slots: w.slots.clone(),
        cache_dir: w.cache_dir.clone(),
        host_probe: w.host_probe.clone().map(|probe| WrapperProbe {
            program: w.program.clone(),
            compiler: cc,
            probe,
        }),
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Expand a matrix into cells. Filters name arches/toolchains (aliases allowed); a filter that
/// names something unknown is an error, one that matches nothing in the matrix too.
pub fn expand(m: &Matrix, reg: &Registry, f: &Filters) -> Result<Plan> {
    let mut want_arch = Vec::new();
    for a in &f.arches {
        let arch = reg.arch(a).ok_or_else(|| Error::UnknownArch {
            name: a.clone(),
            at: "--arch".into(),
            known: reg.arch_names(),
        })?;
        if !m.builds.iter().any(|b| b.arch == arch.name) {
            return Err(Error::Usage(format!(
                "--arch {a}: the matrix {} has no {} build (it has: {})",
                m.origin,
                arch.name,
                m.builds
                    .iter()
                    .map(|b| b.arch.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        want_arch.push(arch.name.clone());
    }
    let mut want_tc = Vec::new();
    for t in &f.toolchains {
        let c = reg.compiler(t).ok_or_else(|| Error::UnknownToolchain {
            name: t.clone(),
            at: "--toolchain".into(),
            known: reg.compiler_names(),
        })?;
        want_tc.push(c.name.clone());
    }
    let mut cells: Vec<Cell> = Vec::new();
    for b in &m.builds {
        if !want_arch.is_empty() && !want_arch.contains(&b.arch) {
            continue;
        }
        let arch = reg.arch(&b.arch).expect("checked arch");
        for family in &b.toolchains {
            if !want_tc.is_empty() && !want_tc.contains(family) {
                continue;
            }
            let mut tc = reg.resolve_with(arch, family, b.cross_compile.as_deref())?;
            let wrapper = match f.wrapper.as_ref().or(b.wrapper.as_ref()) {
                Some(name) => Some(wrap(reg.wrapper(name)?, &mut tc)),
                None => None,
            };
            let targets = if b.targets.is_empty() {
                vec![arch.image_target.clone()]
            } else {
                b.targets.clone()
            };
            let mut id = format!("{}-{}-{}", arch.name, family, sanitize(&b.config.label));
            // An explicit name is the user's id; otherwise non-default targets are part of it.
            if b.name.is_none() && targets != [arch.image_target.clone()] {
                id.push('-');
                id.push_str(&sanitize(&targets.join("+")));
            }
            if let Some(other) = cells.iter().find(|c| c.id == id) {
                return Err(Error::input(
                    &b.at,
                    format!(
                        "duplicate cell `{id}` (also at {}); give one a different `name`",
                        other.at
                    ),
                ));
            }
            // The arch's own fragment (bitness, endianness) first, then the matrix's.
            let mut config = b.config.clone();
            if let Some(f) = &arch.fragment {
                config.fragments.insert(0, f.clone());
            }
            cells.push(Cell {
                id,
                arch: arch.name.clone(),
                kernel_arch: arch.kernel_arch.clone(),
                srcarch: arch.srcarch.clone(),
                arch_make_vars: arch.make_vars.clone(),
                toolchain: tc,
                config,
                targets,
                make_args: b.make_args.clone(),
                image_path: arch.image_path.clone(),
                at: b.at.clone(),
                timeout_s: b.timeout_s.unwrap_or(crate::matrix::DEFAULT_CELL_TIMEOUT_S),
                wrapper,
            });
        }
    }
    if cells.is_empty() {
        return Err(Error::Usage(format!(
            "no cell of {} matches the filters (--arch {:?} --toolchain {:?})",
            m.origin, f.arches, f.toolchains
        )));
    }
    if f.arches.is_empty() && f.toolchains.is_empty() {
        let ids: Vec<(String, String)> = cells
            .iter()
            .map(|c| (c.id.clone(), c.arch.clone()))
            .collect();
        crate::matrix::known::check_cells(&m.known, &ids)?;
    } else if !m.known.is_empty() {
        // Filtered: the entries are checked against every cell of the matrix.
        expand(m, reg, &Filters::default())?;
    }
    Ok(Plan {
        matrix: m.name.clone(),
        matrix_origin: m.origin.clone(),
        cells,
        helpers: m.helpers.clone(),
        check_objects: m.check_objects.clone(),
        check_includes: m.check_includes.clone(),
        runtime: m.runtime.clone(),
        known: m.known.clone(),
        shard: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cells_timeout_is_the_matrix_s_or_the_default_and_no_part_of_its_config_key() {
        let reg = Registry::load(&[]).unwrap();
        let mut m = crate::matrix::load(None, &reg).unwrap();
        let plain = expand(&m, &reg, &Filters::default()).unwrap();
        assert!(plain
            .cells
            .iter()
            .all(|c| c.timeout_s == crate::matrix::DEFAULT_CELL_TIMEOUT_S));
        m.builds[0].timeout_s = Some(90);
        let p = expand(&m, &reg, &Filters::default()).unwrap();
        assert_eq!(p.cells[0].timeout_s, 90);
        assert_eq!(p.cells[0].config_key(), plain.cells[0].config_key());
    }

    #[test]
    fn default_plan_has_stable_ids_and_filters() {
        let reg = Registry::load(&[]).unwrap();
        let m = crate::matrix::load(None, &reg).unwrap();
        let p = expand(&m, &reg, &Filters::default()).unwrap();
        let ids: Vec<_> = p.cells.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "x86_64-gcc-pud",
                "powerpc64le-gcc-pud",
                "arm64-gcc-pud",
                "riscv64-gcc-pud"
            ]
        );
        assert_eq!(
            p.cells[1].make_vars(),
            ["ARCH=powerpc", "CROSS_COMPILE=powerpc64le-linux-gnu-"]
        );
        let p2 = expand(
            &m,
            &reg,
            &Filters {
                arches: vec!["ppc64le".into()],
                toolchains: vec![],
                wrapper: None,
            },
        )
        .unwrap();
        assert_eq!(p2.cells.len(), 1);
        assert_eq!(p2.cells[0].config_key(), p.cells[1].config_key());
        assert_ne!(p.cells[0].config_key(), p.cells[1].config_key());
        let e = expand(
            &m,
            &reg,
            &Filters {
                arches: vec!["pdp11".into()],
                toolchains: vec![],
                wrapper: None,
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("known arches"), "{e}");
        // A known arch the matrix does not build.
        let e = expand(
            &m,
            &reg,
            &Filters {
                arches: vec!["m68k".into()],
                toolchains: vec![],
                wrapper: None,
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("has no m68k build"), "{e}");
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;

    fn key_of(dir: &std::path::Path, fragment: &str) -> String {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("f.config"), fragment).unwrap();
        let m = dir.join("m.toml");
        std::fs::write(
            &m,
            "name = \"k\"\n[[build]]\narch = \"x86_64\"\nconfig = \"tinyconfig\"\nfragments = [\"f.config\"]\n",
        )
        .unwrap();
        let reg = Registry::load(&[]).unwrap();
        let m = crate::matrix::load(Some(&m), &reg).unwrap();
        expand(&m, &reg, &Filters::default()).unwrap().cells[0].config_key()
    }

    #[test]
    fn the_config_key_follows_the_fragments_text_not_their_path() {
        let t = tempfile::tempdir().unwrap();
        let a = key_of(&t.path().join("a"), "CONFIG_BLOCK=y\n");
        let b = key_of(&t.path().join("elsewhere/b"), "CONFIG_BLOCK=y\n");
        let c = key_of(&t.path().join("c"), "CONFIG_BLOCK=n\n");
        assert_eq!(a, b, "the same fragment read from another path");
        assert_ne!(a, c, "another fragment text");
    }
}

#[cfg(test)]
#[path = "plan_every_arch_tests.rs"]
mod every_arch_tests;
