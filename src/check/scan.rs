//! Reading the kernel tree the way the preprocessor and kbuild would, just enough to answer
//! "is this line compiled for this config?": comments stripped, `#if` conditions evaluated
//! against the final .config (three-valued: unknown macros stay unknown), and the Makefile
//! line that puts an object into the build.

use std::collections::BTreeMap;

/// Replace comments and string/char literals with spaces, keeping line structure, so that a
/// helper named in a comment (mm/debug_vm_pgtable.c has some) is not taken for a use.
pub fn strip_comments(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && i + 1 < b.len() && b[i + 1] == b'*' {
            out.extend_from_slice(b"  ");
            i += 2;
            while i < b.len() && !(b[i] == b'*' && i + 1 < b.len() && b[i + 1] == b'/') {
                out.push(if b[i] == b'\n' { b'\n' } else { b' ' });
                i += 1;
            }
            if i < b.len() {
                out.extend_from_slice(b"  ");
                i += 2;
            }
        } else if c == b'/' && i + 1 < b.len() && b[i + 1] == b'/' {
            while i < b.len() && b[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if c == b'"' || c == b'\'' {
            let q = c;
            out.push(b' ');
            i += 1;
            while i < b.len() && b[i] != q && b[i] != b'\n' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    out.push(b' ');
                    i += 1;
                }
                out.push(b' ');
                i += 1;
            }
            if i < b.len() && b[i] == q {
                out.push(b' ');
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Three-valued truth of a preprocessor condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
    fn and(self, o: Truth) -> Truth {
        match (self, o) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }
    fn or(self, o: Truth) -> Truth {
        match (self, o) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }
}

/// The .config as the preprocessor sees it: `CONFIG_X` defined iff y or m (or a value).
pub struct Config<'a> {
    pub values: &'a BTreeMap<String, String>,
}

impl Config<'_> {
    pub(super) fn defined(&self, sym: &str) -> Option<bool> {
        let s = sym.strip_prefix("CONFIG_")?;
        let s = s.strip_suffix("_MODULE").map_or(s, |base| base);
        Some(self.values.get(s).is_some_and(|v| v != "n"))
    }
}

/// Evaluate a `#if` expression. Handles defined(X), defined X, IS_ENABLED(X),
/// IS_BUILTIN(X), IS_REACHABLE(X), !, &&, ||, parentheses, 0 and 1; anything else involving
/// non-CONFIG macros is Unknown.
pub fn eval(expr: &str, cfg: &Config) -> Truth {
    let toks = tokenize(expr);
    let mut p = Parser {
        toks: &toks,
        pos: 0,
        cfg,
    };
    let t = p.or();
    if p.pos != toks.len() {
        return Truth::Unknown;
    }
    t
}

fn tokenize(s: &str) -> Vec<String> {
    let mut v = Vec::new();
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let st = i;
            while i < cs.len() && (cs[i].is_ascii_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            v.push(cs[st..i].iter().collect());
        } else if i + 1 < cs.len()
            && ((c == '&' && cs[i + 1] == '&') || (c == '|' && cs[i + 1] == '|'))
        {
            v.push(format!("{c}{c}"));
            i += 2;
        } else {
            v.push(c.to_string());
            i += 1;
        }
    }
    v
}

struct Parser<'a, 'c> {
    toks: &'a [String],
    pos: usize,
    cfg: &'a Config<'c>,
}

