//! Line-by-line parser for Kbuild logs (GNU make output, stdout and stderr merged).
//!
//! Recognised forms:
//! * gcc / clang diagnostics (`PATH:LINE[:COL]: error|warning|note|fatal error: MSG [-Wflag]`),
//!   their context lines (`In function`, `At top level`, `In file included from`,
//!   `inlined from`), gcc's `NN | source` snippets and clang's raw source + caret snippets,
//!   GNU as `PATH:LINE: Error:` lines, and driver lines (`cc1: warning: ...`);
//! * GNU ld (any cross prefix) and ld.lld errors: undefined references, multiple/duplicate
//!   definitions, other errors and warnings;
//! * modpost `ERROR:` / `WARNING:` lines;
//! * kconfig: unmet dependencies, `.config:N:warning:` and `Kconfig:N: warning:` lines;
//! * make's own errors (`*** [...] Error N`, `No rule to make target`, `missing separator`);
//! * other tools' `PATH: warning: ...` lines (objtool and scripts).

mod compact;
mod compiler;
mod kbuild;
mod linker;
mod paths;
#[cfg(test)]
mod tests;

use super::{Diagnostic, ParseContext, Severity, Tool};
use regex::{Captures, Regex};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Parse a whole build log (make output, stdout and stderr merged) into diagnostics.
pub fn parse_log(log: &str, ctx: &ParseContext) -> Vec<Diagnostic> {
    let mut p = LogParser::new(ctx);
    for raw in log.lines() {
        p.line(raw);
    }
    p.finish()
}

/// Parse a build log as a stream, a line at a time (bytes that are not UTF-8 shown as
/// U+FFFD), handing every line to `each` as well (for the quiet-line scan, the tail):
/// memory grows with the distinct diagnostics, not with the log's size.
pub fn parse_file(
    path: &std::path::Path,
    ctx: &ParseContext,
    each: impl FnMut(&str),
) -> std::io::Result<Vec<Diagnostic>> {
    parse_reader(std::fs::File::open(path)?, ctx, each)
}

/// `parse_file` of any reader (standard input, a pipe).
pub fn parse_reader(
    r: impl std::io::Read,
    ctx: &ParseContext,
    mut each: impl FnMut(&str),
) -> std::io::Result<Vec<Diagnostic>> {
    let mut p = LogParser::new(ctx);
    crate::util::lines_lossy(r, |l| {
        p.line(l);
        each(l);
    })?;
    Ok(p.finish())
}

/// The parser behind `parse_log` and `parse_file`, fed one line at a time.
pub struct LogParser<'a>(Parser<'a>);

impl<'a> LogParser<'a> {
    pub fn new(ctx: &'a ParseContext) -> Self {
        LogParser(Parser::new(ctx))
    }

    /// One line of the log, without its line end.
    pub fn line(&mut self, raw: &str) {
        self.0.line(raw)
    }

    /// The diagnostics, after the whole log.
    pub fn finish(self) -> Vec<Diagnostic> {
        self.0.finish()
    }
}

struct Res {
    ansi: Regex,
    path_token: Regex,
    cc: Regex,
    cc_driver: Regex,
    cc_special: Regex,
    gutter_num: Regex,
    gutter_bare: Regex,
    caret: Regex,
    included_from: Regex,
    from_cont: Regex,
    in_function: Regex,
    top_level: Regex,
    inline_fn: Regex,
    inlined_from: Regex,
    assembler_msgs: Regex,
    generated: Regex,
    make: Regex,
    makefile_line: Regex,
    recipe: Regex,
    recipe_loc: Regex,
    unmet: Regex,
    kconfig_file: Regex,
    kconfig_write: Regex,
    modpost: Regex,
    ko_path: Regex,
    lead_path: Regex,
    in_obj: Regex,
    ld: Regex,
    ld_in_function: Regex,
    undefined_ref: Regex,
    multiple_def: Regex,
    lld_undefined: Regex,
    lld_ref: Regex,
    lld_obj: Regex,
    ld_loc_section: Regex,
    ld_loc_line: Regex,
    other: Regex,
    bare: Regex,
    objtool_fn: Regex,
    flags: Regex,
    quiet: Regex,
    shell: Regex,
}

