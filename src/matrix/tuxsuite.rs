//! TuxSuite plans (`version: 1`, `name`, `description`, `jobs[]`, each job with `build` or
//! `builds` and `test` or `tests`) read into the same checked `Matrix` as a native TOML
//! matrix. Every node keeps its line:col (saphyr's `MarkedYamlOwned`), so every error names
//! file:line:col. kcross works offline: a URL anywhere in a plan is refused; a local path is
//! accepted in its place. The key mapping is in `tuxmake.rs`.

use super::tuxmake;
use super::{Build, Matrix, RuntimeSpec};
use crate::error::{Error, Result};
use crate::toolchain::Registry;
use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

/// How the loader gets the kernel tree that a plan's in-tree kconfig items
/// (`kernel/configs/debug.config`, `kvm_guest.config`) are read from; it is given the plan's
/// own source (`git_repo`, a local path) when it has one. Called at most once, and only for
/// a plan that names an in-tree item.
pub type TreeFn<'a> = dyn Fn(Option<&str>) -> Result<PathBuf> + 'a;

/// What a TuxSuite plan says that kcross records but does not turn into cells.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
pub struct Tuxsuite {
    /// What kcross does not run, by name, with where the plan says it (shown by the CLI).
    pub notes: Vec<Note>,
    /// The plan's `patch_series` (a local mbox or patch directory), for `kcross series`.
    pub patch_series: Option<Note>,
}

/// `at` is file:line:col in the plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Note {
    pub at: String,
    pub msg: String,
}

type Node = MarkedYamlOwned;

pub(super) struct Ctx<'a> {
    pub origin: &'a str,
    pub dir: &'a Path,
    pub reg: &'a Registry,
    tree: &'a TreeFn<'a>,
    root: OnceCell<PathBuf>,
    source: Option<String>,
}

impl Ctx<'_> {
    pub fn at(&self, n: &Node) -> String {
        let m = n.span.start;
        format!("{}:{}:{}", self.origin, m.line(), m.col() + 1)
    }

    /// The kernel tree for in-tree kconfig items (asked for once).
    pub fn tree(&self) -> Result<&Path> {
        if let Some(r) = self.root.get() {
            return Ok(r);
        }
        let r = (self.tree)(self.source.as_deref())?;
        Ok(self.root.get_or_init(|| r))
    }
}

/// A scalar as text (`LLVM: 1` is "1"); `Err` naming the node for a mapping or list.
pub(super) fn text(cx: &Ctx, n: &Node, what: &str) -> Result<String> {
    match &n.data {
        YamlDataOwned::Value(s) => Ok(match s {
            ScalarOwned::String(s) => s.clone(),
            ScalarOwned::Integer(i) => i.to_string(),
            ScalarOwned::Boolean(b) => b.to_string(),
            ScalarOwned::FloatingPoint(f) => f.to_string(),
            ScalarOwned::Null => String::new(),
        }),
        YamlDataOwned::Representation(s, _, _) => Ok(s.clone()),
        _ => Err(Error::input(
            cx.at(n),
            format!("{what} must be a single value, not a list or mapping"),
        )),
    }
}

/// A mapping's entries as (key text, key node, value node), in order.
pub(super) fn entries<'n>(
    cx: &Ctx,
    n: &'n Node,
    what: &str,
) -> Result<Vec<(String, &'n Node, &'n Node)>> {
    let YamlDataOwned::Mapping(m) = &n.data else {
        return Err(Error::input(
            cx.at(n),
            format!("{what} must be a mapping (key: value)"),
        ));
    };
    m.iter()
        .map(|(k, v)| Ok((text(cx, k, "a key")?, k, v)))
        .collect()
}

/// One node, or each item of a list.
pub(super) fn items(n: &Node) -> Vec<&Node> {
    match &n.data {
        YamlDataOwned::Sequence(s) => s.iter().collect(),
        _ => vec![n],
    }
}

/// `scheme://` anywhere in a scalar (a key or a value), the first one in document order.
fn find_url(n: &Node) -> Option<(&Node, String)> {
    match &n.data {
        YamlDataOwned::Value(ScalarOwned::String(s)) | YamlDataOwned::Representation(s, _, _) => {
            url_in(s).map(|u| (n, u))
        }
        YamlDataOwned::Sequence(s) => s.iter().find_map(find_url),
        YamlDataOwned::Mapping(m) => m
            .iter()
            .find_map(|(k, v)| find_url(k).or_else(|| find_url(v))),
        YamlDataOwned::Tagged(_, inner) => find_url(inner),
        _ => None,
    }
}

