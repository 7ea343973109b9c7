//! A TuxSuite plan's build and test keys (TuxMake's and TuxRun's vocabulary) mapped onto
//! kcross's: arches and compilers through the registry's names and aliases
//! (`toolchains/`), kconfig lists into a base and fragments, TuxMake targets into make
//! targets, `qemu-<arch>` devices into the runtime arches.

use super::tuxsuite::{entries, items, text, Ctx, Note, Tuxsuite};
use super::{arch_name, check_make_arg, config_base, Build, Files};
use crate::error::{Error, Result};
use crate::kconfig::{Base, ConfigSpec, Fragment};
use saphyr::MarkedYamlOwned as Node;
use std::path::Path;

pub(super) struct Kconfig {
    pub base: Base,
    pub fragments: Vec<Fragment>,
    pub label: String,
}

const BUILD_KEYS: &str = "target_arch, toolchain, kconfig, targets, make_variables, environment, kernel_image, build_name, patch_series, git_repo (a local path)";

/// TuxMake's targets kcross builds, and the make target each is.
const TARGETS: &[(&str, &str)] = &[
    ("config", ""),
    ("kernel", "{image}"),
    ("modules", "modules"),
    ("dtbs", "dtbs"),
    ("debugkernel", "vmlinux"),
    ("headers", "headers"),
];

/// One `build:` mapping into a checked `Build`. `job` names the job when it has one build.
pub(super) fn build(cx: &Ctx, job: Option<&str>, n: &Node, info: &mut Tuxsuite) -> Result<Build> {
    let at = cx.at(n);
    let mut keys: Vec<(String, &Node, &Node)> = Vec::new();
    for (k, kn, v) in entries(cx, n, "a build")? {
        match k.as_str() {
            "target_arch" | "toolchain" | "kconfig" | "targets" | "make_variables"
            | "environment" | "kernel_image" | "build_name" | "patch_series" | "git_repo" => {}
            "git_ref" | "git_sha" => {
                return Err(Error::input(
                    cx.at(kn),
                    format!("`{k}` is not supported: kcross builds the tree as it is (check the revision out in a local git_repo, or pass --source)"),
                ))
            }
            other => {
                return Err(Error::input(
                    cx.at(kn),
                    format!("unknown build key `{other}` (kcross reads: {BUILD_KEYS})"),
                ))
            }
        }
        keys.push((k, kn, v));
    }
    let get = |key: &str| keys.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| *v);
    let arch_n =
        get("target_arch").ok_or_else(|| Error::input(&at, "this build has no `target_arch`"))?;
    let arch = arch_name(cx.reg, &text(cx, arch_n, "target_arch")?, &cx.at(arch_n))?;
    let a = cx.reg.arch(&arch).expect("checked arch");
    let tc_n =
        get("toolchain").ok_or_else(|| Error::input(&at, "this build has no `toolchain`"))?;
    let family = toolchain(cx, &arch, tc_n)?;

    let kc = match get("kconfig") {
        Some(k) => {
            let list: Vec<(String, String)> = items(k)
                .into_iter()
                .map(|i| Ok((text(cx, i, "a kconfig item")?, cx.at(i))))
                .collect::<Result<_>>()?;
            kconfig(cx, &a.srcarch, &list)?
        }
        None => kconfig(cx, &a.srcarch, &[("defconfig".to_string(), at.clone())])?,
    };

    let mut make_args = Vec::new();
    if let Some(mv) = get("make_variables") {
        for (k, kn, v) in entries(cx, mv, "make_variables")? {
            let value = text(cx, v, "a make variable")?;
            if k == "LLVM" {
                if family == "clang" && (value == "1" || value == "-14") {
                    continue; // kcross's clang family sets LLVM=-14 itself
                }
                return Err(Error::input(
                    cx.at(kn),
                    format!("LLVM={value} with toolchain `{family}`: give `toolchain: llvm-14` (kcross's clang family sets LLVM=-14)"),
                ));
            }
            let arg = format!("{k}={value}");
            check_make_arg(&arg, &cx.at(kn))?;
            make_args.push(arg);
        }
    }
    if let Some(env) = get("environment") {
        // Passed as make command-line variables (kcross runs make without a shell): kbuild
        // reads KCFLAGS, KBUILD_BUILD_* and the like from either, and make exports them.
        for (k, kn, v) in entries(cx, env, "environment")? {
            let arg = format!("{k}={}", text(cx, v, "an environment value")?);
            check_make_arg(&arg, &cx.at(kn))?;
            make_args.push(arg);
        }
    }

    let image = match get("kernel_image") {
        Some(v) => {
            let img = text(cx, v, "kernel_image")?;
            if img.is_empty()
                || !img
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            {
                return Err(Error::input(cx.at(v), format!("kernel_image `{img}` is not a make target name (bzImage, Image.gz, vmlinux...)")));
            }
            Some(img)
        }
        None => None,
    };
    let mut targets = Vec::new();
    if let Some(t) = get("targets") {
        for i in items(t) {
            let name = text(cx, i, "a target")?;
            let Some((_, make)) = TARGETS.iter().find(|(n, _)| *n == name) else {
                let known: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
                return Err(Error::input(
                    cx.at(i),
                    format!(
                        "unsupported target `{name}` (kcross builds: {})",
                        known.join(", ")
                    ),
                ));
            };
            let make = make.replace("{image}", image.as_deref().unwrap_or(&a.image_target));
            if !make.is_empty() && !targets.contains(&make) {
                targets.push(make);
            }
        }
        if targets.is_empty() {
            // only `config`: configure (which every build does), then nothing more
            targets.push("olddefconfig".to_string());
        }
    } else if let Some(img) = &image {
        targets.push(img.clone());
    }

    let build_name = get("build_name")
        .map(|v| text(cx, v, "build_name"))
        .transpose()?;
    if let Some(ps) = get("patch_series") {
        series(cx, ps, info)?;
    }
    let name = build_name.or(job.map(str::to_string));
    Ok(Build {
        at,
        name: name.clone(),
        arch,
        toolchains: vec![family],
        cross_compile: None,
        config: ConfigSpec {
            label: name.unwrap_or(kc.label),
            base: kc.base,
            fragments: kc.fragments,
        },
        targets,
        make_args,
        timeout_s: None,
        wrapper: None,
    })
}

