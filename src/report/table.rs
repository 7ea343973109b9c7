//! The one table renderer of the terminal outputs: columns padded to their widest cell (or a
//! minimum), two spaces apart, and free text lines (details, evidence) between the rows.

/// How a column's cells are aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone)]
struct Column {
    title: String,
    align: Align,
    min: usize,
}

#[derive(Debug, Clone)]
enum Line {
    Row(Vec<String>),
    Text(String),
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    cols: Vec<Column>,
    lines: Vec<Line>,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

impl Table {
    pub fn new() -> Table {
        Table::default()
    }

    /// Add a column.
    pub fn col(self, title: impl Into<String>, align: Align) -> Table {
        self.col_min(title, align, 0)
    }

    /// Add a column at least `min` characters wide.
    pub fn col_min(mut self, title: impl Into<String>, align: Align, min: usize) -> Table {
        self.cols.push(Column {
            title: title.into(),
            align,
            min,
        });
        self
    }

    /// Add a row (missing cells are empty, extra cells are dropped).
    pub fn row(&mut self, cells: Vec<String>) {
        self.lines.push(Line::Row(cells));
    }

    /// Add a line of free text under the last row, as it is (not part of the columns).
    pub fn text(&mut self, line: impl Into<String>) {
        self.lines.push(Line::Text(line.into()));
    }

    pub fn render(&self) -> String {
        let mut w: Vec<usize> = self
            .cols
            .iter()
            .map(|c| width(&c.title).max(c.min))
            .collect();
        for l in &self.lines {
            if let Line::Row(cells) = l {
                for (i, v) in cells.iter().enumerate().take(w.len()) {
                    w[i] = w[i].max(width(v));
                }
            }
        }
        let mut out = String::new();
        let titles: Vec<String> = self.cols.iter().map(|c| c.title.clone()).collect();
        self.render_row(&mut out, &titles, &w);
        for l in &self.lines {
            match l {
                Line::Row(cells) => self.render_row(&mut out, cells, &w),
                Line::Text(t) => {
                    out.push_str(t);
                    out.push('\n');
                }
            }
        }
        out
    }

    fn render_row(&self, out: &mut String, cells: &[String], w: &[usize]) {
        let mut line = String::new();
        for (i, c) in self.cols.iter().enumerate() {
            let v = cells.get(i).map(String::as_str).unwrap_or("");
            if i > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(w[i].saturating_sub(width(v)));
            match c.align {
                Align::Left => {
                    line.push_str(v);
                    line.push_str(&pad);
                }
                Align::Right => {
                    line.push_str(&pad);
                    line.push_str(v);
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_aligns_and_keeps_text_lines() {
        let mut t = Table::new()
            .col("CELL", Align::Left)
            .col_min("N", Align::Right, 3)
            .col("WHAT", Align::Left);
        t.row(vec!["x86_64-gcc".into(), "12".into(), "ok".into()]);
        t.text("    detail: <kept>");
        t.row(vec!["arm64".into(), "1".into()]);
        assert_eq!(
            t.render(),
            "CELL          N  WHAT\nx86_64-gcc   12  ok\n    detail: <kept>\narm64         1\n"
        );
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        let mut t = Table::new().col("A", Align::Left).col("B", Align::Left);
        t.row(vec!["é—".into(), "x".into()]);
        assert_eq!(t.render(), "A   B\né—  x\n");
    }
}
