//! Commit times as DVC shows them: naive local ISO text in JSON
//! (`datetime.fromtimestamp(t).isoformat()`), and the short forms of the
//! table's Created column.

/// Local broken-down time of a Unix timestamp.
struct Local {
    year: i32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

fn local(timestamp: i64) -> Option<Local> {
    // `time_t` is 32 bits on some targets.
    #[allow(clippy::useless_conversion)]
    let time: libc::time_t = timestamp.try_into().ok()?;
    // SAFETY: localtime_r only writes to the struct we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let result = unsafe { libc::localtime_r(&time, &mut tm) };
    if result.is_null() {
        return None;
    }
    Some(Local {
        year: tm.tm_year + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        minute: tm.tm_min as u32,
        second: tm.tm_sec as u32,
    })
}

/// `2026-12-04T19:19:19`.
pub fn iso(timestamp: i64) -> String {
    match local(timestamp) {
        Some(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year, t.month, t.day, t.hour, t.minute, t.second
        ),
        None => timestamp.to_string(),
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The Created column: `%I:%M %p` for today, `%b %d, %Y` otherwise.
pub fn created(timestamp: i64, now: i64) -> String {
    let (Some(t), Some(today)) = (local(timestamp), local(now)) else {
        return timestamp.to_string();
    };
    if (t.year, t.month, t.day) == (today.year, today.month, today.day) {
        let hour12 = match t.hour % 12 {
            0 => 12,
            hour => hour,
        };
        let meridiem = if t.hour < 12 { "AM" } else { "PM" };
        format!("{hour12:02}:{:02} {meridiem}", t.minute)
    } else {
        format!(
            "{} {:02}, {}",
            MONTHS[(t.month - 1) as usize],
            t.day,
            t.year
        )
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_uses_time_for_today_and_date_otherwise() {
        let now = now();
        assert!(created(now, now).ends_with('M'));
        let old = created(0, now);
        assert!(old.contains(", 19"), "{old}");
        assert_eq!(iso(0).len(), 19);
    }
}
