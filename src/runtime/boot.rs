//! Booting: kcross's own set-up for the arches that boot (their QEMU binary, their guest
//! init), then for each boot a fresh initramfs (and nvdimm backing file) in a temp dir and
//! one run of `qemu::boot`, its console lines passed on as events. QEMU refusing to start
//! (bad arguments in the arch data, missing firmware) is kcross's `Err`; anything the kernel
//! did is left to the judge.

use super::{devdax, guest, qemu, GuestTest, RuntimeEvent, RuntimeOptions, Workaround};
use crate::build::CellResult;
use crate::error::{Error, IoContext, Result};
use crate::toolchain::Arch;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Duration;

/// Before any boot: every arch that boots has its QEMU binary, and its guest init is built
/// (or found in the cache under `work_dir`). Returns the init per arch name.
pub(super) fn set_up<'a>(
    arches: impl IntoIterator<Item = &'a Arch>,
    work_dir: &Path,
    sandbox: Option<&crate::sandbox::Sandbox>,
) -> Result<BTreeMap<String, PathBuf>> {
    let mut inits: BTreeMap<String, PathBuf> = BTreeMap::new();
    for a in arches {
        let q = a.qemu.as_ref().expect("checked qemu");
        if which::which(&q.binary).is_err() {
            return Err(Error::MissingTool {
                tool: q.binary.clone(),
                needed_by: format!("booting {} kernels (runtime stage)", a.name),
                package: q.package.clone(),
            });
        }
        if !inits.contains_key(&a.name) {
            let init = guest::build_init(q, &a.name, work_dir, sandbox)?;
            inits.insert(a.name.clone(), init);
        }
    }
    Ok(inits)
}

/// Where a boot's console goes: `boot-<test>.log` in the cell's results directory.
pub(super) fn console_log(cell_dir: &Path, test: &GuestTest) -> PathBuf {
    cell_dir.join(format!("boot-{}.log", test.name))
}

/// One boot: how QEMU ran, and what kcross did around it because the platform lacks
/// something.
pub(super) struct Booted {
    pub run: qemu::BootRun,
    pub workarounds: Vec<Workaround>,
}

/// The `nvdimm_dax_info` workaround: the info block kcross writes, for the guest's page
/// size read from the cell's .config.
fn dax_info(arch: &Arch, cell: &CellResult, size: u64) -> Result<(devdax::DaxLayout, Workaround)> {
    let q = arch.qemu.as_ref().expect("checked qemu");
    let config = cell.build_dir.join(".config");
    let text = std::fs::read_to_string(&config).ctx(|| format!("reading {}", config.display()))?;
    let page = devdax::page_size(&text);
    let layout = devdax::DaxLayout::new(size, 1 << 30, page.bytes);
    let w = Workaround {
        name: "nvdimm-dax-info".to_string(),
        what: format!(
            "kcross wrote the device-dax info block into the nvdimm's backing file (1 GiB \
             alignment, {} KiB pages: {}), for the guest to configure the namespace to match \
             and the guest kernel to validate instead of writing its own",
            page.bytes >> 10,
            page.evidence
        ),
        why: q
            .nvdimm_dax_info_why
            .clone()
            .unwrap_or_else(|| format!("{} [qemu] sets nvdimm_dax_info = true", arch.origin)),
    };
    Ok((layout, w))
}