/// `patch_series`: a local mbox or patch directory, one per plan.
fn series(cx: &Ctx, n: &Node, info: &mut Tuxsuite) -> Result<()> {
    let p = text(cx, n, "patch_series")?;
    let path = cx.dir.join(&p);
    if !path.exists() {
        return Err(Error::input(
            cx.at(n),
            format!(
                "patch_series `{p}`: no such mbox or directory ({})",
                path.display()
            ),
        ));
    }
    let path = path.display().to_string();
    match &info.patch_series {
        Some(prev) if prev.msg != path => Err(Error::input(
            cx.at(n),
            format!(
                "patch_series `{p}` differs from the one at {}: kcross gates one series per plan",
                prev.at
            ),
        )),
        Some(_) => Ok(()),
        None => {
            info.patch_series = Some(Note {
                at: cx.at(n),
                msg: path,
            });
            Ok(())
        }
    }
}

/// `gcc`, `gcc-12`, `clang`, `clang-14`, `llvm-14`: a compiler family by its name or one of
/// its aliases in toolchains/compiler/*.toml (where the installed versions are named).
fn toolchain(cx: &Ctx, arch: &str, n: &Node) -> Result<String> {
    let name = text(cx, n, "toolchain")?;
    let a = cx.reg.arch(arch).expect("checked arch");
    if let Some(why) = cx
        .reg
        .compiler(&name)
        .and_then(|c| cx.reg.refusal(a, &c.name))
    {
        return Err(Error::input(cx.at(n), why));
    }
    match cx.reg.compiler(&name) {
        Some(c) if a.compilers.contains_key(&c.name) => Ok(c.name.clone()),
        _ => {
            let known: Vec<String> = cx
                .reg
                .compilers
                .values()
                .filter(|c| a.compilers.contains_key(&c.name))
                .flat_map(|c| std::iter::once(c.name.clone()).chain(c.aliases.iter().cloned()))
                .collect();
            Err(Error::UnknownToolchain {
                name,
                at: format!("{}, for {arch}: not installed", cx.at(n)),
                known: known.join(", "),
            })
        }
    }
}

/// A kconfig list: the base (a make target or a local config file), then CONFIG_ lines,
/// local fragment files, and in-tree ones (`kernel/configs/debug.config`, or a bare
/// `kvm_guest.config` looked up in kernel/configs/ and arch/<srcarch>/configs/).
fn kconfig(cx: &Ctx, srcarch: &str, list: &[(String, String)]) -> Result<Kconfig> {
    let (first, first_at) = &list[0];
    if first.starts_with("CONFIG_") || first.starts_with('#') {
        return Err(Error::input(
            first_at,
            "the first kconfig item is the base (a make target such as defconfig, or a config file), not a CONFIG_ line",
        ));
    }
    let base = config_base(first, &Files::Disk(cx.dir.to_path_buf()), first_at)?;
    let mut label = base.label();
    let mut fragments = Vec::new();
    for (item, at) in &list[1..] {
        let line = item.trim();
        if line.starts_with("CONFIG_") || line.starts_with("# CONFIG_") {
            let f = Fragment::parse(at, &format!("{line}\n")).map_err(|_| {
                Error::input(
                    at,
                    format!(
                        "`{line}` is not a `CONFIG_NAME=value` or `# CONFIG_NAME is not set` line"
                    ),
                )
            })?;
            if !label.ends_with("+kconfig") {
                label.push_str("+kconfig");
            }
            fragments.push(f);
            continue;
        }
        if !line.ends_with(".config") && !line.contains('/') {
            return Err(Error::input(
                at,
                format!("kconfig item `{line}` is neither a CONFIG_ line nor a config file (a make target such as defconfig can only be the first item)"),
            ));
        }
        let (path, ftext) = fragment_file(cx, srcarch, line, at)?;
        if let Some(s) = Path::new(line).file_stem() {
            label.push('+');
            label.push_str(&s.to_string_lossy());
        }
        fragments.push(Fragment::parse(&path, &ftext)?);
    }
    Ok(Kconfig {
        base,
        fragments,
        label,
    })
}