impl<'a> Parser<'a, '_> {
    fn peek(&self) -> Option<&'a str> {
        self.toks.get(self.pos).map(String::as_str)
    }
    fn or(&mut self) -> Truth {
        let mut t = self.and();
        while self.peek() == Some("||") {
            self.pos += 1;
            let r = self.and();
            t = t.or(r);
        }
        t
    }
    fn and(&mut self) -> Truth {
        let mut t = self.unary();
        while self.peek() == Some("&&") {
            self.pos += 1;
            let r = self.unary();
            t = t.and(r);
        }
        t
    }
    fn unary(&mut self) -> Truth {
        match self.peek() {
            Some("!") => {
                self.pos += 1;
                self.unary().not()
            }
            Some("(") => {
                self.pos += 1;
                let t = self.or();
                if self.peek() == Some(")") {
                    self.pos += 1;
                }
                t
            }
            Some("defined") => {
                self.pos += 1;
                let paren = self.peek() == Some("(");
                if paren {
                    self.pos += 1;
                }
                let name = self.peek().unwrap_or("").to_string();
                self.pos += 1;
                if paren && self.peek() == Some(")") {
                    self.pos += 1;
                }
                match self.cfg.defined(&name) {
                    Some(true) => Truth::True,
                    Some(false) => Truth::False,
                    None => Truth::Unknown,
                }
            }
            Some(f @ ("IS_ENABLED" | "IS_BUILTIN" | "IS_REACHABLE" | "IS_MODULE")) => {
                let f = f.to_string();
                self.pos += 1;
                if self.peek() == Some("(") {
                    self.pos += 1;
                }
                let name = self.peek().unwrap_or("").to_string();
                self.pos += 1;
                if self.peek() == Some(")") {
                    self.pos += 1;
                }
                let v = name
                    .strip_prefix("CONFIG_")
                    .and_then(|s| self.cfg.values.get(s))
                    .map(String::as_str)
                    .unwrap_or("n");
                let on = match f.as_str() {
                    "IS_MODULE" => v == "m",
                    "IS_BUILTIN" => v == "y",
                    _ => v == "y" || v == "m",
                };
                if on {
                    Truth::True
                } else {
                    Truth::False
                }
            }
            Some("0") => {
                self.pos += 1;
                Truth::False
            }
            Some("1") => {
                self.pos += 1;
                Truth::True
            }
            Some(w) if w.starts_with("CONFIG_") => {
                // #if CONFIG_X: true when set to y (1); a numeric value is unknown here.
                let w = w.to_string();
                self.pos += 1;
                match self.cfg.defined(&w) {
                    Some(true) => Truth::True,
                    _ => Truth::False,
                }
            }
            Some(_) => {
                // Anything else (arithmetic, other macros): skip a primary and give up on it.
                self.pos += 1;
                if self.peek() == Some("(") {
                    let mut depth = 0;
                    while let Some(t) = self.peek() {
                        self.pos += 1;
                        if t == "(" {
                            depth += 1;
                        } else if t == ")" {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                    }
                }
                while let Some(t) = self.peek() {
                    if t == "&&" || t == "||" || t == ")" {
                        break;
                    }
                    self.pos += 1;
                }
                Truth::Unknown
            }
            None => Truth::Unknown,
        }
    }
}

/// For each line (0-based index) of a comment-stripped file: whether it is compiled, and the
/// conditions in force (outermost first), as written.
pub struct Conditions {
    pub lines: Vec<(Truth, Vec<String>)>,
}

