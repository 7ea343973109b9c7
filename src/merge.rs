//! `kcross merge`: the build summaries of the N shards of one plan (`--partition K/N` on N
//! machines) in, one `RunSummary` out, the same as one machine building every cell: the
//! cells in the whole plan's order, each with its verdict and diagnostics as its shard
//! found them, and the `[[known]]` entries judged again on all of them.
//!
//! Refused, naming both dirs where there are two: a dir that is no shard (built without
//! `--partition`), that has no finished summary (interrupted, killed, still running), shards
//! of different plans (matrix name, cell ids, config keys, targets: `plan::partition::plan_key`)
//! or sources (content key), of different N, two shards of the same K, a shard whose cells
//! are not exactly those the partition gives it, and a missing shard.

use crate::build::{self, RunSummary};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One shard's results, as given on the command line.
#[derive(Debug, Clone)]
pub struct ShardRun {
    /// The dir named (an `--out` dir or a run dir).
    pub dir: PathBuf,
    /// The run dir whose summary this is.
    pub run_dir: PathBuf,
    pub summary: RunSummary,
}

/// Read a shard: `DIR/summary.json` (a run dir) or `DIR/latest-build/summary.json` (an
/// `--out` dir).
pub fn load(dir: &Path) -> Result<ShardRun> {
    let run_dir = if dir.join("summary.json").is_file() {
        dir.to_path_buf()
    } else if dir.join("latest-build").join("summary.json").is_file() {
        dir.join("latest-build")
    } else {
        let why = if dir.join("runs").is_dir() || dir.join("cells").is_dir() {
            "the shard did not finish (interrupted, killed or still running): it has no finished build"
        } else {
            "not a kcross results dir"
        };
        return Err(Error::input(
            dir.display().to_string(),
            format!("no summary.json and no latest-build/summary.json: {why}"),
        ));
    };
    let summary = build::load_summary(&run_dir.join("summary.json"))?;
    if summary.shard.is_none() {
        return Err(Error::input(
            dir.display().to_string(),
            "not a shard: this build ran without --partition K/N (merge combines the shards of one plan)",
        ));
    }
    Ok(ShardRun {
        dir: dir.to_path_buf(),
        run_dir,
        summary,
    })
}

fn refuse(a: &ShardRun, b: &ShardRun, what: &str) -> Error {
    Error::Usage(format!(
        "cannot merge {} and {}: {what}",
        a.dir.display(),
        b.dir.display()
    ))
}