fn url_in(s: &str) -> Option<String> {
    let i = s.find("://")?;
    let scheme: String = s[..i]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
        .collect();
    if scheme
        .chars()
        .last()
        .is_some_and(|c| c.is_ascii_alphabetic())
    {
        Some(s.to_string())
    } else {
        None
    }
}

/// Is `origin` a TuxSuite plan (by extension)?
pub fn is_plan(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

/// A plan's text into a checked `Matrix`. `dir` is where its relative paths are read from.
pub fn load(
    origin: &str,
    text_: &str,
    dir: &Path,
    reg: &Registry,
    tree: &TreeFn,
) -> Result<Matrix> {
    let docs = MarkedYamlOwned::load_from_str(text_).map_err(|e| {
        let m = e.marker();
        Error::input(
            format!("{origin}:{}:{}", m.line(), m.col() + 1),
            e.info().to_string(),
        )
    })?;
    let Some(doc) = docs.first() else {
        return Err(Error::input(origin, "the plan is empty"));
    };
    let mut cx = Ctx {
        origin,
        dir,
        reg,
        tree,
        root: OnceCell::new(),
        source: None,
    };
    if let Some((n, url)) = find_url(doc) {
        return Err(Error::input(
            cx.at(n),
            format!(
                "`{url}` is a URL: kcross works offline and never downloads anything; \
                 fetch it yourself and give a local path instead"
            ),
        ));
    }
    let top = entries(&cx, doc, "a TuxSuite plan")?;
    let (mut name, mut description, mut version, mut jobs) = (None, String::new(), None, None);
    for (k, kn, v) in &top {
        match k.as_str() {
            "version" => version = Some((text(&cx, v, "version")?, *v)),
            "name" => name = Some(text(&cx, v, "name")?),
            "description" => description = text(&cx, v, "description")?,
            "jobs" => jobs = Some(*v),
            other => {
                return Err(Error::input(
                    cx.at(kn),
                    format!("unknown plan key `{other}` (a TuxSuite plan has: version, name, description, jobs)"),
                ))
            }
        }
    }
    match version {
        Some((v, _)) if v == "1" => {}
        Some((v, n)) => {
            return Err(Error::input(
                cx.at(n),
                format!("plan version `{v}`: kcross reads TuxSuite plans of version 1"),
            ))
        }
        None => {
            return Err(Error::input(
                format!("{origin}:1:1"),
                "no `version: 1`: not a TuxSuite plan",
            ))
        }
    }
    let Some(jobs) = jobs.filter(|j| matches!(j.data, YamlDataOwned::Sequence(_))) else {
        return Err(Error::input(
            format!("{origin}:1:1"),
            "the plan has no `jobs:` list",
        ));
    };
    // The plan's own source (git_repo, a local path) first: in-tree items are read from it.
    cx.source = plan_source(&cx, jobs)?;
    let mut info = Tuxsuite::default();
    let mut builds: Vec<Build> = Vec::new();
    let mut boots: Vec<String> = Vec::new();
    let mut unbooted: Vec<(String, String)> = Vec::new();
    let mut kunit = false;
    for job in items(jobs) {
        let j = job_of(&cx, job)?;
        let mut job_arches = Vec::new();
        for b in &j.builds {
            let job_name = j.name.as_deref().filter(|_| j.builds.len() == 1);
            let t = tuxmake::build(&cx, job_name, b, &mut info)?;
            job_arches.push((t.arch.clone(), t.at.clone()));
            builds.push(t);
        }
        let mut booted = Vec::new();
        for t in &j.tests {
            let arch = tuxmake::test(&cx, t, &job_arches, &mut info, &mut kunit)?;
            if !boots.contains(&arch) {
                boots.push(arch.clone());
            }
            booted.push(arch);
        }
        for (a, at) in job_arches {
            if !booted.contains(&a) {
                unbooted.push((a, at));
            }
        }
    }
    if builds.is_empty() {
        return Err(Error::input(cx.at(jobs), "the plan's jobs have no builds"));
    }
    // kcross's [runtime] is per arch: a build of a booted arch whose job has no test boots too.
    for (a, at) in unbooted {
        if boots.contains(&a) {
            info.notes.push(Note {
                at,
                msg: format!("this build has no test in its job, but another job boots {a}: kcross boots every {a} cell"),
            });
        }
    }
    let runtime = (!boots.is_empty()).then(|| RuntimeSpec {
        tests: std::iter::once("boot")
            .chain(kunit.then_some("kunit"))
            .map(String::from)
            .collect(),
        timeout_s: 300,
        arches: boots,
        kunit: Vec::new(),
    });
    Ok(Matrix {
        name: name.unwrap_or_else(|| super::stem(origin)),
        description,
        origin: origin.to_string(),
        source: cx.source.clone(),
        builds,
        helpers: Vec::new(),
        check_objects: Vec::new(),
        check_includes: super::default_includes(),
        check_arches: None,
        check_builds: Vec::new(),
        runtime,
        known: Vec::new(),
        tuxsuite: Some(info),
    })
}

struct Job<'n> {
    name: Option<String>,
    builds: Vec<&'n Node>,
    tests: Vec<&'n Node>,
}

