//! Processes of a run, read from /proc.

/// Every process descended from `root` (by walking /proc's parent links), with its command.
pub fn descendants(root: u32) -> Vec<(u32, String)> {
    let mut parent = std::collections::HashMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may contain spaces, so split after the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|x| x.1) else {
            continue;
        };
        let ppid: u32 = rest
            .split_whitespace()
            .nth(1)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0);
        parent.insert(pid, ppid);
    }
    let mut out = Vec::new();
    for (&pid, _) in parent.iter() {
        let mut p = pid;
        while let Some(&pp) = parent.get(&p) {
            if pp == root {
                let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                out.push((pid, String::from_utf8_lossy(&cmd).replace('\0', " ")));
                break;
            }
            if pp <= 1 {
                break;
            }
            p = pp;
        }
    }
    out
}

/// Is `pid` a live process (not a zombie)?
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit_once(')')
                .is_some_and(|x| x.1.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Live processes whose environment holds `KCROSS_TEST_MARK=<mark>`: every process of one
/// run inherits it, whoever its parent is after kcross or make died.
pub fn marked(mark: &str) -> Vec<(u32, String)> {
    let needle = format!("KCROSS_TEST_MARK={mark}");
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(env) = std::fs::read(e.path().join("environ")) else {
            continue;
        };
        if env.split(|b| *b == 0).any(|v| v == needle.as_bytes()) && alive(pid) {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            out.push((pid, String::from_utf8_lossy(&cmd).replace('\0', " ")));
        }
    }
    out
}

/// Wait (up to 5 minutes) until a process of the run marked `mark` runs a command starting
/// with `prefix` (the silent compiler wrapper's `sleep`).
pub fn wait_for_marked(mark: &str, prefix: &str) {
    let t0 = std::time::Instant::now();
    while !marked(mark).iter().any(|(_, c)| c.starts_with(prefix)) {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(300),
            "the wrapper never ran: {:#?}",
            marked(mark)
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
