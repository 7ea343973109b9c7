//! `reproduce.sh`: every cell's results hold the exact environment and make commands kcross
//! runs for it (configure: the base, the fragments merged as kcross merges them, olddefconfig;
//! then the build), as a shell script a person runs without kcross.
//!
//! It is generated from the same data the build uses: the make commands are the very
//! `Command`s of `make_command` (program, arguments, environment), the merge is
//! `fragment_symbols` and `fragment_lines`. Every value is single-quoted (or a quoted
//! here-document), so nothing from a matrix, a fragment or a path is ever expanded by the
//! shell; comments have their control characters escaped.

use super::cell::{fragment_lines, fragment_symbols, make_command};
use crate::kconfig::Base;
use crate::plan::Cell;
use crate::sandbox::Sandbox;
use crate::source::SourceTree;
use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

/// What the script needs besides the cell: the source, kcross's build dir (for the record;
/// the script builds in a fresh one), the jobs and the compiler's version line.
pub struct ReproInput<'a> {
    pub cell: &'a Cell,
    pub src: &'a SourceTree,
    pub build_dir: &'a Path,
    pub jobs: usize,
    pub compiler_version: &'a str,
    /// kcross ran the cell's makes in this sandbox (`--sandbox`): the script does too.
    pub sandbox: Option<&'a Sandbox>,
}

/// A shell word for `s`: bare when it has only safe characters, else single-quoted (a `'`
/// becomes `'\''`). Nothing inside is ever expanded.
pub fn quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Text for a `# ` comment: control characters (a newline would end the comment) escaped.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A quoted here-document writing `text` (`>` or `>>` into `target`): its delimiter is one
/// no line of the text equals, so the text is copied byte for byte (plus a final newline).
fn heredoc(redirect: &str, target: &str, text: &str) -> String {
    let mut delim = "KCROSS_EOF".to_string();
    let mut n = 0;
    while text.lines().any(|l| l == delim) {
        n += 1;
        delim = format!("KCROSS_EOF_{n}");
    }
    let mut body = text.to_string();
    if !body.ends_with('\n') {
        body.push('\n');
    }
    format!("cat {redirect} {target} <<'{delim}'\n{body}{delim}\n")
}

