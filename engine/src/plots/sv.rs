//! CSV and TSV plot files read the way DVC reads them with Python's `csv`
//! module (the `excel` dialect): every value stays a string, quoted fields may
//! hold delimiters, doubled quotes and line breaks, a quote inside an unquoted
//! field is an ordinary character, and blank lines are skipped.

use super::json::{Json, Object};

/// Splits text into records of fields.
pub fn read_records(text: &str, delimiter: char) -> Vec<Vec<String>> {
    #[derive(PartialEq)]
    enum State {
        StartField,
        InField,
        InQuoted,
        QuoteInQuoted,
    }
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut state = State::StartField;
    // Whether the current line has produced anything; an empty line is an empty
    // record, which readers skip.
    let mut line_started = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let is_newline = c == '\n' || c == '\r';
        if is_newline && state != State::InQuoted {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            if line_started {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            } else {
                records.push(Vec::new());
            }
            state = State::StartField;
            line_started = false;
            continue;
        }
        line_started = true;
        match state {
            State::StartField => {
                if c == '"' {
                    state = State::InQuoted;
                } else if c == delimiter {
                    record.push(String::new());
                } else {
                    field.push(c);
                    state = State::InField;
                }
            }
            State::InField => {
                if c == delimiter {
                    record.push(std::mem::take(&mut field));
                    state = State::StartField;
                } else {
                    field.push(c);
                }
            }
            State::InQuoted => {
                if c == '"' {
                    state = State::QuoteInQuoted;
                } else {
                    field.push(c);
                }
            }
            State::QuoteInQuoted => {
                if c == '"' {
                    field.push('"');
                    state = State::InQuoted;
                } else if c == delimiter {
                    record.push(std::mem::take(&mut field));
                    state = State::StartField;
                } else {
                    // Python's non-strict reader keeps the character and goes on
                    // as in an unquoted field.
                    field.push(c);
                    state = State::InField;
                }
            }
        }
    }
    if line_started {
        record.push(field);
        records.push(record);
    }
    records
}

/// Reads a CSV or TSV file into rows of string values, as `csv.DictReader`
/// does. With `header`, the first record names the columns; without it the
/// columns are named `"0"`, `"1"`, ... after the first record's width. A short
/// row gets `null` for the missing columns and a long row keeps the extra
/// values in a list under the key `"null"` (Python's `None` key in JSON).
pub fn read_rows(text: &str, delimiter: char, header: bool) -> Vec<Json> {
    let records = read_records(text, delimiter);
    let mut records = records.into_iter();
    let field_names: Vec<String> = if header {
        match records.next() {
            Some(first) => first,
            None => return Vec::new(),
        }
    } else {
        // DVC counts the first record's fields with a comma even for TSV files,
        // which names a single column and drops the rest; Retort counts them
        // with the file's own delimiter.
        let width = read_records(text, delimiter).first().map_or(0, Vec::len);
        (0..width).map(|index| index.to_string()).collect()
    };
    records
        .filter(|record| !record.is_empty())
        .map(|record| {
            let mut row = Object::new();
            for (name, value) in field_names.iter().zip(&record) {
                row.insert(name.clone(), Json::Str(value.clone()));
            }
            if record.len() > field_names.len() {
                row.insert(
                    "null".to_string(),
                    Json::strings(&record[field_names.len()..]),
                );
            } else {
                for name in &field_names[record.len()..] {
                    row.entry(name.clone()).or_insert(Json::Null);
                }
            }
            Json::Object(row)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, delimiter: char, header: bool) -> String {
        Json::Array(read_rows(text, delimiter, header)).to_compact()
    }

    #[test]
    fn csv_values_stay_strings_in_column_order() {
        assert_eq!(
            rows("step,loss\n0,1.000000\n1,0.5\n", ',', true),
            r#"[{"step":"0","loss":"1.000000"},{"step":"1","loss":"0.5"}]"#
        );
    }

    #[test]
    fn tsv_splits_on_tabs_only() {
        assert_eq!(
            rows("step\tname\n0\ta,b\n", '\t', true),
            r#"[{"step":"0","name":"a,b"}]"#
        );
    }

    #[test]
    fn quoted_fields_keep_special_characters() {
        assert_eq!(
            rows(
                "a,b\n\"x,1\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\n",
                ',',
                true
            ),
            r#"[{"a":"x,1","b":"say \"hi\""},{"a":"two\nlines","b":"z"}]"#
        );
        // A quote inside an unquoted field is kept as is.
        assert_eq!(rows("a\n5\"x\n", ',', true), r#"[{"a":"5\"x"}]"#);
    }

    #[test]
    fn blank_lines_and_crlf_handled() {
        assert_eq!(
            rows("a,b\r\n1,2\r\n\r\n3,4", ',', true),
            r#"[{"a":"1","b":"2"},{"a":"3","b":"4"}]"#
        );
    }

    #[test]
    fn headerless_columns_named_by_position() {
        assert_eq!(
            rows("0,5,7\n1,4,6\n", ',', false),
            r#"[{"0":"0","1":"5","2":"7"},{"0":"1","1":"4","2":"6"}]"#
        );
        assert_eq!(
            rows("0\t5\n1\t4\n", '\t', false),
            r#"[{"0":"0","1":"5"},{"0":"1","1":"4"}]"#
        );
    }

    #[test]
    fn ragged_rows_fill_or_collect() {
        assert_eq!(
            rows("a,b\n1\n1,2,3\n", ',', true),
            r#"[{"a":"1","b":null},{"a":"1","b":"2","null":["3"]}]"#
        );
    }
}
