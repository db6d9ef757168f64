//! Tabular data and its text forms, as DVC's `TabularData` and `ui.table`
//! print them: CSV (Python's `csv` module), GitHub Markdown and the plain
//! layout of `tabulate` (two spaces between columns, each column at least two
//! wider than its header).

use std::collections::HashSet;

/// A table of text cells kept by column, so that columns can be dropped,
/// protected and tested for emptiness.
#[derive(Clone, Debug)]
pub struct TabularData {
    keys: Vec<String>,
    columns: Vec<Vec<String>>,
    fill_value: String,
    protected: HashSet<String>,
}

impl TabularData {
    pub fn new(headers: Vec<String>, fill_value: &str) -> TabularData {
        let columns = headers.iter().map(|_| Vec::new()).collect();
        TabularData {
            keys: headers,
            columns,
            fill_value: fill_value.to_string(),
            protected: HashSet::new(),
        }
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    pub fn fill_value(&self) -> &str {
        &self.fill_value
    }

    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a row; missing cells get the fill value.
    pub fn push_row(&mut self, row: Vec<String>) {
        let mut row = row.into_iter();
        for column in &mut self.columns {
            column.push(row.next().unwrap_or_else(|| self.fill_value.clone()));
        }
    }

    /// Appends a row given by header; new headers become new columns.
    pub fn push_row_map(&mut self, cells: Vec<(String, String)>) {
        for (key, _) in &cells {
            if !self.keys.contains(key) {
                self.keys.push(key.clone());
                self.columns.push(vec![self.fill_value.clone(); self.len()]);
            }
        }
        let row = self
            .keys
            .iter()
            .map(|key| {
                cells
                    .iter()
                    .find(|(cell_key, _)| cell_key == key)
                    .map(|(_, value)| value.clone())
                    .unwrap_or_else(|| self.fill_value.clone())
            })
            .collect();
        self.push_row(row);
    }

    pub fn column(&self, key: &str) -> Option<&[String]> {
        let index = self.keys.iter().position(|existing| existing == key)?;
        Some(&self.columns[index])
    }

    pub fn column_mut(&mut self, key: &str) -> Option<&mut Vec<String>> {
        let index = self.keys.iter().position(|existing| existing == key)?;
        Some(&mut self.columns[index])
    }

    pub fn rows(&self) -> Vec<Vec<&str>> {
        (0..self.len())
            .map(|row| {
                self.columns
                    .iter()
                    .map(|column| column[row].as_str())
                    .collect()
            })
            .collect()
    }

    pub fn protect(&mut self, key: &str) {
        self.protected.insert(key.to_string());
    }

    /// Drops columns, except protected ones.
    pub fn drop(&mut self, keys: &[&str]) {
        for key in keys {
            if self.protected.contains(*key) {
                continue;
            }
            if let Some(index) = self.keys.iter().position(|existing| existing == key) {
                self.keys.remove(index);
                self.columns.remove(index);
            }
        }
    }

    pub fn rename(&mut self, from: &str, to: &str) {
        if let Some(index) = self.keys.iter().position(|existing| existing == from) {
            self.keys[index] = to.to_string();
        }
    }

    /// Reorders columns: these first, in this order; the others are dropped.
    pub fn project(&mut self, keys: &[String]) {
        let mut columns = Vec::new();
        for key in keys {
            if let Some(index) = self.keys.iter().position(|existing| existing == key) {
                columns.push(self.columns[index].clone());
            }
        }
        self.keys = keys
            .iter()
            .filter(|key| self.keys.contains(key))
            .cloned()
            .collect();
        self.columns = columns;
    }

    /// Whether every cell of a column is the fill value.
    pub fn column_is_empty(&self, key: &str) -> bool {
        self.column(key)
            .is_some_and(|cells| cells.iter().all(|cell| *cell == self.fill_value))
    }

    /// `--only-changed`: drops columns with one distinct value.
    pub fn drop_unchanged_columns(&mut self) {
        let unchanged: Vec<String> = self
            .keys
            .iter()
            .zip(&self.columns)
            .filter(|(_, cells)| cells.iter().collect::<HashSet<_>>().len() == 1)
            .map(|(key, _)| key.clone())
            .collect();
        let refs: Vec<&str> = unchanged.iter().map(String::as_str).collect();
        self.drop(&refs);
    }

    /// CSV as Python's `csv.writer` writes it: minimal quoting, CRLF lines.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let line = |cells: Vec<&str>, out: &mut String| {
            let quoted: Vec<String> = cells.into_iter().map(csv_field).collect();
            out.push_str(&quoted.join(","));
            out.push_str("\r\n");
        };
        line(self.keys.iter().map(String::as_str).collect(), &mut out);
        for row in self.rows() {
            line(row, &mut out);
        }
        out
    }

    fn widths(&self) -> Vec<usize> {
        self.keys
            .iter()
            .zip(&self.columns)
            .map(|(key, cells)| {
                cells
                    .iter()
                    .map(|cell| text_width(cell))
                    .max()
                    .unwrap_or(0)
                    .max(text_width(key) + 2)
            })
            .collect()
    }

    /// `tabulate(..., tablefmt="github")` plus DVC's trailing newline.
    pub fn to_markdown(&self) -> String {
        let widths = self.widths();
        let mut out = String::new();
        let line = |cells: Vec<&str>, out: &mut String| {
            out.push('|');
            for (cell, width) in cells.iter().zip(&widths) {
                out.push(' ');
                out.push_str(&pad(cell, *width));
                out.push_str(" |");
            }
            out.push('\n');
        };
        line(self.keys.iter().map(String::as_str).collect(), &mut out);
        out.push('|');
        for width in &widths {
            out.push_str(&"-".repeat(width + 2));
            out.push('|');
        }
        out.push('\n');
        for row in self.rows() {
            line(row, &mut out);
        }
        out.push('\n');
        out
    }

    /// `tabulate(..., tablefmt="plain")`, with lines right-trimmed.
    pub fn to_plain(&self) -> String {
        let widths = self.widths();
        let mut out = String::new();
        let line = |cells: Vec<&str>, out: &mut String| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(cell, width)| pad(cell, *width))
                .collect();
            out.push_str(padded.join("  ").trim_end());
            out.push('\n');
        };
        line(self.keys.iter().map(String::as_str).collect(), &mut out);
        for row in self.rows() {
            line(row, &mut out);
        }
        out
    }
}

