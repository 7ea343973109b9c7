//! `kcross build`: every cell in parallel under one jobserver (then, with `--runtime`, the
//! runtime stage on what built).

use super::common::{emit, ensure_tools, load, prepare_source, run_builds, Common};
use crate::error::{outcome_code, Result};
use crate::report::{self, Export};

pub fn run(c: &Common, cells_at_once: Option<usize>, runtime: bool) -> Result<i32> {
    let l = load(c)?;
    ensure_tools(&l)?;
    if runtime {
        super::common::ensure_runtime_tools(&l)?;
    }
    let src = prepare_source(c, &l)?;
    let summary = run_builds(c, &l, &src, cells_at_once)?;
    // For CI systems: a test case per cell, the first errors in the failure text.
    crate::atomic::write(
        &summary.out_dir.join("junit.xml"),
        report::junit::Junit.render(&summary).as_bytes(),
    )?;
    let rt = if runtime {
        let opts = crate::runtime::RuntimeOptions::new(summary.out_dir.clone());
        let rt = super::boot::runtime_after_build(&l.plan, &l.reg, &summary, &opts, false)?;
        super::common::set_latest(&c.out, &summary.out_dir, super::common::Stage::Boot)?;
        Some(rt)
    } else {
        None
    };
    let mut text = report::terminal::table(&summary);
    match &rt {
        Some(rt) => {
            text.push_str(&report::runtime::table(rt));
            emit(
                c.json,
                &serde_json::json!({ "build": &summary, "runtime": rt }),
                &text,
            );
        }
        None => emit(c.json, &summary, &text),
    }
    Ok(outcome_code(
        summary.all_passed() && rt.as_ref().is_none_or(|r| r.all_passed()),
    ))
}
