//! `kcross check`: the named helpers on every cell of the matrix.

use super::common::{
    emit, ensure_tools, jobs, load_check, new_run_dir, prepare_source, set_latest, Common, Stage,
};
use crate::build;
use crate::error::{outcome_code, Error, Result};
use crate::report;

pub fn run(c: &Common, helpers: &[String]) -> Result<i32> {
    let l = load_check(c)?;
    let helpers: Vec<String> = if helpers.is_empty() {
        l.plan.helpers.iter().map(|h| h.name.clone()).collect()
    } else {
        for h in helpers {
            crate::matrix::check_helper_name(h, "--helper")?;
        }
        helpers.to_vec()
    };
    if helpers.is_empty() {
        return Err(Error::Usage(format!(
            "no helpers to check: give --helper NAME or a [check] helpers list in {}",
            l.plan.matrix_origin
        )));
    }
    ensure_tools(&l)?;
    let sandbox = super::common::sandbox(c.sandbox, "kcross check --sandbox")?;
    let src = prepare_source(c, &l)?;
    let run_dir = new_run_dir(&c.out, &format!("{}-check", l.plan.matrix))?;
    let opts = crate::check::CheckOptions {
        helpers,
        extra_objects: l.plan.check_objects.clone(),
        includes: l.plan.check_includes.clone(),
        jobs: jobs(c),
        run_dir: run_dir.clone(),
        build_root: build::default_build_root(),
        sandbox,
    };
    let summary = super::common::run_check(&l.plan, &src, &opts)?;
    set_latest(&c.out, &run_dir, Stage::Check)?;
    let table = report::terminal::check_table(&summary);
    emit(c.json, &summary, &table);
    Ok(outcome_code(summary.passed()))
}
