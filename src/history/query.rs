//! Reading the history: the recorded runs, one run back as a `RecordedRun`, the trend, and
//! the report of a run compared with the previous run of its matrix.

use super::store::{enum_parse, err, json_parse, outcome_parse, History, RunInfo};
use super::{HelperVerdictRow, PatchRow, RecordedRun, RuntimeRow, TrendCell, TrendPoint};
use crate::build::{CellResult, RunSummary, Timings, Verdict};
use crate::diag::Diagnostic;
use crate::error::{Error, Result};
use crate::source::SourceTree;
use rusqlite::{params, OptionalExtension};
use std::path::PathBuf;

impl History {
    /// Every run (of `matrix`, or of all matrices), oldest first.
    pub fn runs(&self, matrix: Option<&str>) -> Result<Vec<RunInfo>> {
        let e = |x| err(&self.path, x);
        let mut st = self
            .conn
            .prepare(
                "SELECT r.id, r.matrix, r.started_at, r.recorded_at, r.source_version, r.source_key,
                        COUNT(c.seq), COALESCE(SUM(c.verdict = 'fail'), 0), COALESCE(SUM(c.warnings), 0)
                 FROM runs r LEFT JOIN cells c ON c.run_id = r.id
                 WHERE ?1 IS NULL OR r.matrix = ?1
                 GROUP BY r.id ORDER BY r.id",
            )
            .map_err(e)?;
        let rows = st
            .query_map(params![matrix], |r| {
                Ok(RunInfo {
                    id: r.get(0)?,
                    matrix: r.get(1)?,
                    started_at: r.get(2)?,
                    recorded_at: r.get(3)?,
                    source_version: r.get(4)?,
                    source_key: r.get(5)?,
                    cells: r.get::<_, i64>(6)? as usize,
                    failed: r.get::<_, i64>(7)? as usize,
                    warnings: r.get::<_, i64>(8)? as usize,
                })
            })
            .map_err(e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
    }

    /// One run's listing line.
    pub fn info(&self, run_id: i64) -> Result<Option<RunInfo>> {
        let matrix: Option<String> = self
            .conn
            .query_row("SELECT matrix FROM runs WHERE id = ?1", [run_id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|x| err(&self.path, x))?;
        let Some(m) = matrix else { return Ok(None) };
        Ok(self.runs(Some(&m))?.into_iter().find(|r| r.id == run_id))
    }

    /// The latest run (of `matrix`, or of any matrix).
    pub fn latest(&self, matrix: Option<&str>) -> Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT MAX(id) FROM runs WHERE ?1 IS NULL OR matrix = ?1",
                params![matrix],
                |r| r.get(0),
            )
            .map_err(|x| err(&self.path, x))
    }