fn csv_field(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

/// Display width in terminal columns; the box-drawing glyphs are one wide.
pub fn text_width(text: &str) -> usize {
    text.chars().count()
}

fn pad(text: &str, width: usize) -> String {
    let missing = width.saturating_sub(text_width(text));
    format!("{text}{}", " ".repeat(missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_markdown_layouts_match_tabulate() {
        let mut table = TabularData::new(
            vec![
                "Path".into(),
                "Param".into(),
                "HEAD".into(),
                "workspace".into(),
            ],
            "-",
        );
        table.push_row(vec![
            "params.yaml".into(),
            "train.lr".into(),
            "0.01".into(),
            "0.03".into(),
        ]);
        // Bytes printed by `dvc params diff` (DVC 3.67.1) on the same data.
        assert_eq!(
            table.to_plain(),
            "Path         Param     HEAD    workspace\nparams.yaml  train.lr  0.01    0.03\n"
        );
        assert_eq!(
            table.to_markdown(),
            "| Path        | Param    | HEAD   | workspace   |\n|-------------|----------|--------|-------------|\n| params.yaml | train.lr | 0.01   | 0.03        |\n\n"
        );
        table.push_row(vec!["a,b".into()]);
        assert!(table.to_csv().contains("\"a,b\",-,-,-\r\n"));
    }
}