/// An extended regular expression matching `s` literally.
fn ere_literal(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if r".[]\()*+?{}|^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One make command as the script runs it: `-j"$JOBS"` for kcross's jobserver of that many
/// tokens, the source tree as `"$SRC"`, the build dir as `O="$O"`, every other word quoted.
/// In a sandbox, make runs as `bwrap <its argv> -- make ...`, the script's `"$O"` (and
/// `"$SRC"`) in the binds where kcross had its own dirs.
fn render(cmd: &Command, src_root: &Path, build_dir: &Path, sandbox: Option<&Sandbox>) -> String {
    let o_arg = format!("O={}", build_dir.display());
    // kcross's own dirs become the script's variables; every other word is quoted.
    let word = |a: &OsStr| -> String {
        if a == src_root.as_os_str() {
            "\"$SRC\"".into()
        } else if a == build_dir.as_os_str() {
            "\"$O\"".into()
        } else if a == OsStr::new(&o_arg) {
            "O=\"$O\"".into()
        } else {
            quote(&a.to_string_lossy())
        }
    };
    let mut words = vec!["run".to_string()];
    if let Some(sb) = sandbox {
        words.push(quote(&sb.program().to_string_lossy()));
        let args: Vec<std::ffi::OsString> = cmd.get_args().map(Into::into).collect();
        let argv = sb.argv(build_dir, cmd.get_program(), &args, cmd.get_current_dir());
        words.extend(argv.iter().take_while(|a| *a != "--").map(|a| word(a)));
        words.push("--".into());
    }
    words.push(quote(&cmd.get_program().to_string_lossy()));
    words.push("-j\"$JOBS\"".to_string());
    words.extend(cmd.get_args().map(word));
    words.join(" ")
}

/// The environment a make command sets and unsets, as shell lines.
fn environment(cmd: &Command) -> String {
    let mut out = String::new();
    for (k, v) in cmd.get_envs() {
        let k = k.to_string_lossy();
        if !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        match v {
            Some(v) => out.push_str(&format!("export {k}={}\n", quote(&v.to_string_lossy()))),
            None => out.push_str(&format!("unset {k}\n")),
        }
    }
    out
}

/// The script.
pub fn script(r: &ReproInput) -> String {
    let c = r.cell;
    let (src, bd) = (&r.src.root, r.build_dir);
    let make = |targets: &[String]| make_command(src, bd, c, targets);
    let build = make(&c.targets);
    let mut s = String::new();
    s.push_str("#!/bin/sh\n");
    s.push_str(&format!(
        "# kcross {}: how cell {} was configured and built, to run by hand without kcross.\n",
        env!("CARGO_PKG_VERSION"),
        comment(&c.id)
    ));
    s.push_str(&format!("# cell from {}\n", comment(&c.at)));
    s.push_str(&format!(
        "# source: {} ({}), key {}\n",
        comment(&r.src.origin),
        comment(&r.src.version),
        comment(&r.src.key)
    ));
    s.push_str(&format!("# compiler: {}\n", comment(r.compiler_version)));
    s.push_str(&format!(
        "# kcross built in O={}\n\
         # (shared with later runs, which keep its diagnostics state: do not build there by\n\
         # hand; this script builds in a fresh directory).\n",
        comment(&bd.display().to_string())
    ));
    s.push_str(
        "#   SRC   the kernel source tree (default: the one kcross built)\n\
         #   O     the build directory (default: build/ next to this script)\n\
         #   JOBS  make -j (default: kcross's --jobs: its makes share one jobserver of that size)\n",
    );
    s.push_str(&format!(
        "if [ -z \"${{SRC:-}}\" ] && [ ! -d {} ]; then\n\
         \x20 echo \"the source tree is gone: set SRC= (\\`kcross source\\` unpacks a source again)\" >&2; exit 2\n\
         fi\n",
        quote(&src.to_string_lossy())
    ));
    s.push_str("set -eu\n");
    s.push_str(&format!(
        "if [ -z \"${{SRC:-}}\" ]; then SRC={}; fi\n",
        quote(&src.to_string_lossy())
    ));
    s.push_str("if [ -z \"${O:-}\" ]; then O=\"$(cd \"$(dirname \"$0\")\" && pwd)/build\"; fi\n");
    s.push_str("case \"$O\" in /*) ;; *) O=\"$PWD/$O\" ;; esac\n");
    s.push_str(&format!(
        "if [ -z \"${{JOBS:-}}\" ]; then JOBS={}; fi\n",
        r.jobs.max(1)
    ));
    if let Some(sb) = r.sandbox {
        s.push_str(&format!(
            "# kcross ran every make in its sandbox (--sandbox): {} with no network, the system\n\
             # and the source read-only, only \"$O\", its working copy and a private /tmp\n\
             # writable; so does this script\n",
            comment(&sb.program().display().to_string())
        ));
    }
    s.push_str("# the environment of every make kcross runs\n");
    s.push_str(&environment(&build));
    s.push_str("run() { printf '+'; printf ' %s' \"$@\"; printf '\\n'; \"$@\"; }\n");
    s.push_str("mkdir -p \"$O\"\n\n");

    s.push_str("# 1. configure: the base\n");
    match &c.config.base {
        Base::Target(t) => {
            s.push_str(&render(&make(std::slice::from_ref(t)), src, bd, r.sandbox));
            s.push('\n');
        }
        Base::File { path, text } => {
            s.push_str(&format!("# (the config file {})\n", comment(path)));
            s.push_str(&heredoc(">", "\"$O/.config\"", text));
        }
    }
    if !c.config.fragments.is_empty() {
        s.push_str(
            "# 2. the fragments: the base's lines for the symbols they set are dropped, their\n\
             # lines appended (kcross's merge: Kconfig sees no override), then olddefconfig\n",
        );
        let symbols: Vec<String> = fragment_symbols(c).iter().map(|x| ere_literal(x)).collect();
        if symbols.is_empty() {
            s.push_str("cat \"$O/.config\" > \"$O/.config.kcross-merge\"\n");
        } else {
            let alt = symbols.join("|");
            s.push_str(&format!(
                "grep -a -v -E -e {} -e {} \"$O/.config\" > \"$O/.config.kcross-merge\" || [ $? -eq 1 ]\n",
                quote(&format!("^CONFIG_({alt})(=|$)")),
                quote(&format!("^# CONFIG_({alt}) is not set$"))
            ));
        }
        s.push_str(&heredoc(
            ">>",
            "\"$O/.config.kcross-merge\"",
            &fragment_lines(c),
        ));
        s.push_str("mv \"$O/.config.kcross-merge\" \"$O/.config\"\n");
    } else {
        s.push_str("# 2. no fragments; olddefconfig as kcross runs it\n");
    }
    s.push_str(&render(
        &make(&["olddefconfig".to_string()]),
        src,
        bd,
        r.sandbox,
    ));
    s.push_str("\n\n# 3. the build\n");
    s.push_str(&render(&build, src, bd, r.sandbox));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_every_value_literal() {
        assert_eq!(quote("ARCH=x86_64"), "ARCH=x86_64");
        assert_eq!(quote(""), "''");
        assert_eq!(
            quote("KCFLAGS=$(touch /tmp/x) `id` it's"),
            r"'KCFLAGS=$(touch /tmp/x) `id` it'\''s'"
        );
        assert_eq!(comment("a\nrm -rf ~"), r"a\nrm -rf ~");
        assert_eq!(ere_literal("A.B(c)"), r"A\.B\(c\)");
        let h = heredoc(">", "f", "KCROSS_EOF\nx");
        assert!(
            h.starts_with("cat > f <<'KCROSS_EOF_1'\nKCROSS_EOF\nx\nKCROSS_EOF_1\n"),
            "{h}"
        );
    }

    /// The default matrix's powerpc64le cell: its make commands, the merge of its fragments,
    /// valid sh (`sh -n`), and a clear stop when the source tree is gone.
    #[test]
    fn the_script_of_a_default_cell_is_valid_sh() {
        let reg = crate::toolchain::Registry::load(&[]).unwrap();
        let m = crate::matrix::load(None, &reg).unwrap();
        let plan = crate::plan::expand(&m, &reg, &Default::default()).unwrap();
        let c = &plan.cells[1];
        let d = tempfile::tempdir().unwrap();
        let src: SourceTree = serde_json::from_value(serde_json::json!({
            "kind": "dir", "origin": "linux", "root": d.path().join("gone"), "key": "k",
            "version": "6.12.0"
        }))
        .unwrap();
        let s = script(&ReproInput {
            cell: c,
            src: &src,
            build_dir: Path::new("/cache/build/x"),
            jobs: 3,
            compiler_version: "powerpc64le-linux-gnu-gcc (Debian 12.2.0-14) 12.2.0",
            sandbox: None,
        });
        assert!(
            s.contains(
                "run make -j\"$JOBS\" -C \"$SRC\" O=\"$O\" ARCH=powerpc \
                 CROSS_COMPILE=powerpc64le-linux-gnu- tinyconfig --output-sync=target\n"
            ),
            "{s}"
        );
        assert!(
            s.contains("^CONFIG_(") && s.contains("# kcross fragment "),
            "{s}"
        );
        assert!(s.contains("JOBS=3") && s.contains("# compiler: powerpc64le-linux-gnu-gcc"));
        let f = d.path().join("reproduce.sh");
        std::fs::write(&f, &s).unwrap();
        let st = Command::new("sh").arg("-n").arg(&f).status().unwrap();
        assert!(st.success(), "{s}");
        let o = Command::new("sh")
            .arg(&f)
            .env_remove("SRC")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("the source tree is gone: set SRC="), "{err}");

        // The same cell built in the sandbox: every make runs under bwrap, the script's
        // "$O" bound writable where kcross had its build dir, and it is still valid sh.
        let sb =
            crate::sandbox::Sandbox::unprobed(Path::new("/usr/bin/bwrap"), vec!["/work/wc".into()]);
        let s = script(&ReproInput {
            cell: c,
            src: &src,
            build_dir: Path::new("/cache/build/x"),
            jobs: 3,
            compiler_version: "gcc",
            sandbox: Some(&sb),
        });
        assert!(
            s.contains(
                "run /usr/bin/bwrap --die-with-parent --unshare-net --ro-bind / / --dev /dev \
                 --tmpfs /tmp --bind \"$O\" \"$O\" --bind /work/wc /work/wc -- make -j\"$JOBS\" \
                 -C \"$SRC\" O=\"$O\" ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu- tinyconfig"
            ),
            "{s}"
        );
        assert_eq!(s.matches("run /usr/bin/bwrap ").count(), 3, "{s}");
        assert!(s.contains("# kcross ran every make in its sandbox"), "{s}");
        assert!(!s.contains("--bind /cache"), "{s}");
        std::fs::write(&f, &s).unwrap();
        let st = Command::new("sh").arg("-n").arg(&f).status().unwrap();
        assert!(st.success(), "{s}");
    }
}