    /// The run of `matrix` recorded just before `before_run_id`.
    pub fn previous(&self, matrix: &str, before_run_id: i64) -> Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT MAX(id) FROM runs WHERE matrix = ?1 AND id < ?2",
                params![matrix, before_run_id],
                |r| r.get(0),
            )
            .map_err(|x| err(&self.path, x))
    }

    /// Read a run back, exactly as recorded.
    pub fn load(&self, run_id: i64) -> Result<RecordedRun> {
        let e = |x| err(&self.path, x);
        let summary = self
            .conn
            .query_row(
                "SELECT matrix, matrix_origin, kcross_version, started_at, wall_s, jobs, out_dir,
                        source_kind, source_origin, source_root, source_key, source_version
                 FROM runs WHERE id = ?1",
                [run_id],
                |r| {
                    Ok(RunSummary {
                        matrix: r.get(0)?,
                        matrix_origin: r.get(1)?,
                        kcross_version: r.get(2)?,
                        started_at: r.get(3)?,
                        wall_s: r.get(4)?,
                        jobs: r.get::<_, i64>(5)? as usize,
                        out_dir: PathBuf::from(r.get::<_, String>(6)?),
                        source: SourceTree {
                            kind: enum_parse(&r.get::<_, String>(7)?)?,
                            origin: r.get(8)?,
                            root: PathBuf::from(r.get::<_, String>(9)?),
                            key: r.get(10)?,
                            build_key: String::new(),
                            version: r.get(11)?,
                        },
                        cells: Vec::new(),
                        known: Default::default(),
                        shard: None,
                    })
                },
            )
            .optional()
            .map_err(e)?;
        let Some(mut summary) = summary else {
            return Err(Error::History(format!(
                "{}: no run {run_id}",
                self.path.display()
            )));
        };
        let known: String = self
            .conn
            .query_row("SELECT known_json FROM runs WHERE id = ?1", [run_id], |r| {
                r.get(0)
            })
            .map_err(e)?;
        summary.known = json_parse(&known).map_err(e)?;
        let mut log_tails = std::collections::BTreeMap::new();
        {
            let mut st = self
                .conn
                .prepare(
                    "SELECT cell, arch, toolchain, config, targets_json, verdict, failed_stage, reason, configure_s,
                            build_s, total_s, config_reused, errors, warnings, dir, build_dir, image, log_tail,
                            incremental
                     FROM cells WHERE run_id = ?1 ORDER BY seq",
                )
                .map_err(e)?;
            let rows = st
                .query_map([run_id], |r| {
                    let failed_stage: Option<String> = r.get(6)?;
                    let image: Option<String> = r.get(16)?;
                    let cell = CellResult {
                        cell: r.get(0)?,
                        arch: r.get(1)?,
                        toolchain: r.get(2)?,
                        config: r.get(3)?,
                        targets: json_parse(&r.get::<_, String>(4)?)?,
                        config_key: String::new(),
                        verdict: enum_parse(&r.get::<_, String>(5)?)?,
                        failed_stage: failed_stage.as_deref().map(enum_parse).transpose()?,
                        reason: r.get(7)?,
                        timings: Timings {
                            configure_s: r.get(8)?,
                            build_s: r.get(9)?,
                            total_s: r.get(10)?,
                        },
                        config_reused: r.get(11)?,
                        incremental: r.get(18)?,
                        printed: 0,
                        errors: r.get::<_, i64>(12)? as usize,
                        warnings: r.get::<_, i64>(13)? as usize,
                        diagnostics: Vec::new(),
                        dir: PathBuf::from(r.get::<_, String>(14)?),
                        build_dir: PathBuf::from(r.get::<_, String>(15)?),
                        image: image.map(PathBuf::from),
                        timeout: None,
                        wrapper: None,
                        sandboxed: false,
                    };
                    Ok((cell, r.get::<_, String>(17)?))
                })
                .map_err(e)?;
            for row in rows {
                let (cell, tail) = row.map_err(e)?;
                log_tails.insert(cell.cell.clone(), tail);
                summary.cells.push(cell);
            }
        }
        {
            let mut st = self
                .conn
                .prepare(
                    "SELECT cell_seq, code, severity, tool, file, line, col, flag, message, function, source_line,
                            notes_json, cell, fingerprint
                     FROM diagnostics WHERE run_id = ?1 ORDER BY cell_seq, seq",
                )
                .map_err(e)?;
            let rows = st
                .query_map([run_id], |r| {
                    Ok((
                        r.get::<_, i64>(0)? as usize,
                        Diagnostic {
                            code: r.get(1)?,
                            severity: enum_parse(&r.get::<_, String>(2)?)?,
                            tool: enum_parse(&r.get::<_, String>(3)?)?,
                            file: r.get(4)?,
                            line: r.get(5)?,
                            column: r.get(6)?,
                            flag: r.get(7)?,
                            message: r.get(8)?,
                            function: r.get(9)?,
                            source_line: r.get(10)?,
                            notes: json_parse(&r.get::<_, String>(11)?)?,
                            cell: r.get(12)?,
                            fingerprint: r.get(13)?,
                        },
                    ))
                })
                .map_err(e)?;
            for row in rows {
                let (seq, d) = row.map_err(e)?;
                match summary.cells.get_mut(seq) {
                    Some(c) => c.diagnostics.push(d),
                    None => {
                        return Err(Error::History(format!(
                        "{}: run {run_id} has a diagnostic for cell #{seq}, which it does not have",
                        self.path.display()
                    )))
                    }
                }
            }
        }
        let check = self.rows(
            "SELECT cell, helper, verdict, evidence, outcome FROM checks WHERE run_id = ?1 ORDER BY seq",
            run_id,
            |r| {
                Ok(HelperVerdictRow {
                    cell: r.get(0)?,
                    helper: r.get(1)?,
                    verdict: r.get(2)?,
                    evidence: r.get(3)?,
                    outcome: outcome_parse(&r.get::<_, String>(4)?)?,
                })
            },
        )?;
        let runtime = self.rows(
            "SELECT cell, test, verdict, detail, duration_s, outcome, findings_json, workarounds_json FROM runtime WHERE run_id = ?1 ORDER BY seq",
            run_id,
            |r| {
                Ok(RuntimeRow {
                    cell: r.get(0)?,
                    test: r.get(1)?,
                    verdict: r.get(2)?,
                    detail: r.get(3)?,
                    duration_s: r.get(4)?,
                    outcome: outcome_parse(&r.get::<_, String>(5)?)?,
                    findings: json_parse(&r.get::<_, String>(6)?)?,
                    workarounds: json_parse(&r.get::<_, String>(7)?)?,
                })
            },
        )?;
        let patches = self.rows(
            "SELECT patch_id, subject FROM patches WHERE run_id = ?1 ORDER BY seq",
            run_id,
            |r| {
                Ok(PatchRow {
                    id: r.get(0)?,
                    subject: r.get(1)?,
                    sha256: None,
                    message_id: None,
                })
            },
        )?;
        Ok(RecordedRun {
            summary,
            check,
            runtime,
            patches,
            steps: Vec::new(),
            message_id: None,
            log_tails,
        })
    }

    fn rows<T>(
        &self,
        sql: &str,
        run_id: i64,
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let e = |x| err(&self.path, x);
        let mut st = self.conn.prepare(sql).map_err(e)?;
        let rows = st.query_map([run_id], f).map_err(e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
    }

    /// The last `n` runs of `matrix` up to and including `upto_run_id`, oldest first, with
    /// each cell's verdict, warnings and build time.
    pub fn trend(&self, matrix: &str, upto_run_id: i64, n: usize) -> Result<Vec<TrendPoint>> {
        let e = |x| err(&self.path, x);
        let mut st = self
            .conn
            .prepare("SELECT id, started_at FROM runs WHERE matrix = ?1 AND id <= ?2 ORDER BY id DESC LIMIT ?3")
            .map_err(e)?;
        let mut points = st
            .query_map(params![matrix, upto_run_id, n as i64], |r| {
                Ok(TrendPoint {
                    run_id: r.get(0)?,
                    started_at: r.get(1)?,
                    cells: Vec::new(),
                })
            })
            .map_err(e)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(e)?;
        points.reverse();
        let mut st = self
            .conn
            .prepare("SELECT cell, verdict, errors, warnings, build_s FROM cells WHERE run_id = ?1 ORDER BY seq")
            .map_err(e)?;
        for p in &mut points {
            p.cells = st
                .query_map([p.run_id], |r| {
                    Ok(TrendCell {
                        cell: r.get(0)?,
                        verdict: enum_parse::<Verdict>(&r.get::<_, String>(1)?)?,
                        errors: r.get::<_, i64>(2)? as usize,
                        warnings: r.get::<_, i64>(3)? as usize,
                        build_s: r.get(4)?,
                    })
                })
                .map_err(e)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(e)?;
        }
        Ok(points)
    }

    /// Everything a report of `run_id` needs: the run, its comparison with the previous run of
    /// the same matrix, and the trend over the last `trend_runs` runs.
    pub fn report(
        &self,
        run_id: i64,
        slower_pct: f64,
        trend_runs: usize,
    ) -> Result<super::RunReport> {
        let run = self.load(run_id)?;
        let prev = match self.previous(run.matrix(), run_id)? {
            Some(p) => Some((
                self.info(p)?.ok_or_else(|| {
                    Error::History(format!("{}: run {p} vanished", self.path.display()))
                })?,
                self.load(p)?,
            )),
            None => None,
        };
        let trend = self.trend(run.matrix(), run_id, trend_runs.max(1))?;
        Ok(super::RunReport::new(
            run_id,
            run,
            prev.as_ref().map(|(i, r)| (i.clone(), r)),
            trend,
            slower_pct,
        ))
    }

    /// `PRAGMA integrity_check`: `ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|x| err(&self.path, x))
    }
}