fn res() -> &'static Res {
    static RES: OnceLock<Res> = OnceLock::new();
    RES.get_or_init(|| {
        let r = |s: &str| Regex::new(s).expect("static regex");
        Res {
            ansi: r(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]"),
            path_token: r(concat!(
                r#"(^|[\s(\[<:'"`‘])"#,
                r#"((?:/[^/\s:(),\[\]'"`’]|\.\.?/)[^\s:(),\[\]'"`’]*)"#
            )),
            cc: r(concat!(
                r"^(?P<path>\{standard input\}|[^\s:]+):(?P<line>\d+):(?:(?P<col>\d+):)?\s*",
                r"(?P<sev>fatal error|error|warning|note|internal compiler error|",
                r"sorry, unimplemented|Error|Warning):\s?(?P<msg>.*)$"
            )),
            cc_driver: r(concat!(
                r"^(?P<tool>(?:\S*/)?(?:[\w.+-]+-)?",
                r"(?:gcc|g\+\+|cc1|cc1plus|cc|clang|clang\+\+|lto1|lto-wrapper)",
                r"(?:-\d+(?:\.\d+)*)?): (?P<sev>fatal error|error|warning|note): (?P<msg>.*)$"
            )),
            cc_special: r(concat!(
                r"^(?P<path><[\w -]+>|\{standard input\}): ",
                r"(?P<sev>fatal error|error|warning|note): (?P<msg>.*)$"
            )),
            gutter_num: r(r"^\s*\d+ \|(?: (?P<text>.*))?$"),
            gutter_bare: r(r"^\s*(?:\+\+\+ )?\|"),
            caret: r(r"^[ \t]*[\^~][ \t\^~]*$"),
            included_from: r(r"^In file included from (?P<loc>.+)[,:]$"),
            from_cont: r(r"^\s+from (?P<loc>.+)[,:]$"),
            in_function: r(concat!(
                r"^(?P<path>[^\s:]+): In (?:static |member |static member )?",
                r"(?:function|constructor|destructor) ['‘`](?P<f>.+?)['’]:$"
            )),
            top_level: r(r"^(?P<path>[^\s:]+): At (?:top level|global scope):$"),
            inline_fn: r(r"^In function ['‘`](?P<f>.+?)['’][,:]$"),
            inlined_from: r(r"^\s+inlined from ['‘`](?P<f>.+?)['’] at (?P<loc>.+)[,:]$"),
            assembler_msgs: r(r"^(?P<path>\S+): Assembler messages:$"),
            generated: r(r"^\d+ (?:warnings?|errors?)(?: and \d+ (?:warnings?|errors?))? generated\.$"),
            make: r(r"^(?:\S*/)?g?make(?:\[\d+\])?: (?P<rest>.*)$"),
            makefile_line: r(concat!(
                r"^(?P<path>[^\s:]*(?:[Mm]akefile|Kbuild)[\w.-]*|[^\s:]+\.mk):(?P<line>\d+): ",
                r"(?P<rest>(?:\*\*\* |warning: ).*)$"
            )),
            recipe: r(r"^\[(?P<loc>.+)\] (?P<res>.+)$"),
            recipe_loc: r(r"^(?P<path>[^:]+):(?P<line>\d+): (?P<target>.+)$"),
            unmet: r(r"^WARNING: unmet direct dependencies detected for (?P<sym>\S+)\s*$"),
            kconfig_file: r(concat!(
                r"^(?P<path>[^\s:]*(?:Kconfig[\w.-]*|\.config(?:\.old)?|[\w.-]*defconfig|[\w.-]+\.config)):",
                r"(?P<line>\d+):\s*(?P<rest>.*)$"
            )),
            kconfig_write: r(r"^\*\*\* Error during (?:writing|update) of the configuration\."),
            modpost: r(r"^(?P<lvl>ERROR|WARNING|FATAL): (?P<mp>modpost: )?(?P<msg>.*)$"),
            ko_path: r(r"\[(?P<path>[^\]\s]+\.ko)\]"),
            lead_path: r(r"^(?P<path>vmlinux(?:\.o)?|[^\s:]+\.(?:o|ko|a)): "),
            in_obj: r(r"\bin (?P<path>\S+\.(?:o|ko))$"),
            ld: r(concat!(
                r"^(?P<ld>(?:\S*/)?(?:[\w.+-]+-)?ld(?:\.(?:lld|bfd|gold))?(?:-\d+(?:\.\d+)*)?): ",
                r"(?P<rest>.*)$"
            )),
            ld_in_function: r(r"^(?P<obj>.+?): in function [`'‘](?P<f>.+?)['’]:$"),
            undefined_ref: r(
                r"^(?:(?P<loc>.*?):\s?)?undefined reference to (?:symbol )?[`'‘](?P<sym>.+?)['’]",
            ),
            multiple_def: r(concat!(
                r"^(?:(?P<loc>.*?):\s?)?multiple definition of [`'‘](?P<sym>.+?)['’]",
                r"(?:;\s*(?P<first>.*))?$"
            )),
            lld_undefined: r(r"^undefined (?:hidden )?symbol: (?P<sym>.+)$"),
            lld_ref: r(concat!(
                r"^>>> (?:referenced by|defined at) (?P<short>[^\s(]+)",
                r"(?: \((?P<full>[^)]+)\))?"
            )),
            lld_obj: r(r"^>>>\s+(?P<obj>[^\s:]+):\((?P<f>[^)]+)\)"),
            ld_loc_section: r(r"^(?P<file>.+?):\((?P<sec>[^)]*)\)$"),
            ld_loc_line: r(r"^(?:(?P<obj>[^\s:]+\.o):)?(?P<file>[^\s:]+):(?P<line>\d+)$"),
            other: r(r"^(?P<path>[^\s:]+): (?P<sev>warning|error): (?P<msg>.*)$"),
            bare: r(r"^(?P<sev>warning|error): (?P<msg>.*)$"),
            objtool_fn: r(r"^objtool: (?P<f>[\w.$]+)\+0x[0-9a-f]+: "),
            flags: r(r"\s\[(?P<flags>-[^\]\s]+)\]$"),
            quiet: r(r"^  [A-Z0-9_]{2,}(?: \[[A-Z]\])? +\S"),
            shell: r(r"^(?:/usr)?(?:/bin/)?(?:ba|da)?sh: (?:line )?\d+: "),
        }
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Snippet {
    None,
    /// The snippet lines that follow belong to this diagnostic.
    Diag(usize),
    /// They belong to a note that was folded into its parent: ignore them.
    Note,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Followup {
    None,
    /// Indented lines after a kconfig / modpost / other diagnostic are notes.
    Indented(usize),
    /// `>>> ` lines after an ld.lld error.
    Lld(usize),
}

#[derive(PartialEq, Eq, Hash)]
struct Entry {
    d: Diagnostic,
    /// `make: *** [...] Error N`: only kept when nothing else failed.
    recipe_failure: bool,
    /// The recipe failure is `Error 2` (propagation from a sub-make).
    error2: bool,
    sub_make: bool,
    /// `PATH:LINE: warning:` without column: a compiler diagnostic only if a snippet follows.
    deferred: bool,
    saw_snippet: bool,
    /// `In function` context in effect when the diagnostic was seen (file, function).
    fn_ctx: Option<(String, String)>,
    /// ld.lld: referencing object, to complete a bare source file name.
    lld_obj: Option<String>,
    undefined: bool,
}

struct Parser<'a> {
    ctx: &'a ParseContext,
    /// Absolute roots as path components; None when the context gave a relative path.
    src_root: Option<Vec<String>>,
    build_root: Option<Vec<String>>,
    entries: Vec<Entry>,
    /// Include chain and `inlined from` lines waiting for the next compiler diagnostic.
    pending_notes: Vec<String>,
    pending_inline_fn: Option<String>,
    last_was_include: bool,
    fn_ctx: Option<(String, String)>,
    /// Last compiler error/warning that following `note:` lines attach to.
    open_cc: Option<usize>,
    snippet: Snippet,
    clang_candidate: Option<String>,
    followup: Followup,
    /// GNU ld `OBJ: in function 'F':` context: (object, function, verbatim line).
    ld_ctx: Option<(String, String, String)>,
    /// `/bin/sh: 1: foo: not found` lines, attached to the next failed recipe.
    shell_lines: Vec<String>,
    /// Repeated diagnostics folded as the log streams (see `compact`).
    compact: compact::State,
}

fn parse_num(s: Option<regex::Match<'_>>) -> Option<u32> {
    s.and_then(|m| m.as_str().parse().ok())
}

impl<'a> Parser<'a> {
    fn push(&mut self, d: Diagnostic) -> usize {
        if self.entries.len() >= self.compact.next {
            self.compact();
        }
        self.entries.push(Entry {
            d,
            recipe_failure: false,
            error2: false,
            sub_make: false,
            deferred: false,
            saw_snippet: false,
            fn_ctx: None,
            lld_obj: None,
            undefined: false,
        });
        self.entries.len() - 1
    }

    fn new_diag(
        &self,
        code: &str,
        severity: Severity,
        tool: Tool,
        file: Option<String>,
        message: String,
    ) -> Diagnostic {
        Diagnostic {
            code: code.to_string(),
            severity,
            tool,
            file,
            line: None,
            column: None,
            flag: None,
            message,
            function: None,
            source_line: None,
            notes: Vec::new(),
            cell: self.ctx.cell.clone(),
            fingerprint: String::new(),
        }
    }

    /// A line that belongs to another tool ends compiler context.
    fn break_compiler(&mut self) {
        self.open_cc = None;
        self.snippet = Snippet::None;
        self.pending_notes.clear();
        self.pending_inline_fn = None;
        self.last_was_include = false;
    }

    fn line(&mut self, raw: &str) {
        let stripped;
        let line: &str = if raw.contains('\x1b') {
            stripped = res().ansi.replace_all(raw, "").into_owned();
            &stripped
        } else {
            raw
        };
        let line = line.trim_end();

        if self.continuation(line) {
            return;
        }
        if line.trim().is_empty() {
            self.clang_candidate = None;
            self.last_was_include = false;
            return;
        }
        if self.snippet_line(line) {
            return;
        }
        self.clang_candidate = None;
        let was_include = std::mem::replace(&mut self.last_was_include, false);

        if self.context_line(line, was_include)
            || self.make_line(line)
            || self.kconfig_line(line)
            || self.modpost_line(line)
            || self.ld_line(line)
            || self.compiler_line(line)
            || self.ld_unprefixed_line(line)
            || self.other_line(line)
        {
            return;
        }
        if res().shell.is_match(line) {
            self.remember_shell_line(line);
            return;
        }
        if res().quiet.is_match(line) {
            // `  CC      mm/foo.o`: a new command; notes do not reach back past it.
            self.open_cc = None;
            self.snippet = Snippet::None;
            return;
        }
        // Unrecognised: maybe clang's raw source line (confirmed by a caret line next).
        if let Snippet::Diag(i) = self.snippet {
            if self.entries[i].d.source_line.is_none() {
                self.clang_candidate = Some(line.to_string());
            }
        }
    }

    fn finish(self) -> Vec<Diagnostic> {
        let mut entries = self.entries;
        for e in &mut entries {
            if e.deferred && !e.saw_snippet && e.d.notes.is_empty() {
                // `drivers/foo.c:12: warning: ...` without a snippet: kernel-doc and the like.
                e.d.tool = Tool::Other;
                e.d.code = match e.d.severity {
                    Severity::Error => "other-error",
                    _ => "other-warning",
                }
                .to_string();
            }
            if e.d.tool == Tool::Compiler && e.d.function.is_none() {
                // A diagnostic in a header reached through a macro expanded in the function
                // of the `In function` context: the expansion note names that file.
                if let Some((f, func)) = &e.fn_ctx {
                    let prefix = format!("{f}:");
                    if e.d.notes.iter().any(|n| n.starts_with(&prefix)) {
                        e.d.function = Some(func.clone());
                    }
                }
            }
            if e.d.tool == Tool::Linker && e.d.file.as_deref().is_some_and(|f| !f.contains('/')) {
                // ld.lld `>>> referenced by foo.c` without a path: complete from the object.
                if let (Some(obj), Some(f)) = (&e.lld_obj, &e.d.file) {
                    if let Some((dir, base)) = obj.rsplit_once('/') {
                        let stem = |s: &str| s.rsplit_once('.').map_or(s, |(a, _)| a).to_string();
                        if stem(base) == stem(f) {
                            e.d.file = Some(format!("{dir}/{f}"));
                        }
                    }
                }
            }
        }

        let other_error = entries
            .iter()
            .any(|e| !e.recipe_failure && e.d.severity == Severity::Error);
        let mut keep = vec![true; entries.len()];
        if other_error {
            for (k, e) in keep.iter_mut().zip(&entries) {
                if e.recipe_failure {
                    *k = false;
                }
            }
        } else {
            let mut seen_failure = false;
            for (k, e) in keep.iter_mut().zip(&entries) {
                if e.recipe_failure {
                    if e.error2 && seen_failure {
                        *k = false;
                    }
                    seen_failure = true;
                }
            }
            let kept_non_sub = entries
                .iter()
                .zip(&keep)
                .any(|(e, k)| *k && e.recipe_failure && !e.sub_make);
            if kept_non_sub {
                for (k, e) in keep.iter_mut().zip(&entries) {
                    if e.sub_make {
                        *k = false;
                    }
                }
            }
        }

        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (e, k) in entries.into_iter().zip(keep) {
            if !k {
                continue;
            }
            let mut d = e.d;
            d.fingerprint = super::fingerprint(&d);
            let key = (d.fingerprint.clone(), d.line, d.column, d.function.clone());
            if seen.insert(key) {
                out.push(d);
            }
        }
        out
    }
}
