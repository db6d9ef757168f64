//! Output helpers shared by the experiment, params and metrics commands:
//! JSON in DVC's form (indented on a terminal, one line otherwise), the
//! terminal table for `exp show`, and paths shown relative to the current
//! directory.

use std::io::{IsTerminal, Write};
use std::path::Path;

use comfy_table::{CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};
use retort_engine::exp::json::Json;
use retort_engine::exp::show::ColumnGroups;
use retort_engine::exp::table::{text_width, TabularData};

/// Prints JSON as `dvc ... --json` does: `json.dumps` when piped, indented by
/// two on a terminal.
pub fn print_json(value: &Json) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    let text = if std::io::stdout().is_terminal() {
        value.dumps_indented(2)
    } else {
        value.dumps()
    };
    writeln!(stdout, "{text}")?;
    Ok(())
}

pub fn print_text(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    Ok(())
}

/// Returns the width to fit: `COLUMNS` when set, else the terminal's, and
/// `None` when piped, which prints the whole table.
fn target_width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|value| value.parse().ok())
    {
        return Some(columns);
    }
    if std::io::stdout().is_terminal() {
        return Table::new().width().map(usize::from);
    }
    None
}

/// The `exp show` table for a terminal: rules above and below the header and
/// at the bottom, metrics right-aligned, one line per row. When it is wider
/// than the window, dependency hashes are shortened first, then columns are
/// left out from the right (deps, then params, then metrics) and a last `…`
/// column marks the cut.
pub fn render_exp_table(table: &TabularData, groups: &ColumnGroups, kinds: &[String]) -> String {
    let keys: Vec<String> = table.keys().to_vec();
    let mut rows: Vec<Vec<String>> = table
        .rows()
        .into_iter()
        .map(|row| row.into_iter().map(str::to_string).collect())
        .collect();
    let mut shown: Vec<usize> = (0..keys.len()).collect();
    let mut hidden = false;
    if let Some(width) = target_width() {
        let column_width = |index: usize, rows: &Vec<Vec<String>>| -> usize {
            rows.iter()
                .map(|row| text_width(&row[index]))
                .chain(std::iter::once(text_width(&keys[index])))
                .max()
                .unwrap_or(0)
                + 3
        };
        let total = |shown: &[usize], rows: &Vec<Vec<String>>, hidden: bool| -> usize {
            shown
                .iter()
                .map(|index| column_width(*index, rows))
                .sum::<usize>()
                + if hidden { 4 } else { 0 }
        };
        if total(&shown, &rows, false) > width {
            for (index, key) in keys.iter().enumerate() {
                if groups.deps.contains(key) {
                    for row in rows.iter_mut() {
                        if text_width(&row[index]) > 9 {
                            row[index] =
                                format!("{}…", row[index].chars().take(8).collect::<String>());
                        }
                    }
                }
            }
        }
        let removable: Vec<usize> = keys
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, key)| groups.deps.contains(key))
            .chain(
                keys.iter()
                    .enumerate()
                    .rev()
                    .filter(|(_, key)| groups.params.contains(key)),
            )
            .chain(
                keys.iter()
                    .enumerate()
                    .rev()
                    .filter(|(_, key)| groups.metrics.contains(key)),
            )
            .map(|(index, _)| index)
            .collect();
        for index in removable {
            if total(&shown, &rows, hidden) <= width {
                break;
            }
            shown.retain(|shown_index| *shown_index != index);
            hidden = true;
        }
    }

    let mut rendered = Table::new();
    // Rules above and below the header and at the bottom, as DVC draws it.
    let rule = LineStyle::none().fill('─').junction('─');
    rendered.load_style(
        TableStyle::new()
            .top_border(rule)
            .header_separator(rule)
            .bottom_border(rule),
    );
    rendered.set_content_arrangement(ContentArrangement::Disabled);
    let mut header: Vec<String> = shown.iter().map(|index| keys[*index].clone()).collect();
    if hidden {
        header.push("…".into());
    }
    rendered.set_header(header);
    let styled = std::io::stdout().is_terminal();
    for (row_index, row) in rows.iter().enumerate() {
        let bold = styled && kinds.get(row_index).is_some_and(|kind| kind == "baseline");
        let mut cells: Vec<comfy_table::Cell> = shown
            .iter()
            .map(|index| {
                let cell = comfy_table::Cell::new(&row[*index]);
                if bold {
                    cell.add_attribute(comfy_table::Attribute::Bold)
                } else {
                    cell
                }
            })
            .collect();
        if hidden {
            cells.push(comfy_table::Cell::new("…"));
        }
        rendered.add_row(cells);
    }
    for (position, index) in shown.iter().enumerate() {
        if groups.metrics.contains(&keys[*index]) {
            if let Some(column) = rendered.column_mut(position) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
    }
    let mut text = rendered.to_string();
    text.push('\n');
    text
}

/// Converts a project-relative path to one relative to the current directory.
pub fn from_cwd(project_root: &Path, cwd: &Path, path: &str) -> String {
    let absolute = project_root.join(path);
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    let absolute = match std::fs::canonicalize(project_root) {
        Ok(root) => root.join(path),
        Err(_) => absolute,
    };
    match absolute.strip_prefix(&cwd) {
        Ok(inside) => inside.to_string_lossy().replace('\\', "/"),
        Err(_) => {
            let path_parts: Vec<_> = absolute.components().collect();
            let cwd_parts: Vec<_> = cwd.components().collect();
            let common = path_parts
                .iter()
                .zip(&cwd_parts)
                .take_while(|(a, b)| a == b)
                .count();
            let mut parts: Vec<String> = vec!["..".to_string(); cwd_parts.len() - common];
            parts.extend(
                path_parts[common..]
                    .iter()
                    .map(|part| part.as_os_str().to_string_lossy().to_string()),
            );
            parts.join("/")
        }
    }
}