fn job_of<'n>(cx: &Ctx, job: &'n Node) -> Result<Job<'n>> {
    let mut j = Job {
        name: None,
        builds: Vec::new(),
        tests: Vec::new(),
    };
    let (mut build_key, mut test_key) = (None::<String>, None::<String>);
    for (k, kn, v) in entries(cx, job, "a job")? {
        let (slot, seen) = match k.as_str() {
            "name" => {
                j.name = Some(text(cx, v, "a job's name")?);
                continue;
            }
            "build" | "builds" => (&mut j.builds, &mut build_key),
            "test" | "tests" => (&mut j.tests, &mut test_key),
            other => {
                return Err(Error::input(
                    cx.at(kn),
                    format!(
                    "unknown job key `{other}` (a job has: name, build or builds, test or tests)"
                ),
                ))
            }
        };
        if let Some(prev) = seen {
            return Err(Error::input(
                cx.at(kn),
                format!("a job has `{prev}` or `{k}`, not both"),
            ));
        }
        *seen = Some(k.clone());
        let list = k.ends_with('s');
        if list != matches!(v.data, YamlDataOwned::Sequence(_)) {
            return Err(Error::input(
                cx.at(v),
                if list {
                    format!(
                        "`{k}` is a list of mappings (use `{}` for one)",
                        &k[..k.len() - 1]
                    )
                } else {
                    format!("`{k}` is one mapping (use `{k}s` for a list)")
                },
            ));
        }
        slot.extend(items(v));
    }
    Ok(j)
}

