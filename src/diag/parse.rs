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

use super::{Diagnostic, ParseContext, Severity, Tool};
use regex::{Captures, Regex};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Parse a whole build log (make output, stdout and stderr merged) into diagnostics.
pub fn parse_log(log: &str, ctx: &ParseContext) -> Vec<Diagnostic> {
    let mut p = Parser::new(ctx);
    for raw in log.lines() {
        p.line(raw);
    }
    p.finish()
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Snippet {
    None,
    /// The snippet lines that follow belong to this diagnostic.
    Diag(usize),
    /// They belong to a note that was folded into its parent: ignore them.
    Note,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Followup {
    None,
    /// Indented lines after a kconfig / modpost / other diagnostic are notes.
    Indented(usize),
    /// `>>> ` lines after an ld.lld error.
    Lld(usize),
}

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
}

fn components(p: &str) -> (bool, Vec<String>) {
    let abs = p.starts_with('/');
    let mut out: Vec<String> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| l != "..") {
                    out.pop();
                } else if !abs {
                    out.push("..".to_string());
                }
            }
            c => out.push(c.to_string()),
        }
    }
    (abs, out)
}

fn strip_prefix_components<'b>(path: &'b [String], root: &[String]) -> Option<&'b [String]> {
    if path.len() >= root.len() && path[..root.len()] == *root {
        Some(&path[root.len()..])
    } else {
        None
    }
}

fn parse_num(s: Option<regex::Match<'_>>) -> Option<u32> {
    s.and_then(|m| m.as_str().parse().ok())
}

fn unquote_ld(s: &str) -> String {
    s.replace(['`', '‘', '’'], "'")
}

impl<'a> Parser<'a> {
    fn new(ctx: &'a ParseContext) -> Self {
        let root = |p: &std::path::Path| match components(&p.to_string_lossy()) {
            (true, comps) => Some(comps),
            (false, _) => None,
        };
        let src_root = root(&ctx.source_root);
        let build_root = root(&ctx.build_root);
        Parser {
            ctx,
            src_root,
            build_root,
            entries: Vec::new(),
            pending_notes: Vec::new(),
            pending_inline_fn: None,
            last_was_include: false,
            fn_ctx: None,
            open_cc: None,
            snippet: Snippet::None,
            clang_candidate: None,
            followup: Followup::None,
            ld_ctx: None,
            shell_lines: Vec::new(),
        }
    }

    /// Make a path relative to the source tree (or `$(objtree)/` for the build tree),
    /// lexically: `..` is resolved against the build directory, the filesystem is not read.
    fn rel(&self, p: &str) -> String {
        let p = p.trim();
        if p.is_empty() || p.starts_with('<') || p.starts_with('{') || p.starts_with('$') {
            return p.to_string();
        }
        let (abs, comps) = components(p);
        let anchored = p.starts_with("./") || comps.first().is_some_and(|c| c == "..");
        let comps = match (abs, anchored, &self.build_root) {
            (true, _, _) => comps,
            (false, true, Some(build)) => components(&format!("/{}/{}", build.join("/"), p)).1,
            _ => {
                return if comps.is_empty() {
                    p.to_string()
                } else {
                    comps.join("/")
                };
            }
        };
        let in_src = self
            .src_root
            .as_ref()
            .and_then(|r| strip_prefix_components(&comps, r).map(|rest| (r.len(), rest)));
        let in_build = self
            .build_root
            .as_ref()
            .and_then(|r| strip_prefix_components(&comps, r).map(|rest| (r.len(), rest)));
        match (in_src, in_build) {
            (src, Some((blen, rest))) if src.is_none_or(|(slen, _)| blen > slen) => {
                if rest.is_empty() {
                    "$(objtree)".to_string()
                } else {
                    format!("$(objtree)/{}", rest.join("/"))
                }
            }
            (Some((_, rest)), _) => {
                if rest.is_empty() {
                    ".".to_string()
                } else {
                    rest.join("/")
                }
            }
            _ => format!("/{}", comps.join("/")),
        }
    }