/// A fragment file: local (relative to the plan) first, else in the kernel tree.
fn fragment_file(cx: &Ctx, srcarch: &str, item: &str, at: &str) -> Result<(String, String)> {
    let local = cx.dir.join(item);
    if local.is_file() {
        let text = std::fs::read_to_string(&local)
            .map_err(|e| Error::input(at, format!("cannot read {}: {e}", local.display())))?;
        let shown = local.canonicalize().unwrap_or(local);
        return Ok((shown.display().to_string(), text));
    }
    let candidates: Vec<String> = if item.contains('/') {
        vec![item.to_string()]
    } else {
        vec![
            format!("kernel/configs/{item}"),
            format!("arch/{srcarch}/configs/{item}"),
        ]
    };
    let root = cx.tree()?;
    for c in &candidates {
        let p = root.join(c);
        if p.is_file() {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| Error::input(at, format!("cannot read {}: {e}", p.display())))?;
            return Ok((c.clone(), text));
        }
    }
    Err(Error::input(
        at,
        format!(
            "kconfig item `{item}`: no such local file ({}) nor in-tree fragment ({} in {})",
            local.display(),
            candidates.join(" or "),
            root.display()
        ),
    ))
}

/// One `test:` mapping: its device's arch (which this job must build), with the tests kcross
/// does not run noted by name. Every TuxRun test boots first, so a device means a boot.
pub(super) fn test(
    cx: &Ctx,
    n: &Node,
    job_arches: &[(String, String)],
    info: &mut Tuxsuite,
    kunit: &mut bool,
) -> Result<String> {
    let mut device = None;
    let mut tests = Vec::new();
    for (k, kn, v) in entries(cx, n, "a test")? {
        match k.as_str() {
            "device" => device = Some(v),
            "tests" => tests = items(v),
            other => {
                return Err(Error::input(
                    cx.at(kn),
                    format!("unsupported test key `{other}` (kcross reads: device, tests)"),
                ))
            }
        }
    }
    let dn = device.ok_or_else(|| Error::input(cx.at(n), "this test has no `device`"))?;
    let d = text(cx, dn, "device")?;
    let bootable: Vec<String> = cx
        .reg
        .arches
        .values()
        .filter(|a| a.qemu.is_some())
        .map(|a| {
            let mut names = vec![format!("qemu-{}", a.name)];
            names.extend(a.aliases.iter().map(|x| format!("qemu-{x}")));
            names.join(" = ")
        })
        .collect();
    let arch = d
        .strip_prefix("qemu-")
        .and_then(|x| cx.reg.arch(x))
        .filter(|a| a.qemu.is_some())
        .ok_or_else(|| {
            Error::input(
                cx.at(dn),
                format!(
                    "unknown device `{d}` (kcross boots under QEMU: {})",
                    bootable.join("; ")
                ),
            )
        })?;
    if !job_arches.iter().any(|(a, _)| *a == arch.name) {
        let built: Vec<&str> = job_arches.iter().map(|(a, _)| a.as_str()).collect();
        return Err(Error::input(
            cx.at(dn),
            format!(
                "device `{d}` boots {}, but this job builds no {} kernel (it builds: {}); kcross boots what it builds",
                arch.name,
                arch.name,
                if built.is_empty() { "nothing".to_string() } else { built.join(", ") }
            ),
        ));
    }
    for t in tests {
        let name = text(cx, t, "a test name")?;
        let why = match name.as_str() {
            "boot" => continue,
            // The suites are whatever the job's kconfig builds in (CONFIG_KUNIT=y and the
            // suites' symbols, as TuxRun's kunit test expects); their KTAP is parsed per case.
            "kunit" => {
                *kunit = true;
                continue;
            }
            other => format!("kcross has no `{other}` (it runs: boot, kunit)"),
        };
        info.notes.push(Note {
            at: cx.at(t),
            msg: format!("test `{name}` is unsupported and not run: {why}; the kernel is still booted on {d}"),
        });
    }
    Ok(arch.name.clone())
}