pub fn conditions(stripped: &str, cfg: &Config) -> Conditions {
    // Stack of (condition text, its truth, whether an earlier branch was taken)
    struct Frame {
        text: String,
        truth: Truth,
        taken: Truth,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut lines = Vec::new();
    let mut cont = String::new();
    for raw in stripped.lines() {
        let whole = if cont.is_empty() {
            raw.to_string()
        } else {
            format!("{cont} {raw}")
        };
        let t = whole.trim_start();
        let current = stack.iter().fold(Truth::True, |a, f| a.and(f.truth));
        let texts: Vec<String> = stack.iter().map(|f| f.text.clone()).collect();
        lines.push((current, texts));
        if let Some(body) = t.strip_prefix('#') {
            if whole.trim_end().ends_with('\\') {
                cont = whole.trim_end().trim_end_matches('\\').to_string();
                continue;
            }
            cont.clear();
            let body = body.trim_start();
            let (kw, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
            let rest = rest.trim();
            match kw {
                "if" => {
                    let tr = eval(rest, cfg);
                    stack.push(Frame {
                        text: format!("#if {rest}"),
                        truth: tr,
                        taken: tr,
                    });
                }
                "ifdef" => {
                    let tr = eval(&format!("defined({rest})"), cfg);
                    stack.push(Frame {
                        text: format!("#ifdef {rest}"),
                        truth: tr,
                        taken: tr,
                    });
                }
                "ifndef" => {
                    let tr = eval(&format!("defined({rest})"), cfg).not();
                    stack.push(Frame {
                        text: format!("#ifndef {rest}"),
                        truth: tr,
                        taken: tr,
                    });
                }
                "elif" => {
                    if let Some(f) = stack.last_mut() {
                        let tr = f.taken.not().and(eval(rest, cfg));
                        f.taken = f.taken.or(tr);
                        f.truth = tr;
                        f.text = format!("{} / #elif {rest}", f.text);
                    }
                }
                "else" => {
                    if let Some(f) = stack.last_mut() {
                        f.truth = f.taken.not();
                        f.text = format!("{} / #else", f.text);
                    }
                }
                "endif" => {
                    stack.pop();
                }
                _ => {}
            }
        } else {
            cont.clear();
        }
    }
    Conditions { lines }
}

/// For each line (0-based) of a comment-stripped text, the depth of `{` nesting at its
/// start (0: file scope). Braces in `#` lines count too: they are rare and balanced.
pub fn brace_depths(stripped: &str) -> Vec<usize> {
    let mut depth = 0usize;
    let mut v = Vec::new();
    for l in stripped.lines() {
        v.push(depth);
        depth = depth_after(depth, l);
    }
    v
}

/// The depth after the text `s` that starts at depth `d`.
pub fn depth_after(d: usize, s: &str) -> usize {
    s.chars().fold(d, |d, c| match c {
        '{' => d + 1,
        '}' => d.saturating_sub(1),
        _ => d,
    })
}

/// Positions (0-based line, column) of `name` as a whole identifier in a stripped text.
pub fn find_ident(stripped: &str, name: &str) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for (ln, line) in stripped.lines().enumerate() {
        let mut from = 0;
        while let Some(i) = line[from..].find(name) {
            let s = from + i;
            let e = s + name.len();
            let before = line[..s].chars().last();
            let after = line[e..].chars().next();
            let ident = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ident(before) && !ident(after) {
                v.push((ln, s));
            }
            from = e;
        }
    }
    v
}

/// Is the occurrence at (line, col) the start of a function definition? The name is followed
/// by `(`, and after the matching `)` comes `{` (not `;`), and the line is not indented.
pub fn is_definition(stripped: &str, line: usize, col: usize) -> bool {
    let lines: Vec<&str> = stripped.lines().collect();
    let l = lines[line];
    if l.starts_with(char::is_whitespace) || l.trim_start().starts_with('#') {
        return false;
    }
    let mut text = String::new();
    for x in &lines[line..(line + 12).min(lines.len())] {
        text.push_str(x);
        text.push('\n');
    }
    let rest = &text[col..];
    let Some(open) = rest.find('(') else {
        return false;
    };
    if !rest[..open]
        .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
        .trim()
        .is_empty()
    {
        return false;
    }
    let mut depth = 0;
    for (i, ch) in rest[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    let after = rest[open + i + 1..].trim_start();
                    return after.starts_with('{');
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn comments_and_strings_are_blanked() {
        let s = strip_comments("a /* pud_x() */ b // pud_y\n\"pud_z\" c\n");
        assert!(!s.contains("pud_"));
        assert_eq!(s.lines().count(), 2);
        assert!(s.contains('c'));
    }

    #[test]
    fn conditions_follow_ifdef_else_and_unknowns() {
        let v = cfg(&[("THP", "y")]);
        let c = Config { values: &v };
        assert_eq!(
            eval("defined(CONFIG_THP) && !defined(CONFIG_PUD)", &c),
            Truth::True
        );
        assert_eq!(
            eval("IS_ENABLED(CONFIG_PUD) || defined(__HAVE_X)", &c),
            Truth::Unknown
        );
        assert_eq!(eval("CONFIG_PUD && FOO > 3", &c), Truth::False);
        let src = "#ifdef CONFIG_PUD\nuse();\n#else\nstub();\n#endif\nall();\n";
        let conds = conditions(src, &c);
        assert_eq!(conds.lines[1].0, Truth::False);
        assert_eq!(conds.lines[1].1, vec!["#ifdef CONFIG_PUD"]);
        assert_eq!(conds.lines[3].0, Truth::True);
        assert_eq!(conds.lines[5].0, Truth::True);
    }

    #[test]
    fn definitions_are_told_from_calls_and_prototypes() {
        let s = "pud_t pud_modify(pud_t pud,\n\t\tpgprot_t p)\n{\n\treturn pud_modify(x, y);\n}\nextern pud_t pudp_x(int);\n";
        let hits = find_ident(s, "pud_modify");
        assert_eq!(hits.len(), 2);
        assert!(is_definition(s, hits[0].0, hits[0].1));
        assert!(!is_definition(s, hits[1].0, hits[1].1));
        let p = find_ident(s, "pudp_x");
        assert!(!is_definition(s, p[0].0, p[0].1));
        assert!(find_ident("my_pud_modify()", "pud_modify").is_empty());
    }
}