/// The jobs' `git_repo` (a local path; all the same), resolved against the plan's directory.
fn plan_source(cx: &Ctx, jobs: &Node) -> Result<Option<String>> {
    let mut found: Option<(String, String)> = None;
    for job in items(jobs) {
        let Ok(es) = entries(cx, job, "a job") else {
            continue;
        };
        for (k, _, v) in es {
            if k != "build" && k != "builds" {
                continue;
            }
            for b in items(v) {
                let Ok(bes) = entries(cx, b, "a build") else {
                    continue;
                };
                for (bk, _, bv) in bes {
                    if bk != "git_repo" {
                        continue;
                    }
                    let p = text(cx, bv, "git_repo")?;
                    let path = cx.dir.join(&p);
                    if !path.exists() {
                        return Err(Error::input(
                            cx.at(bv),
                            format!("git_repo `{p}`: no such directory ({})", path.display()),
                        ));
                    }
                    let path = path.display().to_string();
                    match &found {
                        Some((prev, at)) if *prev != path => {
                            return Err(Error::input(
                                cx.at(bv),
                                format!("git_repo `{p}` differs from the one at {at}: kcross builds one source per run"),
                            ))
                        }
                        Some(_) => {}
                        None => found = Some((path, cx.at(bv))),
                    }
                }
            }
        }
    }
    Ok(found.map(|(p, _)| p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kconfig::Base;

    fn reg() -> Registry {
        Registry::load(&[]).unwrap()
    }

    fn no_tree(_: Option<&str>) -> Result<PathBuf> {
        Err(Error::Usage("no tree in this test".into()))
    }

    fn load_text(text: &str) -> Result<Matrix> {
        load("p.yaml", text, Path::new("/nonexistent"), &reg(), &no_tree)
    }

    fn err(text: &str) -> String {
        load_text(text).unwrap_err().to_string()
    }

    const HEAD: &str = "version: 1\nname: t\njobs:\n";

    /// `p.yaml:line:col` of the first `needle` in `text`, computed without the YAML parser
    /// (byte offsets; the plans here are ASCII).
    fn pos(text: &str, needle: &str) -> String {
        let at = text.find(needle).expect("needle");
        format!("p.yaml:{}", crate::toolchain::line_col(text, at))
    }

    /// The error of `text`, which must start at `needle`.
    fn err_at(text: &str, needle: &str) -> String {
        let e = err(text);
        let p = pos(text, needle);
        assert!(e.starts_with(&format!("{p}: ")), "{e}\nexpected at {p}");
        e
    }

    #[test]
    fn a_url_anywhere_is_refused_at_its_line_and_column() {
        let t = format!("{HEAD}- build:\n    target_arch: x86_64\n    toolchain: gcc\n    make_variables: {{KCFLAGS: \"git://x/y\"}}\n");
        assert_eq!(pos(&t, "\"git:"), "p.yaml:7:31");
        assert!(err_at(&t, "\"git:").contains("`git://x/y` is a URL"));
        let t = format!("{HEAD}- build: {{target_arch: x86_64, toolchain: gcc, patch_series: ftp://h/s.mbox}}\n");
        assert!(err_at(&t, "ftp:").contains("give a local path instead"));
        // refused before anything else is checked (here: the unknown key before it)
        let t = format!("{HEAD}- build: {{bogus: 1, target_arch: x86_64}}\n  test: {{device: qemu-x86_64, rootfs: \"https://r/f.ext4\"}}\n");
        err_at(&t, "\"https:");
        // not a URL: no scheme before `://`
        assert_eq!(url_in("CONFIG_CMDLINE=\"a ://b\""), None);
        assert!(url_in("see HTTPS://x").is_some());
    }

    #[test]
    fn the_plan_shape_is_checked() {
        assert!(err("name: t\njobs: []\n").contains("no `version: 1`"));
        assert!(err_at("version: 2\njobs: []\n", "2").contains("plan version `2`"));
        assert!(err("version: 1\nname: t\n").contains("no `jobs:` list"));
        let t = "version: 1\nmatrix: x\njobs: []\n";
        assert!(err_at(t, "matrix").contains("unknown plan key `matrix`"));
        let t = format!("{HEAD}- build: {{target_arch: x86_64, toolchain: gcc}}\n  builds: []\n");
        assert!(err_at(&t, "builds").contains("a job has `build` or `builds`, not both"));
        let t = format!("{HEAD}- builds: {{target_arch: x86_64, toolchain: gcc}}\n");
        assert!(err_at(&t, "{").contains("`builds` is a list of mappings (use `build` for one)"));
        let t =
            format!("{HEAD}- build: {{target_arch: x86_64, toolchain: gcc, git_ref: master}}\n");
        assert!(err_at(&t, "git_ref").contains("`git_ref` is not supported"));
        let t = format!("{HEAD}- build: {{target_arch: pdp11, toolchain: gcc}}\n");
        let e = err(&t);
        let want = format!("unknown arch `pdp11` (in {})", pos(&t, "pdp11"));
        assert!(e.contains(&want) && e.contains("x86_64"), "{e}");
        let e = err("version: 1\njobs:\n- build: {target_arch: x86_64\n");
        assert!(
            e.starts_with("p.yaml:"),
            "a YAML syntax error is located: {e}"
        );
    }

    #[test]
    fn anchors_are_resolved_and_a_job_without_tests_boots_nothing() {
        let t = format!("{HEAD}- name: a\n  builds:\n    - &b {{target_arch: arm64, toolchain: gcc, kconfig: tinyconfig}}\n    - *b\n    - {{target_arch: arm64, toolchain: llvm, kconfig: tinyconfig}}\n");
        let m = load_text(&t).unwrap();
        assert_eq!(m.builds.len(), 3);
        assert_eq!(m.builds[1].toolchains, ["gcc"]);
        assert_eq!(m.builds[2].toolchains, ["clang"]);
        // a job of several builds: its name is not their label (the ids stay distinct)
        assert_eq!(m.builds[0].name, None);
        assert_eq!(m.builds[0].config.label, "tinyconfig");
        assert!(m.runtime.is_none());
        assert_eq!(m.tuxsuite, Some(Tuxsuite::default()));
    }

    #[test]
    fn make_variables_targets_and_kernel_image_map_to_make() {
        let t = format!(
            "{HEAD}- build: {{target_arch: x86_64, toolchain: gcc, make_variables: {{LLVM: 1}}}}\n"
        );
        assert!(err_at(&t, "LLVM").contains("LLVM=1 with toolchain `gcc`"));
        let t = format!("{HEAD}- build: {{target_arch: x86_64, toolchain: gcc, make_variables: {{ARCH: arm}}}}\n");
        assert!(err_at(&t, "ARCH").contains("may not set ARCH"));
        let t = format!(
            "{HEAD}- build: {{target_arch: x86_64, toolchain: gcc, targets: [kernel, perf]}}\n"
        );
        assert!(
            err_at(&t, "perf").contains("unsupported target `perf` (kcross builds: config, kernel")
        );
        let m = load_text(&format!(
            "{HEAD}- build: {{target_arch: x86_64, toolchain: gcc, targets: [config]}}\n- build: {{target_arch: arm64, toolchain: gcc, kernel_image: Image.gz, targets: [kernel, modules, kernel]}}\n- build: {{target_arch: arm64, toolchain: llvm-14, kernel_image: vmlinux, make_variables: {{W: 1}}}}\n"
        ))
        .unwrap();
        assert_eq!(m.builds[0].targets, ["olddefconfig"], "config only");
        assert_eq!(m.builds[0].config.base, Base::Target("defconfig".into()));
        assert_eq!(m.builds[1].targets, ["Image.gz", "modules"]);
        assert_eq!(m.builds[2].targets, ["vmlinux"]);
        assert_eq!(m.builds[2].make_args, ["W=1"]);
    }

    #[test]
    fn kconfig_items_are_lines_local_files_or_in_tree_files() {
        let d = tempfile::tempdir().unwrap();
        let tree = d.path().join("linux");
        std::fs::create_dir_all(tree.join("kernel/configs")).unwrap();
        std::fs::create_dir_all(tree.join("arch/x86/configs")).unwrap();
        std::fs::write(tree.join("arch/x86/configs/xen.config"), "CONFIG_XEN=y\n").unwrap();
        std::fs::write(d.path().join("mine.config"), "CONFIG_BLOCK=y\n").unwrap();
        let text = format!("{HEAD}- build:\n    target_arch: x86_64\n    toolchain: gcc\n    kconfig: [tinyconfig, mine.config, xen.config, 'CONFIG_NET=y']\n");
        let asked = std::cell::Cell::new(0);
        let t = |src: Option<&str>| {
            assert_eq!(src, None);
            asked.set(asked.get() + 1);
            Ok(tree.clone())
        };
        let m = load("p.yaml", &text, d.path(), &reg(), &t).unwrap();
        let f = &m.builds[0].config.fragments;
        assert_eq!(f[0].text, "CONFIG_BLOCK=y\n");
        assert_eq!(f[1].path, "arch/x86/configs/xen.config");
        assert_eq!(f[2].path, pos(&text, "'CONFIG_NET"));
        assert_eq!(f[2].requests[0].symbol, "NET");
        assert_eq!(asked.get(), 1);
        assert_eq!(m.builds[0].config.label, "tinyconfig+mine+xen+kconfig");
        // without a tree the in-tree item says so; a missing one names where it looked
        let e = load("p.yaml", &text, d.path(), &reg(), &no_tree).unwrap_err();
        assert!(e.to_string().contains("no tree in this test"), "{e}");
        let bad = text.replace("xen.config", "nope.config");
        let e = load("p.yaml", &bad, d.path(), &reg(), &t)
            .unwrap_err()
            .to_string();
        let want = format!(
            "{}: kconfig item `nope.config`: no such local file",
            pos(&bad, "nope")
        );
        assert!(e.starts_with(&want), "{e}");
        assert!(
            e.contains("kernel/configs/nope.config or arch/x86/configs/nope.config"),
            "{e}"
        );
        for (bad, msg) in [
            ("[CONFIG_X=y]", "the first kconfig item is the base"),
            ("[tinyconfig, 'CONFIG_X y']", "is not a `CONFIG_NAME=value`"),
            ("[tinyconfig, defconfig]", "can only be the first item"),
        ] {
            let e = err(&format!(
                "{HEAD}- build: {{target_arch: x86_64, toolchain: gcc, kconfig: {bad}}}\n"
            ));
            assert!(e.contains(msg), "{bad}: {e}");
        }
    }

    #[test]
    fn tests_map_to_the_runtime_and_what_is_not_run_is_noted() {
        let job =
            "- name: x\n  build: {target_arch: x86_64, toolchain: gcc, kconfig: tinyconfig}\n";
        let t = format!("{HEAD}{job}  test: {{device: qemu-x86_64, tests: [boot, ltp-smoke, kunit]}}\n- build: {{target_arch: x86_64, toolchain: llvm, kconfig: tinyconfig}}\n");
        let m = load_text(&t).unwrap();
        let rt = m.runtime.unwrap();
        assert_eq!(
            (rt.tests, rt.arches),
            (vec!["boot".into(), "kunit".into()], vec!["x86_64".into()])
        );
        let notes: Vec<String> = m
            .tuxsuite
            .unwrap()
            .notes
            .iter()
            .map(|n| format!("{}: {}", n.at, n.msg))
            .collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        let want = [
            format!(
                "{}: test `ltp-smoke` is unsupported and not run: kcross has no `ltp-smoke`",
                pos(&t, "ltp")
            ),
            format!(
                "{}: this build has no test in its job, but another job boots x86_64",
                pos(&t, "{target_arch: x86_64, toolchain: llvm")
            ),
        ];
        for (n, w) in notes.iter().zip(&want) {
            assert!(n.starts_with(w), "{n}\nwanted: {w}");
        }
        // the job's name labels its one build
        assert_eq!(m.builds[0].config.label, "x");
        let t = format!("{HEAD}{job}  test: {{device: qemu-ppc64le}}\n");
        assert!(err_at(&t, "qemu-").contains("device `qemu-ppc64le` boots powerpc64le, but this job builds no powerpc64le kernel (it builds: x86_64)"));
        let t = format!("{HEAD}{job}  test: {{device: qemu-sh4}}\n");
        assert!(err_at(&t, "qemu-").contains("unknown device `qemu-sh4`"));
        let t = format!("{HEAD}{job}  test: {{tests: [boot]}}\n");
        assert!(err_at(&t, "{tests").contains("this test has no `device`"));
        let t = format!("{HEAD}{job}  test: {{device: qemu-x86_64, timeouts: {{boot: 3}}}}\n");
        assert!(err_at(&t, "timeouts").contains("unsupported test key `timeouts`"));
    }

    #[test]
    fn one_local_patch_series_per_plan() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.mbox"), "").unwrap();
        std::fs::create_dir(d.path().join("b")).unwrap();
        let job = |s: &str| {
            format!("- build: {{target_arch: x86_64, toolchain: gcc, patch_series: {s}}}\n")
        };
        let l = |t: &str| load("p.yaml", t, d.path(), &reg(), &no_tree);
        let t = format!("{HEAD}{}{}", job("a.mbox"), job("a.mbox"));
        let ps = l(&t).unwrap().tuxsuite.unwrap().patch_series.unwrap();
        let a = d.path().join("a.mbox").display().to_string();
        assert_eq!((ps.at, ps.msg), (pos(&t, "a.mbox"), a));
        let t = format!("{HEAD}{}{}", job("a.mbox"), job("b"));
        let e = l(&t).unwrap_err().to_string();
        let want = format!(
            "{}: patch_series `b` differs from the one at {}",
            pos(&t, "b}"),
            pos(&t, "a.mbox")
        );
        assert!(e.starts_with(&want), "{e}");
        let e = l(&format!("{HEAD}{}", job("c.mbox")))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("patch_series `c.mbox`: no such mbox or directory"),
            "{e}"
        );
    }
}
