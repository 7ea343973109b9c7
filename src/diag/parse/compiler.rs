//! gcc and clang: `PATH:LINE[:COL]: error|warning|note: MSG [-Wflag]`, their context lines
//! (`In function`, `In file included from`, `inlined from`) and quoted source snippets.

use super::*;

impl<'a> Parser<'a> {
    /// gcc `NN | src` / `   | ^~~` lines and clang caret lines.
    pub(super) fn snippet_line(&mut self, line: &str) -> bool {
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

    pub(super) fn context_line(&mut self, line: &str, was_include: bool) -> bool {
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

    pub(super) fn compiler_line(&mut self, line: &str) -> bool {
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

    pub(super) fn compiler_diag(
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
}
