//! Whether kbuild builds an object for this config, read from the Makefiles the way kbuild
//! descends: the line that adds `file.o` in its directory's Kbuild (else Makefile), through a
//! composite object (`device_dax-y := device.o`, then `obj-$(CONFIG_DEV_DAX) += device_dax.o`),
//! and the line that adds each directory above it (`obj-$(CONFIG_DAX) += dax/` in
//! drivers/Makefile), up to the top-level directory, which the top Makefile always enters.

use super::scan::Config;
use std::path::Path;

/// (the gating symbol, whether the config enables it); `(None, true)` for `obj-y`.
pub type Gate = (Option<String>, bool);

/// The gate of `rel_obj` (`drivers/dax/device.o`): the first directory level (the object's
/// own first, then each directory above) whose line is off, else the object's own line.
/// None: not found in its directory (an arch Makefile, a generated list): unknown.
pub fn object_gate(srctree: &Path, rel_obj: &str, cfg: &Config) -> Option<Gate> {
    let p = Path::new(rel_obj);
    let dir = p.parent()?;
    let name = p.file_name()?.to_string_lossy().into_owned();
    let own = gate_in(srctree, dir, &name, cfg, 0);
    if matches!(own, Some((Some(_), false))) {
        return own;
    }
    let mut d = dir;
    while let Some(parent) = d.parent() {
        if parent.as_os_str().is_empty() {
            break;
        }
        let word = format!("{}/", d.file_name()?.to_string_lossy());
        if let Some(g @ (Some(_), false)) = gate_in(srctree, parent, &word, cfg, 0) {
            return Some(g);
        }
        d = parent;
    }
    own
}

/// The Makefile variables that list objects or directories rather than name a composite.
const LISTS: &[&str] = &[
    "obj", "lib", "core", "drivers", "libs", "head", "subdir", "always", "extra", "targets",
    "init", "net", "virt",
];

/// The line of `dir`'s Kbuild (or Makefile) that has `word` on its right-hand side.
fn gate_in(srctree: &Path, dir: &Path, word: &str, cfg: &Config, depth: u32) -> Option<Gate> {
    let mk = std::fs::read_to_string(srctree.join(dir).join("Kbuild"))
        .ok()
        .filter(|t| mentions(t, word))
        .or_else(|| std::fs::read_to_string(srctree.join(dir).join("Makefile")).ok())?;
    // Join continuation lines.
    let joined = mk.replace("\\\n", " ");
    for line in joined.lines() {
        let l = line.trim();
        if l.starts_with('#') {
            continue;
        }
        let Some((lhs, rhs)) = l
            .split_once("+=")
            .or_else(|| l.split_once(":="))
            .or_else(|| l.split_once('='))
        else {
            continue;
        };
        if !rhs.split_whitespace().any(|w| w == word) {
            continue;
        }
        let lhs = lhs.trim();
        if let Some(i) = lhs.find("$(CONFIG_") {
            let sym = &lhs[i + 2..lhs[i..].find(')').map_or(lhs.len(), |j| i + j)];
            let on = cfg.defined(sym).unwrap_or(false);
            return Some((Some(sym.to_string()), on));
        }
        let Some(name) = lhs.strip_suffix("-y").or_else(|| lhs.strip_suffix("-objs")) else {
            continue;
        };
        // A composite object's part: the composite's own line decides.
        let composite = format!("{name}.o");
        if !LISTS.contains(&name) && depth < 3 && mentions(&joined, &composite) {
            if let Some(g) = gate_in(srctree, dir, &composite, cfg, depth + 1) {
                return Some(g);
            }
        }
        return Some((None, true));
    }
    None
}

fn mentions(text: &str, word: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || c == '=' || c == '\\')
        .any(|w| w == word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, t) in files {
            let p = d.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, t).unwrap();
        }
        d
    }

    #[test]
    fn the_object_its_composite_and_every_directory_above_must_be_on() {
        let t = tree(&[
            ("drivers/Makefile", "obj-y += base/\nobj-$(CONFIG_DAX) += dax/\n"),
            (
                "drivers/dax/Makefile",
                "obj-$(CONFIG_DEV_DAX) += device_dax.o\ndevice_dax-y := device.o\nobj-y += always.o\n",
            ),
            ("drivers/base/Makefile", "obj-y := core.o \\\n\tbus.o\n"),
            ("mm/Makefile", "mmu-$(CONFIG_MMU) := mprotect.o\nobj-y += $(mmu-y)\n"),
            ("arch/x86/Makefile", "# the arch Makefile lists no mm/\n"),
            ("arch/x86/Kbuild", "obj-y += mm/\n"),
            ("arch/x86/mm/Makefile", "obj-y := pgtable.o\n"),
        ]);
        let on = |syms: &[&str]| -> BTreeMap<String, String> {
            syms.iter()
                .map(|s| (s.to_string(), "y".to_string()))
                .collect()
        };
        let all = on(&["DAX", "DEV_DAX", "MMU"]);
        let cfg = Config { values: &all };
        let r = t.path();
        let g = |o: &str, c: &Config| object_gate(r, o, c);
        assert_eq!(
            g("drivers/dax/device.o", &cfg),
            Some((Some("CONFIG_DEV_DAX".into()), true))
        );
        assert_eq!(g("drivers/base/bus.o", &cfg), Some((None, true)));
        assert_eq!(
            g("mm/mprotect.o", &cfg),
            Some((Some("CONFIG_MMU".into()), true))
        );
        assert_eq!(g("arch/x86/mm/pgtable.o", &cfg), Some((None, true)));
        assert_eq!(g("drivers/dax/unknown.o", &cfg), None);
        // The counter-cases: the composite's symbol off, the directory's symbol off.
        let no_dev = on(&["DAX", "MMU"]);
        let cfg = Config { values: &no_dev };
        assert_eq!(
            g("drivers/dax/device.o", &cfg),
            Some((Some("CONFIG_DEV_DAX".into()), false))
        );
        let no_dir = on(&["DEV_DAX"]);
        let cfg = Config { values: &no_dir };
        assert_eq!(
            g("drivers/dax/device.o", &cfg),
            Some((Some("CONFIG_DAX".into()), false))
        );
        assert_eq!(
            g("drivers/dax/always.o", &cfg),
            Some((Some("CONFIG_DAX".into()), false))
        );
        assert_eq!(
            g("mm/mprotect.o", &cfg),
            Some((Some("CONFIG_MMU".into()), false))
        );
    }
}
