//! `kcross merge DIR... --out DIR`: the shards' build results (`--partition K/N` on N
//! machines) as one run, the same as one machine building every cell: `summary.json`,
//! `junit.xml`, `report.txt` and each cell's results dir, linked as `latest-build`.

use super::common::{emit, new_run_dir, set_latest, Stage};
use crate::error::{outcome_code, Result};
use crate::report::{self, Export};
use std::path::PathBuf;

#[derive(clap::Args, Clone)]
pub struct MergeArgs {
    /// The shards' results: `--out` dirs (their latest-build) or run dirs, one per shard
    #[arg(required = true, num_args = 1..)]
    pub dirs: Vec<PathBuf>,
    /// Results directory of the merged run
    #[arg(long, default_value = "kcross-out")]
    pub out: PathBuf,
    /// Machine-readable output on stdout
    #[arg(long)]
    pub json: bool,
    /// When another kcross is using the same --out, wait for it (default: refuse, naming it)
    #[arg(long)]
    pub wait: bool,
}

pub fn run(a: &MergeArgs) -> Result<i32> {
    let shards = a
        .dirs
        .iter()
        .map(|d| crate::merge::load(d))
        .collect::<Result<Vec<_>>>()?;
    // Every refusal before anything is written.
    crate::merge::check(&shards)?;
    let matrix = &shards[0].summary.matrix;
    let run_dir = new_run_dir(&a.out, &format!("{matrix}-merged"))?;
    let written = (|| {
        let merged = crate::merge::merge(&shards, &run_dir)?;
        crate::merge::write(&shards, &merged)?;
        crate::atomic::write(
            &run_dir.join("junit.xml"),
            report::junit::Junit.render(&merged).as_bytes(),
        )?;
        let text = report::terminal::table(&merged);
        crate::atomic::write(&run_dir.join("report.txt"), text.as_bytes())?;
        set_latest(&a.out, &run_dir, Stage::Build)?;
        Ok((merged, text))
    })();
    let (merged, text) = match written {
        Ok(x) => x,
        Err(e) => {
            // Nothing half-written: the run dir goes, and no link moved.
            let _ = std::fs::remove_dir_all(&run_dir);
            return Err(e);
        }
    };
    emit(a.json, &merged, &text);
    Ok(outcome_code(merged.all_passed()))
}