    /// Relativise every absolute or `./`/`../` path token in a free-text line.
    fn rel_text(&self, s: &str) -> String {
        res()
            .path_token
            .replace_all(s, |c: &Captures<'_>| {
                format!("{}{}", &c[1], self.rel(&c[2]))
            })
            .into_owned()
    }

    fn push(&mut self, d: Diagnostic) -> usize {
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

    /// `>>>` lines after ld.lld errors, indented lines after kconfig/modpost/other messages.
    fn continuation(&mut self, line: &str) -> bool {
        match self.followup {
            Followup::Lld(i) if line.starts_with(">>>") => {
                self.lld_note(i, line);
                true
            }
            Followup::Indented(i)
                if line.starts_with([' ', '\t'])
                    && !line.trim().is_empty()
                    && !res().quiet.is_match(line) =>
            {
                let note = self.rel_text(line.trim());
                self.entries[i].d.notes.push(note);
                true
            }
            _ => {
                self.followup = Followup::None;
                false
            }
        }
    }

    fn lld_note(&mut self, i: usize, line: &str) {
        let note = self.rel_text(line);
        let r = res();
        if let Some(c) = r.lld_ref.captures(line) {
            let e = &mut self.entries[i];
            if e.d.file.is_none() {
                let loc = c.name("full").map_or(&c["short"], |m| m.as_str());
                let (path, num) = match loc.rsplit_once(':') {
                    Some((p, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                        (p, n.parse().ok())
                    }
                    _ => (loc, None),
                };
                let file = self.rel(path);
                let e = &mut self.entries[i];
                e.d.file = Some(file);
                e.d.line = num;
            }
        } else if let Some(c) = r.lld_obj.captures(line) {
            let obj = self.rel(&c["obj"]);
            let e = &mut self.entries[i];
            if e.lld_obj.is_none() {
                e.lld_obj = Some(obj);
                if e.undefined && e.d.function.is_none() && !c["f"].starts_with('.') {
                    e.d.function = Some(c["f"].to_string());
                }
            }
        }
        self.entries[i].d.notes.push(note);
    }

    /// gcc `NN | src` / `   | ^~~` lines and clang caret lines.
    fn snippet_line(&mut self, line: &str) -> bool {
        let r = res();
        if let Some(c) = r.gutter_num.captures(line) {
            self.clang_candidate = None;
            if let Snippet::Diag(i) = self.snippet {
                let e = &mut self.entries[i];
                e.saw_snippet = true;
                if e.d.source_line.is_none() {
                    let text = c.name("text").map_or("", |m| m.as_str()).trim();
                    if !text.is_empty() {
                        e.d.source_line = Some(text.to_string());
                    }
                }
            }
            return true;
        }
        if r.gutter_bare.is_match(line) {
            // gcc caret/fix-it gutter, or a clang source line starting with `|`.
            self.clang_candidate = None;
            if let Snippet::Diag(i) = self.snippet {
                self.entries[i].saw_snippet = true;
                if self.entries[i].d.source_line.is_none() {
                    self.clang_candidate = Some(line.to_string());
                }
            }
            return true;
        }
        if r.caret.is_match(line) {
            let cand = self.clang_candidate.take();
            if let Snippet::Diag(i) = self.snippet {
                let e = &mut self.entries[i];
                e.saw_snippet = true;
                if e.d.source_line.is_none() {
                    if let Some(text) = cand {
                        let text = text.trim();
                        if !text.is_empty() {
                            e.d.source_line = Some(text.to_string());
                        }
                    }
                }
            }
            return true;
        }
        false
    }

    fn context_line(&mut self, line: &str, was_include: bool) -> bool {
        let r = res();
        if r.included_from.is_match(line) {
            let note = self.rel_text(line.trim());
            self.pending_notes.push(note);
            self.last_was_include = true;
            self.snippet = Snippet::None;
            return true;
        }
        if was_include && r.from_cont.is_match(line) {
            let note = self.rel_text(line.trim());
            self.pending_notes.push(note);
            self.last_was_include = true;
            return true;
        }
        // Context lines do not end the open diagnostic: gcc prints them before a note too
        // when the note is in another function (`-Wstringop-overflow`, `-Warray-bounds`).
        if let Some(c) = r.in_function.captures(line) {
            self.fn_ctx = Some((self.rel(&c["path"]), c["f"].to_string()));
            self.snippet = Snippet::None;
            return true;
        }
        if r.top_level.is_match(line) {
            self.fn_ctx = None;
            self.snippet = Snippet::None;
            return true;
        }
        if let Some(c) = r.inline_fn.captures(line) {
            self.pending_inline_fn = Some(c["f"].to_string());
            self.snippet = Snippet::None;
            return true;
        }
        if r.inlined_from.is_match(line) {
            let note = self.rel_text(line.trim());
            self.pending_notes.push(note);
            return true;
        }
        if r.assembler_msgs.is_match(line) {
            self.open_cc = None;
            self.snippet = Snippet::None;
            return true;
        }
        if r.generated.is_match(line)
            || line == "compilation terminated."
            || line.ends_with("warnings being treated as errors")
        {
            self.break_compiler();
            return true;
        }
        false
    }

    fn make_line(&mut self, line: &str) -> bool {
        let r = res();
        if let Some(c) = r.makefile_line.captures(line) {
            let file = self.rel(&c["path"]);
            let lnum = parse_num(c.name("line"));
            let rest = &c["rest"];
            self.break_compiler();
            self.ld_ctx = None;
            let d = if let Some(msg) = rest.strip_prefix("*** ") {
                let msg = self.rel_text(msg.trim_end_matches("Stop.").trim_end());
                self.new_diag("make-error", Severity::Error, Tool::Make, Some(file), msg)
            } else {
                let msg = self.rel_text(rest.trim_start_matches("warning: "));
                self.new_diag(
                    "make-warning",
                    Severity::Warning,
                    Tool::Make,
                    Some(file),
                    msg,
                )
            };
            let i = self.push(d);
            self.entries[i].d.line = lnum;
            return true;
        }
        let Some(c) = r.make.captures(line) else {
            return false;
        };
        let rest = c.name("rest").map_or("", |m| m.as_str());
        self.break_compiler();
        self.ld_ctx = None;
        if let Some(body) = rest.strip_prefix("*** ") {
            if let Some(rc) = r.recipe.captures(body) {
                let result = rc["res"].trim();
                if result.ends_with("(ignored)") {
                    return true;
                }
                let loc = &rc["loc"];
                let (file, lnum, target) = match r.recipe_loc.captures(loc) {
                    Some(lc) => (
                        Some(self.rel(&lc["path"])),
                        parse_num(lc.name("line")),
                        lc["target"].to_string(),
                    ),
                    None => (None, None, loc.to_string()),
                };
                let target = self.rel_text(&target);
                let msg = format!("[{target}] {result}");
                let mut d = self.new_diag("make-error", Severity::Error, Tool::Make, file, msg);
                d.notes = std::mem::take(&mut self.shell_lines);
                let i = self.push(d);
                let e = &mut self.entries[i];
                e.d.line = lnum;
                e.recipe_failure = true;
                e.error2 = result == "Error 2";
                e.sub_make = target == "__sub-make";
                return true;
            }
            if body.starts_with("Waiting for unfinished jobs") || body.starts_with("Deleting ") {
                return true;
            }
            let msg = self.rel_text(body.trim_end_matches("Stop.").trim_end());
            let d = self.new_diag("make-error", Severity::Error, Tool::Make, None, msg);
            self.push(d);
            return true;
        }
        if let Some(msg) = rest.strip_prefix("warning: ") {
            let msg = self.rel_text(msg);
            let d = self.new_diag("make-warning", Severity::Warning, Tool::Make, None, msg);
            self.push(d);
        } else if rest.ends_with("No such file or directory") || rest.ends_with("Permission denied")
        {
            // make exec'd a recipe itself (`make[3]: gcc: No such file or directory`).
            self.remember_shell_line(line);
        }
        true
    }

    fn remember_shell_line(&mut self, line: &str) {
        if self.shell_lines.len() >= 8 {
            self.shell_lines.remove(0);
        }
        self.shell_lines.push(line.to_string());
    }

    fn kconfig_line(&mut self, line: &str) -> bool {
        let r = res();
        if let Some(c) = r.unmet.captures(line) {
            self.break_compiler();
            let msg = format!("unmet direct dependencies detected for {}", &c["sym"]);
            let d = self.new_diag(
                "kconfig-warning",
                Severity::Warning,
                Tool::Kconfig,
                None,
                msg,
            );
            let i = self.push(d);
            self.followup = Followup::Indented(i);
            return true;
        }
        if let Some(c) = r.kconfig_file.captures(line) {
            self.break_compiler();
            let file = self.rel(&c["path"]);
            let rest = c["rest"].trim();
            let (code, sev, msg) = if let Some(m) = rest.strip_prefix("warning:") {
                ("kconfig-warning", Severity::Warning, m.trim())
            } else if let Some(m) = rest.strip_prefix("error:") {
                ("kconfig-error", Severity::Error, m.trim())
            } else {
                ("kconfig-error", Severity::Error, rest)
            };
            let d = self.new_diag(code, sev, Tool::Kconfig, Some(file), msg.to_string());
            let i = self.push(d);
            self.entries[i].d.line = parse_num(c.name("line"));
            self.followup = Followup::Indented(i);
            return true;
        }
        if r.kconfig_write.is_match(line) {
            self.break_compiler();
            let msg = line.trim_start_matches("*** ").to_string();
            let d = self.new_diag("kconfig-error", Severity::Error, Tool::Kconfig, None, msg);
            self.push(d);
            return true;
        }
        false
    }

    fn modpost_line(&mut self, line: &str) -> bool {
        let r = res();
        let Some(c) = r.modpost.captures(line) else {
            return false;
        };
        let msg = c["msg"].trim();
        let is_modpost = c.name("mp").is_some()
            || msg.contains(".ko]")
            || msg.contains("Module.symvers")
            || msg.contains("section mismatch")
            || msg.contains("modpost");
        let error = &c["lvl"] != "WARNING";
        let (code, tool) = match (is_modpost, error) {
            (true, true) => ("modpost-error", Tool::Modpost),
            (true, false) => ("modpost-warning", Tool::Modpost),
            (false, true) => ("other-error", Tool::Other),
            (false, false) => ("other-warning", Tool::Other),
        };
        let sev = if error {
            Severity::Error
        } else {
            Severity::Warning
        };
        self.break_compiler();
        self.ld_ctx = None;
        let file = r
            .ko_path
            .captures(msg)
            .or_else(|| r.lead_path.captures(msg))
            .or_else(|| r.in_obj.captures(msg))
            .map(|p| self.rel(&p["path"]));
        let msg = self.rel_text(msg);
        let d = self.new_diag(code, sev, tool, file, msg);
        let i = self.push(d);
        self.followup = Followup::Indented(i);
        true
    }

    fn ld_line(&mut self, line: &str) -> bool {
        let r = res();
        if let Some(c) = r.ld.captures(line) {
            let rest = c["rest"].trim().to_string();
            self.break_compiler();
            if let Some(fc) = r.ld_in_function.captures(&rest) {
                let obj = self.rel(&fc["obj"]);
                let verbatim = self.rel_text(&rest);
                self.ld_ctx = Some((obj, fc["f"].to_string(), verbatim));
                return true;
            }
            if let Some(e) = rest.strip_prefix("error: ") {
                self.lld_error(e);
                return true;
            }
            if rest.starts_with("NOTE:") || rest.starts_with("note:") {
                return true;
            }
            if let Some(w) = rest.strip_prefix("warning: ") {
                let msg = self.rel_text(w);
                let d = self.new_diag("ld-warning", Severity::Warning, Tool::Linker, None, msg);
                let i = self.push(d);
                self.followup = Followup::Lld(i);
                return true;
            }
            if self.ld_body(&rest) {
                return true;
            }
            let sev = if rest.contains("warning:") {
                Severity::Warning
            } else {
                Severity::Error
            };
            let code = if sev == Severity::Warning {
                "ld-warning"
            } else {
                "ld-error"
            };
            let msg = self.rel_text(&rest);
            let d = self.new_diag(code, sev, Tool::Linker, None, msg);
            self.push(d);
            return true;
        }
        false
    }

    /// Unprefixed GNU ld lines: `foo.c:(.text+0x12): undefined reference to `bar'`.
    fn ld_unprefixed_line(&mut self, line: &str) -> bool {
        let r = res();
        if (r.undefined_ref.is_match(line) || r.multiple_def.is_match(line))
            && self.ld_body(line.trim())
        {
            self.break_compiler();
            return true;
        }
        false
    }

    /// Split a GNU ld location (`obj.o:(.text+0x5)`, `foo.c:12`, `obj.o:/abs/foo.c:12`).
    fn ld_location(&self, loc: &str) -> (Option<String>, Option<u32>) {
        let r = res();
        let loc = loc.trim();
        if loc.is_empty() || loc.starts_with('(') {
            // `(.text+0x1): undefined reference`: no file symbol (assembly); use the object.
            return (self.ld_ctx.as_ref().map(|(obj, _, _)| obj.clone()), None);
        }
        if let Some(c) = r.ld_loc_section.captures(loc) {
            return (Some(self.ld_file(&c["file"])), None);
        }
        if let Some(c) = r.ld_loc_line.captures(loc) {
            return (Some(self.ld_file(&c["file"])), parse_num(c.name("line")));
        }
        (Some(self.rel(loc)), None)
    }

    /// A bare source name (`link_a.c`) next to the object from the `in function` context.
    fn ld_file(&self, f: &str) -> String {
        if !f.contains('/') {
            if let Some((obj, _, _)) = &self.ld_ctx {
                let (dir, base) = obj.rsplit_once('/').unwrap_or(("", obj));
                let stem = |s: &str| s.rsplit_once('.').map_or(s, |(a, _)| a).to_string();
                if stem(base) == stem(f) && base != f {
                    return if dir.is_empty() {
                        f.to_string()
                    } else {
                        format!("{dir}/{f}")
                    };
                }
            }
        }
        self.rel(f)
    }

    fn ld_body(&mut self, body: &str) -> bool {
        let r = res();
        if let Some(c) = r.undefined_ref.captures(body) {
            let loc = c.name("loc").map_or("", |m| m.as_str());
            let (file, lnum) = self.ld_location(loc);
            let msg = format!("undefined reference to '{}'", &c["sym"]);
            let mut d = self.new_diag("ld-undefined", Severity::Error, Tool::Linker, file, msg);
            d.line = lnum;
            if let Some((_, f, verbatim)) = &self.ld_ctx {
                d.function = Some(f.clone());
                d.notes.push(verbatim.clone());
            }
            if !loc.is_empty() {
                d.notes.push(self.rel_text(loc));
            }
            self.push(d);
            return true;
        }
        if let Some(c) = r.multiple_def.captures(body) {
            let loc = c.name("loc").map_or("", |m| m.as_str());
            let (file, lnum) = self.ld_location(loc);
            let msg = format!("multiple definition of '{}'", &c["sym"]);
            let mut d = self.new_diag("ld-error", Severity::Error, Tool::Linker, file, msg);
            d.line = lnum;
            if let Some(first) = c.name("first") {
                d.notes.push(self.rel_text(first.as_str()));
            }
            self.push(d);
            return true;
        }
        false
    }

    fn lld_error(&mut self, e: &str) {
        let r = res();
        if e.starts_with("too many errors emitted") {
            return;
        }
        let i = if let Some(c) = r.lld_undefined.captures(e) {
            let msg = format!("undefined reference to '{}'", c["sym"].trim());
            let d = self.new_diag("ld-undefined", Severity::Error, Tool::Linker, None, msg);
            let i = self.push(d);
            self.entries[i].undefined = true;
            i
        } else if let Some(c) = r.undefined_ref.captures(e) {
            // ld.lld: error: foo.o:(.text+0x1): undefined reference to `bar'
            let loc = c.name("loc").map_or("", |m| m.as_str());
            let (file, lnum) = self.ld_location(loc);
            let msg = format!("undefined reference to '{}'", &c["sym"]);
            let mut d = self.new_diag("ld-undefined", Severity::Error, Tool::Linker, file, msg);
            d.line = lnum;
            let i = self.push(d);
            self.entries[i].undefined = true;
            i
        } else {
            let msg = self.rel_text(&unquote_ld(e));
            let d = self.new_diag("ld-error", Severity::Error, Tool::Linker, None, msg);
            self.push(d)
        };
        self.followup = Followup::Lld(i);
    }

    fn compiler_line(&mut self, line: &str) -> bool {
        let r = res();
        if let Some(c) = r.cc.captures(line) {
            let path = &c["path"];
            let sev_word = &c["sev"];
            let col = parse_num(c.name("col"));
            self.compiler_diag(
                Some(path),
                parse_num(c.name("line")),
                col,
                sev_word,
                c["msg"].trim(),
                line,
            );
            return true;
        }
        if let Some(c) = r.cc_special.captures(line) {
            // `<command-line>: warning: "FOO" redefined`
            self.compiler_diag(
                Some(&c["path"]),
                None,
                None,
                &c["sev"],
                c["msg"].trim(),
                line,
            );
            return true;
        }
        if let Some(c) = r.cc_driver.captures(line) {
            let msg = c["msg"].trim();
            let tool = &c["tool"];
            if tool.ends_with("collect2") || msg.starts_with("linker command failed") {
                self.break_compiler();
                return true;
            }
            self.compiler_diag(None, None, None, &c["sev"], msg, line);
            return true;
        }
        if line.starts_with("collect2: error: ld returned") {
            self.break_compiler();
            return true;
        }
        false
    }

    fn compiler_diag(
        &mut self,
        path: Option<&str>,
        lnum: Option<u32>,
        col: Option<u32>,
        sev_word: &str,
        msg: &str,
        line: &str,
    ) {
        self.followup = Followup::None;
        self.ld_ctx = None;
        let mut sev = match sev_word {
            "warning" | "Warning" => Severity::Warning,
            "note" => Severity::Note,
            _ => Severity::Error,
        };
        let (message, flag) = match res().flags.captures(msg) {
            Some(fc) => {
                let start = fc.get(0).map_or(msg.len(), |m| m.start());
                let mut flag = None;
                for f in fc["flags"].split(',') {
                    let f = f.trim();
                    if f == "-Werror" {
                        sev = Severity::Error;
                    } else if let Some(w) = f.strip_prefix("-Werror=") {
                        sev = Severity::Error;
                        flag.get_or_insert(format!("-W{w}"));
                    } else if f.starts_with("-W") || f.starts_with("-f") {
                        flag.get_or_insert(f.to_string());
                    }
                }
                (msg[..start].trim_end().to_string(), flag)
            }
            None => (msg.to_string(), None),
        };
        let file = path.map(|p| self.rel(p));

        if sev == Severity::Note {
            // Notes that are a diagnostic group of their own.
            let standalone = message.starts_with("'#pragma message")
                || message.starts_with("‘#pragma message")
                || message.starts_with("parameter passing for argument of type")
                || message.starts_with("the ABI ")
                || message.starts_with("the layout of aggregates");
            if let (Some(i), false) = (self.open_cc, standalone) {
                let note = self.rel_text(line.trim());
                let pending = std::mem::take(&mut self.pending_notes);
                let e = &mut self.entries[i];
                e.d.notes.extend(pending);
                e.d.notes.push(note);
                self.pending_inline_fn = None;
                self.snippet = Snippet::Note;
                return;
            }
        }

        let (code, tool) = match sev {
            Severity::Error => ("cc-error", Tool::Compiler),
            Severity::Warning => ("cc-warning", Tool::Compiler),
            Severity::Note => ("cc-note", Tool::Compiler),
        };
        let mut d = self.new_diag(code, sev, tool, file.clone(), message);
        d.line = lnum;
        d.column = col;
        d.flag = flag;
        d.notes = std::mem::take(&mut self.pending_notes);
        d.function = self.pending_inline_fn.take();
        if d.function.is_none() {
            if let (Some((f, func)), Some(file)) = (&self.fn_ctx, &file) {
                if f == file {
                    d.function = Some(func.clone());
                }
            }
        }
        let deferred = path.is_some()
            && col.is_none()
            && matches!(sev_word, "warning" | "error")
            && d.flag.is_none()
            && d.function.is_none();
        let i = self.push(d);
        let e = &mut self.entries[i];
        e.fn_ctx = self.fn_ctx.clone();
        e.deferred = deferred;
        self.open_cc = if sev == Severity::Note { None } else { Some(i) };
        self.snippet = Snippet::Diag(i);
    }

    fn other_line(&mut self, line: &str) -> bool {
        let r = res();
        let (file, sev, msg) = if let Some(c) = r.other.captures(line) {
            (
                Some(self.rel(&c["path"])),
                c["sev"].to_string(),
                c["msg"].to_string(),
            )
        } else if let Some(c) = r.bare.captures(line) {
            (None, c["sev"].to_string(), c["msg"].to_string())
        } else {
            return false;
        };
        self.break_compiler();
        self.ld_ctx = None;
        let (code, sev) = if sev == "error" {
            ("other-error", Severity::Error)
        } else {
            ("other-warning", Severity::Warning)
        };
        let msg = self.rel_text(msg.trim());
        let function = r.objtool_fn.captures(&msg).map(|c| c["f"].to_string());
        let mut d = self.new_diag(code, sev, Tool::Other, file, msg);
        d.function = function;
        let i = self.push(d);
        self.followup = Followup::Indented(i);
        true
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::fingerprint;
    use std::path::PathBuf;

    fn ctx(src: &str, build: &str) -> ParseContext {
        ParseContext {
            source_root: PathBuf::from(src),
            build_root: PathBuf::from(build),
            cell: "x86_64-tinyconfig".to_string(),
        }
    }

    fn parse(log: &str, src: &str, build: &str) -> Vec<Diagnostic> {
        parse_log(log, &ctx(src, build))
    }

    /// Expected diagnostic (everything but `cell` and `fingerprint`, which are checked apart).
    struct E(Diagnostic);

    impl E {
        fn new(
            code: &str,
            severity: Severity,
            tool: Tool,
            file: Option<&str>,
            line: Option<u32>,
            column: Option<u32>,
            message: &str,
        ) -> E {
            E(Diagnostic {
                code: code.to_string(),
                severity,
                tool,
                file: file.map(str::to_string),
                line,
                column,
                flag: None,
                message: message.to_string(),
                function: None,
                source_line: None,
                notes: Vec::new(),
                cell: "x86_64-tinyconfig".to_string(),
                fingerprint: String::new(),
            })
        }
        fn flag(mut self, f: &str) -> E {
            self.0.flag = Some(f.to_string());
            self
        }
        fn func(mut self, f: &str) -> E {
            self.0.function = Some(f.to_string());
            self
        }
        fn src(mut self, s: &str) -> E {
            self.0.source_line = Some(s.to_string());
            self
        }
        fn notes(mut self, n: &[&str]) -> E {
            self.0.notes = n.iter().map(|s| s.to_string()).collect();
            self
        }
    }

    fn check(got: &[Diagnostic], want: &[E]) {
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(g.fingerprint, fingerprint(g), "fingerprint of #{i}");
            assert_eq!(g.fingerprint.len(), 16);
            let mut w = w.0.clone();
            w.fingerprint = g.fingerprint.clone();
            assert_eq!(*g, w, "diagnostic #{i}");
        }
        assert_eq!(
            got.len(),
            want.len(),
            "number of diagnostics; got {:#?}",
            got
        );
    }

    #[test]
    fn gcc12_x86_64_relative_srctree() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/gcc12-x86_64.log"),
            "/tmp/kcfix/linux-src",
            "/tmp/kcfix/build",
        );
        check(
            &got,
            &[
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("$(objtree)/include/generated/gen.h"), Some(3), Some(41), "excess elements in array initializer")
                .src("static const int gen_table[2] = { 1, 2, 3 };")
                .notes(&[
                    "In file included from mm/foo.c:2:",
                    "$(objtree)/include/generated/gen.h:3:41: note: (near initialization for ‘gen_table’)",
                ]),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(4), None, "\"GEN_VALUE\" redefined")
                .src("#define GEN_VALUE 2")
                .notes(&[
                    "$(objtree)/include/generated/gen.h:2: note: this is the location of the previous definition",
                ]),
            E::new("cc-note", Severity::Note, Tool::Compiler, Some("mm/foo.c"), Some(5), Some(9), "‘#pragma message: kcross fixture build’")
                .src("#pragma message(\"kcross fixture build\")"),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(11), Some(13), "unused variable ‘unused_var’")
                .flag("-Wunused-variable")
                .func("helper")
                .src("int unused_var;"),
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/foo.c"), Some(18), Some(21), "‘undeclared_thing’ undeclared (first use in this function)")
                .func("foo_walk")
                .src("int total = undeclared_thing + n;")
                .notes(&[
                    "mm/foo.c:18:21: note: each undeclared identifier is reported only once for each function it appears in",
                ]),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(20), Some(13), "suggest parentheses around assignment used as truth value")
                .flag("-Wparentheses")
                .func("foo_walk")
                .src("if (total = n)"),
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/foo.c"), Some(22), Some(9), "implicit declaration of function ‘frob_pages’")
                .flag("-Wimplicit-function-declaration")
                .func("foo_walk")
                .src("frob_pages(p, total);"),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("include/linux/bar.h"), Some(3), Some(12), "‘bar_unused’ defined but not used")
                .flag("-Wunused-function")
                .src("static int bar_unused(void)")
                .notes(&[
                    "In file included from mm/foo.c:1:",
                ]),
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/missing.c"), Some(2), Some(10), "linux/nothere.h: No such file or directory")
                .src("#include <linux/nothere.h>"),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/inl.c"), Some(6), Some(17), "call to ‘__bad_size’ declared with attribute warning: detected bad size")
                .flag("-Wattribute-warning")
                .func("check_size")
                .src("__bad_size();")
                .notes(&[
                    "inlined from ‘use_it’ at mm/inl.c:11:2:",
                ]),
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("arch/x86/lib/bad.S"), Some(4), None, "number of operands mismatch for `movq'"),
            ],
        );
    }

    #[test]
    fn gcc12_ppc64le_cross_absolute_srctree() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/gcc12-ppc64le.log"),
            "/tmp/kcfix/linux-src",
            "/tmp/kcfix/build",
        );
        check(
            &got,
            &[
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("$(objtree)/include/generated/gen.h"), Some(3), Some(41), "excess elements in array initializer")
                .src("static const int gen_table[2] = { 1, 2, 3 };")
                .notes(&[
                    "In file included from mm/foo.c:2:",
                    "$(objtree)/include/generated/gen.h:3:41: note: (near initialization for ‘gen_table’)",
                ]),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(4), None, "\"GEN_VALUE\" redefined")
                .src("#define GEN_VALUE 2")
                .notes(&[
                    "$(objtree)/include/generated/gen.h:2: note: this is the location of the previous definition",
                ]),
            E::new("cc-note", Severity::Note, Tool::Compiler, Some("mm/foo.c"), Some(5), Some(9), "‘#pragma message: kcross fixture build’")
                .src("#pragma message(\"kcross fixture build\")"),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(11), Some(13), "unused variable ‘unused_var’")
                .flag("-Wunused-variable")
                .func("helper")
                .src("int unused_var;"),
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/foo.c"), Some(18), Some(21), "‘undeclared_thing’ undeclared (first use in this function)")
                .func("foo_walk")
                .src("int total = undeclared_thing + n;")
                .notes(&[
                    "mm/foo.c:18:21: note: each undeclared identifier is reported only once for each function it appears in",
                ]),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(20), Some(13), "suggest parentheses around assignment used as truth value")
                .flag("-Wparentheses")
                .func("foo_walk")
                .src("if (total = n)"),
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/foo.c"), Some(22), Some(9), "implicit declaration of function ‘frob_pages’")
                .flag("-Wimplicit-function-declaration")
                .func("foo_walk")
                .src("frob_pages(p, total);"),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("include/linux/bar.h"), Some(3), Some(12), "‘bar_unused’ defined but not used")
                .flag("-Wunused-function")
                .src("static int bar_unused(void)")
                .notes(&[
                    "In file included from mm/foo.c:1:",
                ]),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/frame.c"), Some(7), Some(13), "unused variable ‘shadow’")
                .flag("-Wunused-variable")
                .func("inlined_helper")
                .src("int shadow = v;"),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/frame.c"), Some(17), Some(15), "comparison of unsigned expression in ‘< 0’ is always false")
                .flag("-Wtype-limits")
                .func("big_frame")
                .src("if (u < 0)"),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/frame.c"), Some(20), Some(1), "the frame size of 4096 bytes is larger than 1024 bytes")
                .flag("-Wframe-larger-than=")
                .func("big_frame")
                .src("}"),
            ],
        );
    }

    #[test]
    fn gcc12_ansi_colours_and_urls() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/gcc12-color.log"),
            "/tmp/kcfix/linux-src",
            "/tmp/kcfix/build",
        );
        check(
            &got,
            &[
                E::new(
                    "cc-warning",
                    Severity::Warning,
                    Tool::Compiler,
                    Some("mm/frame.c"),
                    Some(7),
                    Some(13),
                    "unused variable ‘shadow’",
                )
                .flag("-Wunused-variable")
                .func("inlined_helper")
                .src("int shadow = v;"),
                E::new(
                    "cc-warning",
                    Severity::Warning,
                    Tool::Compiler,
                    Some("include/linux/bar.h"),
                    Some(3),
                    Some(12),
                    "‘bar_unused’ defined but not used",
                )
                .flag("-Wunused-function")
                .src("static int bar_unused(void)")
                .notes(&["In file included from mm/frame.c:1:"]),
            ],
        );
    }

    #[test]
    fn clang14_snippets_without_gutter() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/clang14.log"),
            "/tmp/kcfix/linux-src",
            "/tmp/kcfix/build",
        );
        check(
            &got,
            &[
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("$(objtree)/include/generated/gen.h"), Some(3), Some(41), "excess elements in array initializer")
                .flag("-Wexcess-initializers")
                .src("static const int gen_table[2] = { 1, 2, 3 };")
                .notes(&[
                    "In file included from mm/foo.c:2:",
                ]),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(4), Some(9), "'GEN_VALUE' macro redefined")
                .flag("-Wmacro-redefined")
                .src("#define GEN_VALUE 2")
                .notes(&[
                    "$(objtree)/include/generated/gen.h:2:9: note: previous definition is here",
                ]),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(5), Some(9), "kcross fixture build")
                .flag("-W#pragma-messages")
                .src("#pragma message(\"kcross fixture build\")"),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(11), Some(6), "unused variable 'unused_var'")
                .flag("-Wunused-variable")
                .src("int unused_var;"),
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/foo.c"), Some(18), Some(14), "use of undeclared identifier 'undeclared_thing'")
                .src("int total = undeclared_thing + n;"),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("mm/foo.c"), Some(20), Some(12), "using the result of an assignment as a condition without parentheses")
                .flag("-Wparentheses")
                .src("if (total = n)")
                .notes(&[
                    "mm/foo.c:20:12: note: place parentheses around the assignment to silence this warning",
                    "mm/foo.c:20:12: note: use '==' to turn this assignment into an equality comparison",
                ]),
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/foo.c"), Some(22), Some(2), "implicit declaration of function 'frob_pages' is invalid in C99")
                .flag("-Wimplicit-function-declaration")
                .src("frob_pages(p, total);"),
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("mm/missing.c"), Some(2), Some(10), "'linux/nothere.h' file not found")
                .src("#include <linux/nothere.h>"),
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("arch/x86/lib/bad.S"), Some(4), Some(2), "too few operands for instruction")
                .src("movq %rax"),
            ],
        );
    }

    #[test]
    fn clang14_ansi_colours() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/clang14-color.log"),
            "/tmp/kcfix/linux-src",
            "/tmp/kcfix/build",
        );
        check(
            &got,
            &[
                E::new(
                    "cc-warning",
                    Severity::Warning,
                    Tool::Compiler,
                    Some("mm/frame.c"),
                    Some(7),
                    Some(6),
                    "unused variable 'shadow'",
                )
                .flag("-Wunused-variable")
                .src("int shadow = v;"),
                E::new(
                    "cc-warning",
                    Severity::Warning,
                    Tool::Compiler,
                    Some("include/linux/bar.h"),
                    Some(3),
                    Some(12),
                    "unused function 'bar_unused'",
                )
                .flag("-Wunused-function")
                .src("static int bar_unused(void)")
                .notes(&["In file included from mm/frame.c:1:"]),
            ],
        );
    }

    #[test]
    fn gnu_ld_x86_64_undefined_and_multiple_definition() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/ld-x86_64.log"),
            "/tmp/kcfix/linux-src",
            "/tmp/kcfix/build",
        );
        check(
            &got,
            &[
                E::new(
                    "ld-error",
                    Severity::Error,
                    Tool::Linker,
                    Some("mm/link_b.o"),
                    None,
                    None,
                    "multiple definition of 'shared_counter'",
                )
                .notes(&["mm/link_a.o:(.data+0x0): first defined here"]),
                E::new(
                    "ld-undefined",
                    Severity::Error,
                    Tool::Linker,
                    Some("mm/link_a.c"),
                    None,
                    None,
                    "undefined reference to 'pud_bogus_helper'",
                )
                .func("walk_pud_range")
                .notes(&[
                    "mm/link_a.o: in function `walk_pud_range':",
                    "link_a.c:(.text+0x5)",
                ]),
                E::new(
                    "ld-undefined",
                    Severity::Error,
                    Tool::Linker,
                    Some("mm/link_a.c"),
                    None,
                    None,
                    "undefined reference to 'pud_bogus_helper'",
                )
                .func("_start")
                .notes(&[
                    "mm/link_a.o: in function `_start':",
                    "link_a.c:(.text+0x23)",
                ]),
                E::new(
                    "ld-undefined",
                    Severity::Error,
                    Tool::Linker,
                    Some("mm/link_b.c"),
                    None,
                    None,
                    "undefined reference to 'flush_tlb_bogus'",
                )
                .func("mprotect_fixup_range")
                .notes(&[
                    "mm/link_b.o: in function `mprotect_fixup_range':",
                    "link_b.c:(.text+0x1)",
                ]),
            ],
        );
    }

    #[test]
    fn gnu_ld_ppc64le_with_debug_info() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/ld-ppc64le.log"),
            "/tmp/kcfix/linux-src",
            "/tmp/kcfix/build",
        );
        check(
            &got,
            &[
                E::new(
                    "ld-error",
                    Severity::Error,
                    Tool::Linker,
                    Some("mm/link_b.c"),
                    Some(2),
                    None,
                    "multiple definition of 'shared_counter'",
                )
                .notes(&["mm/link_a.o:mm/link_a.c:2: first defined here"]),
                E::new(
                    "ld-undefined",
                    Severity::Error,
                    Tool::Linker,
                    Some("mm/link_a.c"),
                    Some(6),
                    None,
                    "undefined reference to 'pud_bogus_helper'",
                )
                .func("walk_pud_range")
                .notes(&[
                    "mm/link_a.o: in function `walk_pud_range':",
                    "mm/link_a.c:6",
                ]),
                E::new(
                    "ld-undefined",
                    Severity::Error,
                    Tool::Linker,
                    Some("mm/link_b.c"),
                    Some(6),
                    None,
                    "undefined reference to 'flush_tlb_bogus'",
                )
                .func("mprotect_fixup_range")
                .notes(&[
                    "mm/link_b.o: in function `mprotect_fixup_range':",
                    "mm/link_b.c:6",
                ]),
            ],
        );
    }

    #[test]
    fn ld_lld_undefined_and_duplicate_symbol() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/lld14.log"),
            "/tmp/kcfix/linux-src",
            "/tmp/kcfix/build",
        );
        check(
            &got,
            &[
                E::new(
                    "ld-error",
                    Severity::Error,
                    Tool::Linker,
                    Some("mm/link_a.c"),
                    Some(2),
                    None,
                    "duplicate symbol: shared_counter",
                )
                .notes(&[
                    ">>> defined at link_a.c:2 (mm/link_a.c:2)",
                    ">>>            mm/link_a.o:(shared_counter)",
                    ">>> defined at link_b.c:2 (mm/link_b.c:2)",
                    ">>>            mm/link_b.o:(.data+0x0)",
                ]),
                E::new(
                    "ld-undefined",
                    Severity::Error,
                    Tool::Linker,
                    Some("mm/link_a.c"),
                    Some(6),
                    None,
                    "undefined reference to 'pud_bogus_helper'",
                )
                .func("walk_pud_range")
                .notes(&[
                    ">>> referenced by link_a.c:6 (mm/link_a.c:6)",
                    ">>>               mm/link_a.o:(walk_pud_range)",
                    ">>> referenced by link_a.c:6 (mm/link_a.c:6)",
                    ">>>               mm/link_a.o:(_start)",
                ]),
                E::new(
                    "ld-undefined",
                    Severity::Error,
                    Tool::Linker,
                    Some("mm/link_b.c"),
                    None,
                    None,
                    "undefined reference to 'flush_tlb_bogus'",
                )
                .func("mprotect_fixup_range")
                .notes(&[
                    ">>> referenced by link_b.c",
                    ">>>               mm/link_b.o:(mprotect_fixup_range)",
                ]),
            ],
        );
    }

    #[test]
    fn kernel_module_compile_errors() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/kernel612-x86_64-module-cc.log"),
            "/tmp/explore/linux-source-6.12",
            "/tmp/diagk",
        );
        check(
            &got,
            &[
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("/tmp/badmod/bad.c"), Some(16), Some(9), "implicit declaration of function ‘frobnicate_page_tables’")
                .flag("-Wimplicit-function-declaration")
                .func("bad_init")
                .src("frobnicate_page_tables(&pud);"),
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("/tmp/badmod/bad.c"), Some(19), Some(16), "implicit declaration of function ‘pud_bogus_helper’")
                .flag("-Wimplicit-function-declaration")
                .func("bad_init")
                .src("return pud_bogus_helper(&pud);"),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("/tmp/badmod/bad.c"), Some(12), Some(13), "unused variable ‘unused_counter’")
                .flag("-Wunused-variable")
                .func("bad_init")
                .src("int unused_counter;"),
            E::new("cc-error", Severity::Error, Tool::Compiler, Some("include/linux/compiler_types.h"), Some(543), Some(45), "call to ‘__compiletime_assert_138’ declared with attribute error: min(bad_limit, delta) signedness error")
                .func("bad_init")
                .src("_compiletime_assert(condition, msg, __compiletime_assert_, __COUNTER__)")
                .notes(&[
                    "In file included from <command-line>:",
                    "include/linux/compiler_types.h:524:25: note: in definition of macro ‘__compiletime_assert’",
                    "include/linux/compiler_types.h:543:9: note: in expansion of macro ‘_compiletime_assert’",
                    "include/linux/build_bug.h:39:37: note: in expansion of macro ‘compiletime_assert’",
                    "include/linux/minmax.h:93:9: note: in expansion of macro ‘BUILD_BUG_ON_MSG’",
                    "include/linux/minmax.h:98:9: note: in expansion of macro ‘__careful_cmp_once’",
                    "include/linux/minmax.h:105:25: note: in expansion of macro ‘__careful_cmp’",
                    "/tmp/badmod/bad.c:17:13: note: in expansion of macro ‘min’",
                ]),
            ],
        );
    }

    #[test]
    fn kernel_modpost_undefined() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/kernel612-x86_64-modpost.log"),
            "/tmp/explore/linux-source-6.12",
            "/tmp/diagk",
        );
        check(
            &got,
            &[
                E::new(
                    "cc-warning",
                    Severity::Warning,
                    Tool::Compiler,
                    Some("/tmp/badmod2/bad2.c"),
                    Some(11),
                    Some(13),
                    "unused variable ‘unused_counter’",
                )
                .flag("-Wunused-variable")
                .func("bad2_init")
                .src("int unused_counter;"),
                E::new(
                    "modpost-warning",
                    Severity::Warning,
                    Tool::Modpost,
                    None,
                    None,
                    None,
                    "Module.symvers is missing.",
                )
                .notes(&[
                    "Modules may not have dependencies or modversions.",
                    "You may get many unresolved symbol errors.",
                    "You can set KBUILD_MODPOST_WARN=1 to turn errors into warning",
                    "if you want to proceed at your own risk.",
                ]),
                E::new(
                    "modpost-error",
                    Severity::Error,
                    Tool::Modpost,
                    Some("/tmp/badmod2/bad2.ko"),
                    None,
                    None,
                    "\"pud_bogus_helper\" [/tmp/badmod2/bad2.ko] undefined!",
                ),
            ],
        );
    }

    #[test]
    fn kernel_module_warnings_objtool_generated_header() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/kernel612-x86_64-module-warn.log"),
            "/tmp/explore/linux-source-6.12",
            "/tmp/diagk",
        );
        check(
            &got,
            &[
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("/tmp/badmod3/bad3.c"), Some(4), None, "\"CONFIG_MODULES\" redefined")
                .src("#define CONFIG_MODULES 2")
                .notes(&[
                    "In file included from include/linux/kconfig.h:5,",
                    "from <command-line>:",
                    "$(objtree)/include/generated/autoconf.h:131: note: this is the location of the previous definition",
                ]),
            E::new("cc-warning", Severity::Warning, Tool::Compiler, Some("/tmp/badmod3/bad3.h"), Some(4), Some(13), "unused variable ‘shadow’")
                .flag("-Wunused-variable")
                .func("bad3_helper")
                .src("int shadow = x;")
                .notes(&[
                    "In file included from /tmp/badmod3/bad3.c:5:",
                ]),
            E::new("other-warning", Severity::Warning, Tool::Other, Some("/tmp/badmod3/bad3.o"), None, None, "objtool: bad3_init+0x3: call to bad3_leaf.constprop.0() with UACCESS enabled")
                .func("bad3_init"),
            E::new("modpost-warning", Severity::Warning, Tool::Modpost, None, None, None, "Module.symvers is missing.")
                .notes(&[
                    "Modules may not have dependencies or modversions.",
                    "You may get many unresolved symbol errors.",
                    "You can set KBUILD_MODPOST_WARN=1 to turn errors into warning",
                    "if you want to proceed at your own risk.",
                ]),
            ],
        );
    }

    #[test]
    fn kernel_make_no_rule_to_make_target() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/kernel612-x86_64-no-rule.log"),
            "/tmp/explore/linux-source-6.12",
            "/tmp/diagk",
        );
        check(
            &got,
            &[E::new(
                "make-error",
                Severity::Error,
                Tool::Make,
                None,
                None,
                None,
                "No rule to make target '/tmp/badmod4/nothere.o', needed by '/tmp/badmod4'.",
            )],
        );
    }

    #[test]
    fn kernel_make_missing_separator() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/kernel612-x86_64-missing-separator.log"),
            "/tmp/explore/linux-source-6.12",
            "/tmp/diagk",
        );
        check(
            &got,
            &[E::new(
                "make-error",
                Severity::Error,
                Tool::Make,
                Some("/tmp/badmod5/Makefile"),
                Some(5),
                None,
                "missing separator.",
            )],
        );
    }

    #[test]
    fn kernel_make_recipe_failure_alone() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/kernel612-x86_64-no-hostcc.log"),
            "/tmp/explore/linux-source-6.12",
            "/tmp/diagk-nohost",
        );
        check(
            &got,
            &[E::new(
                "make-error",
                Severity::Error,
                Tool::Make,
                Some("scripts/Makefile.host"),
                Some(116),
                None,
                "[scripts/basic/fixdep] Error 127",
            )
            .notes(&["/bin/sh: 1: kcross-missing-hostcc: not found"])],
        );
    }

    #[test]
    fn kernel_kconfig_include_error() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/kernel612-x86_64-no-cross-cc.log"),
            "/tmp/explore/linux-source-6.12",
            "/tmp/diagk-nocc",
        );
        check(
            &got,
            &[E::new(
                "kconfig-error",
                Severity::Error,
                Tool::Kconfig,
                Some("scripts/Kconfig.include"),
                Some(40),
                None,
                "C compiler 'kcross-missing-gcc' not found",
            )],
        );
    }

    #[test]
    fn kernel_olddefconfig_overrides() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/kernel612-x86_64-olddefconfig.log"),
            "/tmp/explore/linux-source-6.12",
            "/tmp/diagk-kconf2",
        );
        check(
            &got,
            &[
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some(".config"),
                    Some(5364),
                    None,
                    "override: reassigning to symbol DEV_DAX",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some(".config"),
                    Some(5365),
                    None,
                    "override: reassigning to symbol NR_CPUS",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some(".config"),
                    Some(5366),
                    None,
                    "override: reassigning to symbol NR_CPUS",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some(".config"),
                    Some(5366),
                    None,
                    "symbol value 'n' invalid for NR_CPUS",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some(".config"),
                    Some(5368),
                    None,
                    "override: reassigning to symbol 64BIT",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some(".config"),
                    Some(5368),
                    None,
                    "symbol value 'm' invalid for 64BIT",
                ),
            ],
        );
    }

    #[test]
    fn kconfig_conf_warnings_and_unmet_deps() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/kconfig-conf.log"),
            "/tmp/kconf-mini",
            "/tmp/kconf-mini",
        );
        check(
            &got,
            &[
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some("Kconfig"),
                    Some(23),
                    None,
                    "'QUX' defined with blank help text",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some("Kconfig"),
                    Some(25),
                    None,
                    "ignoring unsupported character '%'",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some("Kconfig"),
                    Some(30),
                    None,
                    "menuconfig statement without prompt",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some("drivers/mini/Kconfig.extra"),
                    Some(8),
                    None,
                    "'MINI_EXTRA' defined with blank help text",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some("drivers/mini/Kconfig.extra"),
                    Some(10),
                    None,
                    "no new line at end of file",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some("Kconfig"),
                    Some(25),
                    None,
                    "range is only allowed for int or hex symbols",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some("Kconfig"),
                    Some(25),
                    None,
                    "range is invalid",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some(".config"),
                    Some(3),
                    None,
                    "override: reassigning to symbol BAZ",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    Some(".config"),
                    Some(4),
                    None,
                    "override: reassigning to symbol BAZ",
                ),
                E::new(
                    "kconfig-warning",
                    Severity::Warning,
                    Tool::Kconfig,
                    None,
                    None,
                    None,
                    "unmet direct dependencies detected for FOO",
                )
                .notes(&[
                    "Depends on [n]: BAR [=n]",
                    "Selected by [y]:",
                    "- BAZ [=y]",
                    "- QUX [=y] && BAZ [=y]",
                    "- MINI_EXTRA [=y]",
                ]),
            ],
        );
    }

    #[test]
    fn kconfig_syntax_error() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/kconfig-syntax.log"),
            "/tmp/kconf-syntax",
            "/tmp/kconf-syntax",
        );
        check(
            &got,
            &[
                E::new(
                    "kconfig-error",
                    Severity::Error,
                    Tool::Kconfig,
                    Some("Kconfig"),
                    Some(3),
                    None,
                    "syntax error",
                ),
                E::new(
                    "kconfig-error",
                    Severity::Error,
                    Tool::Kconfig,
                    Some("Kconfig"),
                    Some(3),
                    None,
                    "unknown statement \"option\"",
                ),
            ],
        );
    }

    #[test]
    fn kernel_w1_kerneldoc_and_modpost_warnings() {
        // kernel-doc prints `FILE:LINE: warning:` without column and snippet: tool Other.
        let got = parse(
            include_str!("../../tests/fixtures/logs/kernel612-x86_64-w1-kerneldoc.log"),
            "/tmp/explore/linux-source-6.12",
            "/tmp/diagk",
        );
        check(
            &got,
            &[
                E::new(
                    "cc-warning",
                    Severity::Warning,
                    Tool::Compiler,
                    Some("/tmp/badmod6/kdoc.c"),
                    Some(11),
                    Some(5),
                    "no previous prototype for ‘kdoc_scale’",
                )
                .flag("-Wmissing-prototypes")
                .src("int kdoc_scale(int v, int factor)"),
                E::new(
                    "other-warning",
                    Severity::Warning,
                    Tool::Other,
                    Some("/tmp/badmod6/kdoc.c"),
                    Some(12),
                    None,
                    "Function parameter or struct member 'factor' not described in 'kdoc_scale'",
                ),
                E::new(
                    "modpost-warning",
                    Severity::Warning,
                    Tool::Modpost,
                    None,
                    None,
                    None,
                    "Module.symvers is missing.",
                )
                .notes(&[
                    "Modules may not have dependencies or modversions.",
                    "You may get many unresolved symbol errors.",
                    "You can set KBUILD_MODPOST_WARN=1 to turn errors into warning",
                    "if you want to proceed at your own risk.",
                ]),
                E::new(
                    "modpost-warning",
                    Severity::Warning,
                    Tool::Modpost,
                    Some("/tmp/badmod6/kdoc.o"),
                    None,
                    None,
                    "missing MODULE_DESCRIPTION() in /tmp/badmod6/kdoc.o",
                ),
            ],
        );
    }

    #[test]
    fn gnu_ld_warning_and_undefined_from_assembly() {
        let got = parse(
            include_str!("../../tests/fixtures/logs/ld-x86_64-asm.log"),
            "/tmp/kcfix/linux-src",
            "/tmp/kcfix/build",
        );
        check(
            &got,
            &[
                E::new(
                    "ld-warning",
                    Severity::Warning,
                    Tool::Linker,
                    None,
                    None,
                    None,
                    "vmlinux.tmp has a LOAD segment with RWX permissions",
                ),
                E::new(
                    "ld-undefined",
                    Severity::Error,
                    Tool::Linker,
                    Some("arch/x86/lib/entry.o"),
                    None,
                    None,
                    "undefined reference to 'missing_entry_helper'",
                )
                .func("_start")
                .notes(&["arch/x86/lib/entry.o: in function `_start':", "(.text+0x1)"]),
            ],
        );
    }

    #[test]
    fn generated_counts_and_cc1_lines_are_not_diagnostics() {
        let log = include_str!("../../tests/fixtures/logs/clang14.log");
        assert!(log.contains("5 warnings and 2 errors generated."));
        assert!(log.contains("1 error generated."));
        let got = parse(log, "/tmp/kcfix/linux-src", "/tmp/kcfix/build");
        assert!(got.iter().all(|d| !d.message.contains("generated")));
        let log = include_str!("../../tests/fixtures/logs/gcc12-x86_64.log");
        let got = parse(log, "/tmp/kcfix/linux-src", "/tmp/kcfix/build");
        assert!(got.iter().all(|d| !d.message.contains("treated as errors")));
        // The compile failed, so make's `*** [...] Error 1` lines are consequences.
        assert!(got.iter().all(|d| d.tool != Tool::Make));
    }

    #[test]
    fn repeated_log_is_deduplicated() {
        for (log, src, build) in [
            (
                include_str!("../../tests/fixtures/logs/gcc12-x86_64.log"),
                "/tmp/kcfix/linux-src",
                "/tmp/kcfix/build",
            ),
            (
                include_str!("../../tests/fixtures/logs/kernel612-x86_64-module-cc.log"),
                "/tmp/explore/linux-source-6.12",
                "/tmp/diagk",
            ),
            (
                include_str!("../../tests/fixtures/logs/lld14.log"),
                "/tmp/kcfix/linux-src",
                "/tmp/kcfix/build",
            ),
        ] {
            let once = parse(log, src, build);
            let twice = parse(&format!("{log}{log}"), src, build);
            assert_eq!(once, twice);
        }
    }

    #[test]
    fn cell_is_set() {
        let log = include_str!("../../tests/fixtures/logs/kernel612-x86_64-modpost.log");
        let mut c = ctx("/tmp/explore/linux-source-6.12", "/tmp/diagk");
        c.cell = "arm64-defconfig-gcc".to_string();
        let got = parse_log(log, &c);
        assert!(!got.is_empty());
        assert!(got.iter().all(|d| d.cell == "arm64-defconfig-gcc"));
    }

    #[test]
    fn path_canonicalisation() {
        let c = ctx("/cache/linux-source-6.12", "/cache/build/x86_64");
        let p = Parser::new(&c);
        assert_eq!(
            p.rel("/cache/linux-source-6.12/mm/mprotect.c"),
            "mm/mprotect.c"
        );
        assert_eq!(
            p.rel("../../linux-source-6.12/mm/mprotect.c"),
            "mm/mprotect.c"
        );
        assert_eq!(p.rel("mm/mprotect.c"), "mm/mprotect.c");
        assert_eq!(
            p.rel("./include/generated/autoconf.h"),
            "$(objtree)/include/generated/autoconf.h"
        );
        assert_eq!(
            p.rel("/cache/build/x86_64/include/generated/bounds.h"),
            "$(objtree)/include/generated/bounds.h"
        );
        assert_eq!(
            p.rel("/cache/linux-source-6.12/./mm/../include/linux/mm.h"),
            "include/linux/mm.h"
        );
        assert_eq!(p.rel("/elsewhere/bad.c"), "/elsewhere/bad.c");
        assert_eq!(p.rel("<command-line>"), "<command-line>");
        assert_eq!(p.rel("/../../"), "/");
        // Build directory inside the source tree: the longer root wins.
        let c = ctx("/src/linux", "/src/linux/build");
        let p = Parser::new(&c);
        assert_eq!(p.rel("../mm/mprotect.c"), "mm/mprotect.c");
        assert_eq!(
            p.rel("./include/generated/autoconf.h"),
            "$(objtree)/include/generated/autoconf.h"
        );
        // In-tree build: both roots are the same, paths are source-relative.
        let c = ctx("/src/linux/", "/src/linux");
        let p = Parser::new(&c);
        assert_eq!(p.rel("./include/linux/mm.h"), "include/linux/mm.h");
        assert_eq!(
            p.rel_text(">>> referenced by mprotect.c:12 (/src/linux/mm/mprotect.c:12)"),
            ">>> referenced by mprotect.c:12 (mm/mprotect.c:12)"
        );
        assert_eq!(
            p.rel_text("see https://gcc.gnu.org/x and /src/linux/mm/a.c:1"),
            "see https://gcc.gnu.org/x and mm/a.c:1"
        );
    }

    /// Tiny deterministic PRNG so the fuzz test needs no extra crate.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
    }

    const ALL_FIXTURES: &[&str] = &[
        include_str!("../../tests/fixtures/logs/gcc12-x86_64.log"),
        include_str!("../../tests/fixtures/logs/gcc12-ppc64le.log"),
        include_str!("../../tests/fixtures/logs/gcc12-color.log"),
        include_str!("../../tests/fixtures/logs/clang14.log"),
        include_str!("../../tests/fixtures/logs/clang14-color.log"),
        include_str!("../../tests/fixtures/logs/ld-x86_64.log"),
        include_str!("../../tests/fixtures/logs/ld-ppc64le.log"),
        include_str!("../../tests/fixtures/logs/lld14.log"),
        include_str!("../../tests/fixtures/logs/kernel612-x86_64-module-cc.log"),
        include_str!("../../tests/fixtures/logs/kernel612-x86_64-modpost.log"),
        include_str!("../../tests/fixtures/logs/kernel612-x86_64-module-warn.log"),
        include_str!("../../tests/fixtures/logs/kernel612-x86_64-no-rule.log"),
        include_str!("../../tests/fixtures/logs/kernel612-x86_64-missing-separator.log"),
        include_str!("../../tests/fixtures/logs/kernel612-x86_64-no-hostcc.log"),
        include_str!("../../tests/fixtures/logs/kernel612-x86_64-no-cross-cc.log"),
        include_str!("../../tests/fixtures/logs/kernel612-x86_64-olddefconfig.log"),
        include_str!("../../tests/fixtures/logs/kernel612-x86_64-w1-kerneldoc.log"),
        include_str!("../../tests/fixtures/logs/ld-x86_64-asm.log"),
        include_str!("../../tests/fixtures/logs/kconfig-conf.log"),
        include_str!("../../tests/fixtures/logs/kconfig-syntax.log"),
    ];

    #[test]
    fn truncated_logs_do_not_panic() {
        let c = ctx("/tmp/explore/linux-source-6.12", "/tmp/diagk");
        for log in ALL_FIXTURES {
            // Cut every few characters: in the middle of every diagnostic and most lines.
            let step = (log.len() / 400).max(1);
            for (i, _) in log.char_indices().step_by(step) {
                let _ = parse_log(&log[..i], &c);
            }
            // And with lines dropped from the front.
            for (i, _) in log.match_indices('\n') {
                let _ = parse_log(&log[i..], &c);
            }
        }
    }

    #[test]
    fn garbage_does_not_panic() {
        let c = ctx("/", "");
        let odd = [
            "",
            "\n\n\n",
            "|",
            "|\n|\n|\n|",
            "  |\n      |\n   1 |\n   99999999999999999999 | x\n",
            "^\n~~~^~~\n",
            "a.c:1:1: warning: x\n|\n^\n~\n",
            "a.c:99999999999999999999:99999999999999999999: error: big [-Werror=]",
            "a.c:1:2: error: [-W]\na.c:1:2: note:\n",
            "a.c:1:2: error:",
            ": : : :\n::::\n:1:2: error: x\n",
            "make: *** [",
            "make: *** []",
            "make[: *** [x] Error",
            "make[1]: *** [a:b:c] Error 2\nmake: *** [Makefile:1: __sub-make] Error 2\n",
            "ld: \nld: error: \nld.lld: error: undefined symbol: \n>>>\n>>> referenced by\n",
            ">>> referenced by (\n>>>  :(\n",
            "x86_64-linux-gnu-ld: : in function `':\n:(): undefined reference to `'\n",
            "ld: a.o:/b.c:: multiple definition of `x'; ",
            "ERROR: modpost: \"\" [.ko] undefined!\nWARNING: \nFATAL: \n",
            "WARNING: unmet direct dependencies detected for \n  Depends on\n",
            "Kconfig:: warning:\n.config:1:\n",
            "In file included from \n                 from \nIn function ‘’,\n    inlined from ‘’ at :\n",
            "a.c: In function ‘x’:\na.c: At top level:\n: In function 'y':\n",
            "\x1b[\x1b]8;;\x1b\x1b[01;35m\x1b",
            "\u{fffd}\u{fffd}:1:1: warning: \u{fffd} [-W\u{fffd}]\n   1 | \u{fffd}\n",
            "/bin/sh: 1: x: not found\n/bin/sh: 1: y\nmake: *** [a] Error 127\n",
            "./\n../\n/..\n.:1:1: error: x\n../../../../..:1:1: error: y\n",
        ];
        for s in odd {
            let _ = parse_log(s, &c);
        }
        // Huge lines, alone and inside a diagnostic.
        let huge = "a".repeat(1 << 20);
        let _ = parse_log(&huge, &c);
        let _ = parse_log(
            &format!("x.c:1:1: warning: {huge} [-W{huge}]\n 1 | {huge}\n"),
            &c,
        );
        let _ = parse_log(&"|".repeat(1 << 18), &c);
        let _ = parse_log(&"/..".repeat(1 << 16), &c);
        let _ = parse_log(&format!(">>> {}", "(".repeat(1 << 16)), &c);
        // Random bytes (lossily converted as the real input is) and random mixes of tokens.
        let tokens = [
            "/",
            "..",
            ":",
            "1",
            "12:3",
            " ",
            "\n",
            "|",
            "^",
            "~",
            "error",
            "warning",
            "note",
            ": ",
            "[-W",
            "]",
            "'",
            "‘",
            "’",
            "`",
            "make[2]: *** [",
            "ld: ",
            ">>> ",
            "In file ",
            "included from ",
            "In function ",
            "ERROR: modpost: ",
            "WARNING: ",
            ".config",
            "Kconfig",
            "\x1b[",
            "\t",
            "   12 | ",
            "  CC ",
            "inlined from ",
            "undefined reference to `",
        ];
        let mut rng = Lcg(0x5eed);
        for _ in 0..400 {
            let n = (rng.next() % 600) as usize;
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            let _ = parse_log(&String::from_utf8_lossy(&bytes), &c);
            let mut s = String::new();
            for _ in 0..(rng.next() % 200) {
                s.push_str(tokens[(rng.next() as usize) % tokens.len()]);
            }
            let _ = parse_log(&s, &c);
        }
        // Fixture lines shuffled into each other.
        let lines: Vec<&str> = ALL_FIXTURES.iter().flat_map(|l| l.lines()).collect();
        for _ in 0..200 {
            let mut s = String::new();
            for _ in 0..(rng.next() % 60) {
                s.push_str(lines[(rng.next() as usize) % lines.len()]);
                s.push('\n');
            }
            let got = parse_log(&s, &c);
            for d in got {
                assert_eq!(d.fingerprint, fingerprint(&d));
            }
        }
    }
}
