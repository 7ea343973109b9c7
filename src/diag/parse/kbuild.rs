//! Kbuild's own tools: make's errors, kconfig (unmet dependencies, `.config:N:warning:`),
//! modpost, and other tools' `PATH: warning:` lines.

use super::*;

impl<'a> Parser<'a> {
    pub(super) fn make_line(&mut self, line: &str) -> bool {
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

    pub(super) fn remember_shell_line(&mut self, line: &str) {
        if self.shell_lines.len() >= 8 {
            self.shell_lines.remove(0);
        }
        self.shell_lines.push(line.to_string());
    }

    pub(super) fn kconfig_line(&mut self, line: &str) -> bool {
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

    pub(super) fn modpost_line(&mut self, line: &str) -> bool {
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

    pub(super) fn other_line(&mut self, line: &str) -> bool {
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
}