/// Check that `shards` are all of one plan's N shards, once each, complete.
pub fn check(shards: &[ShardRun]) -> Result<()> {
    let Some(first) = shards.first() else {
        return Err(Error::Usage("merge: no shard dirs given".into()));
    };
    let sh = |s: &ShardRun| s.summary.shard.clone().expect("load checked it is a shard");
    let f = sh(first);
    let mut by_k: BTreeMap<usize, &ShardRun> = BTreeMap::new();
    for s in shards {
        let x = sh(s);
        if x.plan_key != f.plan_key || s.summary.matrix != first.summary.matrix {
            return Err(refuse(
                first,
                s,
                &format!(
                    "shards of different plans (matrix {} plan {} vs matrix {} plan {}): the same matrix, filters and arch data must be used on every shard",
                    first.summary.matrix, f.plan_key, s.summary.matrix, x.plan_key
                ),
            ));
        }
        if s.summary.source.key != first.summary.source.key {
            return Err(refuse(
                first,
                s,
                &format!(
                    "shards of different sources ({} key {} vs {} key {})",
                    first.summary.source.origin,
                    first.summary.source.key,
                    s.summary.source.origin,
                    s.summary.source.key
                ),
            ));
        }
        if x.partition.n != f.partition.n {
            return Err(refuse(
                first,
                s,
                &format!("different partitions ({} vs {})", f.partition, x.partition),
            ));
        }
        if let Some(other) = by_k.insert(x.partition.k, s) {
            return Err(refuse(
                other,
                s,
                &format!(
                    "overlapping shards: both are shard {} (their cells would count twice)",
                    x.partition
                ),
            ));
        }
        let want = x.expected_cells();
        let have: Vec<&str> = s.summary.cells.iter().map(|c| c.cell.as_str()).collect();
        let mut w = want.clone();
        let mut h = have.clone();
        w.sort_unstable();
        h.sort_unstable();
        if w != h {
            let missing: Vec<&str> = w.iter().filter(|c| !h.contains(c)).copied().collect();
            let extra: Vec<&str> = h.iter().filter(|c| !w.contains(c)).copied().collect();
            return Err(Error::input(
                s.dir.display().to_string(),
                format!(
                    "shard {} is incomplete or not what the partition gives it: missing cells [{}], unexpected cells [{}]",
                    x.partition,
                    missing.join(", "),
                    extra.join(", ")
                ),
            ));
        }
    }
    let n = f.partition.n;
    let missing: Vec<String> = (1..=n)
        .filter(|k| !by_k.contains_key(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "merge: shard(s) {} of plan {} missing (given: {})",
            missing.join(", "),
            f.plan_key,
            shards
                .iter()
                .map(|s| format!("{} = {}", s.dir.display(), sh(s).partition))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(())
}

/// The merged summary of checked shards, its cells' dirs under `run_dir/cells/` (where
/// `write` copies them).
pub fn merge(shards: &[ShardRun], run_dir: &Path) -> Result<RunSummary> {
    check(shards)?;
    let first = &shards[0].summary;
    let shard = first.shard.clone().expect("checked");
    let mut cells: BTreeMap<String, build::CellResult> = BTreeMap::new();
    for s in shards {
        for c in &s.summary.cells {
            let mut c = c.clone();
            c.dir = run_dir.join("cells").join(&c.cell);
            cells.insert(c.cell.clone(), c);
        }
    }
    let cells: Vec<build::CellResult> = shard
        .plan_cells
        .iter()
        .map(|id| cells.remove(id).expect("checked: every cell once"))
        .collect();
    let started_at = shards
        .iter()
        .map(|s| s.summary.started_at.clone())
        .min()
        .unwrap_or_default();
    let mut summary = RunSummary {
        kcross_version: env!("CARGO_PKG_VERSION").to_string(),
        matrix: first.matrix.clone(),
        matrix_origin: first.matrix_origin.clone(),
        source: first.source.clone(),
        started_at,
        // The shards ran side by side: the pipeline took as long as the longest.
        wall_s: shards.iter().map(|s| s.summary.wall_s).fold(0.0, f64::max),
        jobs: first.jobs,
        out_dir: run_dir.to_path_buf(),
        cells,
        known: Default::default(),
        shard: None,
    };
    summary.judge_known(&shard.known);
    Ok(summary)
}

/// Write the merged run: each cell's results dir copied from its shard (its `result.json`
/// pointing at the copy), then `summary.json`, last.
pub fn write(shards: &[ShardRun], merged: &RunSummary) -> Result<()> {
    for s in shards {
        for c in &s.summary.cells {
            let from = s.run_dir.join("cells").join(&c.cell);
            let to = merged.out_dir.join("cells").join(&c.cell);
            copy_dir(&from, &to)?;
            let m = merged
                .cells
                .iter()
                .find(|m| m.cell == c.cell)
                .expect("merged has every cell");
            build::record::write_finished(&to.join("result.json"), m)?;
        }
    }
    crate::atomic::write_json(&merged.out_dir.join("summary.json"), merged)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(format!("creating {}", to.display()), e))?;
    let rd = std::fs::read_dir(from).map_err(|e| {
        Error::io(
            format!("reading {} (a shard's cell results)", from.display()),
            e,
        )
    })?;
    for e in rd {
        let e = e.map_err(|e| Error::io(format!("reading {}", from.display()), e))?;
        let ty = e
            .file_type()
            .map_err(|x| Error::io(format!("reading {}", e.path().display()), x))?;
        let dest = to.join(e.file_name());
        if ty.is_dir() {
            copy_dir(&e.path(), &dest)?;
        } else if ty.is_file() {
            use std::os::unix::fs::PermissionsExt;
            let exec = e
                .metadata()
                .is_ok_and(|m| m.permissions().mode() & 0o111 != 0);
            if exec {
                let bytes = std::fs::read(e.path())
                    .map_err(|x| Error::io(format!("reading {}", e.path().display()), x))?;
                crate::atomic::write_executable(&dest, &bytes)?;
            } else {
                crate::atomic::copy(&e.path(), &dest)?;
            }
        }
    }
    Ok(())
}
