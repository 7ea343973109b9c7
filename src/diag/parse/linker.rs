//! GNU ld (any cross prefix) and ld.lld: undefined references, multiple or duplicate
//! definitions, other errors and warnings, and their continuation lines.

use super::*;

pub(super) fn unquote_ld(s: &str) -> String {
    s.replace(['`', '‘', '’'], "'")
}

impl<'a> Parser<'a> {
    /// `>>>` lines after ld.lld errors, indented lines after kconfig/modpost/other messages.
    pub(super) fn continuation(&mut self, line: &str) -> bool {
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

    pub(super) fn lld_note(&mut self, i: usize, line: &str) {
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

    pub(super) fn ld_line(&mut self, line: &str) -> bool {
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
    pub(super) fn ld_unprefixed_line(&mut self, line: &str) -> bool {
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
    pub(super) fn ld_location(&self, loc: &str) -> (Option<String>, Option<u32>) {
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
    pub(super) fn ld_file(&self, f: &str) -> String {
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

    pub(super) fn ld_body(&mut self, body: &str) -> bool {
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

    pub(super) fn lld_error(&mut self, e: &str) {
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
}