/// Boot `image` once with an initramfs that runs `test`; the console is written to `log`
/// and sent as `RuntimeEvent::Console`. `Err` when kcross cannot boot (I/O, bad `[qemu]`
/// data, QEMU did not start), never for what the kernel did.
#[allow(clippy::too_many_arguments)]
pub(super) fn boot_one(
    arch: &Arch,
    cell_result: &CellResult,
    image: &Path,
    init: &Path,
    test: &GuestTest,
    log: &Path,
    timeout: Duration,
    opts: &RuntimeOptions,
    events: &Sender<RuntimeEvent>,
) -> Result<Booted> {
    let q = arch.qemu.as_ref().expect("checked qemu");
    let cell = cell_result.cell.as_str();
    let mut workarounds = Vec::new();
    let tmp_root = opts.work_dir.join("tmp");
    std::fs::create_dir_all(&tmp_root).ctx(|| format!("creating {}", tmp_root.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix("boot-")
        .tempdir_in(&tmp_root)
        .ctx(|| format!("creating a temp dir in {}", tmp_root.display()))?;
    let mut extra: Vec<(&str, Vec<u8>)> = Vec::new();
    let nvdimm = if test.needs_nvdimm {
        let size = q.nvdimm_size.as_deref().unwrap_or("4G");
        let size = qemu::parse_size(size)
            .map_err(|m| Error::input(format!("{} [qemu] nvdimm_size", arch.origin), m))?;
        // A fresh sparse file every boot: a used one carries the last boot's dax info block.
        let backing = tmp.path().join("nvdimm.img");
        let f =
            std::fs::File::create(&backing).ctx(|| format!("creating {}", backing.display()))?;
        f.set_len(size)
            .ctx(|| format!("sizing {}", backing.display()))?;
        drop(f);
        if q.nvdimm_dax_info {
            let (layout, w) = dax_info(arch, cell_result, size)?;
            layout.write_into(&backing)?;
            extra.push(("devdax.conf", layout.guest_conf().into_bytes()));
            workarounds.push(w);
        }
        Some(qemu::Nvdimm { backing, size })
    } else {
        None
    };
    let initramfs = tmp.path().join("initramfs.cpio");
    crate::atomic::write(&initramfs, &guest::initramfs(init, &[test.name], &extra)?)?;
    let mut kernel_args = opts.extra_kernel_args.clone();
    if test.kunit {
        kernel_args.splice(
            0..0,
            crate::guest_tests::KUNIT_KERNEL_ARGS
                .iter()
                .map(|a| a.to_string()),
        );
    }
    let spec = qemu::BootSpec {
        arch: &arch.name,
        origin: &arch.origin,
        qemu: q,
        image,
        initramfs: &initramfs,
        nvdimm,
        extra_kernel_args: &kernel_args,
        timeout,
        grace: opts.poweroff_grace,
        log,
    };
    let run = qemu::boot(&spec, |line| {
        let _ = events.send(RuntimeEvent::Console {
            cell: cell.to_string(),
            test: test.name.to_string(),
            line: line.to_string(),
        });
    })?;
    drop(tmp); // the backing file goes with it
    if let Some(why) = qemu_did_not_start(&run) {
        return Err(Error::input(
            format!("{} [qemu]", arch.origin),
            format!("QEMU did not start ({}): {why}", run.command.join(" ")),
        ));
    }
    Ok(Booted { run, workarounds })
}

/// QEMU refused to run (bad arguments in the arch data, missing firmware): it exits with an
/// error before the guest printed anything. That is kcross's set-up, not the kernel's fault.
pub fn qemu_did_not_start(run: &qemu::BootRun) -> Option<String> {
    let failed = run.exit_code.is_some_and(|c| c != 0) && !run.timed_out;
    if failed && run.console.trim().is_empty() && !run.qemu_stderr.trim().is_empty() {
        Some(
            run.qemu_stderr
                .trim()
                .lines()
                .collect::<Vec<_>>()
                .join(" / "),
        )
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::judge::tests::run_of;

    fn fixture(name: &str) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/ktap")
            .join(name);
        String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()
    }

    #[test]
    fn qemu_that_did_not_start_is_told_apart() {
        let mut bad = run_of("", false, Some(1));
        bad.qemu_stderr = "qemu-system-x86_64: -object memory-backend-file: bad\n".into();
        assert!(qemu_did_not_start(&bad)
            .unwrap()
            .contains("memory-backend-file"));
        assert!(qemu_did_not_start(&run_of("", false, Some(0))).is_none());
        assert!(qemu_did_not_start(&run_of(&fixture("no-header.log"), false, Some(1))).is_none());
    }
}
